/**
 * Live swap (SPEC §8): compactDatabase(..., { swap: true }) / swapCompacted replace the live
 * files with the compacted ones, with no close/reopen by the operator.
 *
 * Method: white-box where it needs the store (the swap returns a Store; the Database wiring is
 * the engine owner's), public `open` elsewhere. Crash safety with test/fault/sync-boundaries.ts:
 * a deterministic workload (commits, swap, commits on the new store) on a FaultyFileSystem is
 * cut at every sync boundary, before and after, in 'drop' and 'torn' modes.
 * Properties:
 *   1. after deletes the swapped primary is smaller; the same handle keeps working (forwarded)
 *      and a reopen reads the same content; v1 and v2; the log pairs with the new file id;
 *   2. writers that arrive during the swap wait and succeed afterwards, on the new files, with
 *      consecutive seqs; reads during the copy succeed;
 *   3. every crash image opens (never CorruptDatabase: the old log never meets the new
 *      primary), passes check(), holds a commit prefix with every acknowledged commit, and the
 *      old and the new file both occur as outcomes;
 *   4. a failure after the log removal poisons the old handle; a reopen gets a complete
 *      database; a held backup lease refuses the swap and changes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { isHexxlaError } from '../../src/errors.js';
import { armFailpoint, disarmFailpoints } from '../../src/failpoints.js';
import { compactDatabase } from '../../src/ops/compact.js';
import { swapCompacted } from '../../src/ops/swap.js';
import type { SwapResult } from '../../src/ops/swap.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import type { CrashOptions, FaultyFileSystem } from '../fault/faulty-fs.js';
import { forEachSyncBoundary } from '../fault/sync-boundaries.js';
import { bytesOf, checkErrors, treeEntries, useTempDirs } from './helpers.js';

const dir = useTempDirs();
afterEach(() => {
  disarmFailpoints();
});

const key = (i: number): Uint8Array => Buffer.from(`key-${String(i).padStart(6, '0')}`);
const hexId = (s: Store): string => Buffer.from(s.identity.fileId).toString('hex');

async function filled(file: string, mvcc: boolean): Promise<Store> {
  const store = await openStore(file, { mvcc });
  for (let b = 0; b < 4; b++) {
    await store.update((tx) => {
      for (let i = b * 500; i < (b + 1) * 500; i++) tx.put(key(i), bytesOf(i, 200, i % 2 === 0));
    });
  }
  await store.update((tx) => {
    for (let i = 0; i < 2000; i++) if (i % 5 !== 0) tx.delete(key(i));
  });
  return store;
}

describe('live swap', () => {
  for (const mvcc of [false, true]) {
    it(`replaces the files in place and keeps the handle working (mvcc ${mvcc})`, async () => {
      const d = dir('swap');
      const file = path.join(d, 'live.db');
      const store = await filled(file, mvcc);
      await store.checkpoint();
      const before = fs.statSync(file).size;
      const entries = treeEntries(store);
      const oldId = hexId(store);
      const result = await compactDatabase({ storage: store }, path.join(d, 'live.db.tmp'),
        { swap: true, chunkEntries: 50 }) as SwapResult;
      const next = result.store;
      expect(result.path).toBe(file);
      expect(hexId(next)).not.toBe(oldId);
      expect(fs.statSync(file).size).toBe(result.bytes);
      expect(result.bytes).toBeLessThan(before / 2);
      expect(fs.existsSync(path.join(d, 'live.db.tmp'))).toBe(false);
      expect(store.replacedBy).toBe(next);
      expect(treeEntries(store)).toEqual(entries); // forwarded read
      await store.update((tx) => tx.put(key(1), Uint8Array.of(1))); // forwarded write
      expect(next.commitSeq).toBe(result.commitSeq + 1n);
      expect(checkErrors(next)).toEqual([]);
      await store.close(); // closes the new store
      expect(next.isClosed).toBe(true);
      const again = await openStore(file, { create: false });
      expect(treeEntries(again).length).toBe(entries.length + 1);
      expect(checkErrors(again)).toEqual([]);
      await again.close();
    });
  }

  it('writers that arrive during the swap wait and then succeed on the new files', async () => {
    const d = dir('swap-writers');
    const file = path.join(d, 'w.db');
    const db = await open(file, { mvcc: true });
    await db.update((tx) => {
      for (let i = 0; i < 3000; i++) tx.put(key(i), bytesOf(i, 100));
    });
    const S = db.commitSeq();
    const waiting: Promise<number>[] = [];
    let reads = 0;
    const result = await compactDatabase(db, `${file}.swap`, {
      swap: true, chunkEntries: 200,
      pace: async () => {
        // During the copy: a read succeeds at once; a writer queues behind the gate.
        reads += db.view((tx) => (tx.get(key(7)) === undefined ? 0 : 1));
        const n = waiting.length;
        waiting.push(db.update((tx) => {
          tx.put(key(10_000 + n), bytesOf(n, 30));
          return n;
        }));
        await new Promise(setImmediate);
      },
    }) as SwapResult;
    expect(waiting.length).toBeGreaterThan(5);
    expect(reads).toBe(waiting.length);
    expect(result.commitSeq).toBe(S); // none of the waiting writers got into the copy
    expect(await Promise.all(waiting)).toEqual(waiting.map((_, i) => i));
    expect(result.store.commitSeq).toBe(S + BigInt(waiting.length));
    await db.close();
    const again = await open(file, { create: false });
    for (let n = 0; n < waiting.length; n++) {
      expect(again.view((tx) => tx.get(key(10_000 + n)))).toEqual(bytesOf(n, 30));
    }
    expect(again.check({ verifyValues: true }).errors).toEqual([]);
    await again.close();
  });

  it('a failure after the log removal poisons the old handle; reopen is complete', async () => {
    const d = dir('swap-fail');
    const file = path.join(d, 'f.db');
    const store = await filled(file, false);
    const entries = treeEntries(store);
    armFailpoint('swap-before-rename', () => {
      throw Object.assign(new Error('injected'), { code: 'EIO' });
    });
    await expect(swapCompacted(store)).rejects.toThrow();
    disarmFailpoints();
    await expect(store.update((tx) => tx.put(key(1), Uint8Array.of(1)))).rejects.toSatisfy(
      (e: unknown) => isHexxlaError(e, 'DatabasePoisoned'));
    expect(treeEntries(store)).toEqual(entries); // reads still work
    await store.close();
    expect(fs.readdirSync(d).sort()).toEqual(['f.db']); // the old primary alone: complete
    const again = await openStore(file, { create: false });
    expect(treeEntries(again)).toEqual(entries);
    await again.close();
  });

  it('refuses while a backup lease is held, changing nothing', async () => {
    const d = dir('swap-lease');
    const file = path.join(d, 'l.db');
    const store = await filled(file, false);
    const lease = await store.beginBackupLease({ ttlMs: 10_000 });
    const id = hexId(store);
    await expect(swapCompacted(store)).rejects.toSatisfy(
      (e: unknown) => isHexxlaError(e, 'PreconditionFailed'));
    expect(hexId(store)).toBe(id);
    expect(fs.readdirSync(d).sort()).toEqual(['l.db', 'l.db-lock', 'l.db-wal']);
    expect(store.endBackupLease(lease.id)).toBe(true);
    const result = await swapCompacted(store);
    await result.store.close();
  });
});

describe('live swap under power loss', () => {
  const dbDir = '/db';
  const dbPath = `${dbDir}/s.db`;
  const value = (k: number): Uint8Array => bytesOf(k, 64 + (k % 200));
  /** State after commit k (k ≥ 0): keys 0 … 199 from setup, then commit j writes key 1000 + j. */
  const run = { acked: 0, issued: 0, oldId: '' };
  const commit = async (store: Store): Promise<void> => {
    const k = run.issued + 1;
    run.issued = k;
    await store.update((tx) => tx.put(key(1000 + k), value(k)));
    run.acked = k;
  };
  const setup = async (fs: FaultyFileSystem): Promise<void> => {
    fs.mkdirp(dbDir);
    const store = await openStore(dbPath, { fs });
    await store.update((tx) => {
      for (let i = 0; i < 200; i++) tx.put(key(i), value(i));
    });
    await store.update((tx) => {
      for (let i = 0; i < 200; i += 2) tx.delete(key(i));
    });
    run.oldId = hexId(store);
    await store.close();
    fs.flushAll();
    run.acked = 0;
    run.issued = 0;
  };
  const workload = async (fs: FaultyFileSystem): Promise<void> => {
    const store = await openStore(dbPath, { fs });
    await commit(store);
    await commit(store);
    const { store: next } = await swapCompacted(store);
    await commit(next);
    await next.close();
  };
  const outcomes = new Set<string>();
  const check = async (image: FaultyFileSystem, b: { index: number; when: string }) => {
    const name = `${b.when} sync ${b.index}`;
    const store = await openStore(dbPath, { fs: image, create: false });
    try {
      const id = hexId(store);
      const outcome = id === run.oldId ? 'old' : 'new';
      outcomes.add(outcome);
      // A commit acknowledged on the new store means the swap was durable.
      if (run.acked === 3) expect(outcome, `${name}: swapped`).toBe('new');
      expect(checkErrors(store), `${name}: check`).toEqual([]);
      const extra = store.view((tx) => {
        let k = 0;
        while (tx.get(key(1000 + k + 1)) !== undefined) k++;
        return k;
      });
      expect(extra, `${name}: acknowledged commits`).toBeGreaterThanOrEqual(run.acked);
      expect(extra, `${name}: issued commits`).toBeLessThanOrEqual(run.issued);
      expect(treeEntries(store).length, `${name}: entries`).toBe(100 + extra);
      await store.update((tx) => tx.put(key(5), value(5))); // still writable
    } finally {
      await store.close();
    }
  };
  for (const crash of [{ mode: 'drop' }, { mode: 'torn', seed: 3 }] as CrashOptions[]) {
    it(`every image opens to the old or the new file (${crash.mode})`, async () => {
      outcomes.clear();
      const { cases } = await forEachSyncBoundary({ seed: 11, setup, workload, check,
        when: 'both', crash: (index) => ({ ...crash, seed: (crash.seed ?? 0) + index }) });
      expect(cases).toBeGreaterThan(20);
      expect([...outcomes].sort()).toEqual(['new', 'old']);
    }, 60_000);
  }
});
