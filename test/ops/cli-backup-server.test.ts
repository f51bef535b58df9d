/**
 * `hexxladb backup --to DIR --server HOST:PORT` (SPEC §12.6: backup goes through the service,
 * hot): a live server with bearer tokens, the command streams a backup that the other commands
 * verify and restore; the token is admin-only; bad usage exits 2, a refused call 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run as backup } from '../../src/cli/commands/backup.js';
import { run as restore } from '../../src/cli/commands/restore.js';
import { run as verify } from '../../src/cli/commands/verify.js';
import { HexxlaClient } from '../../src/client/index.js';
import { open } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from '../server/harness.js';
import { captured, cleanup, tempDir } from './helpers.js';

const tmp = useTmpDb();
const dirs: string[] = [];
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAll();
  cleanup(...dirs.splice(0));
});

const admin = 'admin-token-0123456789';
const writer = 'writer-token-0123456789';

describe('backup --server', () => {
  it('streams a hot backup of a running server that verifies and restores', async () => {
    const { address } = await startServer(tmp, { tokens: [{ role: 'admin', token: admin },
      { role: 'write', token: writer }] });
    const client = await HexxlaClient.connect(address, { token: writer });
    clients.push(client);
    for (let i = 0; i < 20; i++) {
      await client.putCell({ coord: { q: i, r: 0 }, rawContent: `cell ${i}` });
    }
    const d = tempDir('cli-server');
    dirs.push(d);
    const adminFile = path.join(d, 'admin.token');
    fs.writeFileSync(adminFile, `${admin}\n`);
    const writerFile = path.join(d, 'writer.token');
    fs.writeFileSync(writerFile, writer);

    const refused = captured();
    expect(await backup(['--to', path.join(d, 'no'), '--server', address, '--token-file',
      writerFile], refused)).toBe(1);
    expect(refused.err).toMatch(/PERMISSION_DENIED|PermissionDenied|admin/i);

    const bk = path.join(d, 'bk');
    const io = captured(true);
    expect(await backup(['--to', bk, '--server', address, '--token-file', adminFile], io))
      .toBe(0);
    expect(io.out).toMatch(/hot backup of .* written to .*: seq 20,/);
    expect(io.err).toMatch(/backing up 100% \((\d+)\/\1 bytes\)\n$/); // progress on a terminal
    expect(await verify([bk], io)).toBe(0);
    const target = path.join(d, 'restored.db');
    expect(await restore(['--from', bk, '--to', target], io)).toBe(0);
    const restored = await open(target);
    try {
      expect(restored.view((tx) => tx.getCell({ q: 19, r: 0 })?.rawContent)).toBe('cell 19');
    } finally {
      await restored.close();
    }
  });

  it('refuses bad usage with exit 2', async () => {
    const io = captured();
    expect(await backup(['--to', 'x', '--server', '127.0.0.1:1', 'data.db'], io)).toBe(2);
    expect(await backup(['--server', '127.0.0.1:1'], io)).toBe(2);
    expect(await backup(['--to', 'x', '--token-file', 't', 'data.db'], io)).toBe(2);
    expect(await backup(['--to', 'x', '--tls', 'data.db'], io)).toBe(2);
    expect(await backup(['--to', 'x', '--server', '127.0.0.1:1', '--passphrase-file', 'p'], io))
      .toBe(2);
    expect(io.err).toMatch(/usage: hexxladb backup/);
  });
});
