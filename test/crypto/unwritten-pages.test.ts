/**
 * Goal: key rotation works on a database holding free pages that were never written.
 *
 * A transaction that allocates pages at the end of the file and frees them again before it
 * commits (here: a value big enough for an overflow chain, put and deleted in one update) grows
 * the page count without writing those pages: the checkpoint extends the primary with zeros, and
 * the pages sit in the freelist, never read. Rotation re-seals every page 1 … pageCount−1, so it
 * met these zero pages and refused the whole file ("page N fails its authentication tag; nothing
 * was rotated"); online, that also poisoned the open handle.
 *
 * Properties: offline and online rotation succeed; afterwards the new key opens the data, check()
 * is clean, the free pages are reused by later commits, and a reopen reads everything.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { rotateEncryption } from '../../src/storage/crypto/index.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { keyA, keyB } from './helpers.js';

const enc = new TextEncoder();
const path = '/d/free.db';

/** A closed encrypted database whose freelist holds never-written pages. */
async function withUnwrittenFreePages(): Promise<{ fs: MemoryFileSystem; values: Uint8Array[] }> {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/d');
  const db = await open(path, { fs, encryptionKey: keyA });
  const values = Array.from({ length: 50 }, () => new Uint8Array(randomBytes(200)));
  await db.update((tx) => values.forEach((v, i) => tx.put(enc.encode(`k${i}`), v)));
  await db.update((tx) => {
    tx.put(enc.encode('transient'), randomBytes(6000)); // an overflow chain at the file's end
    tx.delete(enc.encode('transient'));
  });
  expect(db.stats().freePages).toBeGreaterThan(0);
  await db.close();
  return { fs, values };
}

async function expectIntact(db: Database, values: Uint8Array[]): Promise<void> {
  db.view((tx) => values.forEach((v, i) => {
    expect(Buffer.from(tx.get(enc.encode(`k${i}`))!).equals(v), `k${i}`).toBe(true);
  }));
  await db.update((tx) => tx.put(enc.encode('after'), randomBytes(7000))); // reuses free pages
  expect(db.check({ verifyValues: true }).errors).toEqual([]);
}

describe('rotation with never-written free pages', () => {
  it('offline', async () => {
    const { fs, values } = await withUnwrittenFreePages();
    await rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyB }, { fs });
    const db = await open(path, { fs, encryptionKey: keyB });
    await expectIntact(db, values);
    await db.close();
    const again = await open(path, { fs, encryptionKey: keyB });
    expect(again.check({ verifyValues: true }).errors).toEqual([]);
    await again.close();
  });

  it('online', async () => {
    const { fs, values } = await withUnwrittenFreePages();
    const db = await open(path, { fs, encryptionKey: keyA });
    await db.rotateEncryption({ encryptionKey: keyB });
    await expectIntact(db, values);
    await db.close();
    const again = await open(path, { fs, encryptionKey: keyB });
    expect(again.check({ verifyValues: true }).errors).toEqual([]);
    await again.close();
  });
});
