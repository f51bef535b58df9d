/**
 * The SDK's changelog pages against a live server: following nextSinceSeq / nextEntryOffset
 * until `more` is false returns exactly the engine's entries, also when pages end inside a
 * commit (SPEC §7, §12.1 "lists page").
 * Method: a server on a temporary database opened with the changelog; commits of 1 to 7 cells;
 * pages of 3 entries read through the SDK and compared with Database.readChangelogSince.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HexxlaClient } from '../../src/client/index.js';
import { createLogger, defaultConfig, HexxlaServer, resolveConfig } from '../../src/server/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmp = useTmpDb();
const servers: HexxlaServer[] = [];
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
});

describe('SDK changelog pages', () => {
  it('page through commits larger than a page without gaps or repeats', async () => {
    const t = await tmp.open({ mvcc: true, changelog: true });
    const server = await HexxlaServer.start({ db: t.db, logger: createLogger('silent'),
      config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0',
        backupDir: '/nonexistent-backup-dir-unused' }) });
    servers.push(server);
    const client = await HexxlaClient.connect(`127.0.0.1:${server.port}`);
    clients.push(client);
    for (let n = 1; n <= 7; n++) {
      await t.db.update((tx) => {
        for (let i = 0; i < n; i++) tx.putCell({ coord: { q: i, r: n }, rawContent: `${n}.${i}` });
      });
    }
    const got: string[] = [];
    let seq = 0n;
    let entryOffset = 0;
    for (let pages = 0; pages < 100; pages++) {
      const page = await client.readChangelogSince(seq, { limit: 3, entryOffset });
      expect(page.entries.length).toBeLessThanOrEqual(3);
      got.push(...page.entries.map((e) => `${e.seq}:${Buffer.from(e.key).toString('hex')}`));
      seq = page.nextSinceSeq;
      entryOffset = page.nextEntryOffset;
      if (!page.more) break;
    }
    const want = t.db.readChangelogSince(0n)
      .map((e) => `${e.seq}:${Buffer.from(e.key).toString('hex')}`);
    expect(want).toHaveLength(28);
    expect(got).toEqual(want);
  });
});
