/**
 * The freelist: page numbers inside the file that no tree, overflow or trunk page uses.
 *
 * In memory it is a stack (allocation pops the most recently freed page, freeing pushes), so a
 * commit changes only its tail. On disk it is a chain of trunk pages starting at the header's
 * `freelistHead`: trunk i holds stack entries [i·cap, (i+1)·cap). A commit rewrites only the trunks
 * from the first changed entry on. Trunk pages are not themselves in the stack; the chain grows by
 * extending the file and gives a trunk back once two or more trunks are spare (hysteresis, so a
 * stack that hovers at a trunk boundary does not flap).
 *
 * Freed pages may be reused by the very next transaction: readers only ever see durable page
 * versions (a different WAL frame or the untouched primary page), never the writer's.
 */
import { hexxlaError } from '../errors.js';
import { FreelistPage, freelistCapacity, pageTypeFreelist } from './page.js';
import type { PageNode } from './page.js';

export interface FreelistHost {
  readonly usable: number;
  /** Allocates a page at the end of the file (never from the freelist). */
  extend(): number;
  /** Registers a rewritten trunk page as dirty. */
  putDirty(pageNo: number, node: PageNode): void;
}

export class Freelist {
  /** Lowest stack index changed since the last persist (Infinity when clean). */
  private dirtyFrom = Infinity;
  private txBase = 0;
  private txLow = 0;
  private readonly txSaved: number[] = [];
  /** The trunk list at begin(), copied by the first persist() that may change it; else null. */
  private txTrunks: number[] | null = null;

  private constructor(
    private ids: number[],
    private trunks: number[],
  ) {}

  static empty(): Freelist {
    return new Freelist([], []);
  }

  /** Reads the chain from `head`; `read` returns decoded pages. */
  static load(read: (pageNo: number) => PageNode, head: number, count: number): Freelist {
    const ids: number[] = [];
    const trunks: number[] = [];
    const seen = new Set<number>();
    for (let pageNo = head; pageNo !== 0;) {
      if (seen.has(pageNo)) throw freelistCorrupt('cycle in trunk chain');
      seen.add(pageNo);
      const page = read(pageNo);
      if (page.type !== pageTypeFreelist) throw freelistCorrupt(`page ${pageNo} is not a trunk`);
      trunks.push(pageNo);
      for (const id of page.ids) ids.push(id);
      pageNo = page.next;
    }
    if (ids.length !== count) {
      throw freelistCorrupt(`holds ${ids.length} pages, header says ${count}`);
    }
    return new Freelist(ids, trunks);
  }

  get count(): number {
    return this.ids.length;
  }

  get head(): number {
    return this.trunks[0] ?? 0;
  }

  /** Page numbers of the free pages and of the trunk pages (for the structural check). */
  pages(): { free: readonly number[]; trunks: readonly number[] } {
    return { free: this.ids, trunks: this.trunks };
  }

  /** Starts a transaction: later changes can be undone with rollback(). */
  begin(): void {
    this.txBase = this.ids.length;
    this.txLow = this.txBase;
    // Reused, not reallocated: a single-record commit begins and ends one of these each time.
    this.txSaved.length = 0;
    this.txTrunks = null;
  }

  pop(): number | undefined {
    const id = this.ids.pop();
    if (id === undefined) return undefined;
    if (this.ids.length < this.txLow) {
      this.txLow = this.ids.length;
      this.txSaved.push(id);
    }
    this.dirtyFrom = Math.min(this.dirtyFrom, this.ids.length);
    return id;
  }

  push(pageNo: number): void {
    this.dirtyFrom = Math.min(this.dirtyFrom, this.ids.length);
    this.ids.push(pageNo);
  }

  /** Restores the state of begin(). */
  rollback(): void {
    this.ids.length = this.txLow;
    for (let i = this.txSaved.length - 1; i >= 0; i--) this.ids.push(this.txSaved[i]!);
    this.txSaved.length = 0;
    if (this.txTrunks !== null) this.trunks = this.txTrunks;
    this.txTrunks = null;
    this.dirtyFrom = Infinity;
  }

  /** Writes the changed trunk pages through `host`. Called once per commit, before encoding. */
  persist(host: FreelistHost): void {
    const cap = freelistCapacity(host.usable);
    this.txTrunks ??= this.trunks.slice();
    const trunksBefore = this.trunks.length;
    while (this.trunks.length < Math.ceil(this.ids.length / cap)) this.trunks.push(host.extend());
    while (this.trunks.length > Math.ceil(this.ids.length / cap) + 1) {
      this.push(this.trunks.pop()!);
    }
    let from = Number.isFinite(this.dirtyFrom) ? Math.floor(this.dirtyFrom / cap) : Infinity;
    if (this.trunks.length !== trunksBefore) {
      from = Math.min(from, Math.max(0, Math.min(trunksBefore, this.trunks.length) - 1));
    }
    for (let i = from; i < this.trunks.length; i++) {
      const ids = this.ids.slice(i * cap, (i + 1) * cap);
      host.putDirty(this.trunks[i]!, new FreelistPage(this.trunks[i + 1] ?? 0, ids));
    }
    this.dirtyFrom = Infinity;
  }
}

function freelistCorrupt(what: string): Error {
  return hexxlaError('CorruptDatabase', `freelist: ${what}`);
}
