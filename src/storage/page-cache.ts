/**
 * A bounded cache of decoded pages with CLOCK (second-chance) eviction.
 *
 * Keys: a page of the primary file is cached under its page number (≥ 0); a page image in the WAL
 * under `walCacheKey(frameId)` (< 0), where frame ids are unique for the life of the open database.
 * Cached nodes are immutable: writers clone before changing anything.
 *
 * Why CLOCK and not strict LRU: moving an entry to the back of a Map on every hit (delete + set)
 * was the single largest cost of point reads in profiles. A hit here only sets a flag; eviction
 * walks from the oldest entry and gives flagged entries a second chance (re-inserted unflagged).
 */
import type { PageNode } from './page.js';

export function walCacheKey(frameId: number): number {
  return -1 - frameId;
}

interface Slot {
  node: PageNode;
  referenced: boolean;
  /** The page whose durable image this is, for `getDurable` (see linkDurable); else -1. */
  page: number;
}

export class PageCache {
  private readonly map = new Map<number, Slot>();
  /**
   * Slots by page number, for the pages whose durable image is cached and was linked: readers'
   * fast path, one array load instead of two Map lookups (the durable map, then this one) per
   * tree level. An entry leaves it when its slot leaves the map, or when the page gets a new
   * durable image (unlinkDurable). Dense (holes are filled), so V8 keeps it a fast array.
   */
  private readonly byPage: Array<Slot | undefined> = [];
  hits = 0;
  misses = 0;

  constructor(private readonly capacityPages: number) {}

  get(key: number): PageNode | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    slot.referenced = true;
    return slot.node;
  }

  /** The node under `key`, if cached; no hit or miss is counted and its flag is left alone. */
  peek(key: number): PageNode | undefined {
    return this.map.get(key)?.node;
  }

  /** The cached durable image of `pageNo` when linked (counts a hit), else undefined. */
  getDurable(pageNo: number): PageNode | undefined {
    const slot = this.byPage[pageNo];
    if (slot === undefined) return undefined;
    this.hits++;
    slot.referenced = true;
    return slot.node;
  }

  /** Records that the entry under `key` holds the durable image of `pageNo` (see getDurable). */
  linkDurable(pageNo: number, key: number): void {
    const slot = this.map.get(key);
    if (slot === undefined) return;
    this.unlinkDurable(pageNo);
    this.dropped(slot); // a slot links one page at most
    while (this.byPage.length <= pageNo) this.byPage.push(undefined);
    slot.page = pageNo;
    this.byPage[pageNo] = slot;
  }

  /** Forgets the link of `pageNo` (its durable image changes). */
  unlinkDurable(pageNo: number): void {
    const slot = this.byPage[pageNo];
    if (slot === undefined) return;
    slot.page = -1;
    this.byPage[pageNo] = undefined;
  }

  /** A slot leaves the map: it may no longer be reached through byPage. */
  private dropped(slot: Slot): void {
    if (slot.page >= 0) this.unlinkDurable(slot.page);
  }

  set(key: number, node: PageNode): void {
    const slot = this.map.get(key);
    if (slot !== undefined) {
      slot.node = node;
      slot.referenced = true;
      return;
    }
    this.map.set(key, { node, referenced: false, page: -1 });
    if (this.map.size > this.capacityPages) this.evictOne();
  }

  private evictOne(): void {
    // Terminates: every pass clears flags, so within size + 1 steps an unflagged entry is found.
    for (;;) {
      const oldest = this.map.entries().next();
      if (oldest.done === true) return;
      const [key, slot] = oldest.value;
      this.map.delete(key);
      if (!slot.referenced) {
        this.dropped(slot);
        return;
      }
      slot.referenced = false;
      this.map.set(key, slot);
    }
  }

  delete(key: number): void {
    this.take(key);
  }

  /** Removes the entry under `key` and returns its node (no hit or miss is counted). */
  take(key: number): PageNode | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    this.map.delete(key);
    this.dropped(slot);
    return slot.node;
  }

  /** Moves an entry to a new key (a WAL page that a checkpoint copied into the primary). */
  rekey(from: number, to: number): void {
    const slot = this.map.get(from);
    this.delete(to);
    if (slot === undefined) return;
    this.map.delete(from);
    this.map.set(to, slot);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.byPage.length = 0;
  }
}
