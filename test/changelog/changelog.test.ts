/**
 * Goal: the changelog sidecar keeps exactly the frames of durable commits, in order, finds
 * damage instead of skipping it, and feeds subscribers every commit once, in order.
 * Method: drives src/changelog directly on an in-memory file system: stage / sync / markDurable
 * as the database does, reopen with a given primary commit seq, damage bytes, subscribe.
 */
import { describe, expect, it } from 'vitest';
import { Changelog } from '../../src/changelog/changelog.js';
import { changelogHeaderBytes } from '../../src/changelog/format.js';
import { subscribeChangelog } from '../../src/changelog/subscribe.js';
import type { Change } from '../../src/model/context.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';

const fileId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const path = '/c/db-changelog';

function newFs(): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/c');
  return fs;
}

function change(i: number, op: Change['op'] = 'putCell'): Change {
  return { op, key: Uint8Array.of(0x10, i), ...(op.startsWith('delete') ? {} :
    { value: Uint8Array.of(1, 2, i) }) };
}

async function commit(log: Changelog, seq: bigint, changes: Change[]): Promise<void> {
  log.stage(seq, 1000 + Number(seq), changes);
  await log.sync();
  log.markDurable(seq);
}

describe('changelog', () => {
  it('reads back durable commits since a seq, filtered by op and key prefix', async () => {
    const fs = newFs();
    const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n });
    for (let s = 1n; s <= 200n; s++) {
      await commit(log, s, [change(Number(s % 7n)), change(Number(s % 5n), 'deleteCell')]);
    }
    expect(log.readSince(0n)).toHaveLength(400);
    const since = log.readSince(150n);
    expect(since[0]).toMatchObject({ seq: 151n, op: 'putCell', family: 0x10, timeMs: 1151 });
    expect(since.map((e) => e.seq)).toEqual([...since.map((e) => e.seq)].sort((a, b) =>
      (a < b ? -1 : a > b ? 1 : 0)));
    expect(log.readFiltered(0n, { ops: ['deleteCell'] }).every((e) => e.value === undefined))
      .toBe(true);
    expect(log.readFiltered(0n, { keyPrefix: Uint8Array.of(0x10, 3) }).length).toBeGreaterThan(0);
    expect(log.readFiltered(0n, { limit: 3 })).toHaveLength(3);
    log.close();
    const again = await Changelog.open({ fs, path, fileId, commitSeq: 200n });
    expect(again.readSince(199n).map((e) => e.seq)).toEqual([200n, 200n]);
    again.close();
  });

  it('drops frames of commits that never became durable, at open and at run time', async () => {
    const fs = newFs();
    const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n });
    await commit(log, 1n, [change(1)]);
    log.stage(2n, 5, [change(2)]);
    expect(log.readSince(0n)).toHaveLength(1); // staged, not durable: invisible
    log.rollbackTo(1n);
    log.stage(2n, 6, [change(3)]);
    log.stage(3n, 7, [change(4)]);
    await log.sync();
    log.close();
    const reopened = await Changelog.open({ fs, path, fileId, commitSeq: 2n });
    expect(reopened.readSince(0n).map((e) => [e.seq, e.key[1]])).toEqual([[1n, 1], [2n, 3]]);
    reopened.stage(3n, 8, [change(9)]);
    reopened.stage(3n, 9, [change(10)]); // a retried seq replaces the failed staged frame
    reopened.stage(4n, 9, [change(11)]);
    reopened.markDurable(4n);
    expect(reopened.readSince(2n).map((e) => e.key[1])).toEqual([10, 11]);
    expect(() => reopened.stage(4n, 9, [change(1)])).toThrow();
    reopened.close();
  });

  it('truncates a torn append and reports damage to a durable frame as ChangelogCorrupt',
    async () => {
      const fs = newFs();
      const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n });
      for (let s = 1n; s <= 5n; s++) await commit(log, s, [change(Number(s))]);
      log.close();
      const bytes = fs.readFile(path);
      fs.writeFile(path, bytes.subarray(0, bytes.length - 3)); // torn last frame (seq 5)
      const torn = await Changelog.open({ fs, path, fileId, commitSeq: 4n });
      expect(torn.readSince(0n).map((e) => e.seq)).toEqual([1n, 2n, 3n, 4n]);
      torn.close();
      const flipped = fs.readFile(path);
      flipped[changelogHeaderBytes + 40]! ^= 0x40; // inside frame 1 or 2
      fs.writeFile(path, flipped);
      await expect(Changelog.open({ fs, path, fileId, commitSeq: 4n })).rejects.toMatchObject(
        { code: 'ChangelogCorrupt' });
    });

  it('refuses the changelog of another database', async () => {
    const fs = newFs();
    (await Changelog.open({ fs, path, fileId, commitSeq: 0n })).close();
    const other = new Uint8Array(16).fill(9);
    await expect(Changelog.open({ fs, path, fileId: other, commitSeq: 0n })).rejects.toMatchObject(
      { code: 'ChangelogCorrupt' });
  });

  it('seals frames when a sealer is given and refuses a tampered one', async () => {
    const fs = newFs();
    const xor = (b: Uint8Array): Uint8Array => b.map((x) => x ^ 0x5a);
    const sealer = {
      seal: (p: Uint8Array) => Uint8Array.of(0xaa, ...xor(p)),
      open: (s: Uint8Array) => (s[0] === 0xaa ? xor(s.subarray(1)) : null),
    };
    const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n, sealer });
    await commit(log, 1n, [change(7)]);
    log.close();
    const again = await Changelog.open({ fs, path, fileId, commitSeq: 1n, sealer });
    expect(again.readSince(0n)[0]?.value).toEqual(Uint8Array.of(1, 2, 7));
    again.close();
    await expect(Changelog.open({ fs, path, fileId, commitSeq: 1n })).rejects.toMatchObject(
      { code: 'ChangelogCorrupt' });
  });
});

describe('changelog subscriptions', () => {
  it('replays, then follows live commits exactly once and in order', async () => {
    const fs = newFs();
    const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n });
    for (let s = 1n; s <= 10n; s++) await commit(log, s, [change(Number(s))]);
    const abort = new AbortController();
    const seen: bigint[] = [];
    const reader = (async () => {
      for await (const frame of subscribeChangelog(log, 4n, { signal: abort.signal })) {
        seen.push(frame.seq);
        if (frame.seq === 20n) abort.abort();
      }
    })();
    for (let s = 11n; s <= 20n; s++) await commit(log, s, [change(Number(s))]);
    await reader;
    expect(seen).toEqual(Array.from({ length: 16 }, (_, i) => BigInt(i + 5)));
    log.close();
  });

  it('cuts off a subscriber that falls behind, with the seq to resume from', async () => {
    const fs = newFs();
    const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n });
    const it = subscribeChangelog(log, 0n, { bufferFrames: 4 });
    await commit(log, 1n, [change(1)]);
    expect((await it.next()).value?.seq).toBe(1n);
    for (let s = 2n; s <= 12n; s++) await commit(log, s, [change(Number(s))]);
    const got: bigint[] = [];
    await expect((async () => {
      for (;;) {
        const r = await it.next();
        if (r.done === true) return;
        got.push(r.value.seq);
      }
    })()).rejects.toMatchObject({ code: 'SubscriberLagging', context: { resumeSeq: 5n } });
    expect(got).toEqual([2n, 3n, 4n, 5n]);
    const resumed: bigint[] = [];
    for await (const frame of subscribeChangelog(log, 5n)) {
      resumed.push(frame.seq);
      if (frame.seq === 12n) break;
    }
    expect(resumed).toEqual([6n, 7n, 8n, 9n, 10n, 11n, 12n]);
    log.close();
  });

  it('ends subscriptions when the log closes', async () => {
    const fs = newFs();
    const log = await Changelog.open({ fs, path, fileId, commitSeq: 0n });
    const it = subscribeChangelog(log, 0n);
    const next = it.next();
    log.close();
    expect((await next).done).toBe(true);
  });
});
