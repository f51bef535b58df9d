/**
 * ChangelogService over gRPC (SPEC §7, §12; issue #5).
 *
 * Goal: the changelog reads page through every entry exactly once and match the engine's;
 * subscribe delivers every commit exactly once and in order while writers run, also across a
 * reconnect from the last seq; a cancelled subscription stops its server work; a slow
 * subscriber is cut off with RESOURCE_EXHAUSTED and a resume seq that loses nothing; a server
 * without the changelog answers FAILED_PRECONDITION (CHANGELOG_DISABLED).
 * Method: an in-process server (test/server/harness.ts) on a temporary database opened with
 * the changelog, the harness's raw grpc-js client, writers going straight to the database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ChangelogService, ChangeOp, ReadChangelogFilteredResponseSchema,
  ReadChangelogSinceResponseSchema, type SubscribeChangelogResponse,
} from '../../gen/hexxladb/v1/changelog_service_pb.js';
import { HexxlaClient } from '../../src/client/index.js';
import { isHexxlaError } from '../../src/errors.js';
import type { Database } from '../../src/index.js';
import {
  configFromEnv, createLogger, HexxlaServer, resolveConfig,
} from '../../src/server/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import {
  as, clientFor, collect, errorInfoOf, failure, startServer, stopAll, type TestClient,
} from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll);

const withChangelog = { mvcc: true, changelog: true } as const;

/** One commit per cell put, content `text-<i>` (optionally padded). */
async function writeCells(db: Database, from: number, count: number, pad = 0): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await db.putCell({ coord: { q: i, r: 0 }, rawContent: `text-${i}${'x'.repeat(pad)}` });
  }
}

type Stream = ReturnType<TestClient['streams'][string]>;

/**
 * Reads `stream` until a message with commit seq `untilSeq` (inclusive), then pauses it. Uses
 * 'data' events rather than `for await … break`, which would destroy (cancel) the call.
 */
function readUntil(stream: Stream, untilSeq: bigint): Promise<SubscribeChangelogResponse[]> {
  return new Promise((resolve, reject) => {
    const out: SubscribeChangelogResponse[] = [];
    const onData = (message: unknown): void => {
      const m = message as SubscribeChangelogResponse;
      out.push(m);
      if (m.header!.commitSeq < untilSeq) return;
      stream.pause();
      stream.off('data', onData);
      stream.off('error', reject);
      resolve(out);
    };
    stream.on('data', onData);
    stream.on('error', reject);
  });
}

/** Cancels a stream this test is done with (its CANCELLED status is expected, not a failure). */
function cancel(stream: Stream): void {
  stream.on('error', () => undefined);
  stream.cancel();
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const seqsOf = (ms: SubscribeChangelogResponse[]): bigint[] => ms.map((m) => m.header!.commitSeq);
const range = (from: bigint, to: bigint): bigint[] =>
  Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i));

describe('ChangelogService reads', () => {
  it('pages ReadChangelogSince and ReadChangelogFiltered through the engine entries', async () => {
    const { server, address } = await startServer(tmp, {}, withChangelog);
    const db = server.db;
    await writeCells(db, 0, 5);
    // One commit of 7 entries: pages of 3 must cut inside it.
    await db.update((tx) => {
      for (let i = 10; i < 17; i++) tx.putCell({ coord: { q: i, r: 1 }, rawContent: `b${i}` });
    });
    await db.deleteCell({ q: 1, r: 0 });
    await db.tagSnapshot('after-delete');
    const changelog = clientFor(ChangelogService, address);
    const all = db.readChangelogSince(0n);
    const got: { seq: bigint; key: string }[] = [];
    let since = 0n;
    let offset = 0;
    for (let more = true; more;) {
      const page = as(ReadChangelogSinceResponseSchema, await changelog.readChangelogSince!(
        { sinceSeq: since, pageSize: 3, entryOffset: offset }));
      expect(page.header?.commitSeq).toBe(db.commitSeq());
      expect(page.events.length).toBeLessThanOrEqual(3);
      got.push(...page.events.map((e) => ({ seq: e.seq, key: hex(e.key) })));
      for (const e of page.events) {
        const engine = all.find((x) => x.seq === e.seq && Buffer.from(x.key).equals(e.key))!;
        expect(Buffer.from(e.value).equals(engine.value ?? new Uint8Array(0))).toBe(true);
      }
      ({ nextSinceSeq: since, nextEntryOffset: offset, more } = page);
    }
    expect(got).toEqual(all.map((e) => ({ seq: e.seq, key: hex(e.key) })));
    expect(since).toBe(db.commitSeq());

    const filtered = as(ReadChangelogFilteredResponseSchema, await changelog.readChangelogFiltered!(
      { sinceSeq: 0n, ops: [ChangeOp.DELETE_CELL, ChangeOp.TAG_SNAPSHOT] }));
    const engine = db.readChangelogFiltered(0n, { ops: ['deleteCell', 'tagSnapshot'] });
    expect(filtered.events.map((e) => [e.seq, e.op, e.record.case])).toEqual([
      [engine[0]!.seq, ChangeOp.DELETE_CELL, 'deletedCell'],
      [engine[1]!.seq, ChangeOp.TAG_SNAPSHOT, 'snapshotTag']]);
    expect(filtered.events[0]!.record.value).toMatchObject({ q: 1, r: 0 });
    expect(filtered.more).toBe(false);
    const prefixed = as(ReadChangelogFilteredResponseSchema, await changelog.readChangelogFiltered!(
      { sinceSeq: 0n, keyPrefix: engine[1]!.key.subarray(0, 1) }));
    expect(prefixed.events.map((e) => e.op)).toEqual([ChangeOp.TAG_SNAPSHOT]);
  });

  it('rejects a future since_seq, unknown ops and oversized offsets', async () => {
    const { server, address } = await startServer(tmp, {}, withChangelog);
    await writeCells(server.db, 0, 2);
    const changelog = clientFor(ChangelogService, address);
    const future = await failure(changelog.readChangelogSince!({ sinceSeq: 3n }));
    expect([future.code, future.reason]).toEqual([grpc.status.OUT_OF_RANGE, 'READ_SEQ_FUTURE']);
    const sub = await failure(collect(changelog.streams['subscribeChangelog']!({ sinceSeq: 9n })));
    expect(sub.code).toBe(grpc.status.OUT_OF_RANGE);
    const op = await failure(changelog.readChangelogFiltered!({ ops: [ChangeOp.UNSPECIFIED] }));
    expect([op.code, op.info?.metadata['field']]).toEqual([grpc.status.INVALID_ARGUMENT, 'ops[0]']);
    const offset = await failure(changelog.readChangelogSince!({ entryOffset: 2_000_000 }));
    expect(offset.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(server.db.readChangelogSince(0n)).toHaveLength(2);
  });
});

describe('SubscribeChangelog', () => {
  it('delivers every commit once, in order, while writers run', async () => {
    const { server, address } = await startServer(tmp, {}, withChangelog);
    const db = server.db;
    await writeCells(db, 0, 5); // replayed
    const changelog = clientFor(ChangelogService, address);
    const stream = changelog.streams['subscribeChangelog']!({ sinceSeq: 0n });
    const writers = Promise.all([0, 1, 2].map((w) => (async () => {
      for (let i = 0; i < 15; i++) {
        await db.putCell({ coord: { q: 100 + i, r: w }, rawContent: `w${w}-${i}` });
      }
    })()));
    const received = await readUntil(stream, 50n);
    await writers;
    cancel(stream);
    expect(db.commitSeq()).toBe(50n);
    expect(seqsOf(received)).toEqual(range(1n, 50n));
    const engine = db.readChangelogSince(0n);
    const events = received.flatMap((m) => m.events);
    expect(events.map((e) => [e.seq, hex(e.key)])).toEqual(engine.map((e) => [e.seq, hex(e.key)]));
    for (const m of received) {
      expect(m.header!.headSeq).toBeGreaterThanOrEqual(m.header!.commitSeq);
      expect(m.events.every((e) => e.seq === m.header!.commitSeq)).toBe(true);
    }
    expect(events.filter((e) => e.op === ChangeOp.PUT_CELL).map((e) => e.record.case))
      .toEqual(Array(50).fill('cell'));
  });

  it('resumes from the last seq received without gaps or duplicates', async () => {
    const { server, address } = await startServer(tmp, {}, withChangelog);
    const db = server.db;
    const changelog = clientFor(ChangelogService, address);
    await writeCells(db, 0, 10);
    const first = changelog.streams['subscribeChangelog']!({ sinceSeq: 0n });
    const before = await readUntil(first, 4n);
    cancel(first);
    const last = before.at(-1)!.header!.commitSeq;
    await writeCells(db, 10, 10); // while disconnected
    const second = changelog.streams['subscribeChangelog']!({ sinceSeq: last });
    const writer = writeCells(db, 20, 10); // and live after the reconnect
    const after = await readUntil(second, 30n);
    await writer;
    cancel(second);
    expect([...seqsOf(before), ...seqsOf(after)]).toEqual(range(1n, 30n));
  });

  it('stops the server-side work when the client cancels', async () => {
    const { server, address, logs } = await startServer(tmp, {}, withChangelog);
    await writeCells(server.db, 0, 3);
    const changelog = clientFor(ChangelogService, address);
    const stream = changelog.streams['subscribeChangelog']!({ sinceSeq: 0n });
    await readUntil(stream, 3n); // replayed; now the server waits for live commits
    expect(server.inflightCalls).toBe(1);
    const ended = new Promise((resolve) => stream.on('error', resolve));
    cancel(stream);
    expect((await ended as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
    await vi.waitFor(() => expect(server.inflightCalls).toBe(0));
    await vi.waitFor(() => expect(logs.find((l) => l.includes('SubscribeChangelog')))
      .toMatch(/"code":"CANCELLED"/));
    await writeCells(server.db, 3, 2); // nobody listens: commits go on
    expect(server.db.commitSeq()).toBe(5n);
  });

  it('cuts a slow subscriber off with RESOURCE_EXHAUSTED and a resume seq', async () => {
    const { server, address } = await startServer(tmp, { changelogBufferFrames: 2 },
      withChangelog);
    const db = server.db;
    const changelog = clientFor(ChangelogService, address);
    const stream = changelog.streams['subscribeChangelog']!({ sinceSeq: 0n });
    await db.putCell({ coord: { q: -1, r: 0 }, rawContent: 'first' });
    const received: SubscribeChangelogResponse[] = await readUntil(stream, 1n);
    stream.pause();
    // ~8 KiB per message: far more than HTTP/2 flow control and the stream buffers hold, so
    // the server stops pulling frames and the engine queue (2 commits) overflows.
    await writeCells(db, 0, 300, 3500);
    const head = db.commitSeq();
    let cutOff: unknown;
    try {
      stream.resume();
      for await (const m of stream) received.push(m as SubscribeChangelogResponse);
    } catch (err) {
      cutOff = err;
    }
    expect((cutOff as grpc.ServiceError | undefined)?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const info = errorInfoOf(cutOff)!;
    expect(info.reason).toBe('SUBSCRIBER_LAGGING');
    const resumeSeq = BigInt(info.metadata['resumeSeq']!);
    expect(seqsOf(received)).toEqual(range(1n, resumeSeq));
    expect(resumeSeq).toBeLessThan(head);
    await vi.waitFor(() => expect(server.inflightCalls).toBe(0));
    const again = changelog.streams['subscribeChangelog']!({ sinceSeq: resumeSeq });
    const rest = await readUntil(again, head);
    cancel(again);
    expect([...seqsOf(received), ...seqsOf(rest)]).toEqual(range(1n, head));
  });
});

describe('the SDK subscriber against the server', () => {
  it('sees every commit once, in order, across a SubscriberLagging cut-off', async () => {
    const { server, address } = await startServer(tmp, { changelogBufferFrames: 2 },
      withChangelog);
    const db = server.db;
    const client = await HexxlaClient.connect(address);
    try {
      const causes: unknown[] = [];
      const frames = client.subscribeChangelog(0n, {
        backoff: { baseDelayMs: 1, maxDelayMs: 5 }, onResume: ({ cause }) => void causes.push(cause) });
      const writer = db.putCell({ coord: { q: -1, r: 0 }, rawContent: 'first' });
      const seen: bigint[] = [(await frames.next()).value!.seq];
      await writer;
      await writeCells(db, 0, 300, 3500); // the consumer does not pull meanwhile
      const head = db.commitSeq();
      for await (const frame of frames) {
        seen.push(frame.seq);
        if (frame.seq === head) break;
      }
      expect(seen).toEqual(range(1n, head));
      expect(causes.length).toBeGreaterThan(0);
      expect(causes.every((c) => isHexxlaError(c, 'SubscriberLagging'))).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe('changelog off', () => {
  it('answers FAILED_PRECONDITION (CHANGELOG_DISABLED) on every RPC', async () => {
    const { address } = await startServer(tmp, { changelog: false }, { mvcc: true });
    const changelog = clientFor(ChangelogService, address);
    for (const call of [changelog.readChangelogSince!({}), changelog.readChangelogFiltered!({}),
      collect(changelog.streams['subscribeChangelog']!({ sinceSeq: 0n }))]) {
      const f = await failure(call);
      expect([f.code, f.reason]).toEqual([grpc.status.FAILED_PRECONDITION, 'CHANGELOG_DISABLED']);
    }
  });

  it('is on by default for a database the server opens, off by config', async () => {
    expect(resolveConfig({})).toMatchObject({ changelog: true, changelogBufferFrames: 1024 });
    expect(resolveConfig(configFromEnv({ HEXXLADB_CHANGELOG: 'false',
      HEXXLADB_CHANGELOG_BUFFER_FRAMES: '16' }))).toMatchObject({ changelog: false,
      changelogBufferFrames: 16 });
    expect(() => resolveConfig({ changelogBufferFrames: 0 })).toThrow(/changelogBufferFrames/);
    expect(() => configFromEnv({ HEXXLADB_CHANGELOG: 'maybe' })).toThrow(/HEXXLADB_CHANGELOG/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-changelog-'));
    const logger = createLogger('silent');
    try {
      for (const changelog of [true, false]) {
        const databasePath = path.join(dir, `db-${changelog}.hexxla`);
        const server = await HexxlaServer.start({ logger, config: resolveConfig({
          databasePath, listen: '127.0.0.1:0', ...(changelog ? {} : { changelog }) }) });
        try {
          await server.db.putCell({ coord: { q: 0, r: 0 }, rawContent: 'x' });
          const client = clientFor(ChangelogService, `127.0.0.1:${server.port}`);
          const read = client.readChangelogSince!({});
          if (changelog) {
            expect(as(ReadChangelogSinceResponseSchema, await read).events).toHaveLength(1);
          } else {
            expect((await failure(read)).reason).toBe('CHANGELOG_DISABLED');
          }
        } finally {
          await server.shutdown(1000);
        }
        expect(fs.existsSync(`${databasePath}-changelog`)).toBe(changelog);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ChangelogService and shutdown', () => {
  it('a shutdown ends live subscriptions at once with UNAVAILABLE, not after its grace', async () => {
    const { server, address } = await startServer(tmp, {}, withChangelog);
    await writeCells(server.db, 0, 3);
    const changelog = clientFor(ChangelogService, address);
    const stream = changelog.streams.subscribeChangelog!({ sinceSeq: 0n });
    await readUntil(stream, 3n);
    stream.resume();
    const ended = new Promise<number>((resolve) => stream.on('error',
      (e: grpc.ServiceError) => resolve(e.code)));
    const started = Date.now();
    await server.shutdown(20_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await ended).toBe(grpc.status.UNAVAILABLE);
  });
});
