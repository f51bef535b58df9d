/**
 * Goal: encryption at rest (SPEC §4.4) keeps data readable only with the right credentials,
 * detects tampering, and never weakens durability.
 *
 * Properties checked:
 * - round trip with a raw key and with a passphrase, across clean reopen and crash recovery from
 *   the log (useTmpDb also checks and reopens every database after each test);
 * - credentials: both at once, a key of the wrong length, an empty passphrase, a kdfCost without
 *   a passphrase → InvalidArgument; wrong key, wrong passphrase, no credentials, the wrong kind
 *   of credential → EncryptionKeyMismatch, decided before any page is read; a plain file opened
 *   with credentials → InvalidArgument;
 * - the primary and the log contain no plaintext of written keys or values (with a control: a
 *   plain database does);
 * - a page swapped with another page, a page copied from another database, and a page copied
 *   from before a key rotation fail their tags (CorruptDatabase);
 * - log: a sealed frame whose checksum holds but whose tag fails is CorruptDatabase; a torn final
 *   frame is still a normal crash outcome;
 * - limits: the seal's reserve lowers the inline limit, and values up to maxValueBytes still
 *   round-trip through overflow pages.
 */
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { deriveSubkey } from '../../src/storage/crypto/index.js';
import { rotateEncryption } from '../../src/storage/crypto/rotate.js';
import { encryptionReserveBytes } from '../../src/limits.js';
import { frameHeaderBytes } from '../../src/storage/wal/wal-format.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { useTmpDb } from '../harness/tmp-db.js';
import {
  contains, kdfCost, keyA, keyB, logFrames, noise, openOutcome, primaryGeometry,
} from './helpers.js';

const enc = new TextEncoder();
const tmpDb = useTmpDb();

function key(i: number): Uint8Array {
  return enc.encode(`key-${String(i).padStart(5, '0')}`);
}

/** A deterministic incompressible value (so DEFLATE cannot hide or reveal it). */
function value(i: number, bytes = 120): Uint8Array {
  return noise(i, bytes);
}

async function fill(db: Database, from: number, to: number, bytes = 120): Promise<void> {
  await db.update((tx) => {
    for (let i = from; i < to; i++) tx.put(key(i), value(i, bytes));
  });
}

function expectValues(db: Database, from: number, to: number, bytes = 120): void {
  db.view((tx) => {
    for (let i = from; i < to; i++) expect(tx.get(key(i)), `key ${i}`).toEqual(value(i, bytes));
  });
}

async function newMemoryDb(options: Parameters<typeof open>[1] = {}) {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/d');
  const path = '/d/enc.db';
  const db = await open(path, { fs, ...options });
  return { fs, path, db };
}

describe('round trip', () => {
  it('raw key: survives reopen and recovery from the log', async () => {
    const tmp = await tmpDb.open({ encryptionKey: keyA });
    await fill(tmp.db, 0, 300);
    expect(tmp.db.storage.usable).toBe(4096 - encryptionReserveBytes);
    await tmp.reopen();
    expectValues(tmp.db, 0, 300);
    await fill(tmp.db, 300, 500);
    await tmp.snapshotReopen(); // a "kill -9": the next open recovers the sealed log
    expectValues(tmp.db, 0, 500);
    expect(tmp.db.check({ verifyValues: true }).errors).toEqual([]);
  });

  it('passphrase: survives reopen; the KDF cost comes from the header', async () => {
    const tmp = await tmpDb.open({ passphrase: 'correct horse battery staple', kdfCost });
    await fill(tmp.db, 0, 200, 900);
    await tmp.reopen({ kdfCost: undefined }); // the stored cost is used, not the default
    expectValues(tmp.db, 0, 200, 900);
    await tmp.snapshotReopen();
    expectValues(tmp.db, 0, 200, 900);
  });

  it('values up to maxValueBytes round-trip; the inline limit shrinks by the reserve', async () => {
    const tmp = await tmpDb.open({ encryptionKey: keyA, maxValueBytes: 65_536 });
    const plain = await tmpDb.open({ maxValueBytes: 65_536 });
    expect(tmp.db.storage.inlineMax).toBeLessThan(plain.db.storage.inlineMax);
    const sizes = [0, 1, tmp.db.storage.inlineMax, tmp.db.storage.inlineMax + 1, 5000, 65_536];
    await tmp.db.update((tx) => sizes.forEach((n, i) => tx.put(key(i), value(i, n))));
    await tmp.reopen();
    tmp.db.view((tx) => sizes.forEach((n, i) => expect(tx.get(key(i))).toEqual(value(i, n))));
  });
});

describe('credentials', () => {
  it('rejects bad credential options with InvalidArgument', async () => {
    const { fs, db } = await newMemoryDb();
    await db.close();
    const bad = [
      { encryptionKey: keyA, passphrase: 'x' },
      { encryptionKey: keyA.subarray(0, 31) },
      { encryptionKey: new Uint8Array(33) },
      { passphrase: '' },
      { passphrase: 'x'.repeat(1025) },
      { encryptionKey: keyA, kdfCost: 12 },
      { passphrase: 'x', kdfCost: 9 },
      { passphrase: 'x', kdfCost: 21 },
      { passphrase: 'x', kdfCost: 12.5 },
    ];
    for (const options of bad) {
      expect(await openOutcome('/d/new.db', { fs, ...options }), JSON.stringify(options))
        .toBe('InvalidArgument');
      expect(fs.exists('/d/new.db')).toBe(false); // bad input creates nothing
    }
  });

  it('opening a plain database with credentials is InvalidArgument', async () => {
    const { fs, path, db } = await newMemoryDb();
    await fill(db, 0, 10);
    await db.close();
    expect(await openOutcome(path, { fs, encryptionKey: keyA })).toBe('InvalidArgument');
    expect(await openOutcome(path, { fs, passphrase: 'p' })).toBe('InvalidArgument');
    expect(await openOutcome(path, { fs })).toBe('ok');
  });

  it('wrong, missing or mismatched credentials are EncryptionKeyMismatch', async () => {
    const raw = await newMemoryDb({ encryptionKey: keyA });
    await fill(raw.db, 0, 50);
    await raw.db.close();
    const pass = await newMemoryDb({ passphrase: 'secret one', kdfCost });
    await fill(pass.db, 0, 50);
    await pass.db.close();
    const cases: Array<[typeof raw, object]> = [
      [raw, { encryptionKey: keyB }],
      [raw, {}],
      [raw, { passphrase: 'secret one' }],
      [pass, { passphrase: 'secret two' }],
      [pass, { passphrase: 'secret one ' }],
      [pass, {}],
      [pass, { encryptionKey: keyA }],
    ];
    for (const [db, options] of cases) {
      expect(await openOutcome(db.path, { fs: db.fs, ...options }), JSON.stringify(options))
        .toBe('EncryptionKeyMismatch');
    }
    expect(await openOutcome(raw.path, { fs: raw.fs, encryptionKey: keyA })).toBe('ok');
    expect(await openOutcome(pass.path, { fs: pass.fs, passphrase: 'secret one' })).toBe('ok');
  });

  it('decides on the key before any page or log frame is read', async () => {
    const { fs, path, db } = await newMemoryDb({ encryptionKey: keyA });
    await fill(db, 0, 300);
    await db.close();
    // Destroy every page after the header and the whole log: only the header remains readable.
    const image = fs.readFile(path);
    const { pageSize } = primaryGeometry(image);
    image.fill(0xa5, pageSize);
    fs.writeFile(path, image);
    fs.writeFile(`${path}-wal`, new Uint8Array(8192).fill(0x5a));
    expect(await openOutcome(path, { fs, encryptionKey: keyB })).toBe('EncryptionKeyMismatch');
    // With the right key the damage is found as soon as a page is read.
    expect(await readAll(fs, path, { encryptionKey: keyA })).toBe('CorruptDatabase');
  });

  it('errors never carry the secret', async () => {
    const { fs, path, db } = await newMemoryDb({ passphrase: 'hunter2-secret', kdfCost });
    await db.close();
    for (const options of [{ passphrase: 'wrong-secret-xyz' }, { passphrase: '' }]) {
      const err = await open(path, { fs, ...options }).then(() => null, (e: unknown) => e);
      const text = JSON.stringify({ m: (err as Error).message,
        c: (err as { context?: unknown }).context });
      expect(text).not.toContain('secret');
    }
  });

  it('subkeys differ per purpose and are stable for the same keys', async () => {
    const { db } = await newMemoryDb({ encryptionKey: keyA });
    const keys = db.storage.encryptionKeys!;
    const purposes = ['pages', 'wal', 'changelog', 'verifier'] as const;
    const hex = purposes.map((p) => Buffer.from(deriveSubkey(keys, p)).toString('hex'));
    expect(new Set(hex).size).toBe(4);
    expect(Buffer.from(deriveSubkey(keys, 'changelog')).toString('hex')).toBe(hex[2]);
    await db.close();
  });
});

describe('confidentiality', () => {
  it('the primary and the log hold no plaintext of keys or values', async () => {
    const secretKey = enc.encode('very-private-key-name');
    const secretValue = value(4242, 300);
    for (const encrypted of [false, true]) {
      const { fs, path, db } = await newMemoryDb(encrypted ? { encryptionKey: keyA } : {});
      await db.update((tx) => tx.put(secretKey, secretValue));
      await fill(db, 0, 100);
      // Before close the data is in the log; after close it is in the primary.
      const log = fs.readFile(`${path}-wal`);
      await db.close();
      const primary = fs.readFile(path);
      const found = [log, primary].map((img) => contains(img, secretKey) ||
        contains(img, secretValue.subarray(0, 32)) || contains(img, value(7).subarray(0, 32)));
      // The control (plain) must find the plaintext, or the search proves nothing.
      expect(found, encrypted ? 'encrypted' : 'plain').toEqual(encrypted ? [false, false]
        : [true, true]);
    }
  });
});

/** Swaps the on-disk images of pages a and b of a primary. */
function swapPages(fs: MemoryFileSystem, path: string, a: number, b: number): void {
  const image = fs.readFile(path);
  const { pageSize } = primaryGeometry(image);
  const pa = image.slice(a * pageSize, (a + 1) * pageSize);
  image.copyWithin(a * pageSize, b * pageSize, (b + 1) * pageSize);
  image.set(pa, b * pageSize);
  fs.writeFile(path, image);
}

/** Opens and reads everything; returns the error code of the first failure or 'ok'. */
async function readAll(fs: MemoryFileSystem, path: string, options: object): Promise<string> {
  let db: Database | null = null;
  try {
    db = await open(path, { fs, ...options });
    const d = db;
    d.view((tx) => [...tx.range()].length);
    const report = d.check({ verifyValues: true });
    return report.ok ? 'ok' : `check: ${report.errors[0] ?? ''}`;
  } catch (err) {
    return String((err as { code?: unknown }).code ?? err);
  } finally {
    await db?.close().catch(() => undefined);
  }
}

describe('integrity', () => {
  it('a page swapped with another page fails its tag', async () => {
    const { fs, path, db } = await newMemoryDb({ encryptionKey: keyA });
    await fill(db, 0, 400);
    await db.close();
    const pristine = fs.readFile(path);
    const { pageCount } = primaryGeometry(pristine);
    expect(pageCount).toBeGreaterThan(4);
    expect(await readAll(fs, path, { encryptionKey: keyA })).toBe('ok');
    swapPages(fs, path, 1, 2);
    const result = await readAll(fs, path, { encryptionKey: keyA });
    expect(result === 'CorruptDatabase' || result.includes('authentication tag'), result)
      .toBe(true);
  });

  it('a page copied from another database with the same key fails its tag', async () => {
    const a = await newMemoryDb({ encryptionKey: keyA });
    const b = await newMemoryDb({ encryptionKey: keyA });
    for (const x of [a, b]) {
      await fill(x.db, 0, 400);
      await x.db.close();
    }
    const imageA = a.fs.readFile(a.path);
    const imageB = b.fs.readFile(b.path);
    const { pageSize } = primaryGeometry(imageA);
    imageA.set(imageB.subarray(pageSize, 2 * pageSize), pageSize); // same page number, other file
    a.fs.writeFile(a.path, imageA);
    const result = await readAll(a.fs, a.path, { encryptionKey: keyA });
    expect(result === 'CorruptDatabase' || result.includes('authentication tag'), result)
      .toBe(true);
  });

  it('an old copy of a page from before a key rotation fails its tag', async () => {
    const { fs, path, db } = await newMemoryDb({ encryptionKey: keyA });
    await fill(db, 0, 400);
    await db.close();
    const before = fs.readFile(path);
    await rotateEncryption(path, { encryptionKey: keyA }, { encryptionKey: keyA }, { fs });
    const after = fs.readFile(path);
    const { pageSize } = primaryGeometry(after);
    after.set(before.subarray(pageSize, 2 * pageSize), pageSize);
    fs.writeFile(path, after);
    const result = await readAll(fs, path, { encryptionKey: keyA });
    expect(result === 'CorruptDatabase' || result.includes('authentication tag'), result)
      .toBe(true);
  });

  it('a log frame altered with a fixed-up checksum is corruption; a torn tail is not', async () => {
    const { fs, path, db } = await newMemoryDb({ encryptionKey: keyA });
    for (let c = 0; c < 6; c++) await fill(db, c * 20, (c + 1) * 20);
    const log = fs.readFile(`${path}-wal`);
    const primary = fs.readFile(path);
    await db.close();
    const frames = logFrames(log);
    expect(frames.filter((f) => f.kind === 'commit').length).toBe(6);
    // Torn tail: cut the log in the middle of its last frame → the first five commits survive.
    const last = frames[frames.length - 1]!;
    const torn = new MemoryFileSystem();
    torn.mkdirp('/d');
    torn.writeFile(path, primary);
    torn.writeFile(`${path}-wal`, log.slice(0, last.offset + 40));
    const tornDb = await open(path, { fs: torn, encryptionKey: keyA });
    expectValues(tornDb, 0, 100);
    expect(tornDb.view((tx) => tx.get(key(100)))).toBeUndefined();
    await tornDb.close();
    // A ciphertext byte of a middle page frame flipped and its checksum recomputed: the tag fails.
    const victim = frames.find((f) => f.kind === 'page' && f.offset > frames[2]!.offset)!;
    const bad = log.slice();
    bad[victim.offset + frameHeaderBytes + 20]! ^= 0x01;
    const dv = new DataView(bad.buffer);
    const payload = bad.subarray(victim.offset + frameHeaderBytes,
      victim.offset + frameHeaderBytes + victim.stored);
    dv.setUint32(victim.offset + 28,
      crc32(payload, crc32(bad.subarray(victim.offset, victim.offset + 28))), true);
    const altered = new MemoryFileSystem();
    altered.mkdirp('/d');
    altered.writeFile(path, primary);
    altered.writeFile(`${path}-wal`, bad);
    expect(await openOutcome(path, { fs: altered, encryptionKey: keyA })).toBe('CorruptDatabase');
  });
});
