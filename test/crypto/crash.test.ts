/**
 * Goal: encryption changes nothing about crash safety (SPEC §4.2, §4.4).
 *
 * Method (test/fault/sync-boundaries.ts): a deterministic workload runs on a FaultyFileSystem
 * and is cut at every sync boundary (after and before each file or directory sync); the crash
 * image keeps only synced bytes ('drop') or tears the last write ('torn').
 * 1. Commits on an encrypted database (sequential and grouped, across checkpoints, close and
 *    reopen). Every image must open with the key, hold exactly the state after k commits with
 *    acked ≤ k ≤ issued, pass check(), and accept a further commit.
 * 2. rotateEncryption of a closed encrypted database. Every image must open with the old
 *    credentials or, failing that with EncryptionKeyMismatch, with the new ones, hold the full
 *    pre-rotation state and pass check(). Both outcomes must occur across the boundaries.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { OpenOptions } from '../../src/index.js';
import { rotateEncryption } from '../../src/storage/crypto/index.js';
import { CommitDriver, modelPrefixes } from '../durability/commit-workload.js';
import { PrefixChecker } from '../durability/prefix-check.js';
import type { CrashOptions, FaultyFileSystem } from '../fault/faulty-fs.js';
import { forEachSyncBoundary } from '../fault/sync-boundaries.js';
import { kdfCost, keyA, outcome } from './helpers.js';

const seed = 7331;
const dir = '/db';
const dbPath = `${dir}/enc.db`;
const walCheckpointBytes = 64 * 1024;
const prefixes = modelPrefixes(seed, 40);

function checker(options: OpenOptions): PrefixChecker {
  return new PrefixChecker({ dbPath, options, seed, prefixes });
}

describe('power loss on an encrypted database', () => {
  const options: OpenOptions = { encryptionKey: keyA, walCheckpointBytes };
  const run = { driver: new CommitDriver(seed), checkpoints: 0 };
  const workload = async (fs: FaultyFileSystem): Promise<void> => {
    run.driver = new CommitDriver(seed);
    const driver = run.driver;
    let db = await open(dbPath, { fs, ...options });
    for (let i = 0; i < 6; i++) await driver.commit(db);
    await driver.group(db, 4);
    for (let i = 0; i < 6; i++) await driver.commit(db);
    run.checkpoints = db.stats().checkpoints;
    await db.close();
    db = await open(dbPath, { fs, ...options });
    await driver.group(db, 3);
    await db.close();
  };
  const images = checker(options);
  const check = (image: FaultyFileSystem, b: { index: number; when: string }) =>
    images.checkImage(image, `${b.when} sync ${b.index}`, run.driver);
  const setup = (fs: FaultyFileSystem): void => {
    fs.mkdirp(dir);
    fs.flushAll();
  };

  for (const crash of [{ mode: 'drop' }, { mode: 'torn', seed: 5 }] as CrashOptions[]) {
    it(`every image opens with the key and holds a commit prefix (${crash.mode})`, async () => {
      const { cases } = await forEachSyncBoundary({ seed, setup, workload, check, when: 'both',
        crash: (index) => ({ ...crash, seed: (crash.seed ?? 0) + index }) });
      expect(cases).toBeGreaterThan(20);
      expect(run.checkpoints, 'the workload must cross a checkpoint').toBeGreaterThanOrEqual(1);
    }, 120_000);
  }
});

describe('power loss during key rotation', () => {
  const oldCreds = { passphrase: 'old passphrase', kdfCost };
  const newCreds = { encryptionKey: keyA };
  const commits = 12;
  const setup = async (fs: FaultyFileSystem): Promise<void> => {
    fs.mkdirp(dir);
    const db = await open(dbPath, { fs, ...oldCreds, walCheckpointBytes });
    const driver = new CommitDriver(seed);
    for (let i = 0; i < commits; i++) await driver.commit(db);
    await db.close();
    fs.flushAll();
  };

  for (const crash of [{ mode: 'drop' }, { mode: 'torn', seed: 11 }] as CrashOptions[]) {
    it(`every image opens with the old or the new key, intact (${crash.mode})`, async () => {
      const seen = { old: 0, new: 0 };
      const { cases } = await forEachSyncBoundary({
        seed, setup, when: 'both',
        crash: (index) => ({ ...crash, seed: (crash.seed ?? 0) + index }),
        workload: async (fs) => {
          await rotateEncryption(dbPath, oldCreds, newCreds, { fs, batchSize: 3 });
        },
        check: async (image, b) => {
          const name = `${b.when} sync ${b.index}`;
          const withOld = await outcome(open(dbPath, { fs: image, ...oldCreds }));
          const which = withOld === 'ok' ? oldCreds : newCreds;
          if (withOld !== 'ok') expect(withOld, name).toBe('EncryptionKeyMismatch');
          seen[withOld === 'ok' ? 'old' : 'new']++;
          const db = await open(dbPath, { fs: image, ...which });
          checker(which).expectState(db, name, commits, commits);
          await db.close();
        },
      });
      expect(cases).toBeGreaterThan(4);
      expect(seen.old).toBeGreaterThan(0);
      expect(seen.new).toBeGreaterThan(0);
    }, 120_000);
  }
});
