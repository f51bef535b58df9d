/**
 * `hexxladb serve` as a process (SPEC §12.4, §12.6).
 *
 * Goal: the command starts with flags only for paths, serves, and on SIGTERM drains and closes
 * the database cleanly (exit code 0), keeping every acknowledged write.
 * Method: spawn `node --import tsx src/cli/main.ts serve` on port 0 in a temporary directory,
 * read the bound port from its JSON start log line, write over gRPC, send SIGTERM, wait for the
 * exit, reopen the database with the library and check it.
 * Properties: exit code 0; the log has the start, signal and stop lines and no payload; the
 * written cell is in the reopened database and its structural check passes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { open } from '../../src/index.js';
import { clientFor, stopAll } from './harness.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('hexxladb serve', () => {
  it('serves, then shuts down cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-cli-'));
    try {
      const dbPath = path.join(dir, 'data', 'cli.db');
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve',
        '-d', dbPath, '-l', '127.0.0.1:0', '--backup-dir', path.join(dir, 'backups')],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const m = /"port":(\d+)/.exec(out);
          if (m?.[1] !== undefined) resolve(Number(m[1]));
        });
        child.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
      });
      const cells = clientFor(CellService, `127.0.0.1:${port}`);
      await cells.putCell!({ cell: { coord: { q: 1, r: 2 }, rawContent: 'secret payload' } });
      await stopAll();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('hexxladb server started');
      expect(out).toContain('"signal":"SIGTERM"');
      expect(out).toContain('hexxladb server stopped');
      expect(out).not.toContain('secret payload');
      const db = await open(dbPath, { create: false });
      try {
        expect(db.getCell({ q: 1, r: 2 })?.rawContent).toBe('secret payload');
        expect(db.check().ok).toBe(true);
      } finally {
        await db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
