/**
 * The server opens an encrypted database from credential files (ServerConfig encryptionKeyFile /
 * passphraseFile): a new database is created encrypted, only that key opens it afterwards, and
 * bad settings are refused before anything is opened, without echoing the secret.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HexxlaClient } from '../../src/client/index.js';
import { open } from '../../src/index.js';
import {
  createLogger, defaultConfig, HexxlaServer, resolveConfig,
} from '../../src/server/index.js';

describe('server encryption credentials', () => {
  it('creates and serves an encrypted database from a key file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-creds-'));
    try {
      const key = Buffer.alloc(32, 9);
      const keyFile = path.join(dir, 'key.hex');
      fs.writeFileSync(keyFile, `${key.toString('hex')}\n`);
      const databasePath = path.join(dir, 'db', 'enc.db');
      const config = resolveConfig({ ...defaultConfig, databasePath, listen: '127.0.0.1:0',
        backupDir: path.join(dir, 'backups'), encryptionKeyFile: keyFile });
      const server = await HexxlaServer.start({ config, logger: createLogger('silent') });
      const client = await HexxlaClient.connect(`127.0.0.1:${server.port}`);
      await client.putCell({ coord: { q: 4, r: 4 }, rawContent: 'sealed at rest' });
      client.close();
      await server.shutdown(1000);
      expect(fs.readFileSync(databasePath).includes('sealed at rest')).toBe(false);
      await expect(open(databasePath)).rejects.toMatchObject({ code: 'EncryptionKeyMismatch' });
      const db = await open(databasePath, { encryptionKey: new Uint8Array(key) });
      expect(db.getCell({ q: 4, r: 4 })?.rawContent).toBe('sealed at rest');
      await db.close();

      const bad = path.join(dir, 'bad.key');
      fs.writeFileSync(bad, 'not a key');
      const badConfig = resolveConfig({ ...config, encryptionKeyFile: bad });
      const err = await HexxlaServer.start({ config: badConfig, logger: createLogger('silent') })
        .then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'InvalidArgument' });
      expect(String((err as Error).message)).not.toContain('not a key');
      expect(() => resolveConfig({ ...config, passphraseFile: keyFile })).toThrowError(
        expect.objectContaining({ code: 'InvalidArgument' }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
