/**
 * Goal: the read path of session 4 (docs/performance.md "Point reads (session 4)") returns what
 * was written: views' `get` decodes a packed leaf's value straight from its page buffer, scans
 * walk packed leaves without unpacking them, and readers reach cached durable pages through the
 * page cache's by-page links (PageCache.getDurable), which must never serve a replaced or evicted
 * image.
 * Method: white-box for PageCache links (internal); black-box through `open`, `view`, `update`
 * and `checkpoint` on temporary databases (checked after each test by the harness) with the
 * smallest page cache (64 pages), so pages are evicted and read again all the time, and values of
 * every stored kind: short raw (< 64 bytes), compressed inline, incompressible inline, and
 * overflow chains (raw and compressed).
 * Properties checked:
 *   - a link serves its slot's node and counts a hit; it goes when the slot is evicted, taken,
 *     deleted or cleared, or the page is unlinked; it survives a rekey of its slot;
 *   - after every round of overwrites, inserts and deletes (with a checkpoint every few rounds),
 *     get/has in a view equal a Map model, and full and bounded scans in both directions equal
 *     the model's sorted entries;
 *   - values handed out are the caller's: changing one changes no later read;
 *   - a scan in a view unpacks no leaf.
 */
import { describe, expect, it, vi } from 'vitest';
import { LeafNode } from '../../src/storage/leaf-node.js';
import { PageCache } from '../../src/storage/page-cache.js';
import { compareBytes } from '../../src/storage/page.js';
import { Prng } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const dbs = useTmpDb();

const leafOf = (): LeafNode => LeafNode.empty();

describe('PageCache durable links', () => {
  it('serve linked slots only while they are cached as that page', () => {
    const cache = new PageCache(2);
    const a = leafOf();
    const b = leafOf();
    cache.set(5, a);
    expect(cache.getDurable(5)).toBeUndefined();
    cache.linkDurable(5, 5);
    const hits = cache.hits;
    expect(cache.getDurable(5)).toBe(a);
    expect(cache.hits).toBe(hits + 1);
    cache.rekey(5, 7); // the slot moves; the link follows the slot
    expect(cache.getDurable(5)).toBe(a);
    cache.unlinkDurable(5);
    expect(cache.getDurable(5)).toBeUndefined();
    cache.linkDurable(5, 7);
    expect(cache.take(7)).toBe(a);
    expect(cache.getDurable(5)).toBeUndefined();
    cache.set(-3, b);
    cache.linkDurable(9, -3);
    cache.delete(-3);
    expect(cache.getDurable(9)).toBeUndefined();
    cache.set(1, a);
    cache.linkDurable(1, 1);
    cache.set(2, b);
    cache.set(3, leafOf()); // evicts key 1, never referenced
    expect(cache.getDurable(1)).toBeUndefined();
    cache.linkDurable(2, 2);
    cache.clear();
    expect(cache.getDurable(2)).toBeUndefined();
    cache.linkDurable(4, 4); // absent key: no link
    expect(cache.getDurable(4)).toBeUndefined();
  });

  it('move when a slot is linked to another page', () => {
    const cache = new PageCache(8);
    const a = leafOf();
    cache.set(-1, a);
    cache.linkDurable(3, -1);
    cache.linkDurable(4, -1);
    expect(cache.getDurable(3)).toBeUndefined();
    expect(cache.getDurable(4)).toBe(a);
  });
});

/** A value of one of the stored kinds, chosen by `kind`. */
function valueOf(rand: Prng, kind: number, i: number): Uint8Array {
  const text = (n: number): Uint8Array => new TextEncoder().encode(
    JSON.stringify({ id: i, raw: 'moved to tuesday '.repeat(n), at: rand.int(1e9) }));
  switch (kind) {
    case 0: return rand.bytes(rand.int(60)); // short: stored raw
    case 1: return text(4); // compressed inline
    case 2: return rand.bytes(70 + rand.int(200)); // incompressible inline
    case 3: return rand.bytes(1500 + rand.int(3000)); // overflow, raw
    default: return text(300); // overflow, compressed
  }
}

const id = (k: Uint8Array): string => Buffer.from(k).toString('hex');

describe('reads through a small cache', () => {
  it('equal the model for get, has and scans after every round of writes', async () => {
    const { db } = await dbs.open({ pageSize: 4096, cacheBytes: 64 * 4096 });
    const rand = new Prng(41);
    const model = new Map<string, [Uint8Array, Uint8Array]>();
    const keys = Array.from({ length: 1200 }, (_, i) =>
      Uint8Array.of(i >> 8, i & 0xff, ...rand.bytes(rand.int(6))));
    for (let round = 0; round < 12; round++) {
      await db.update((tx) => {
        for (let n = 0; n < 250; n++) {
          const i = rand.int(keys.length);
          const k = keys[i]!;
          if (round > 2 && rand.int(5) === 0) {
            tx.delete(k);
            model.delete(id(k));
          } else {
            const v = valueOf(rand, rand.int(10) === 0 ? 3 + rand.int(2) : rand.int(3), i);
            tx.put(k, v);
            model.set(id(k), [k, v]);
          }
        }
      });
      if (round % 4 === 3) await db.checkpoint();
      const sorted = [...model.values()].sort((a, b) => compareBytes(a[0], b[0]));
      db.view((tx) => {
        for (const k of keys) {
          const want = model.get(id(k));
          expect(tx.has(k)).toBe(want !== undefined);
          expect(tx.get(k)).toEqual(want?.[1]);
        }
        expect([...tx.range()]).toEqual(sorted);
        expect([...tx.range({ reverse: true })]).toEqual([...sorted].reverse());
        const lo = keys[rand.int(keys.length)]!;
        const hi = keys[rand.int(keys.length)]!;
        const inside = sorted.filter(([k]) => compareBytes(k, lo) >= 0 && compareBytes(k, hi) < 0);
        expect([...tx.range({ start: lo, end: hi, limit: 50 })]).toEqual(inside.slice(0, 50));
        expect([...tx.range({ start: lo, end: hi, reverse: true })]).toEqual(inside.reverse());
      });
    }
  });

  it('hand out values the caller owns', async () => {
    const { db } = await dbs.open({ pageSize: 4096 });
    const rand = new Prng(42);
    const vals = [0, 1, 2, 3, 4].map((kind) => valueOf(rand, kind, kind));
    await db.update((tx) => vals.forEach((v, i) => tx.put(Uint8Array.of(i), v)));
    for (let round = 0; round < 2; round++) {
      db.view((tx) => {
        vals.forEach((v, i) => {
          const got = tx.get(Uint8Array.of(i))!;
          expect(got).toEqual(v);
          got.fill(0xee);
        });
        for (const [k, v] of tx.range()) {
          expect(v).toEqual(vals[k[0]!]);
          v.fill(0xee);
          k.fill(0xee);
        }
      });
    }
  });

  it('scan packed leaves without unpacking them', async () => {
    const { db } = await dbs.open({ pageSize: 4096 });
    const rand = new Prng(43);
    await db.update((tx) => {
      for (let i = 0; i < 2000; i++) tx.put(Uint8Array.of(i >> 8, i & 0xff), valueOf(rand, 1, i));
    });
    const unpack = vi.spyOn(LeafNode.prototype as unknown as { unpack: () => void }, 'unpack');
    try {
      const n = db.view((tx) => [...tx.range()].length + [...tx.range({ reverse: true })].length);
      expect(n).toBe(4000);
      expect(unpack).not.toHaveBeenCalled();
    } finally {
      unpack.mockRestore();
    }
  });
});
