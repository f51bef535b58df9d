/**
 * Encrypted compaction and backup (SPEC §4.4, §8, §9; issue #6).
 *
 * Goal: compaction and backup of an encrypted database give encrypted files that the SAME key or
 * passphrase opens, with every page sealed for the copy's new file id, and verify/restore take
 * the credentials and refuse wrong ones with EncryptionKeyMismatch before doing anything.
 * Method: real temp directories; databases through the public `open` (passphrase with a test KDF
 * cost, or a raw key), raw byte keys with a plaintext marker in every value; then the copy's
 * header (same salt and KDF parameters, new file id, new verifier), its bytes (no marker in
 * clear), its content and structural check, and a commit on top of it after reopening.
 * White-box only in reading the file headers (readPrimaryHeader, decodeEncryptionArea).
 * Properties:
 *   1. online compact (MVCC, passphrase) and offline compactFile (v1, raw key): content equal,
 *      check clean, salt/KDF kept, verifier and file id new, no plaintext in the file, and a
 *      page moved from the source into the copy at the same number fails its tag;
 *   2. backupTo → verifyBackup(right passphrase) ok → restore → open: equal content at the
 *      backup's seq; new commits continue; the empty log pairs and recovers;
 *   3. verify with a wrong or missing passphrase, or a raw key, throws EncryptionKeyMismatch;
 *      restore with a wrong one throws it and writes nothing;
 *   4. backupFile (offline) with credentials in the options; none → EncryptionKeyMismatch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { isHexxlaError } from '../../src/errors.js';
import { backupFile, backupTo } from '../../src/ops/backup.js';
import { compactDatabase, compactFile } from '../../src/ops/compact.js';
import { readPrimaryHeader } from '../../src/ops/manifest.js';
import { restore } from '../../src/ops/restore.js';
import { verifyBackup } from '../../src/ops/verify.js';
import { decodeEncryptionArea } from '../../src/storage/crypto/kdf.js';
import { nodeFileSystem } from '../../src/storage/file.js';
import { bytesOf, useTempDirs } from './helpers.js';

const dir = useTempDirs();

const passphrase = 'correct horse battery staple';
const kdfCost = 10; // test cost: 2^10 scrypt, ~1 ms
const marker = 'PLAINTEXT-MARKER';
const rawKey = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);

const key = (i: number): Uint8Array => Buffer.from(`k-${String(i).padStart(5, '0')}`);
const value = (i: number): Uint8Array =>
  Buffer.concat([Buffer.from(`${marker}-${i}-`), bytesOf(i, i % 50 === 0 ? 7000 : 80, true)]);

type Entries = [string, string][];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function entriesOf(file: string, creds: object): Promise<Entries> {
  const db = await open(file, { ...creds, create: false });
  try {
    expect(db.check({ verifyValues: true }).errors).toEqual([]);
    return db.view((tx) => [...tx.range()].map(([k, v]) => [hex(k), hex(v)] as [string, string]));
  } finally {
    await db.close();
  }
}

/** Writes `n` entries in a few commits (deleting some) into an open database. */
async function fill(db: Awaited<ReturnType<typeof open>>, n: number): Promise<void> {
  for (let b = 0; b < n; b += 400) {
    await db.update((tx) => {
      for (let i = b; i < Math.min(n, b + 400); i++) tx.put(key(i), value(i));
    });
  }
  await db.update((tx) => {
    for (let i = 0; i < n; i += 3) tx.delete(key(i));
  });
}

function header(file: string) {
  const h = readPrimaryHeader(nodeFileSystem, file);
  expect(h).not.toBeNull();
  return { h: h!, enc: decodeEncryptionArea(h!.encryption, file) };
}

/** The copy keeps the KDF and salt, gets a new id and verifier, and holds no plaintext. */
function expectInheritedEncryption(src: string, dest: string): void {
  const a = header(src);
  const b = header(dest);
  expect(b.h.flags).toBe(a.h.flags);
  expect(b.h.reserveBytes).toBe(a.h.reserveBytes);
  expect({ ...b.enc, verifier: null }).toEqual({ ...a.enc, verifier: null });
  expect(hex(b.h.fileId)).not.toBe(hex(a.h.fileId));
  expect(hex(b.enc.verifier)).not.toBe(hex(a.enc.verifier));
  expect(fs.readFileSync(dest).includes(Buffer.from(marker))).toBe(false);
}

const rejectsWith = async (p: Promise<unknown>, code: string): Promise<void> => {
  await expect(p).rejects.toSatisfy((e: unknown) => isHexxlaError(e) && e.code === code);
};

describe('encrypted compaction', () => {
  it('online (MVCC, passphrase): same passphrase opens the sealed copy', async () => {
    const d = dir('enc-compact');
    const src = path.join(d, 'src.db');
    const creds = { passphrase, kdfCost };
    const db = await open(src, { ...creds, mvcc: true });
    await fill(db, 1200);
    const expected = db.view((tx) => [...tx.range()].map(([k, v]) => [hex(k), hex(v)]));
    const dest = path.join(d, 'dest.db');
    const result = await compactDatabase(db, dest, { chunkEntries: 100 });
    await db.checkpoint();
    expect(result.commitSeq).toBe(db.commitSeq());
    expectInheritedEncryption(src, dest);
    expect(await entriesOf(dest, { passphrase })).toEqual(expected);
    await rejectsWith(open(dest, { create: false }), 'EncryptionKeyMismatch');
    await rejectsWith(open(dest, { passphrase: 'wrong', create: false }), 'EncryptionKeyMismatch');
    // Pages are bound to the new file id: a source page at the same number fails its tag.
    const pageSize = header(dest).h.pageSize;
    const copy = fs.readFileSync(dest);
    fs.readFileSync(src).copy(copy, pageSize, pageSize, 2 * pageSize);
    fs.writeFileSync(dest, copy);
    // Page 1 is the page-version root, read at open: the open fails, or else the check does.
    const seen = await open(dest, { passphrase, create: false }).then(async (moved) => {
      const errors = moved.check().errors.join('\n');
      await moved.close();
      return errors;
    }, (err: Error) => err.message);
    expect(seen).toMatch(/tag/);
    await db.close();
  });

  it('offline compactFile (v1, raw key) with credentials in the options', async () => {
    const d = dir('enc-compact-file');
    const src = path.join(d, 'src.db');
    const db = await open(src, { encryptionKey: rawKey });
    await fill(db, 900);
    await db.close();
    const expected = await entriesOf(src, { encryptionKey: rawKey });
    const dest = path.join(d, 'dest.db');
    await rejectsWith(compactFile(src, dest), 'EncryptionKeyMismatch');
    await rejectsWith(compactFile(src, dest, { encryptionKey: new Uint8Array(32) }),
      'EncryptionKeyMismatch');
    expect(fs.existsSync(dest)).toBe(false);
    const result = await compactFile(src, dest, { encryptionKey: rawKey });
    expect(result.bytes).toBeLessThan(fs.statSync(src).size);
    expectInheritedEncryption(src, dest);
    expect(await entriesOf(dest, { encryptionKey: rawKey })).toEqual(expected);
  });
});

describe('encrypted backup', () => {
  it('backup, verify, restore round trip; wrong credentials refused', async () => {
    const d = dir('enc-backup');
    const src = path.join(d, 'live.db');
    const creds = { passphrase, kdfCost };
    const db = await open(src, { ...creds, mvcc: true });
    await fill(db, 800);
    const bk = path.join(d, 'bk');
    const backup = await backupTo(db, bk, { chunkEntries: 64 });
    const atBackup = db.view((tx) => [...tx.range()].map(([k, v]) => [hex(k), hex(v)]));
    await db.update((tx) => tx.put(key(999_99), value(1))); // after the backup: not in it
    expect(backup.manifest.encrypted).toBe(true);
    expectInheritedEncryption(src, path.join(bk, 'live.db'));

    const report = await verifyBackup(bk, { passphrase });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.commitSeq).toBe(backup.copy.commitSeq);
    await rejectsWith(verifyBackup(bk, { passphrase: 'not it' }), 'EncryptionKeyMismatch');
    await rejectsWith(verifyBackup(bk), 'EncryptionKeyMismatch');
    await rejectsWith(verifyBackup(bk, { encryptionKey: rawKey }), 'EncryptionKeyMismatch');

    const target = path.join(d, 'restored', 'live.db');
    await rejectsWith(restore(bk, target, { passphrase: 'not it' }), 'EncryptionKeyMismatch');
    expect(fs.existsSync(path.dirname(target))).toBe(false);
    const restored = await restore(bk, target, { passphrase });
    expect(restored.commitSeq).toBe(backup.copy.commitSeq);
    expect(await entriesOf(target, { passphrase })).toEqual(atBackup);
    const again = await open(target, { passphrase, create: false });
    await again.update((tx) => tx.put(key(88_888), value(2)));
    expect(again.commitSeq()).toBe(backup.copy.commitSeq + 1n);
    await again.close();
    expect((await entriesOf(target, { passphrase })).length).toBe(atBackup.length + 1);
    await db.close();
  });

  it('offline backupFile takes the credentials in its options', async () => {
    const d = dir('enc-backup-file');
    const src = path.join(d, 'off.db');
    const db = await open(src, { encryptionKey: rawKey });
    await fill(db, 300);
    await db.close();
    await rejectsWith(backupFile(src, path.join(d, 'none')), 'EncryptionKeyMismatch');
    const bk = path.join(d, 'bk');
    const result = await backupFile(src, bk, { encryptionKey: rawKey });
    expect(result.manifest.encrypted).toBe(true);
    expect((await verifyBackup(bk, { encryptionKey: rawKey })).ok).toBe(true);
    await rejectsWith(verifyBackup(bk, { encryptionKey: new Uint8Array(32).fill(1) }),
      'EncryptionKeyMismatch');
  });
});
