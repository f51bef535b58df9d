/**
 * `hexxladb serve` refusing a bad command line or address (SPEC §12.4, §12.6).
 *
 * Goal: an operator's mistake gets a one-line reason and the documented exit code, never a
 * Node stack trace, and a refused start leaves no database behind.
 * Method: spawn `node --import tsx src/cli/main.ts serve …` in a temporary directory and read
 * its exit code and stderr.
 * Properties:
 *   - an unknown flag or a positional argument is bad usage: exit 2 with the serve usage;
 *   - a port above 65535 is refused by the configuration check (exit 1, names `listen`) before
 *     the database is created;
 *   - a port already in use fails with exit 1 and a message naming the address, no stack;
 *   - a TLS file that cannot be read (or a TLS setting without its key file) fails with exit 1
 *     and a message naming the tls setting, before the database is created.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-serve-err-'));
  dirs.push(d);
  return d;
}

/** Runs the CLI to its exit; resolves with the exit code and stderr. */
function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

/** A line of a JavaScript stack trace ("    at fn (file:1:2)"). */
const stackLine = /^\s+at .+:\d+:\d+\)?$/m;

describe('hexxladb serve: bad command lines and addresses', () => {
  it('treats an unknown flag or a positional argument as bad usage (exit 2)', async () => {
    for (const args of [['serve', '--bogus'], ['serve', 'extra']]) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain('Usage: hexxladb serve');
      expect(stderr).not.toMatch(stackLine);
    }
  });

  it('refuses a port above 65535 before creating the database', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'x.db');
    const { code, stderr } = await runCli(['serve', '-l', '127.0.0.1:70000', '-d', db]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/listen/);
    expect(stderr).not.toMatch(stackLine);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses unreadable TLS files in one line, before creating the database', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'data', 'x.db');
    const config = path.join(dir, 'c.json');
    fs.writeFileSync(config, JSON.stringify({ tls: { certFile: path.join(dir, 'cert.pem') } }));
    for (const args of [
      ['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', path.join(dir, 'missing.key')],
      ['-c', config],
    ]) {
      const { code, stderr } = await runCli(['serve', '-l', '127.0.0.1:0', '-d', db, ...args]);
      expect(code, args.join(' ')).toBe(1);
      expect(stderr).toMatch(/tls/);
      expect(stderr).not.toMatch(stackLine);
      expect(fs.existsSync(db)).toBe(false);
    }
  });

  it('reports a port in use in one line (exit 1)', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const dir = tempDir();
      const { code, stderr } = await runCli(['serve', '-l', `127.0.0.1:${port}`, '-d',
        path.join(dir, 'x.db'), '--backup-dir', path.join(dir, 'b')]);
      expect(code).toBe(1);
      expect(stderr).toContain(`127.0.0.1:${port}`);
      expect(stderr).not.toMatch(stackLine);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
