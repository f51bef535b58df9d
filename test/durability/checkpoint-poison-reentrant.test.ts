/**
 * Goal: a primary fsync failure in a checkpoint's first part (which runs while writers go on)
 * never loses an acknowledged commit. Regression: the store was poisoned at once, with a commit
 * in flight; poisoning rolls the latest state back, and a nested update (started inside that
 * commit's callback, waiting one microtask) built on the rolled-back state: it took the seq of
 * the commit in flight and dropped its changes, and the log no longer opened. Now the store is
 * poisoned only under the gate once nothing is in flight, and the nested update checks again.
 * Method: 16 timings of the failure relative to the commits (k microtask hops).
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { HookedFs } from '../fault/hooked-fs.js';

const enc = new TextEncoder();

async function attempt(k: number): Promise<string> {
  const fs = new HookedFs();
  fs.mkdirp('/d');
  let holdWal = false;
  let failArmed = false;
  let reached = false;
  let fire: () => void = () => undefined;
  const trigger = new Promise<void>((r) => { fire = r; });
  const walWaiting: Array<() => void> = [];
  fs.beforeSync = async (p) => {
    if (p.endsWith('-wal') && holdWal) await new Promise<void>((r) => walWaiting.push(r));
    if (p.endsWith('.db') && failArmed) {
      failArmed = false;
      reached = true;
      await trigger;
      throw Object.assign(new Error('EIO primary fsync'), { code: 'EIO' });
    }
  };
  const db = await open('/d/r.db', { fs, walCheckpointBytes: 64 << 20 });
  await db.update((tx) => {
    for (let i = 0; i < 300; i++) tx.put(enc.encode(`k${i}`), enc.encode('v'.repeat(40)));
  });
  const seq0 = db.stats().commitSeq;
  holdWal = true;
  failArmed = true;
  const ck = db.checkpoint().then(() => 'ok', (e: { code?: string }) => e.code);
  for (let i = 0; i < 200 && !reached; i++) await new Promise((r) => setImmediate(r));
  if (!reached) return 'primary fsync not reached';
  fire();
  for (let i = 0; i < k; i++) await null;
  let nested: Promise<string> = Promise.resolve('none');
  const outer = db.update((tx) => {
    tx.put(enc.encode('outer'), enc.encode('A'));
    nested = db.update((t2) => t2.put(enc.encode('nested'), enc.encode('B')))
      .then(() => 'ok', (e: { code?: string }) => String(e.code));
  }).then(() => 'ok', (e: { code?: string }) => String(e.code));
  await new Promise((r) => setTimeout(r, 20));
  holdWal = false;
  for (const r of walWaiting.splice(0)) r();
  const [o, n, c] = await Promise.all([outer, nested, ck]);
  const hasOuter = db.view((tx) => tx.get(enc.encode('outer'))) !== undefined;
  const hasNested = db.view((tx) => tx.get(enc.encode('nested'))) !== undefined;
  const seq = db.stats().commitSeq - seq0;
  const checkErrors = db.check({ verifyValues: true }).errors.length;
  await db.close();
  const again = await open('/d/r.db', { fs, walCheckpointBytes: 64 << 20 }).then(async (d) => {
    const r = `reopen: seq+${d.stats().commitSeq - seq0} outer=${d.view((tx) => tx.get(enc.encode('outer'))) !== undefined} nested=${d.view((tx) => tx.get(enc.encode('nested'))) !== undefined} checkErrors=${d.check({ verifyValues: true }).errors.length}`;
    await d.close();
    return r;
  }, (e: { code?: string; message?: string }) => `reopen failed: ${e.code} (${e.message})`);
  return `checkErrors=${checkErrors} ${again} | ckpt=${c} outer=${o} nested=${n} seq+${seq} outerVisible=${hasOuter} nestedVisible=${hasNested}`;
}

describe('nested update racing a step-1 poison', () => {
  it('an acknowledged commit is never lost', async () => {
    const results: string[] = [];
    for (let k = 0; k < 16; k++) results.push(`k=${k}: ${await attempt(k)}`);
    // Every acknowledged commit is visible, in the process and after a clean reopen.
    const bad = results.filter((r) => r.includes('reopen failed') || !r.includes('checkErrors=0 ') ||
      (r.includes('outer=ok') && (r.includes('outerVisible=false') || r.includes('outer=false'))) ||
      (r.includes('nested=ok') && (r.includes('nestedVisible=false') || r.includes('nested=false'))));
    expect(bad).toEqual([]);
  }, 60_000);
});
