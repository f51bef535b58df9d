/**
 * Goal: operations started from inside an update callback never lose or corrupt a commit.
 * Method: from inside update callbacks, start another update, a checkpoint and a close; then
 * reopen and compare with what was acknowledged.
 * Properties: every acknowledged commit is visible after the operation and after reopen; the
 * structural check passes; a checkpoint or close issued mid-callback waits for that commit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { open } from '../../src/index.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function fresh(fs: MemoryFileSystem) {
  fs.mkdirp('/db');
  const db = await open('/db/a.db', { fs, walCheckpointBytes: 64 * 1024 });
  opened.push(db);
  return db;
}

describe('operations started inside an update callback', () => {
  it('a checkpoint waits for the commit of the callback that started it', async () => {
    const fs = new MemoryFileSystem();
    const db = await fresh(fs);
    await db.update((tx) => tx.put(b('before'), b('0')));
    let ckpt: Promise<void> = Promise.resolve();
    await db.update((tx) => {
      for (let i = 0; i < 200; i++) tx.put(b(`k${i}`), new Uint8Array(300).fill(i));
      ckpt = db.checkpoint();
    });
    await ckpt;
    await db.update((tx) => tx.put(b('after'), b('2')));
    expect(db.view((tx) => tx.get(b('k199'))?.[0])).toBe(199);
    expect(db.check().ok).toBe(true);
    await db.close();
    const again = await open('/db/a.db', { fs });
    opened.push(again);
    expect(again.view((tx) => [tx.get(b('before')), tx.get(b('k5')), tx.get(b('after'))]))
      .toEqual([b('0'), new Uint8Array(300).fill(5), b('2')]);
    expect(again.check().ok).toBe(true);
  });

  it('a close waits for the commit of the callback that started it', async () => {
    const fs = new MemoryFileSystem();
    const db = await fresh(fs);
    let closing: Promise<void> = Promise.resolve();
    await db.update((tx) => {
      tx.put(b('last'), b('1'));
      closing = db.close();
    });
    await closing;
    const again = await open('/db/a.db', { fs });
    opened.push(again);
    expect(again.view((tx) => tx.get(b('last')))).toEqual(b('1'));
  });
});
