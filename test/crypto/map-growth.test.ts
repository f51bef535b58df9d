/**
 * Goal: an encrypted database whose page-version map has grown a level (root level 2: more than
 * 16,384 pages at 4 KiB) works through every operation that reads or rewrites whole files.
 *
 * Growing the map normally takes 64 MiB of live data. A cheaper way to pass 16,384 pages: one
 * update puts 66 values of 1 MiB and deletes them again. The page count grows by ~17,000 while
 * those pages are never written (freed in the same commit), and the freelist trunks that record
 * them are allocated at the new end of the file, so stamping them grows the map's root.
 *
 * Properties, each followed by writes, check() and a reopen that reads every key: the grown map
 * survives a checkpoint and a reopen; free pages from below and above the old root's range are
 * reused; offline and online rotation keep every page's version; compaction (to a file and as a
 * live swap) and a hot backup + restore yield files that open and read everything. An old copy
 * of the root or of an inner node (level 1) fails its tag (CorruptDatabase).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, restore } from '../../src/index.js';
import type { Database, OpenOptions } from '../../src/index.js';
import { rotateEncryption } from '../../src/storage/crypto/index.js';
import { versionGeometry, walkVersionNodes } from '../../src/storage/page-versions.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { keyA, keyB } from './helpers.js';

const enc = new TextEncoder();
const path = '/d/grown.db';

/** The map's nodes under the durable state: page number → level. */
function mapNodes(db: Database): Map<number, number> {
  const store = db.storage;
  const out = new Map<number, number>();
  store.view((tx) => walkVersionNodes(versionGeometry(store.usable), Number(store.commitSeq),
    (p, v) => tx.readVersionNode(p, v), path, ({ pageNo, node }) => {
      out.set(pageNo, node.level);
      return true;
    }));
  return out;
}

function mapLevel(db: Database): number {
  return Math.max(...mapNodes(db).values());
}

/** One update that passes 16,384 pages without writing them (see the file comment). */
async function growMap(db: Database): Promise<void> {
  await db.update((tx) => {
    for (let i = 0; i < 66; i++) tx.put(enc.encode(`big${i}`), randomBytes(1 << 20));
    for (let i = 0; i < 66; i++) tx.delete(enc.encode(`big${i}`));
  });
}

type Model = Map<string, Uint8Array>;

/** Writes 30 keys (some in overflow chains) and records them in `model`. */
async function write(db: Database, model: Model, round: number): Promise<void> {
  await db.update((tx) => {
    for (let i = 0; i < 30; i++) {
      const k = `r${round}/${i}`;
      const v = new Uint8Array(randomBytes(i % 5 === 0 ? 9000 : 150));
      model.set(k, v);
      tx.put(enc.encode(k), v);
    }
  });
}

function expectModel(db: Database, model: Model, name: string): void {
  db.view((tx) => {
    for (const [k, v] of model) {
      expect(Buffer.from(tx.get(enc.encode(k)) ?? []).equals(v), `${name}: ${k}`).toBe(true);
    }
  });
  expect(db.check({ verifyValues: true }).errors, name).toEqual([]);
}

/** Writes, checks, closes, reopens and checks again. */
async function exercise(
  fs: MemoryFileSystem, at: string, o: OpenOptions, model: Model, round: number,
): Promise<void> {
  const db = await open(at, { fs, ...o });
  await write(db, model, round);
  expectModel(db, model, `${at} round ${round}`);
  await db.close();
  const again = await open(at, { fs, ...o });
  expectModel(again, model, `${at} round ${round}, reopened`);
  await again.close();
}

describe('a page-version map with a root of level 2', () => {
  it('survives checkpoint, reopen, rotation, compaction, swap, backup and restore', async () => {
    const model: Model = new Map();
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    const options = { encryptionKey: keyA, maxValueBytes: 1 << 20, walCheckpointBytes: 1 << 16 };
    const db = await open(path, { fs, ...options });
    await write(db, model, 0);
    expect(mapLevel(db)).toBe(1);
    await growMap(db);
    expect(db.stats().pageCount).toBeGreaterThan(16_384);
    expect(mapLevel(db)).toBe(2);
    for (let round = 1; round <= 4; round++) await write(db, model, round); // crosses checkpoints
    expect(db.stats().checkpoints).toBeGreaterThan(0);
    expectModel(db, model, 'grown');
    await db.close();
    await exercise(fs, path, options, model, 5);

    await rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyB }, { fs });
    const rotated = { ...options, encryptionKey: keyB };
    await exercise(fs, path, rotated, model, 6);
    const live = await open(path, { fs, ...rotated });
    await live.rotateEncryption({ encryptionKey: keyA });
    await write(live, model, 7);
    expectModel(live, model, 'online rotation');
    expect(mapLevel(live)).toBe(2);
    await live.compact('/d/compact.db', { fs });
    await live.backupTo('/d/backup', { fs });
    const copied = new Map(model);
    await live.compact('/d/swap.tmp', { fs, swap: true });
    await write(live, model, 8);
    expectModel(live, model, 'after swap');
    await live.close();
    await exercise(fs, path, options, model, 9);
    await exercise(fs, '/d/compact.db', options, new Map(copied), 10);
    await restore('/d/backup', '/d/restored.db', { fs });
    await exercise(fs, '/d/restored.db', options, new Map(copied), 11);
  }, 120_000);

  it('detects an old copy of the root or of an inner node', async () => {
    const model: Model = new Map();
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    const options = { encryptionKey: keyA, maxValueBytes: 1 << 20 };
    let db = await open(path, { fs, ...options });
    await write(db, model, 0);
    await growMap(db);
    await write(db, model, 1);
    await db.close();
    const before = fs.readFile(path);
    db = await open(path, { fs, ...options });
    await write(db, model, 2);
    const inner = [...mapNodes(db)].filter(([, level]) => level >= 1).map(([p]) => p);
    await db.close();
    const after = fs.readFile(path);
    expect(inner.length).toBeGreaterThanOrEqual(2); // the root and the old root, moved down
    const pageSize = 4096;
    let rolledBack = 0;
    for (const pageNo of inner) {
      const at = pageNo * pageSize;
      const old = before.subarray(at, at + pageSize);
      if (Buffer.from(old).equals(after.subarray(at, at + pageSize))) continue;
      rolledBack++;
      const image = after.slice();
      image.set(old, at);
      const scratch = new MemoryFileSystem();
      scratch.mkdirp('/d');
      scratch.writeFile(path, image);
      let outcome = 'ok';
      try {
        const rolled = await open(path, { fs: scratch, ...options, create: false });
        expectModel(rolled, model, `page ${pageNo} rolled back`);
        await rolled.close();
      } catch (err) {
        outcome = String((err as { code?: unknown }).code ?? err);
      }
      expect(outcome, `inner page ${pageNo} rolled back`).toBe('CorruptDatabase');
    }
    expect(rolledBack).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
