/**
 * Goal: commits go on while a checkpoint copies pages into the primary and fsyncs it (its first
 * part, src/storage/store.ts runCheckpoint), and what they write is neither lost nor mixed up:
 * the checkpoint's last part, under the writer gate, copies the images they made durable.
 *
 * Method: a memory file system whose primary fsync can be held. A checkpoint is started and its
 * primary fsync held; commits (overwrites of pages the checkpoint already copied, new keys,
 * deletes) must complete meanwhile and be visible to readers. Then the fsync is released: the
 * checkpoint completes, the log is reset, and the state equals the model, before and after a
 * reopen, with a clean structural check. Plain and encrypted (page versions) files. A crash
 * while the fsync is held is covered by test/durability/power-loss.test.ts (every sync
 * boundary, commits interleaved with a checkpoint's first part). Once the log reaches twice
 * `walCheckpointBytes` during the first part, new writers wait for the whole checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { keyA } from '../crypto/helpers.js';
import { HookedFs } from '../fault/hooked-fs.js';

/** HookedFs whose primary fsyncs wait while `holdPrimary`, until `release()`. */
class HoldFs extends HookedFs {
  holdPrimary = false;
  primarySyncsHeld = 0;
  private waiting: Array<() => void> = [];
  constructor() {
    super();
    this.beforeSync = async (path) => {
      if (!this.holdPrimary || !path.endsWith('.db')) return;
      this.primarySyncsHeld++;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    };
  }
  release(): void {
    this.holdPrimary = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const key = (i: number): Uint8Array => new TextEncoder().encode(`k${String(i).padStart(6, '0')}`);
const value = (i: number, v: number): Uint8Array =>
  new TextEncoder().encode(`value ${i} version ${v} `.repeat(4));

async function putRange(db: Database, model: Map<string, string>, from: number, to: number,
  v: number): Promise<void> {
  await db.update((tx) => {
    for (let i = from; i < to; i++) tx.put(key(i), value(i, v));
  });
  for (let i = from; i < to; i++) model.set(String(i), new TextDecoder().decode(value(i, v)));
}

function expectModel(db: Database, model: Map<string, string>): void {
  const seen = new Map<string, string>();
  db.view((tx) => {
    for (const [k, v] of tx.range()) {
      seen.set(String(Number(new TextDecoder().decode(k).slice(1))), new TextDecoder().decode(v));
    }
  });
  expect(seen).toEqual(model);
  expect(db.check({ verifyValues: true }).errors).toEqual([]);
}

/** Resolves with 'done' when `p` settles first, 'timeout' after `ms`. */
function within(p: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  return Promise.race([p.then(() => 'done' as const),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);
}

describe('commits during a checkpoint', () => {
  for (const encrypted of [false, true]) {
    it(`go on while it copies and fsyncs, and survive it (encrypted: ${encrypted})`, async () => {
      const fs = new HoldFs();
      fs.mkdirp('/d');
      const options = { fs, walCheckpointBytes: 1 << 20,
        ...(encrypted ? { encryptionKey: keyA } : {}) };
      let db = await open('/d/c.db', options);
      const model = new Map<string, string>();
      for (let b = 0; b < 2000; b += 250) await putRange(db, model, b, b + 250, 1);
      fs.holdPrimary = true;
      const checkpoint = db.checkpoint();
      // Wait until the checkpoint's first part has copied the pages and waits for its fsync.
      for (let i = 0; i < 1000 && fs.primarySyncsHeld === 0; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(fs.primarySyncsHeld).toBe(1);
      const walBefore = db.stats().walBytes;
      // Overwrites of copied pages, new keys and deletes all commit while the fsync is held.
      const writes = (async () => {
        await putRange(db, model, 0, 400, 2);
        await putRange(db, model, 2000, 2600, 1);
        await db.update((tx) => {
          for (let i = 1000; i < 1300; i++) tx.delete(key(i));
        });
        for (let i = 1000; i < 1300; i++) model.delete(String(i));
      })();
      expect(await within(writes, 5000)).toBe('done');
      expect(db.stats().checkpoints).toBe(0);
      expect(db.stats().walBytes).toBeGreaterThan(walBefore);
      expectModel(db, model);
      fs.release();
      await checkpoint;
      expect(db.stats().checkpoints).toBe(1);
      expect(db.stats().walBytes).toBeLessThan(walBefore);
      expectModel(db, model);
      await db.close();
      db = await open('/d/c.db', options);
      expectModel(db, model);
      await db.close();
    }, 60_000);
  }

  it('hold writers once the log reaches twice its threshold during the first part', async () => {
    const fs = new HoldFs();
    fs.mkdirp('/d');
    const walCheckpointBytes = 64 * 1024;
    const db = await open('/d/b.db', { fs, walCheckpointBytes });
    const model = new Map<string, string>();
    await putRange(db, model, 0, 200, 1);
    fs.holdPrimary = true;
    const checkpoint = db.checkpoint();
    for (let i = 0; i < 1000 && fs.primarySyncsHeld === 0; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(fs.primarySyncsHeld).toBe(1);
    let next = 1000;
    while (db.stats().walBytes < 2 * walCheckpointBytes) {
      expect(await within(putRange(db, model, next, next + 50, 1), 5000)).toBe('done');
      next += 50;
    }
    const held = putRange(db, model, next, next + 10, 1);
    expect(await within(held, 300)).toBe('timeout');
    fs.release();
    await checkpoint;
    await held;
    expect(db.stats().checkpoints).toBe(1);
    expectModel(db, model);
    await db.close();
  }, 60_000);
});
