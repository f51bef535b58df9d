/**
 * Goal: close() (and exclusive()) while a checkpoint's first part waits for its fsync and writers
 * are in flight: every acknowledged commit survives, the close completes the checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { keyA } from '../crypto/helpers.js';
import { HookedFs } from '../fault/hooked-fs.js';
import { snapshot } from './snapshot.js';

const enc = new TextEncoder();

describe('close() and exclusive() during step 1', () => {
  for (const encrypted of [false, true]) {
    it(`close while step 1 waits for its fsync, writers in flight (encrypted: ${encrypted})`,
      async () => {
        const fs = new HookedFs();
        fs.mkdirp('/d');
        let hold = false;
        const waiting: Array<() => void> = [];
        fs.beforeSync = async (p) => {
          if (hold && p.endsWith('.db')) await new Promise<void>((r) => waiting.push(r));
        };
        const options = { fs, walCheckpointBytes: 64 << 20,
          ...(encrypted ? { encryptionKey: keyA } : {}) };
        let db = await open('/d/x.db', options);
        const model = new Map<string, string>();
        const put = (i: number, v: string) => db.update((tx) => {
          tx.put(enc.encode(`k${i}`), enc.encode(v));
        }).then(() => { model.set(`k${i}`, v); });
        for (let i = 0; i < 1500; i++) void put(i, `a${i}`.repeat(10));
        await put(-1, 'x');
        hold = true;
        const ck = db.checkpoint();
        for (let i = 0; i < 100 && waiting.length === 0; i++) await new Promise((r) => setImmediate(r));
        expect(waiting.length).toBe(1);
        const inflight = [0, 1, 2, 3].map((i) => put(i, `b${i}`));
        // a nested update from inside a callback
        let nested: Promise<void> | null = null;
        const outer = db.update((tx) => {
          tx.put(enc.encode('k10'), enc.encode('outer'));
          nested = db.update((t2) => t2.put(enc.encode('k11'), enc.encode('nested')))
            .then(() => { model.set('k11', 'nested'); });
        }).then(() => { model.set('k10', 'outer'); });
        const closing = db.close();
        const late = await put(99, 'late').then(() => 'ok', (e: { code?: string }) => e.code);
        expect(late).toBe('DatabaseClosed');
        await Promise.all([...inflight, outer]);
        await nested;
        hold = false;
        for (const r of waiting.splice(0)) r();
        await ck;
        await closing;
        db = await open('/d/x.db', options);
        expect(snapshot(db)).toEqual(model);
        expect(db.check({ verifyValues: true }).errors).toEqual([]);
        expect(db.stats().walBytes).toBeLessThan(64 * 1024); expect(db.stats().commitSeq).toBeGreaterThan(1500n);
        await db.close();
      });
  }
});
