/**
 * Goal: group commit with several batches in flight (src/storage/wal/wal-writer.ts: a batch is
 * written while earlier batches' fsyncs still run; batches are acknowledged in log order) keeps
 * every durability property of one batch at a time (SPEC §4.2, ARCHITECTURE §3).
 *
 * Method: the numbered commit workload (commit-workload.ts) driven by writers in a closed loop
 * (each waits for its commit, then commits again), the shape that makes batches overlap, on a
 * FaultyFileSystem whose log syncs are counted while in flight (the test asserts that overlap
 * really happened). Cut at every sync boundary (before and after each sync) with crash modes
 * 'drop', 'torn' and 'keep-some'; an fsync failure and a full disk injected while batches
 * overlap.
 *
 * Properties:
 * - every crash image opens, holds exactly the first k commits with acked ≤ k ≤ issued, passes
 *   check(), and takes one more commit that survives a reopen;
 * - while batches overlap, a view never sees a commit before its update resolved (readers see
 *   only durable commits);
 * - an fsync failure with a later batch already written rejects every commit not yet
 *   acknowledged with DatabasePoisoned, refuses later writes, and a reopen holds every
 *   acknowledged commit;
 * - a write failure (ENOSPC) while an earlier batch's fsync is in flight rejects the failed
 *   commits with DiskFull, keeps the earlier batch, leaves the database usable, and a rejected
 *   commit never reappears after a power loss.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import type { FileSystem, StorageFile } from '../../src/storage/file.js';
import { FaultyFileSystem } from '../fault/faulty-fs.js';
import type { CrashOptions } from '../fault/faulty-fs.js';
import { seedFromEnv } from '../fault/prng.js';
import { forEachSyncBoundary } from '../fault/sync-boundaries.js';
import type { SyncBoundaryCase } from '../fault/sync-boundaries.js';
import {
  CommitDriver, applyCommit, lastCommit, modelPrefixes, readState, stateDiff,
} from './commit-workload.js';
import { codeOf } from './fs-images.js';

const seed = seedFromEnv(4242);
const dir = '/db';
const dbPath = `${dir}/pipe.db`;
const options = { walCheckpointBytes: 64 * 1024, walSyncsInFlight: 2 };
const prefixes = modelPrefixes(seed, 120);

/** Counts how many log syncs are in flight at once (the most seen so far in `peak`). */
function countingFs(fs: FaultyFileSystem, peak: { max: number }): FileSystem {
  let now = 0;
  const wrap = (file: StorageFile): StorageFile => Object.assign(Object.create(file) as object, {
    async sync(): Promise<void> {
      now++;
      peak.max = Math.max(peak.max, now);
      try {
        await file.sync();
      } finally {
        now--;
      }
    },
  }) as StorageFile;
  return Object.assign(Object.create(fs) as object, {
    open: (p: string, o?: { create?: boolean }) => {
      const file = fs.open(p, o);
      return p.endsWith('-wal') ? wrap(file) : file;
    },
  }) as FileSystem;
}

/** `writers` closed-loop writers, `each` commits each; checks views against acknowledgements. */
async function closedLoop(db: Database, driver: CommitDriver, writers: number, each: number) {
  await Promise.all(Array.from({ length: writers }, async () => {
    for (let i = 0; i < each; i++) {
      await driver.commit(db);
      // Readers see only durable commits: never one whose update has not resolved yet.
      expect(lastCommit(db.view(readState))).toBeLessThanOrEqual(driver.acked);
    }
  }));
}

function caseName(b: SyncBoundaryCase): string {
  return `seed ${seed}, ${b.when} sync ${b.index}/${b.syncCount}, crash ` +
    `${b.crash.mode ?? 'drop'}/${b.crash.seed ?? 'default'}`;
}

async function expectModel(db: Database, name: string, min: number, max: number) {
  const state = db.view(readState);
  const k = lastCommit(state);
  expect(k, `${name}: commits present`).toBeGreaterThanOrEqual(min);
  expect(k, `${name}: commits present`).toBeLessThanOrEqual(max);
  expect(stateDiff(state, prefixes[k]!), `${name}: state after ${k} commits`).toBeNull();
  expect(db.check({ verifyValues: true }).errors, `${name}: check()`).toEqual([]);
  return k;
}

async function crashEverywhere(crash: (index: number) => CrashOptions) {
  const run = { driver: new CommitDriver(seed), peak: { max: 0 } };
  const result = await forEachSyncBoundary({
    seed,
    setup: (fs) => {
      fs.mkdirp(dir);
      fs.flushAll();
    },
    workload: async (fs) => {
      run.driver = new CommitDriver(seed);
      const db = await open(dbPath, { fs: countingFs(fs, run.peak), ...options });
      await closedLoop(db, run.driver, 6, 5);
      await closedLoop(db, run.driver, 3, 4);
      await db.close();
    },
    check: async (image, boundary) => {
      const name = caseName(boundary);
      const { acked, issued } = run.driver;
      let db = await open(dbPath, { fs: image, ...options });
      const k = await expectModel(db, name, acked, issued);
      await db.update((tx) => applyCommit(tx, seed, k + 1));
      await db.close();
      db = await open(dbPath, { fs: image, ...options });
      await expectModel(db, `${name} (+1, reopened)`, k + 1, k + 1);
      await db.close();
    },
    when: 'both',
    crash: (index) => crash(index),
  });
  return { ...result, run };
}

describe(`power loss with overlapping batches (HEXXLA_SEED=${seed})`, () => {
  it('drop: only synced bytes survive', async () => {
    const { cases, syncCount, run } = await crashEverywhere(() => ({ mode: 'drop' }));
    expect(run.driver.acked).toBe(42);
    // The workload must really have had two log fsyncs in flight at once.
    expect(run.peak.max).toBeGreaterThanOrEqual(2);
    expect(cases).toBe(2 * syncCount + 1);
  }, 120_000);

  for (const crashSeed of [1, 2, 3]) {
    it(`torn and keep-some (crash seed ${crashSeed})`, async () => {
      await crashEverywhere((index) => ({ mode: 'torn', seed: crashSeed * 7919 + index }));
      await crashEverywhere((index) => ({ mode: 'keep-some', seed: crashSeed * 104729 + index }));
    }, 120_000);
  }
});

describe(`I/O failures with overlapping batches (HEXXLA_SEED=${seed})`, () => {
  async function setup() {
    const fs = new FaultyFileSystem({ seed });
    fs.mkdirp(dir);
    fs.flushAll();
    const peak = { max: 0 };
    const driver = new CommitDriver(seed);
    const db = await open(dbPath, { fs: countingFs(fs, peak), walCheckpointBytes: 1 << 26,
      walSyncsInFlight: 2 });
    await closedLoop(db, driver, 6, 3);
    expect(peak.max).toBeGreaterThanOrEqual(2);
    return { fs, driver, db };
  }

  it('an fsync failure rejects every unacknowledged commit and poisons', async () => {
    const { fs, driver, db } = await setup();
    const before = driver.acked;
    // Fail the second log fsync from now: the first batch may be acknowledged, the second
    // (written while the first was in flight) and everything after it must fail.
    let syncs = 0;
    const unsubscribe = fs.onSync(() => {
      if (++syncs === 1) fs.failNextSync(`${dbPath}-wal`);
    });
    const results = await Promise.allSettled(Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 4; i++) await driver.commit(db);
    }));
    unsubscribe();
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    for (const r of results) {
      if (r.status === 'rejected') expect(codeOf(r.reason)).toBe('DatabasePoisoned');
    }
    const seen = lastCommit(db.view(readState));
    expect(seen).toBe(driver.acked);
    expect(seen).toBeGreaterThanOrEqual(before);
    await expect(driver.commit(db)).rejects.toMatchObject({ code: 'DatabasePoisoned' });
    await db.close();
    const image = fs.crash({ mode: 'drop' });
    const again = await open(dbPath, { fs: image });
    await expectModel(again, 'after the fsync failure', driver.acked, driver.issued);
    await again.close();
  });

  it('a write failure behind a batch in flight fails only the commits built on it', async () => {
    const { fs, driver, db } = await setup();
    // The disk fills up as soon as the next log fsync starts: the batch being synced is kept,
    // the next batch's write fails with DiskFull.
    let armed = true;
    const unsubscribe = fs.onSync(() => {
      if (armed) fs.setDiskLimitBytes(fs.diskUsageBytes());
      armed = false;
    });
    const results = await Promise.allSettled(Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 3; i++) await driver.commit(db);
    }));
    unsubscribe();
    fs.setDiskLimitBytes(null);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    for (const r of results) {
      if (r.status === 'rejected') expect(codeOf(r.reason)).toBe('DiskFull');
    }
    expect(db.storage.poisoned).toBeNull();
    const acked = driver.acked;
    expect(lastCommit(db.view(readState))).toBe(acked);
    // A rejected commit never comes back after a power loss.
    const lost = await open(dbPath, { fs: fs.crash({ mode: 'keep-all' }) });
    await expectModel(lost, 'power loss after DiskFull', acked, acked);
    await lost.close();
  });
});
