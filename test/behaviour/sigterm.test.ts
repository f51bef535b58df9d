/**
 * SIGTERM to `hexxladb serve` during a write load loses no acknowledged write (SPEC §12.4).
 *
 * Goal: graceful shutdown finishes or refuses in-flight writes, but never acknowledges one it
 * then loses.
 * Method: spawn `node --import tsx src/cli/main.ts serve` on a temporary database and port 0
 * (the port is read from the JSON start log line); eight SDK writers put distinct cells in a
 * loop and record every acknowledged write; once 200 are acknowledged the process gets
 * SIGTERM while the writers keep going (they stop at their first error). After the exit the
 * database is reopened with the library.
 * Properties: exit code 0; every acknowledged write is in the reopened database with its
 * content; the structural check passes; writes after the shutdown fail with a typed error.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HexxlaClient, isHexxlaError, RpcError } from '../../src/client/index.js';
import { open } from '../../src/index.js';

const root = path.resolve(import.meta.dirname, '../..');

function startServe(dir: string): { child: ReturnType<typeof spawn>; port: Promise<number>;
  exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve',
    '-d', path.join(dir, 'data', 'load.db'), '-l', '127.0.0.1:0',
    '--backup-dir', path.join(dir, 'backups')],
  { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /"port":(\d+)/.exec(out);
      if (m?.[1] !== undefined) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
  return { child, port, exited };
}

describe('hexxladb serve under load', () => {
  it('keeps every acknowledged write across SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-sigterm-'));
    try {
      const serve = startServe(dir);
      const port = await serve.port;
      const client = await HexxlaClient.connect(`127.0.0.1:${port}`, { deadlineMs: 20_000 });
      const acked = new Map<string, string>();
      const failures: unknown[] = [];
      let signalled = false;
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; ; i++) {
          const content = `writer ${w} item ${i}`;
          try {
            await client.putCell({ coord: { q: w, r: i }, rawContent: content });
          } catch (err) {
            failures.push(err);
            return;
          }
          acked.set(`${w},${i}`, content);
          if (acked.size >= 200 && !signalled) {
            signalled = true;
            serve.child.kill('SIGTERM');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
      client.close();
      expect(await serve.exited).toBe(0);
      expect(acked.size).toBeGreaterThanOrEqual(200);
      for (const err of failures) {
        expect(err instanceof RpcError || isHexxlaError(err), String(err)).toBe(true);
      }
      const db = await open(path.join(dir, 'data', 'load.db'), { create: false });
      try {
        for (const [key, content] of acked) {
          const [q, r] = key.split(',').map(Number) as [number, number];
          expect(db.getCell({ q, r })?.rawContent, key).toBe(content);
        }
        expect(db.check().ok).toBe(true);
      } finally {
        await db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
