/**
 * A hot backup streamed over gRPC through the SDK while writes continue (SPEC §9, issue #5).
 *
 * Goal: `HexxlaClient.backupTo` produces a directory that restores and verifies, holding exactly
 * the commits up to the backup's seq, although writers kept committing during the stream.
 * Method: a real server over a temporary MVCC database; writers put cells through the SDK and
 * record each write's commit seq (onHeader) while the backup streams into a local directory;
 * then the library's verifyBackup and restore (src/ops) run on it, and the restored database is
 * opened and checked.
 * Properties: verify is ok; the restored database's seq is the backup's seq; every write with
 * a commit seq ≤ that seq is in it with its content, none after it; its structural check passes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HexxlaClient } from '../../src/client/index.js';
import { open, restore, verifyBackup } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from '../server/harness.js';

const tmp = useTmpDb();
const dirs: string[] = [];
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAll();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-sdk-backup-'));
  dirs.push(dir);
  return dir;
}

describe('hot backup through the SDK', () => {
  it('streams a backup during writes that restores and verifies', async () => {
    const work = tempDir();
    const { address } = await startServer(tmp, { backupDir: path.join(work, 'server-backups') });
    const client = await HexxlaClient.connect(address, { deadlineMs: 30_000 });
    clients.push(client);
    const written = new Map<string, { seq: bigint; content: string }>();
    const put = async (i: number): Promise<void> => {
      const content = `cell ${i} ${'x'.repeat(i % 50)}`;
      let seq = 0n;
      await client.putCell({ coord: { q: i, r: -i }, rawContent: content },
        { onHeader: (h) => { seq = h.commitSeq; } });
      written.set(`${i},${-i}`, { seq, content });
    };
    for (let i = 0; i < 100; i++) await put(i);
    let writing = true;
    const writer = (async () => {
      for (let i = 100; writing; i++) await put(i);
    })();
    const backupDir = path.join(work, 'local-backup');
    const backup = await client.backupTo(backupDir);
    writing = false;
    await writer;
    expect(backup.files).toContain('manifest.json');

    const report = await verifyBackup(backupDir);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    const restoredPath = path.join(work, 'restored', 'db.hexxla');
    fs.mkdirSync(path.dirname(restoredPath));
    const restored = await restore(backupDir, restoredPath);
    expect(restored.commitSeq).toBe(backup.commitSeq);
    const db = await open(restoredPath, { create: false });
    try {
      expect(db.commitSeq()).toBe(backup.commitSeq);
      let kept = 0;
      for (const [key, w] of written) {
        const [q, r] = key.split(',').map(Number) as [number, number];
        const cell = db.getCell({ q, r });
        if (w.seq <= backup.commitSeq) {
          expect(cell?.rawContent, key).toBe(w.content);
          kept++;
        } else {
          expect(cell, key).toBeUndefined();
        }
      }
      expect(kept).toBeGreaterThanOrEqual(100);
      expect(db.check().ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});
