/**
 * The operation commands of the CLI (SPEC §12.6): compact, backup, restore, verify, check, stats.
 *
 * Goal: each command does its job on local paths and reports failure through its exit code.
 * Method: run each command's `run(args, io)` in-process with captured output on real temp
 * directories; damage files by flipping bytes.
 * Properties: exit 0 on success with a summary on stdout; 1 when the operation fails or finds
 * problems (refused restore, damaged backup, damaged database); 2 on bad usage; progress is
 * drawn only when stderr is a terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run as backup } from '../../src/cli/commands/backup.js';
import { run as check } from '../../src/cli/commands/check.js';
import { run as compact } from '../../src/cli/commands/compact.js';
import { run as restore } from '../../src/cli/commands/restore.js';
import { run as stats } from '../../src/cli/commands/stats.js';
import { run as verify } from '../../src/cli/commands/verify.js';
import { open } from '../../src/index.js';
import { bytesOf, captured, cleanup, tempDir } from './helpers.js';

const dirs: string[] = [];
afterEach(() => cleanup(...dirs.splice(0)));

async function seeded(): Promise<{ d: string; db: string }> {
  const d = tempDir('cli');
  dirs.push(d);
  const db = path.join(d, 'data.db');
  const h = await open(db);
  await h.update((tx) => {
    for (let i = 0; i < 3000; i++) tx.put(Buffer.from(`k${i}`), bytesOf(i, 150));
  });
  await h.update((tx) => {
    for (let i = 0; i < 3000; i += 2) tx.delete(Buffer.from(`k${i}`));
  });
  await h.close();
  return { d, db };
}

describe('operation commands', () => {
  it('backup, verify, restore and check a database, with exit codes', async () => {
    const { d, db } = await seeded();
    const bk = path.join(d, 'bk');
    const io = captured(true);
    expect(await backup(['--to', bk, db], io)).toBe(0);
    expect(io.out).toMatch(/seq 2/);
    expect(io.err).toMatch(/backing up 100%/);
    expect(await verify([bk], io)).toBe(0);
    expect(io.out).toMatch(/OK: seq 2, 1500 entries/);
    const target = path.join(d, 'restored.db');
    expect(await restore(['--from', bk, '--to', target], io)).toBe(0);
    expect(await restore(['--from', bk, '--to', target], io)).toBe(1);
    expect(io.err).toMatch(/PreconditionFailed/);
    expect(await restore(['--from', bk, '--to', target, '--force'], io)).toBe(0);
    expect(await check([target], io)).toBe(0);
    expect(io.out).toMatch(/OK: 0 errors/);
    const bytes = fs.readFileSync(path.join(bk, 'data.db'));
    bytes[4096 + 100] = (bytes[4096 + 100] ?? 0) ^ 0xff;
    fs.writeFileSync(path.join(bk, 'data.db'), bytes);
    const bad = captured();
    expect(await verify([bk], bad)).toBe(1);
    expect(bad.err).toMatch(/FAILED verification/);
  });

  it('compact and stats; check fails on a damaged file', async () => {
    const { d, db } = await seeded();
    const dest = path.join(d, 'small.db');
    const io = captured();
    expect(await compact([db, dest], io)).toBe(0);
    expect(io.err).toBe(''); // not a terminal: no progress drawn
    expect(fs.statSync(dest).size).toBeLessThan(fs.statSync(db).size);
    const s = captured();
    expect(await stats([dest], s)).toBe(0);
    const parsed = JSON.parse(s.out) as { commitSeq: string; formatVersion: number };
    expect(parsed.commitSeq).toBe('2');
    expect(parsed.formatVersion).toBe(1);
    const bytes = fs.readFileSync(dest);
    bytes[4096 * 2 + 64] = (bytes[4096 * 2 + 64] ?? 0) ^ 0xff;
    fs.writeFileSync(dest, bytes);
    fs.rmSync(`${dest}-wal`, { force: true });
    const c = captured();
    expect(await check([dest], c)).toBe(1);
    expect(c.err).toMatch(/checksum/);
  });

  it('returns 2 on bad usage and 1 for a missing database', async () => {
    const io = captured();
    expect(await compact(['only-one'], io)).toBe(2);
    expect(await backup(['x.db'], io)).toBe(2);
    expect(await restore(['--from'], io)).toBe(2);
    expect(await verify([], io)).toBe(2);
    expect(await check(['--bogus', 'x'], io)).toBe(2);
    expect(await stats(['a', 'b'], io)).toBe(2);
    expect(io.err).toMatch(/usage: hexxladb stats PATH/);
    const d = tempDir('cli-missing');
    dirs.push(d);
    expect(await stats([path.join(d, 'none.db')], io)).toBe(1);
    expect(io.err).toMatch(/NotFound/);
    expect(fs.readdirSync(d)).toEqual([]);
  });
});
