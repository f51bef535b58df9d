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
}

export class PageCache {
  private readonly map = new Map<number, Slot>();
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

  set(key: number, node: PageNode): void {
    const slot = this.map.get(key);
    if (slot !== undefined) {
      slot.node = node;
      slot.referenced = true;
      return;
    }
    this.map.set(key, { node, referenced: false });
    if (this.map.size > this.capacityPages) this.evictOne();
  }

  private evictOne(): void {
    // Terminates: every pass clears flags, so within size + 1 steps an unflagged entry is found.
    for (;;) {
      const oldest = this.map.entries().next();
      if (oldest.done === true) return;
      const [key, slot] = oldest.value;
      this.map.delete(key);
      if (!slot.referenced) return;
      slot.referenced = false;
      this.map.set(key, slot);
    }
  }

  delete(key: number): void {
    this.map.delete(key);
  }

  /** Removes the entry under `key` and returns its node (no hit or miss is counted). */
  take(key: number): PageNode | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    this.map.delete(key);
    return slot.node;
  }

  /** Moves an entry to a new key (a WAL page that a checkpoint copied into the primary). */
  rekey(from: number, to: number): void {
    const slot = this.map.get(from);
    this.map.delete(to);
    if (slot === undefined) return;
    this.map.delete(from);
    this.map.set(to, slot);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
