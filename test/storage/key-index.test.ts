/**
 * Goal: the search index of committed branch pages (src/storage/key-index.ts, used by read-only
 * views through lookupFrozen) finds exactly what the key arrays hold, a node indexed by a reader
 * never shows stale entries after later writes, and recycling page buffers (LeafNode.release,
 * releasePageBytes) never changes what an index finds.
 * Method: white-box for KeyIndex (it is internal: no public surface exposes it) against a sorted
 * array searched with compareBytes, on seeded random keys of 1…40 bytes with shared prefixes;
 * black-box for the read path through `open`, `view` and `update` on temporary databases
 * (checked after each test by the harness): reads in views interleaved with overwrites, inserts
 * that split pages and deletes that merge them, so nodes indexed by one view are cloned and
 * changed by the next update.
 * Properties checked:
 *   - KeyIndex.find returns the key's position or -1, and upperBound the first key above the
 *     probe, for present keys, absent keys, prefixes of keys and extensions of keys, with and
 *     without a long prefix shared by all keys of the index;
 *   - a view's get/has equal a Map model after every update, for present and absent keys, and
 *     a get inside an update sees that update's own writes;
 *   - an index owns its bytes: built over keys that are views of a page buffer, it finds the same
 *     after that buffer is released, handed out again and overwritten;
 *   - reads in views after overwrites that recycle replaced leaf images (LeafNode.release is
 *     seen to run) still equal the model, with the branch indexes built before the recycling.
 */
import { describe, expect, it, vi } from 'vitest';
import { allocPageBytes, releasePageBytes } from '../../src/storage/bytes.js';
import { KeyIndex } from '../../src/storage/key-index.js';
import { LeafNode } from '../../src/storage/leaf-node.js';
import { compareBytes } from '../../src/storage/page.js';
import { Prng } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const dbs = useTmpDb();

/** A random integer in lo … hi (both inclusive). */
const between = (rand: Prng, lo: number, hi: number): number => lo + rand.int(hi - lo + 1);

/** `n` distinct sorted keys built from `stemCount` random stems (one stem: a long shared prefix). */
function randomKeys(rand: Prng, n: number, stemCount = 8): Uint8Array[] {
  const stems = Array.from({ length: stemCount }, () => rand.bytes(between(rand, 0, 12)));
  const out = new Map<string, Uint8Array>();
  while (out.size < n) {
    const stem = stems[between(rand, 0, stems.length - 1)]!;
    const tail = rand.bytes(between(rand, stem.length === 0 ? 1 : 0, 6));
    const key = new Uint8Array([...stem, ...tail]);
    out.set(Buffer.from(key).toString('latin1'), key);
  }
  return [...out.values()].sort(compareBytes);
}

function upperBoundOf(keys: Uint8Array[], key: Uint8Array): number {
  let i = 0;
  while (i < keys.length && compareBytes(keys[i]!, key) <= 0) i++;
  return i;
}

describe('KeyIndex', () => {
  it('finds and bounds keys exactly as a sorted array does', () => {
    const rand = new Prng(11);
    for (let round = 0; round < 20; round++) {
      const keys = randomKeys(rand, between(rand, 0, 120), round % 2 === 0 ? 1 : 8);
      const index = KeyIndex.of(keys);
      expect(index.length).toBe(keys.length);
      const probes = [...keys, ...randomKeys(rand, 60), new Uint8Array(0)];
      for (const k of keys) probes.push(k.subarray(0, k.length - 1), Uint8Array.of(...k, 0));
      for (const probe of probes) {
        const at = keys.findIndex((k) => compareBytes(k, probe) === 0);
        expect(index.find(probe)).toBe(at);
        expect(index.upperBound(probe)).toBe(upperBoundOf(keys, probe));
      }
    }
  });

  it('owns its bytes: recycling the page buffer its keys were views of changes nothing', () => {
    const keys = randomKeys(new Prng(12), 80);
    const page = allocPageBytes(4096);
    let p = 0;
    const views = keys.map((k) => {
      page.set(k, p);
      p += k.length;
      return page.subarray(p - k.length, p);
    });
    const index = KeyIndex.of(views);
    expect(index.buf.buffer).not.toBe(page.buffer);
    releasePageBytes(page);
    const reused = allocPageBytes(4096);
    expect(reused).toBe(page);
    reused.fill(0xff);
    keys.forEach((k, i) => expect(index.find(k)).toBe(i));
    expect(index.upperBound(Uint8Array.of(0xff, 0xff))).toBe(keys.length);
  });
});

describe('reads of pages written by this process', () => {
  it('see every later overwrite, insert and delete', async () => {
    const { db } = await dbs.open({ pageSize: 4096 });
    const rand = new Prng(5);
    const model = new Map<string, Uint8Array>();
    const keys = randomKeys(rand, 1500);
    for (let round = 0; round < 30; round++) {
      await db.update((tx) => {
        for (let i = 0; i < 100; i++) {
          const key = keys[between(rand, 0, keys.length - 1)]!;
          const id = Buffer.from(key).toString('latin1');
          if (between(rand, 0, 3) === 0) {
            tx.delete(key);
            model.delete(id);
          } else {
            const value = rand.bytes(between(rand, 0, 300));
            tx.put(key, value);
            model.set(id, value);
            expect(tx.get(key)).toEqual(value);
          }
        }
      });
      const wrong = db.view((tx) => keys.filter((key) => {
        const want = model.get(Buffer.from(key).toString('latin1'));
        const got = tx.get(key);
        return tx.has(key) !== (want !== undefined) || (got === undefined ? want !== undefined
          : want === undefined || compareBytes(got, want) !== 0);
      }));
      expect(wrong.length, `round ${round}`).toBe(0);
    }
  });
});

describe('reads while replaced leaf buffers are recycled', () => {
  it('match the model after every overwrite, with branch indexes built before', async () => {
    const release = vi.spyOn(LeafNode.prototype, 'release');
    try {
      const { db } = await dbs.open({ pageSize: 4096 });
      const rand = new Prng(7);
      const keys = randomKeys(rand, 3000);
      const model = keys.map(() => rand.bytes(between(rand, 20, 120)));
      await db.update((tx) => keys.forEach((k, i) => tx.put(k, model[i]!)));
      const misses = (): number => db.view((tx) => keys.filter((k, i) => {
        const got = tx.get(k);
        return !tx.has(k) || got === undefined || compareBytes(got, model[i]!) !== 0;
      }).length);
      expect(misses()).toBe(0);
      for (let round = 0; round < 200; round++) {
        const i = between(rand, 0, keys.length - 1);
        model[i] = rand.bytes(between(rand, 20, 120));
        await db.update((tx) => tx.put(keys[i]!, model[i]!));
        if (round % 20 === 19) expect(misses(), `round ${round}`).toBe(0);
      }
      expect(release).toHaveBeenCalled();
    } finally {
      release.mockRestore();
    }
  });
});
