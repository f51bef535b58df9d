/**
 * Server configuration and the `serve` command line (SPEC §12.4, §12.6).
 *
 * Goal: `hexxladb serve` needs no flags, and flags > environment > file > defaults.
 * Method: call serveConfig / resolveConfig with synthetic argv, environment and a temporary
 * JSON file; no server is started.
 * Properties: the defaults are ./data/hexxladb.db and 127.0.0.1:50051; each layer overrides
 * the one before; tokens come from HEXXLADB_TOKENS or a tokens file; bad values fail with
 * InvalidArgument naming the setting; loopback detection.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveConfig } from '../../src/cli/commands/serve.js';
import { isHexxlaError } from '../../src/errors.js';
import { isLoopback, resolveConfig } from '../../src/server/index.js';

describe('serve configuration', () => {
  it('runs with no flags on the documented defaults', () => {
    const config = serveConfig([], {});
    expect(config).toMatchObject({ databasePath: './data/hexxladb.db',
      listen: '127.0.0.1:50051', tokens: [], mvcc: true, reflection: true });
    expect(serveConfig(['--help'], {})).toBe('help');
  });

  it('layers file < environment < flags', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-config-'));
    try {
      const file = path.join(dir, 'config.json');
      const tokensFile = path.join(dir, 'tokens');
      fs.writeFileSync(tokensFile, '# role token\nadmin admin-token-from-file-0001\n');
      fs.writeFileSync(file, JSON.stringify({ databasePath: '/file.db', listen: '0.0.0.0:1',
        logLevel: 'warn', tokensFile }));
      const env = { HEXXLADB_CONFIG: file, HEXXLADB_LISTEN: '127.0.0.1:2' };
      const config = serveConfig(['--log-level', 'error', '--no-reflection'], env);
      expect(config).toMatchObject({ databasePath: '/file.db', listen: '127.0.0.1:2',
        logLevel: 'error', reflection: false,
        tokens: [{ role: 'admin', token: 'admin-token-from-file-0001' }] });
      const fromEnv = serveConfig(['-d', '/flag.db'], { ...env,
        HEXXLADB_TOKENS: 'read=read-token-000000001,write=write-token-00000001' });
      expect(fromEnv).toMatchObject({ databasePath: '/flag.db',
        tokens: [{ role: 'read' }, { role: 'write' }] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad settings with InvalidArgument naming them', () => {
    const cases: [Parameters<typeof resolveConfig>[0], string][] = [
      [{ listen: 'nohostport' }, 'listen'],
      [{ maxReceiveMessageBytes: 10 }, 'maxReceiveMessageBytes'],
      [{ logLevel: 'loud' as 'info' }, 'logLevel'],
      [{ databasePath: '' }, 'databasePath'],
    ];
    for (const [layer, setting] of cases) {
      let caught: unknown;
      try {
        resolveConfig(layer);
      } catch (err) {
        caught = err;
      }
      expect(isHexxlaError(caught, 'InvalidArgument'), setting).toBe(true);
      expect((caught as Error).message).toContain(setting);
    }
    expect(() => serveConfig([], { HEXXLADB_TOKENS: 'root=x' })).toThrow(/HEXXLADB_TOKENS/);
  });

  it('knows loopback addresses', () => {
    expect(isLoopback('127.0.0.1:50051')).toBe(true);
    expect(isLoopback('[::1]:1')).toBe(true);
    expect(isLoopback('localhost:1')).toBe(true);
    expect(isLoopback('0.0.0.0:50051')).toBe(false);
  });
});
