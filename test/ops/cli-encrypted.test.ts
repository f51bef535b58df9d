/**
 * The operation commands on an encrypted database (SPEC §4.4, §12.6).
 *
 * Goal: an operator whose database is encrypted can run check, stats, compact, backup, verify
 * and restore: each takes the credentials as `serve` does, from a file (never a flag value,
 * which would show in `ps`): --encryption-key-file (32 raw bytes or 64 hex characters) or
 * --passphrase-file.
 * Method: create an encrypted database with the library, close it, run each command's
 * `run(args, io)` in-process with captured output, then open the restored copy with the key.
 * Properties: every command exits 0 with the key file; without it, check fails (exit 1) with
 * EncryptionKeyMismatch rather than a usage error; both files at once are bad usage (exit 2);
 * the restored copy holds the cell; the secret never appears in the output.
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
import { captured, cleanup, tempDir } from './helpers.js';

const dirs: string[] = [];
afterEach(() => cleanup(...dirs.splice(0)));

const keyHex = 'ab'.repeat(32);

describe('operation commands on an encrypted database', () => {
  it('take the key from --encryption-key-file', async () => {
    const d = tempDir('cli-enc');
    dirs.push(d);
    const db = path.join(d, 'enc.db');
    const key = Buffer.from(keyHex, 'hex');
    const h = await open(db, { mvcc: true, encryptionKey: key });
    await h.update((tx) => void tx.putCell({ coord: { q: 1, r: 2 }, rawContent: 'sealed' }));
    await h.close();
    const keyFile = path.join(d, 'key.hex');
    fs.writeFileSync(keyFile, `${keyHex}\n`);
    const k = ['--encryption-key-file', keyFile];
    const io = captured();
    expect(await check([db], io)).toBe(1);
    expect(io.err).toMatch(/EncryptionKeyMismatch/);
    expect(await check([...k, db], io), io.err).toBe(0);
    expect(await stats([...k, db], io), io.err).toBe(0);
    expect(await compact([...k, db, path.join(d, 'compact.db')], io), io.err).toBe(0);
    expect(await backup([...k, '--to', path.join(d, 'bk'), db], io), io.err).toBe(0);
    expect(await verify([...k, path.join(d, 'bk')], io), io.err).toBe(0);
    const restored = path.join(d, 'restored.db');
    expect(await restore([...k, '--from', path.join(d, 'bk'), '--to', restored], io), io.err)
      .toBe(0);
    expect(await check([...k, '--passphrase-file', keyFile, db], io)).toBe(2);
    expect(io.out + io.err).not.toContain(keyHex);
    const copy = await open(restored, { create: false, encryptionKey: key });
    try {
      expect(copy.getCell({ q: 1, r: 2 })?.rawContent).toBe('sealed');
    } finally {
      await copy.close();
    }
  });
});
