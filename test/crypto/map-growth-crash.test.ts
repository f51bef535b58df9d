/**
 * Goal: power loss while the page-version map grows a level (root level 1 → 2) and across the
 * checkpoints that follow loses nothing and leaves no page sealed with a version the map does not
 * name (SPEC §4.2, docs/format.md "Page versions").
 *
 * Slow (64 MiB primary copied per crash case, ~10 s each): runs only with HEXXLA_SLOW=1, e.g.
 * `HEXXLA_SLOW=1 npx vitest run test/crypto/map-growth-crash.test.ts`.
 *
 * Method: a template database holds 16,378 pages of live values (so that a few commits pass the
 * 16,384 pages a level-1 root covers at 4 KiB); each case copies it into a fresh
 * FaultyFileSystem, runs the numbered commit workload (test/durability/commit-workload.ts) with
 * 64 KiB checkpoints, grouped commits, deletes of big values (free pages below the old range),
 * close and reopen, and is cut at every sync boundary (test/fault/sync-boundaries.ts).
 * Every image must open, hold the state after k commits with acked ≤ k ≤ issued, pass check()
 * (which opens every page with its mapped version), accept a further commit and reopen. The
 * uninterrupted run must end with pageCount > 16,384, a map of level 2, and checkpoints.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database, OpenOptions, ReadTx } from '../../src/index.js';
import { versionGeometry, walkVersionNodes } from '../../src/storage/page-versions.js';
import { CommitDriver, modelPrefixes } from '../durability/commit-workload.js';
import { PrefixChecker } from '../durability/prefix-check.js';
import type { CrashOptions, FaultyFileSystem } from '../fault/faulty-fs.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { forEachSyncBoundary } from '../fault/sync-boundaries.js';
import { keyA, noise } from './helpers.js';

const slow = process.env.HEXXLA_SLOW === '1';
const seed = 4242;
const dir = '/db';
const dbPath = `${dir}/grow.db`;
const enc = new TextEncoder();
const dec = new TextDecoder();
const base: OpenOptions = { encryptionKey: keyA, maxValueBytes: 1 << 20 };
const options: OpenOptions = { ...base, walCheckpointBytes: 64 * 1024 };

/** The workload's keys (the big template values live under z/ and are not read). */
function readModelState(tx: ReadTx): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of tx.range({ end: enc.encode('z/') })) out.set(dec.decode(k), v);
  return out;
}

function mapLevel(db: Database): number {
  const store = db.storage;
  let level = 0;
  store.view((tx) => walkVersionNodes(versionGeometry(store.usable), Number(store.commitSeq),
    (p, v) => tx.readVersionNode(p, v), dbPath, ({ node }) => {
      level = Math.max(level, node.level);
      return true;
    }));
  return level;
}

const prefixes = slow ? modelPrefixes(seed, 60) : [];

const checker = new PrefixChecker({ dbPath, options, seed, prefixes, read: readModelState,
  verifyValues: false });

const template = { primary: new Uint8Array(0), wal: new Uint8Array(0), pageCount: 0 };

async function buildTemplate(): Promise<void> {
  const fs = new MemoryFileSystem();
  fs.mkdirp(dir);
  const db = await open(dbPath, { fs, ...base });
  for (let i = 0; i < 62; i++) {
    await db.update((tx) => tx.put(enc.encode(`z/${i}`), noise(i + 7, 1 << 20)));
  }
  const left = 16_384 - 6 - db.stats().pageCount;
  await db.update((tx) => tx.put(enc.encode('z/last'), noise(99 + 7, left * 4000)));
  template.pageCount = db.stats().pageCount;
  await db.close();
  template.primary = new Uint8Array(fs.readFile(dbPath));
  template.wal = new Uint8Array(fs.readFile(`${dbPath}-wal`));
}

describe.runIf(slow)('power loss while the page-version map grows a level', () => {
  beforeAll(buildTemplate, 120_000);
  const run = { driver: new CommitDriver(seed), checkpoints: 0, pageCount: 0, level: 0 };
  const workload = async (fs: FaultyFileSystem): Promise<void> => {
    run.driver = new CommitDriver(seed);
    const driver = run.driver;
    let db = await open(dbPath, { fs, ...options });
    for (let i = 0; i < 8; i++) await driver.commit(db);
    await driver.group(db, 4);
    for (let i = 0; i < 6; i++) await driver.commit(db);
    await db.update((tx) => {
      tx.delete(enc.encode('z/3'));
      tx.delete(enc.encode('z/7'));
    });
    for (let i = 0; i < 4; i++) await driver.commit(db);
    Object.assign(run, { checkpoints: db.stats().checkpoints, pageCount: db.stats().pageCount,
      level: mapLevel(db) });
    await db.close();
    db = await open(dbPath, { fs, ...options });
    await driver.group(db, 3);
    await db.close();
  };
  const check = (image: FaultyFileSystem, b: { index: number; when: string }) =>
    checker.checkImage(image, `${b.when} sync ${b.index}`, run.driver);
  const setup = (fs: FaultyFileSystem): void => {
    fs.mkdirp(dir);
    for (const [p, bytes] of [[dbPath, template.primary], [`${dbPath}-wal`, template.wal]]) {
      const f = fs.open(p as string, { create: true });
      f.write(bytes as Uint8Array, 0);
      f.close();
    }
    fs.flushAll();
  };

  for (const crash of [{ mode: 'drop' }, { mode: 'torn', seed: 5 }] as CrashOptions[]) {
    it(`every image opens and holds a commit prefix (${crash.mode})`, async () => {
      const { cases } = await forEachSyncBoundary({ seed, setup, workload, check, when: 'after',
        crash: (index) => ({ ...crash, seed: (crash.seed ?? 0) + index }) });
      expect(cases).toBeGreaterThan(20);
      expect(template.pageCount).toBeLessThan(16_384);
      expect(run.pageCount).toBeGreaterThan(16_384);
      expect(run.level).toBe(2);
      expect(run.checkpoints).toBeGreaterThanOrEqual(1);
    }, 1_200_000);
  }
});
