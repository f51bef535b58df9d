/**
 * Goal: random concurrent writers across automatic and explicit checkpoints (a small cache, so
 * the copy reads images back from the log; random fsync delays) end in the model state, before
 * and after a reopen, with a clean structural check. Plain and encrypted.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { keyA } from '../crypto/helpers.js';
import { HookedFs } from '../fault/hooked-fs.js';
import { snapshot } from './snapshot.js';
import { Prng } from '../fault/prng.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const key = (i: number): Uint8Array => enc.encode(`k${String(i).padStart(6, '0')}`);

describe('stress: writers during checkpoints', () => {
  for (const encrypted of [false, true]) {
    it(`random writers + auto checkpoints, small cache (encrypted: ${encrypted})`, async () => {
      const rng = new Prng(encrypted ? 7 : 3);
      const fs = new HookedFs();
      fs.mkdirp('/d');
      fs.beforeSync = async () => {
        const n = rng.int(4);
        for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
      };
      const options = { fs, walCheckpointBytes: 64 * 1024, cacheBytes: 64 * 4096,
        ...(encrypted ? { encryptionKey: keyA } : {}) };
      let db = await open('/d/s.db', options);
      const model = new Map<string, string>();
      let version = 0;
      const writer = async (w: number) => {
        for (let c = 0; c < 60; c++) {
          await db.update((tx) => {
            const n = 1 + rng.int(60);
            for (let j = 0; j < n; j++) {
              const i = rng.int(3000);
              if (rng.bool(0.2)) {
                tx.delete(key(i));
                model.delete(dec.decode(key(i)));
              } else {
                const v = `w${w} v${version++} `.repeat(1 + rng.int(30));
                tx.put(key(i), enc.encode(v));
                model.set(dec.decode(key(i)), v);
              }
            }
          });
          if (rng.bool(0.1)) {
            const r = db.check({ verifyValues: true });
            expect(r.errors).toEqual([]);
          }
          if (rng.bool(0.05)) await db.checkpoint().catch(() => undefined);
        }
      };
      await Promise.all([0, 1, 2, 3].map(writer));
      expect(db.stats().checkpoints).toBeGreaterThan(2);
      expect(snapshot(db)).toEqual(model);
      expect(db.check({ verifyValues: true }).errors).toEqual([]);
      await db.close();
      db = await open('/d/s.db', options);
      expect(snapshot(db)).toEqual(model);
      expect(db.check({ verifyValues: true }).errors).toEqual([]);
      await db.close();
    }, 120_000);
  }
});
