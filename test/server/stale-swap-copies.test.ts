/**
 * A Compact(swap) cut short by a crash leaves its copy `<primary>.swap-<12 hex>` next to the
 * database. A server that opens the database itself removes such copies at start (it holds the
 * database lock and serves nothing yet, so no swap of it can be running); other files stay.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogger, defaultConfig, HexxlaServer, resolveConfig,
} from '../../src/server/index.js';

const dirs: string[] = [];
const servers: HexxlaServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('stale swap copies', () => {
  it('are removed when the server opens the database; other files stay', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-stale-'));
    dirs.push(dir);
    const dbPath = path.join(dir, 'live.db');
    const stale = `${dbPath}.swap-0123456789ab`;
    const keep = [`${dbPath}.swap-notours`, `${dbPath}.swap-0123456789abc`,
      path.join(dir, 'other.db.swap-0123456789ab')];
    for (const f of [stale, ...keep]) fs.writeFileSync(f, 'partial copy');
    const logs: string[] = [];
    const server = await HexxlaServer.start({
      logger: createLogger('info', { write: (line: string) => void logs.push(line) }),
      config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0', databasePath: dbPath,
        backupDir: path.join(dir, 'backups') }) });
    servers.push(server);
    expect(fs.existsSync(stale)).toBe(false);
    for (const f of keep) expect(fs.existsSync(f), f).toBe(true);
    expect(logs.join('\n')).toMatch(/removed the copy of a swap cut short/);
  });
});
