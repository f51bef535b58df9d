/**
 * Hot backup, verify and restore (SPEC §9).
 *
 * Goal: a backup restores to exactly the state of its manifest's commit seq, verify tells good
 * backups from damaged ones, and restore refuses incomplete or mismatched sets without touching
 * the destination.
 * Method: real directories under the OS temp dir (renames and fsyncs are real). The MVCC source
 * is driven at the store level (white-box, see helpers.ts); writes run between the backup's
 * chunks through the `pace` hook, so the interleaving is deterministic. Damage is made by
 * flipping bytes, deleting files and swapping in a log from another database.
 * Properties:
 *   1. a hot backup taken during a stream of writes restores to the source's state at the
 *      manifest's seq (every tree entry, and every cell read at that seq);
 *   2. verify passes on a good backup (probes filled in) and fails on a flipped byte, also when
 *      the manifest was rewritten to match the damaged file (the opened copy's checks catch it);
 *   3. restore refuses: no manifest, a missing file, a changed file, a log from another database,
 *      an existing destination without force; the destination is left as it was;
 *   4. a backup never overwrites an earlier one in the same directory.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { isHexxlaError } from '../../src/errors.js';
import {
  decodeTimelineKey, isVersionedFamily, keyFamilies, splitSeq,
} from '../../src/engine/keys.js';
import { backupFile, backupTo } from '../../src/ops/backup.js';
import type { BackupManifest } from '../../src/ops/manifest.js';
import { restore } from '../../src/ops/restore.js';
import { verifyBackup } from '../../src/ops/verify.js';
import { openStore } from '../../src/storage/open-store.js';
import {
  bytesOf, cellsAt, checkErrors, mvccCommit, openMvccStore, treeEntries, useTempDirs,
} from './helpers.js';

const dir = useTempDirs();

const refusal = (reason: string) => (e: unknown): boolean =>
  isHexxlaError(e, 'PreconditionFailed') && e.context['reason'] === reason;

function readManifest(d: string): BackupManifest {
  return JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8')) as BackupManifest;
}

function writeManifest(d: string, m: BackupManifest): void {
  fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(m));
}

/** Rewrites the manifest entry of `name` to match the file as it is now. */
function resealManifest(d: string, name: string): void {
  const m = readManifest(d);
  const bytes = fs.readFileSync(path.join(d, name));
  const f = m.files.find((x) => x.name === name)!;
  f.bytes = bytes.length;
  f.sha256 = createHash('sha256').update(bytes).digest('hex');
  writeManifest(d, m);
}

function flipByte(file: string, at: number): void {
  const bytes = fs.readFileSync(file);
  bytes[at] = (bytes[at] ?? 0) ^ 0x5a;
  fs.writeFileSync(file, bytes);
}

/** A small v1 database with a backup of it in `<d>/bk`; returns the paths. */
async function v1Backup(d: string, tag: string): Promise<{ src: string; bk: string }> {
  const src = path.join(d, `${tag}.db`);
  const db = await open(src);
  await db.update((tx) => {
    for (let i = 0; i < 500; i++) tx.put(Buffer.from(`${tag}-${i}`), bytesOf(i, 120));
  });
  const bk = path.join(d, `${tag}-bk`);
  await backupTo(db, bk);
  await db.close();
  return { src, bk };
}

describe('hot backup', () => {
  it('taken during a stream of writes, restores to exactly the state at its commit seq',
    async () => {
      const d = dir('hot');
      const { store, source } = await openMvccStore(path.join(d, 'live.db'));
      for (let c = 0; c < 6; c++) {
        const cells = new Map<number, Uint8Array | null>();
        for (let i = 0; i < 300; i++) cells.set((i * 7 + c) % 500, bytesOf(i + c * 300, 60));
        await mvccCommit(store, cells);
      }
      const S = store.commitSeq;
      let n = 0;
      const bk = path.join(d, 'bk');
      const result = await backupTo(source, bk, {
        chunkEntries: 50,
        pace: async () => {
          n++;
          await mvccCommit(store, new Map([[n % 500, n % 3 === 0 ? null : bytesOf(n, 40)]]));
        },
      });
      expect(n).toBeGreaterThan(10);
      expect(result.manifest.commitSeq).toBe(String(S));
      expect(store.commitSeq).toBe(S + BigInt(n));
      const target = path.join(d, 'restored', 'live.db');
      const restored = await restore(bk, target);
      expect(restored.commitSeq).toBe(S);
      const copy = await openStore(target, { create: false });
      expect(copy.commitSeq).toBe(S);
      const asOfS = (k: Uint8Array): boolean => {
        if (isVersionedFamily(k[0]!)) return splitSeq(k).seq <= S;
        if (k[0] === keyFamilies.timeline) return decodeTimelineKey(k).seq <= S;
        return true;
      };
      expect(treeEntries(copy)).toEqual(treeEntries(store, asOfS));
      expect(cellsAt(copy, S)).toEqual(cellsAt(store, S));
      expect(cellsAt(copy, S)).not.toEqual(cellsAt(store, store.commitSeq));
      expect(checkErrors(copy)).toEqual([]);
      await copy.close();
      await store.close();
    });

  it('refuses a directory that already holds a backup', async () => {
    const d = dir('twice');
    const { src, bk } = await v1Backup(d, 'a');
    const before = fs.readFileSync(path.join(bk, 'manifest.json'));
    await expect(backupFile(src, bk)).rejects.toSatisfy(
      (e: unknown) => isHexxlaError(e, 'PreconditionFailed'));
    expect(fs.readFileSync(path.join(bk, 'manifest.json'))).toEqual(before);
  });
});

describe('verifyBackup', () => {
  it('passes on a good backup, with the probes filled in', async () => {
    const d = dir('verify-ok');
    const { store, source } = await openMvccStore(path.join(d, 'm.db'));
    for (let c = 0; c < 3; c++) await mvccCommit(store, new Map([[c, bytesOf(c, 90)]]));
    await backupTo(source, path.join(d, 'bk'));
    await store.close();
    const report = await verifyBackup(path.join(d, 'bk'));
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.commitSeq).toBe(3n);
    expect(report.structure?.ok).toBe(true);
    expect(report.mvcc?.headSeq).toBe(3n);
    expect(report.mvcc?.versionedRows).toBe(3);
    expect(report.health?.cellCount).toBe(3);
    expect(report.cellRead).toBe(true);
    expect(fs.readdirSync(path.join(d, 'bk')).sort())
      .toEqual(['m.db', 'm.db-wal', 'manifest.json']);
  });

  it('fails on a flipped byte, also when the manifest was resealed to match it', async () => {
    const d = dir('verify-bad');
    const { bk } = await v1Backup(d, 'v');
    const primary = path.join(bk, 'v.db');
    flipByte(primary, 4096 + 200); // inside page 1, a tree page
    const hashReport = await verifyBackup(bk);
    expect(hashReport.ok).toBe(false);
    expect(hashReport.errors.join('\n')).toMatch(/SHA-256/);
    resealManifest(bk, 'v.db');
    const deepReport = await verifyBackup(bk);
    expect(deepReport.ok).toBe(false);
    expect(deepReport.errors.length).toBeGreaterThan(0);
  });
});

describe('restore', () => {
  it('restores a good backup; refuses an existing destination unless forced', async () => {
    const d = dir('restore-ok');
    const { bk } = await v1Backup(d, 'r');
    const target = path.join(d, 'out', 'r.db');
    await restore(bk, target);
    await expect(restore(bk, target)).rejects.toSatisfy(refusal('destination-exists'));
    fs.writeFileSync(`${target}-changelog`, 'stale');
    await restore(bk, target, { force: true });
    expect(fs.existsSync(`${target}-changelog`)).toBe(false);
    const db = await open(target, { create: false });
    expect(db.view((tx) => [...tx.range()].length)).toBe(500);
    expect(db.check().ok).toBe(true);
    await db.close();
  });

  it('refuses a missing manifest, a missing file and a changed file, writing nothing', async () => {
    const d = dir('restore-bad');
    const target = path.join(d, 'out', 'x.db');
    const cases: [string, (bk: string) => void][] = [
      ['manifest-missing', (bk) => fs.rmSync(path.join(bk, 'manifest.json'))],
      ['file-missing', (bk) => fs.rmSync(path.join(bk, 'x.db-wal'))],
      ['hash-mismatch', (bk) => flipByte(path.join(bk, 'x.db'), 5000)],
      ['size-mismatch', (bk) => fs.appendFileSync(path.join(bk, 'x.db'), 'more')],
    ];
    for (const [reason, damage] of cases) {
      const { bk } = await v1Backup(dir(reason), 'x');
      damage(bk);
      await expect(restore(bk, target)).rejects.toSatisfy(refusal(reason));
      expect(fs.existsSync(path.dirname(target)) ? fs.readdirSync(path.dirname(target)) : [])
        .toEqual([]);
    }
  });

  it('refuses a log from another database even when the manifest matches it', async () => {
    const d = dir('restore-pair');
    const a = await v1Backup(d, 'p');
    const other = path.join(d, 'other');
    fs.mkdirSync(other);
    const b = await v1Backup(other, 'p');
    fs.copyFileSync(path.join(b.bk, 'p.db-wal'), path.join(a.bk, 'p.db-wal'));
    resealManifest(a.bk, 'p.db-wal');
    const target = path.join(d, 'out.db');
    await expect(restore(a.bk, target)).rejects.toSatisfy(refusal('pair-mismatch'));
    expect(fs.existsSync(target)).toBe(false);
    const report = await verifyBackup(a.bk);
    expect(report.ok).toBe(false);
    expect(report.errors.join('\n')).toMatch(/another database/);
  });

  it('refuses a primary from another instant (manifest resealed to it)', async () => {
    const d = dir('restore-instant');
    const src = path.join(d, 'i.db');
    const db = await open(src);
    await db.update((tx) => tx.put(Buffer.from('k'), Uint8Array.of(1)));
    const bk1 = path.join(d, 'bk1');
    const bk2 = path.join(d, 'bk2');
    await backupTo(db, bk1);
    await db.update((tx) => tx.put(Buffer.from('k'), Uint8Array.of(2)));
    await backupTo(db, bk2);
    await db.close();
    fs.copyFileSync(path.join(bk2, 'i.db'), path.join(bk1, 'i.db'));
    resealManifest(bk1, 'i.db');
    await expect(restore(bk1, path.join(d, 'out.db'))).rejects
      .toSatisfy(refusal('pair-mismatch'));
  });
});
