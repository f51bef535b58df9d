/**
 * Goal: one handle per database (src/storage/file-lock.ts). A second open of the same files, in
 * this process or another one, or an operator command run on the files of a live database, is
 * refused with DatabaseLocked and changes nothing; a lock left by a process that died is taken
 * over by the next open.
 * Method: real files in temp directories; a child process (fixtures/lock-holder.ts) holds a
 * database and is SIGKILLed; lock files are also written by hand (dead pid, other host, garbled).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run as compactCli } from '../../src/cli/commands/compact.js';
import { run as restoreCli } from '../../src/cli/commands/restore.js';
import { run as statsCli } from '../../src/cli/commands/stats.js';
import { isHexxlaError } from '../../src/errors.js';
import { LockHeldError, lockNodeFile } from '../../src/storage/file-lock.js';
import { open, rotateEncryption } from '../../src/index.js';
import type { CommandIo } from '../../src/ops/command-io.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { cleanup, tempDir } from '../ops/helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const holderScript = path.join(import.meta.dirname, 'fixtures', 'lock-holder.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  cleanup(...dirs.splice(0));
});

function dbIn(tag: string): string {
  const d = tempDir(tag);
  dirs.push(d);
  return path.join(d, 'data.db');
}

async function lockedError(p: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(isHexxlaError(err, 'DatabaseLocked'), String(err)).toBe(true);
  return (err as { context: Record<string, unknown> }).context;
}

const io = (): CommandIo & { err: string } => {
  const o = { err: '', isTty: false, stdout: () => undefined,
    stderr: (t: string) => void (o.err += t) };
  return o;
};

/** Starts a child process that opens `dbPath` and holds it; resolves with it once ready. */
function startHolder(dbPath: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', holderScript, dbPath],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => void (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${err}`)));
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('database lock in one process', () => {
  it('refuses a second open until the first handle closes, then removes the lock file', async () => {
    const p = dbIn('lock-same');
    const a = await open(p);
    await a.update((tx) => tx.put(Buffer.from('k'), Buffer.from('v')));
    expect(fs.existsSync(`${p}-lock`)).toBe(true);
    const ctx = await lockedError(open(p));
    expect(ctx.pid).toBe(process.pid);
    // Another spelling of the same path is the same database.
    await lockedError(open(path.join(path.dirname(p), '.', '..', path.basename(path.dirname(p)),
      'data.db')));
    await a.close();
    expect(fs.existsSync(`${p}-lock`)).toBe(false);
    const b = await open(p);
    expect(Buffer.from(b.view((tx) => tx.get(Buffer.from('k')))!).toString()).toBe('v');
    await a.close(); // a late second close of the old handle must not free the new one's lock
    await lockedError(open(p));
    await b.close();
  });

  it('a release is idempotent and never frees a later acquisition of the same path', () => {
    const p = `${dbIn('lock-token')}-lock`;
    const first = lockNodeFile(p);
    first.release();
    const second = lockNodeFile(p);
    first.release();
    expect(() => lockNodeFile(p)).toThrow(LockHeldError);
    expect(fs.existsSync(p)).toBe(true);
    second.release();
    expect(fs.existsSync(p)).toBe(false);
  });

  it('holds on memory file systems too (one lock table per instance)', async () => {
    const fsys = new MemoryFileSystem();
    const a = await open('/m/db', { fs: fsys });
    await lockedError(open('/m/db', { fs: fsys }));
    await a.close();
    await (await open('/m/db', { fs: fsys })).close();
  });

  it('a failed open leaves no lock behind', async () => {
    const p = dbIn('lock-failed');
    await (await open(p, { encryptionKey: Buffer.alloc(32, 1) })).close();
    const wrong = await open(p, { encryptionKey: Buffer.alloc(32, 2) }).catch((e: unknown) => e);
    expect(isHexxlaError(wrong, 'EncryptionKeyMismatch')).toBe(true);
    expect(fs.existsSync(`${p}-lock`)).toBe(false);
    await (await open(p, { encryptionKey: Buffer.alloc(32, 1) })).close();
  });

  it('refuses offline rotation and restore over an open database, changing nothing', async () => {
    const p = dbIn('lock-ops');
    const key = { encryptionKey: Buffer.alloc(32, 3) };
    const db = await open(p, key);
    await db.update((tx) => tx.put(Buffer.from('k'), Buffer.from('v1')));
    const before = fs.readFileSync(p);
    await lockedError(rotateEncryption(p, key, { encryptionKey: Buffer.alloc(32, 4) }));
    const bk = path.join(path.dirname(p), 'bk');
    await db.backupTo(bk);
    const e = io();
    expect(await restoreCli(['--from', bk, '--to', p, '--force'], e)).toBe(1);
    expect(e.err).toMatch(/DatabaseLocked/);
    expect(fs.readFileSync(p).equals(before)).toBe(true);
    await db.update((tx) => tx.put(Buffer.from('k'), Buffer.from('v2')));
    expect(Buffer.from(db.view((tx) => tx.get(Buffer.from('k')))!).toString()).toBe('v2');
    await db.close();
  });
});

describe('database lock across processes', () => {
  it('refuses opens and operator commands while another process holds it', async () => {
    const p = dbIn('lock-child');
    const child = await startHolder(p);
    const ctx = await lockedError(open(p));
    expect(ctx.pid).toBe(child.pid);
    expect(ctx.host).toBe(os.hostname());
    const commands = [(o: CommandIo) => statsCli([p], o),
      (o: CommandIo) => compactCli([p, `${p}.small`], o)];
    for (const command of commands) {
      const out = io();
      expect(await command(out)).toBe(1);
      expect(out.err).toMatch(/DatabaseLocked/);
    }
    expect(fs.existsSync(`${p}.small`)).toBe(false);
    await killAndWait(child);
    // The holder died without closing: its lock is stale, and its acknowledged commit is there.
    const db = await open(p);
    expect(Buffer.from(db.view((tx) => tx.get(Buffer.from('holder')))!).toString())
      .toBe(String(child.pid));
    await db.close();
  }, 30_000);

  it('takes over a lock file of a dead pid or garbled long ago; never one of another host',
    async () => {
      const p = dbIn('lock-files');
      await (await open(p)).close();
      const lockFile = `${p}-lock`;
      const dead = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => dead.on('exit', r));
      fs.writeFileSync(lockFile, JSON.stringify({ pid: dead.pid, hostname: os.hostname() }));
      await (await open(p)).close();
      expect(fs.existsSync(lockFile)).toBe(false);

      fs.writeFileSync(lockFile, JSON.stringify({ pid: 1, hostname: 'elsewhere.example' }));
      const ctx = await lockedError(open(p));
      expect(ctx.host).toBe('elsewhere.example');
      expect(fs.existsSync(lockFile)).toBe(true);

      fs.writeFileSync(lockFile, '{"pid": 12');
      await lockedError(open(p)); // being written this instant, or damaged: not taken yet
      const old = new Date(Date.now() - 60_000);
      fs.utimesSync(lockFile, old, old);
      await (await open(p)).close();
      expect(fs.existsSync(lockFile)).toBe(false);
    });
});
