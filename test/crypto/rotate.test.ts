/**
 * Goal: rotateEncryption re-encrypts a closed database under new credentials, or refuses and
 * leaves it untouched.
 *
 * Properties checked:
 * - after a rotation the old credentials fail with EncryptionKeyMismatch, the new ones open the
 *   same data (which check() accepts), the file id is kept, every page has a new seal, and only
 *   the primary remains (no temporary file, the empty log removed);
 * - key → passphrase → key, progress is reported per batch up to the page count;
 * - refusals leave the files byte for byte unchanged: wrong old credentials
 *   (EncryptionKeyMismatch), a plain database, a log with commits not yet in the primary, bad
 *   batch sizes or missing credentials (InvalidArgument), a missing file (NotFound), and an
 *   abort between batches (Cancelled, the temporary file removed).
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { rotateEncryption } from '../../src/storage/crypto/index.js';
import type { RotateProgress } from '../../src/storage/crypto/index.js';
import { decodeHeaderSlot } from '../../src/storage/header.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { kdfCost, keyA, keyB, openOutcome, outcome, primarySeals } from './helpers.js';

const enc = new TextEncoder();
const path = '/d/rot.db';

async function makeDb(options: object, keys = 500): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/d');
  const db = await open(path, { fs, ...options });
  await db.update((tx) => {
    for (let i = 0; i < keys; i++) tx.put(enc.encode(`k${i}`), enc.encode(`value ${i} `.repeat(9)));
  });
  await db.close();
  return fs;
}

function expectData(db: Database, keys = 500): void {
  db.view((tx) => {
    for (let i = 0; i < keys; i++) {
      expect(tx.get(enc.encode(`k${i}`))).toEqual(enc.encode(`value ${i} `.repeat(9)));
    }
  });
  expect(db.check({ verifyValues: true }).errors).toEqual([]);
}

function fileId(image: Uint8Array): string {
  return Buffer.from(decodeHeaderSlot(image.subarray(0, 256))!.fileId).toString('hex');
}

describe('rotateEncryption', () => {
  it('re-encrypts every page: old key refused, new key opens the same data', async () => {
    const fs = await makeDb({ encryptionKey: keyA });
    const before = fs.readFile(path);
    const progress: RotateProgress[] = [];
    const result = await rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyB },
      { fs, batchSize: 4, onProgress: (p) => progress.push(p) });
    const after = fs.readFile(path);
    expect(result.pages).toBe(after.length / 4096 - 1);
    expect(progress.length).toBe(Math.ceil(result.pages / 4));
    expect(progress[progress.length - 1]).toEqual({ pagesDone: result.pages,
      pagesTotal: result.pages });
    expect(fileId(after)).toBe(fileId(before));
    const oldNonces = new Set(primarySeals(before).map((s) => s.nonce));
    expect(primarySeals(after).filter((s) => oldNonces.has(s.nonce))).toEqual([]);
    expect(fs.list('/d').sort()).toEqual(['rot.db']);
    expect(await openOutcome(path, { fs, encryptionKey: keyA })).toBe('EncryptionKeyMismatch');
    const db = await open(path, { fs, encryptionKey: keyB });
    expectData(db);
    await db.update((tx) => tx.put(enc.encode('after'), enc.encode('rotation')));
    await db.close();
  });

  it('moves between raw keys and passphrases', async () => {
    const fs = await makeDb({ encryptionKey: keyA });
    const pass = { passphrase: 'new passphrase', kdfCost };
    await rotateEncryption(path, { encryptionKey: keyA }, pass, { fs });
    expect(await openOutcome(path, { fs, encryptionKey: keyA })).toBe('EncryptionKeyMismatch');
    await rotateEncryption(path, { passphrase: 'new passphrase' }, { encryptionKey: keyB }, { fs });
    expect(await openOutcome(path, { fs, ...pass })).toBe('EncryptionKeyMismatch');
    const db = await open(path, { fs, encryptionKey: keyB });
    expectData(db);
    await db.close();
  });

  it('refuses without changing anything', async () => {
    const fs = await makeDb({ encryptionKey: keyA });
    const plain = await makeDb({}, 10);
    const image = fs.readFile(path);
    const rotate = (o: object, n: object, extra: object = {}, on = fs) =>
      outcome(rotateEncryption(path, o as never, n as never, { fs: on, ...extra }));
    expect(await rotate({ encryptionKey: keyB }, { encryptionKey: keyA }))
      .toBe('EncryptionKeyMismatch');
    expect(await rotate({ encryptionKey: keyA }, {})).toBe('InvalidArgument');
    expect(await rotate({ encryptionKey: keyA }, { encryptionKey: keyB, passphrase: 'x' }))
      .toBe('InvalidArgument');
    for (const batchSize of [0, -1, 1.5, 65_537]) {
      expect(await rotate({ encryptionKey: keyA }, { encryptionKey: keyB }, { batchSize }))
        .toBe('InvalidArgument');
    }
    expect(await rotate({ encryptionKey: keyA }, { encryptionKey: keyB }, {}, plain))
      .toBe('InvalidArgument');
    const ctl = new AbortController();
    let batches = 0;
    const cancelled = rotate({ encryptionKey: keyA }, { encryptionKey: keyB },
      { batchSize: 2, signal: ctl.signal, onProgress: () => ++batches === 3 && ctl.abort() });
    expect(await cancelled).toBe('Cancelled');
    expect(fs.readFile(path)).toEqual(image);
    // An async onProgress that rejects fails the rotation (it used to crash the process as an
    // unhandled rejection while the rotation went on).
    const failed = await rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyB },
      { fs, batchSize: 2, onProgress: async () => { throw new Error('progress sink down'); } })
      .then(() => null, (err: unknown) => err);
    expect(String(failed)).toMatch(/progress sink down/);
    expect(fs.readFile(path)).toEqual(image);
    expect(fs.list('/d').sort()).toEqual(['rot.db', 'rot.db-wal']);
    expect(await outcome(rotateEncryption('/d/none.db', { encryptionKey: keyA },
      { encryptionKey: keyB }, { fs }))).toBe('NotFound');
  });

  it('refuses a log holding commits the primary lacks', async () => {
    const fs = await makeDb({ encryptionKey: keyA }, 50);
    const db = await open(path, { fs, encryptionKey: keyA });
    await db.update((tx) => tx.put(enc.encode('late'), enc.encode('commit')));
    // A crashed process: copy the files as they are now (the commit is only in the log).
    const crashed = new MemoryFileSystem();
    crashed.mkdirp('/d');
    crashed.writeFile(path, fs.readFile(path));
    crashed.writeFile(`${path}-wal`, fs.readFile(`${path}-wal`));
    await db.close();
    expect(await outcome(rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyB },
      { fs: crashed }))).toBe('InvalidArgument');
    // Open and close applies the log; then rotation succeeds and keeps the late commit.
    await (await open(path, { fs: crashed, encryptionKey: keyA })).close();
    await rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyB },
      { fs: crashed });
    const reopened = await open(path, { fs: crashed, encryptionKey: keyB });
    expect(reopened.view((tx) => tx.get(enc.encode('late')))).toEqual(enc.encode('commit'));
    expectData(reopened, 50);
    await reopened.close();
  });
});
