/**
 * Goal: no AES-GCM nonce is ever used twice under one key (SPEC §4.4), also when the same pages
 * are rewritten over and over.
 *
 * Method: a rewrite-heavy run on an encrypted database (800 commits, each overwriting 40 of the
 * same 200 keys; a 64 KiB checkpoint threshold so pages are re-sealed into the primary dozens of
 * times and the log is reused across generations). After every commit the seals in the log and
 * in the primary are collected from the file images: nonce → digest of the whole sealed object
 * (with its location and additional data). Seeing the same seal again (unchanged bytes) is fine;
 * the same nonce with different bytes is a reuse. The run must see thousands of distinct seals
 * and many checkpoints, or it proves nothing.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { keyA, logSeals, noise, primarySeals } from './helpers.js';
import type { SealSighting } from './helpers.js';

const enc = new TextEncoder();

describe('nonces', () => {
  it('never repeat across a long rewrite-heavy run', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    const path = '/d/nonce.db';
    const db = await open(path, { fs, encryptionKey: keyA, walCheckpointBytes: 64 * 1024 });
    const pageSeals = new Map<string, string>();
    const logSealMap = new Map<string, string>();
    const reuses: string[] = [];
    const note = (map: Map<string, string>, seals: SealSighting[]): void => {
      for (const s of seals) {
        const seen = map.get(s.nonce);
        if (seen === undefined) map.set(s.nonce, s.digest);
        else if (seen !== s.digest) reuses.push(`${s.where}: nonce ${s.nonce}`);
      }
    };
    for (let c = 0; c < 800; c++) {
      await db.update((tx) => {
        for (let j = 0; j < 40; j++) {
          // 40 of the same 200 keys every commit, new values: pure rewrites of ~8 leaves.
          const i = (c * 7 + j) % 200;
          tx.put(enc.encode(`slot-${i}`), noise(c * 1000 + i, 100));
        }
      });
      note(logSealMap, logSeals(fs.readFile(`${path}-wal`)));
      note(pageSeals, primarySeals(fs.readFile(path)));
    }
    const checkpoints = db.stats().checkpoints;
    await db.close();
    note(pageSeals, primarySeals(fs.readFile(path)));
    expect(reuses).toEqual([]);
    expect(checkpoints).toBeGreaterThanOrEqual(20);
    expect(logSealMap.size).toBeGreaterThan(1000);
    expect(pageSeals.size).toBeGreaterThan(50);
    // Nonces are also distinct across the two subkeys' objects (random 96-bit: no overlap).
    const overlap = [...pageSeals.keys()].filter((n) => logSealMap.has(n));
    expect(overlap).toEqual([]);
  }, 120_000);
});
