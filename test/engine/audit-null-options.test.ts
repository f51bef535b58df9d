/**
 * Goal: defects found by the library audit (SPEC §13: errors are typed): an options argument of
 * null (what a JavaScript caller or a JSON config passes for "none") is refused with
 * InvalidArgument by every public call, not a TypeError from reading a field of null.
 * Method: public API on the memory file system (TmpDb) and real directories for the file ops.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHexxlaError, restore, verifyBackup } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { useTempDirs } from '../ops/helpers.js';

const tmpDb = useTmpDb();
const tempDir = useTempDirs();
const none = null as never;

async function code(fn: () => unknown): Promise<string> {
  try {
    const r = fn();
    if (r !== null && typeof r === 'object' && 'next' in r) await (r as AsyncGenerator).next();
    else await r;
    return 'no error';
  } catch (err) {
    return isHexxlaError(err) ? err.code : `untyped ${String(err)}`;
  }
}

describe('null options', () => {
  it('transaction and database calls', async () => {
    const { db } = await tmpDb.open({ mvcc: true, changelog: true });
    const root = tempDir('null-options');
    const calls: Record<string, () => unknown> = {
      range: () => db.view((tx) => [...tx.range(none)]),
      healthCheck: () => db.healthCheck(none),
      check: () => db.check(none),
      compact: () => db.compact(path.join(root, 'c.db'), none),
      backupTo: () => db.backupTo(path.join(root, 'bk'), none),
      subscribeChangelog: () => db.subscribeChangelog(0n, none),
      beginBackupLease: () => db.beginBackupLease(none),
      renewBackupLease: async () => db.renewBackupLease((await db.beginBackupLease()).id, none),
      verifyBackup: () => verifyBackup(root, none),
      restore: () => restore(root, path.join(root, 'r.db'), none),
    };
    const got: Record<string, string> = {};
    for (const [name, fn] of Object.entries(calls)) got[name] = await code(fn);
    expect(got).toEqual(Object.fromEntries(Object.keys(calls).map((n) => [n, 'InvalidArgument'])));
  });
});
