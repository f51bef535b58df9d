/**
 * Goal: a write failure in a checkpoint's second part (under the gate, after the first part
 * wrote and fsynced pages newer than the header while commits ran) fails the checkpoint with a
 * typed IoError, poisons nothing, loses nothing, and the next checkpoint and a reopen are clean.
 * 'checkpoint-before-copy' fires in both parts; io-errors.test.ts arms the first hit only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { disarmFailpoints } from '../../src/failpoints.js';
import { keyA } from '../crypto/helpers.js';
import { armThrow } from '../fault/failpoints.js';
import { HookedFs } from '../fault/hooked-fs.js';
import { snapshot } from './snapshot.js';

const enc = new TextEncoder();

afterEach(() => disarmFailpoints());

describe("'checkpoint-before-copy' at its second hit (step 2)", () => {
  for (const encrypted of [false, true]) {
    it(`fails typed, nothing lost, redone later (encrypted: ${encrypted})`, async () => {
      const fs = new HookedFs();
      fs.mkdirp('/d');
      let ticks = 0;
      fs.beforeSync = async (p) => {
        if (p.endsWith('.db') && ticks-- > 0) await new Promise((r) => setTimeout(r, 5));
      };
      const options = { fs, walCheckpointBytes: 1 << 20,
        ...(encrypted ? { encryptionKey: keyA } : {}) };
      let db = await open('/d/f.db', options);
      const model = new Map<string, string>();
      const put = async (from: number, to: number, v: number) => {
        await db.update((tx) => {
          for (let i = from; i < to; i++) tx.put(enc.encode(`k${i}`), enc.encode(`v${v} `.repeat(20)));
        });
        for (let i = from; i < to; i++) model.set(`k${i}`, `v${v} `.repeat(20));
      };
      await put(0, 2000, 1);
      const counter = armThrow('checkpoint-before-copy', { skip: 1, once: true });
      ticks = 1;
      const ck = db.checkpoint().then(() => null, (e: unknown) => e);
      await put(0, 300, 2); // during step 1 (its fsync is slowed)
      const err = await ck;
      expect(counter.fired).toBe(1);
      expect((err as { code?: string }).code).toBe('IoError');
      expect(db.storage.poisoned).toBeNull();
      await put(500, 900, 3);
      expect(snapshot(db)).toEqual(model);
      expect(db.check({ verifyValues: true }).errors).toEqual([]);
      await db.checkpoint();
      await put(900, 950, 4);
      expect(snapshot(db)).toEqual(model);
      await db.close();
      db = await open('/d/f.db', options);
      expect(snapshot(db)).toEqual(model);
      expect(db.check({ verifyValues: true }).errors).toEqual([]);
      await db.close();
    });
  }
});
