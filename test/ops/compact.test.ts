/**
 * Compaction (SPEC §8): bulk-built copies of one snapshot.
 *
 * Goal: a compacted file holds exactly the source's content at the copied seq, in fewer bytes.
 * Method: build databases on real directories (renames and fsyncs are real), compact them online
 * and offline, and compare every tree entry, every MVCC read at each seq, and the structural
 * check of the result. White-box where MVCC is involved (see helpers.ts for why).
 * Properties:
 *   1. after deletes, the compacted file is smaller (figures printed) and holds every entry;
 *   2. MVCC: reads at every seq ≤ S are equal before and after; later commits continue at S+1;
 *   3. writes during an online MVCC compaction do not leak into the copy (versions, timeline);
 *   4. deep trees (several branch levels), overflow values, empty trees pass the check;
 *   5. cancellation removes the partial file; an existing destination is refused untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { isHexxlaError } from '../../src/errors.js';
import {
  decodeTimelineKey, isVersionedFamily, keyFamilies, splitSeq,
} from '../../src/engine/keys.js';
import { compactDatabase, compactFile } from '../../src/ops/compact.js';
import { openStore } from '../../src/storage/open-store.js';
import {
  bytesOf, cellsAt, checkErrors, fileBytes, mvccCommit, openMvccStore, treeEntries, useTempDirs,
} from './helpers.js';

const dir = useTempDirs();

const key = (i: number): Uint8Array => Buffer.from(`key-${String(i).padStart(6, '0')}`);

describe('compaction of a plain (v1) database', () => {
  it('shrinks the file after deletes and keeps every entry', async () => {
    const d = dir('v1');
    const src = path.join(d, 'src.db');
    const db = await open(src);
    for (let b = 0; b < 6; b++) {
      await db.update((tx) => {
        for (let i = b * 1000; i < (b + 1) * 1000; i++) {
          // Mix of small, compressible and overflow-sized values.
          const n = i % 97 === 0 ? 6000 : 100 + (i % 300);
          tx.put(key(i), bytesOf(i, n, i % 3 === 0));
        }
      });
    }
    await db.update((tx) => {
      for (let i = 0; i < 6000; i++) if (i % 4 !== 0) tx.delete(key(i));
    });
    await db.checkpoint();
    const expected = db.view((tx) => [...tx.range()].map(([k, v]) => [k, v]));
    const dest = path.join(d, 'dest.db');
    const result = await compactDatabase(db, dest);
    await db.close();
    const before = fileBytes(src);
    const after = fileBytes(dest);
    console.log(`v1 compaction: ${before} bytes -> ${after} bytes (${result.entries} entries)`);
    expect(after).toBe(result.bytes);
    expect(after).toBeLessThan(before / 2);
    expect(result.commitSeq).toBe(7n);
    const copy = await open(dest, { create: false });
    expect(copy.commitSeq()).toBe(7n);
    expect(copy.view((tx) => [...tx.range()].map(([k, v]) => [k, v]))).toEqual(expected);
    expect(copy.check({ verifyValues: true }).errors).toEqual([]);
    await copy.update((tx) => tx.put(key(1), Uint8Array.of(1)));
    expect(copy.commitSeq()).toBe(8n);
    await copy.close();
  });

  it('builds deep trees, overflow chains and empty trees that pass the check', async () => {
    const d = dir('shape');
    for (const [name, count] of [['empty', 0], ['one', 1], ['deep', 40_000]] as const) {
      const h = await openStore(path.join(d, `${name}.db`));
      await h.update((tx) => {
        for (let i = 0; i < count; i++) {
          // Long keys make branches hold few children, so 40k entries give ≥ 3 levels.
          const k = Buffer.from(`${'k'.repeat(180)}${String(i).padStart(8, '0')}`);
          tx.put(Uint8Array.of(0, ...k), bytesOf(i, i % 5000 === 0 ? 8000 : 40));
        }
      });
      const dest = path.join(d, `${name}.compact.db`);
      const r = await compactDatabase({ storage: h }, dest);
      const copy = await openStore(dest, { create: false });
      expect(checkErrors(copy)).toEqual([]);
      expect(treeEntries(copy)).toEqual(treeEntries(h));
      expect(r.entries).toBe(count);
      await copy.close();
      await h.close();
    }
  });
});

describe('compaction of an MVCC (v2) database', () => {
  it('keeps every version ≤ S: reads at each seq are equal, new commits continue at S+1',
    async () => {
      const d = dir('v2');
      const { store, source, pins } = await openMvccStore(path.join(d, 'src.db'));
      for (let c = 0; c < 12; c++) {
        const cells = new Map<number, Uint8Array | null>();
        for (let i = 0; i < 200; i++) {
          if ((i + c) % 5 === 0) cells.set(i, bytesOf(i * 31 + c, 50 + i, true));
          if (c > 3 && (i + c) % 11 === 0) cells.set(i, null);
        }
        await mvccCommit(store, cells, new Map([[`raw-${c}`, bytesOf(c, 20)]]));
      }
      const S = store.commitSeq;
      const dest = path.join(d, 'dest.db');
      let pinnedDuringCopy = false;
      const result = await compactDatabase(source, dest, {
        chunkEntries: 100, onProgress: () => { pinnedDuringCopy ||= pins.has(S); },
      });
      expect(pinnedDuringCopy).toBe(true);
      expect(pins.size).toBe(0);
      expect(result.commitSeq).toBe(S);
      const copy = await openStore(dest, { create: false });
      expect(copy.identity.formatVersion).toBe(2);
      expect(copy.commitSeq).toBe(S);
      for (let seq = 0n; seq <= S; seq++) expect(cellsAt(copy, seq)).toEqual(cellsAt(store, seq));
      expect(treeEntries(copy)).toEqual(treeEntries(store));
      expect(checkErrors(copy)).toEqual([]);
      const next = await mvccCommit(copy, new Map([[1, Uint8Array.of(9)]]));
      expect(next).toBe(S + 1n);
      await copy.close();
      await store.close();
    });

  it('leaves out versions and timeline entries committed during the copy',
    async () => {
      const d = dir('v2-live');
      const { store, source } = await openMvccStore(path.join(d, 'src.db'));
      for (let c = 0; c < 5; c++) {
        const cells = new Map<number, Uint8Array | null>();
        for (let i = 0; i < 400; i++) cells.set(i, bytesOf(i + c * 1000, 30));
        await mvccCommit(store, cells);
      }
      const S = store.commitSeq;
      let n = 0;
      const result = await compactDatabase(source, path.join(d, 'dest.db'), {
        chunkEntries: 64,
        // Between chunks: a durable commit rewriting cells ahead of and behind the copy, so the
        // next chunk sees it (pace makes the interleaving deterministic).
        pace: async () => {
          const cells = new Map<number, Uint8Array | null>([[n % 400, null], [399 - (n % 400),
            bytesOf(n, 10)]]);
          n++;
          await mvccCommit(store, cells, new Map([[`live-${n}`, Uint8Array.of(n & 0xff)]]));
        },
      });
      expect(store.commitSeq).toBeGreaterThan(S + 5n);
      expect(result.commitSeq).toBe(S);
      expect(result.entriesSkipped).toBeGreaterThan(0);
      const copy = await openStore(path.join(d, 'dest.db'), { create: false });
      const asOfS = (k: Uint8Array): boolean => {
        if (isVersionedFamily(k[0]!)) return splitSeq(k).seq <= S;
        if (k[0] === keyFamilies.timeline) return decodeTimelineKey(k).seq <= S;
        // Raw keys are unversioned and copied as each chunk sees them: these were all written
        // behind the copy position (0x00 sorts first), so no chunk saw them.
        return k[0] !== 0;
      };
      expect(treeEntries(copy)).toEqual(treeEntries(store, asOfS));
      expect(cellsAt(copy, S)).toEqual(cellsAt(store, S));
      await copy.close();
      await store.close();
    });

  it('offline compactFile recovers the source log and copies it', async () => {
    const d = dir('offline');
    const src = path.join(d, 'src.db');
    const { store } = await openMvccStore(src);
    for (let c = 0; c < 4; c++) await mvccCommit(store, new Map([[c, bytesOf(c, 80)]]));
    const expected = treeEntries(store);
    await store.close();
    const result = await compactFile(src, path.join(d, 'dest.db'));
    expect(result.commitSeq).toBe(4n);
    const copy = await openStore(path.join(d, 'dest.db'), { create: false });
    expect(treeEntries(copy)).toEqual(expected);
    await copy.close();
  });
});

describe('compaction failures', () => {
  it('cancellation removes the partial file', async () => {
    const d = dir('cancel');
    const { store, source } = await openMvccStore(path.join(d, 'src.db'));
    const cells = new Map<number, Uint8Array | null>();
    for (let i = 0; i < 2000; i++) cells.set(i, bytesOf(i, 100));
    await mvccCommit(store, cells);
    const ac = new AbortController();
    const dest = path.join(d, 'dest.db');
    let sawPartial = false;
    const run = compactDatabase(source, dest, {
      signal: ac.signal, chunkEntries: 100,
      onProgress: (p) => {
        sawPartial ||= fs.existsSync(`${dest}.compacting`);
        if (p.entriesRead >= 300) ac.abort();
      },
    });
    await expect(run).rejects.toSatisfy((e: unknown) => isHexxlaError(e, 'Cancelled'));
    expect(sawPartial).toBe(true);
    expect(fs.readdirSync(d).sort()).toEqual(['src.db', 'src.db-lock', 'src.db-wal']);
    await store.close();
  });

  it('refuses an existing destination and the source itself, changing nothing', async () => {
    const d = dir('exists');
    const src = path.join(d, 'src.db');
    const db = await open(src);
    await db.update((tx) => tx.put(key(1), Uint8Array.of(1)));
    const dest = path.join(d, 'dest.db');
    fs.writeFileSync(dest, 'precious');
    await expect(compactDatabase(db, dest)).rejects
      .toSatisfy((e: unknown) => isHexxlaError(e, 'PreconditionFailed'));
    await expect(compactDatabase(db, src)).rejects
      .toSatisfy((e: unknown) => isHexxlaError(e, 'PreconditionFailed'));
    expect(fs.readFileSync(dest, 'utf8')).toBe('precious');
    expect(fs.existsSync(`${dest}.compacting`)).toBe(false);
    await db.close();
  });
});
