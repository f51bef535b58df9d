/**
 * Goal: defects found by the library audit of the changelog API (SPEC §7, §13): limits and
 * filters that are not what they say are refused as InvalidArgument instead of returning the
 * wrong entries, and a subscription that is replaying when the database closes ends quietly
 * (its doc: "Ends when the database closes") instead of throwing a raw Node.js error.
 * Method: public API on the memory file system (TmpDb).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changelogHeaderBytes, frameHeaderBytes } from '../../src/changelog/format.js';
import { coord } from '../../src/index.js';
import type { ChangeOp } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

const invalid = expect.objectContaining({ code: 'InvalidArgument' });

async function fiveCommits() {
  const { db } = await tmpDb.open({ changelog: true });
  for (let i = 0; i < 5; i++) await db.putCell({ coord: coord(i, 0), rawContent: `${i}` });
  return db;
}

describe('changelog reads: limits and filters', () => {
  it('a limit of 0 returns no entries', async () => {
    const db = await fiveCommits();
    expect(db.readChangelogSince(0n)).toHaveLength(5);
    expect(db.readChangelogSince(0n, 0)).toEqual([]);
    expect(db.readChangelogFiltered(0n, { limit: 0 })).toEqual([]);
    expect(db.readChangelogSince(0n, 2).map((e) => e.seq)).toEqual([1n, 2n]);
  });

  it('refuses a negative, fractional or NaN limit', async () => {
    const db = await fiveCommits();
    for (const limit of [-1, 1.5, Number.NaN]) {
      expect(() => db.readChangelogSince(0n, limit)).toThrowError(invalid);
      expect(() => db.readChangelogFiltered(0n, { limit })).toThrowError(invalid);
    }
  });

  it('refuses malformed filters instead of matching nothing (or by substring)', async () => {
    const db = await fiveCommits();
    const bad: unknown[] = [
      null,
      { ops: 'putCell' },
      { ops: ['putcell'] },
      { keyPrefix: 'cell' },
    ];
    for (const filter of bad) {
      expect(() => db.readChangelogFiltered(0n, filter as { ops?: ChangeOp[] }))
        .toThrowError(invalid);
    }
    expect(db.readChangelogFiltered(0n, { ops: ['putCell'] })).toHaveLength(5);
  });
});

describe('changelog subscription options', () => {
  it('refuses a signal that is not an AbortSignal', async () => {
    const db = await fiveCommits();
    for (const signal of [{}, 'abort']) {
      const sub = db.subscribeChangelog(0n, { signal } as never);
      await expect(sub.next()).rejects.toMatchObject({ code: 'InvalidArgument' });
    }
  });
});

describe('changelog subscriptions at close', () => {
  it('a subscription in its replay ends when the database closes', async () => {
    const db = await fiveCommits();
    const sub = db.subscribeChangelog(0n);
    expect((await sub.next()).value?.seq).toBe(1n);
    await db.close();
    await expect(sub.next()).resolves.toEqual({ done: true, value: undefined });
  });
});

describe('changelog damage while open', () => {
  it('a read that meets a damaged frame reports the last good seq', async () => {
    // 70 commits: a read from seq 65 starts at an indexed frame (one every 64).
    for (const [damaged, since] of [[3, 0n], [67, 65n]] as const) {
      const tmp = await tmpDb.open({ changelog: true, backend: 'disk', check: false });
      await tmp.db.putCells(Array.from({ length: 70 }, (_, i) =>
        ({ coord: coord(i, 0), rawContent: `${i}` })), { batchSize: 1 });
      const path = `${tmp.path}-changelog`;
      const bytes = fs.readFileSync(path);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      let at = changelogHeaderBytes;
      for (let seq = 1; seq < damaged; seq++) at += frameHeaderBytes + dv.getUint32(at, true);
      const fd = fs.openSync(path, 'r+');
      try {
        fs.writeSync(fd, Uint8Array.of(bytes[at + 20]! ^ 0xff), 0, 1, at + 20);
      } finally {
        fs.closeSync(fd);
      }
      expect(() => tmp.db.readChangelogSince(since)).toThrowError(expect.objectContaining({
        code: 'ChangelogCorrupt',
        context: expect.objectContaining({ lastGoodSeq: BigInt(damaged - 1) }),
      }));
    }
  });
});

describe('changelog subscriptions across a live swap', () => {
  it('keeps following commits after compact({ swap: true }) instead of ending', async () => {
    const tmp = await tmpDb.open({ changelog: true, mvcc: true });
    const { db } = tmp;
    await db.putCell({ coord: coord(0, 0), rawContent: 'before' });
    const abort = new AbortController();
    const seen: bigint[] = [];
    const reader = (async () => {
      for await (const frame of db.subscribeChangelog(0n, { signal: abort.signal })) {
        seen.push(frame.seq);
        if (seen.length === 3) abort.abort();
      }
    })();
    await db.putCell({ coord: coord(1, 0), rawContent: 'before' });
    await db.compact(`${tmp.path}.compacted`, { swap: true });
    await db.putCell({ coord: coord(2, 0), rawContent: 'after' });
    await reader;
    expect(seen).toEqual([1n, 2n, 3n]);
  });

  // Review: after two swaps while the subscriber did not read, it jumped to the newest log's
  // start and silently skipped the commits logged in the log between them.
  it('never skips the commits of a log between two swaps', async () => {
    const tmp = await tmpDb.open({ changelog: true, mvcc: true });
    const { db } = tmp;
    await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
    const sub = db.subscribeChangelog(0n);
    expect((await sub.next()).value?.seq).toBe(1n);
    await db.compact(`${tmp.path}.c1`, { swap: true });
    await db.putCell({ coord: coord(1, 0), rawContent: 'b' });
    await db.putCell({ coord: coord(2, 0), rawContent: 'c' });
    await db.compact(`${tmp.path}.c2`, { swap: true });
    await db.putCell({ coord: coord(3, 0), rawContent: 'd' });
    // Those commits went with the middle log: a clear refusal, not a jump past them.
    const next = await sub.next().then((r) => r.value?.seq, (e: { code?: string }) => e.code);
    expect(next).toBe('PreconditionFailed');
  });

  it('follows two swaps in a row when nothing was committed between them', async () => {
    const tmp = await tmpDb.open({ changelog: true, mvcc: true });
    const { db } = tmp;
    await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
    const sub = db.subscribeChangelog(0n);
    expect((await sub.next()).value?.seq).toBe(1n);
    await db.compact(`${tmp.path}.c1`, { swap: true });
    await db.compact(`${tmp.path}.c2`, { swap: true });
    await db.putCell({ coord: coord(3, 0), rawContent: 'd' });
    const frame = (await sub.next()).value;
    expect(frame?.entries.length).toBeGreaterThan(0);
    expect(frame?.seq).toBe(db.commitSeq());
    await sub.return(undefined);
  });
});
