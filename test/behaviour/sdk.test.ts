/**
 * What the SDK adds on top of the wire: error rebuilding, retries, deadlines, cancellation,
 * auth, and the resuming changelog subscriber.
 *
 * Method: the error map is checked end to end in memory (the server's toServiceError output fed
 * to the SDK's errorFromStatus, for every code). Retries, deadlines and the subscriber run
 * against small fake grpc-js servers on 127.0.0.1:0 built from the same descriptors, which
 * count calls and fail on a script (deterministic: no timing is asserted). Auth runs against a
 * real HexxlaServer with tokens. White-box: imports src/server's error map to produce exactly
 * what the server sends.
 * Properties:
 *   - every ErrorCode survives server → wire → SDK with its code and context; the SDK's reason
 *     names and metadata keys equal the server's;
 *   - the SDK's ULID text codec equals the library's, both ways;
 *   - statuses without ErrorInfo: cancel/deadline → Cancelled, others → RpcError with status;
 *   - reads are retried on UNAVAILABLE up to the policy, writes never, other codes never;
 *   - an AbortSignal cancels a call (Cancelled);
 *   - a read token can read but not write (PERMISSION_DENIED), no token is UNAUTHENTICATED;
 *   - the subscriber delivers every commit exactly once, in order, across a SubscriberLagging
 *     cut-off, an UNAVAILABLE break, a replay overlapping what it already had and a stream that
 *     ends; a non-resumable error (ChangelogDisabled) is thrown at once.
 */
import { create, type DescMethod } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChangelogService, type SubscribeChangelogRequest, SubscribeChangelogResponseSchema,
} from '../../gen/hexxladb/v1/changelog_service_pb.js';
import { CellService, GetCellResponseSchema } from '../../gen/hexxladb/v1/cell_service_pb.js';
import {
  errorCodes, errorFromStatus, HexxlaClient, isHexxlaError, reasonOfCode, RpcError,
  type ChangelogFrame,
} from '../../src/client/index.js';
import * as clientMd from '../../src/client/metadata.js';
import { deadlineMsMax } from '../../src/client/transport.js';
import { hexxlaError } from '../../src/errors.js';
import {
  authorizationKey, databaseKey, methodDefinition, reasonOf, requestIdKey, toServiceError,
} from '../../src/server/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from '../server/harness.js';
import { expectCode } from './suite.js';

const tmp = useTmpDb();
const servers: grpc.Server[] = [];
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
  await stopAll();
});

type Impl = grpc.handleUnaryCall<unknown, unknown> | grpc.handleServerStreamingCall<unknown,
  unknown>;

/** A fake server with the given method implementations; returns its address. */
async function fakeServer(methods: [DescMethod, Impl][]): Promise<string> {
  const server = new grpc.Server();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, fn] of methods) {
    definition[method.name] = methodDefinition(method);
    impl[method.name] = fn;
  }
  server.addService(definition, impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0',
    grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  servers.push(server);
  return `127.0.0.1:${port}`;
}

async function connect(address: string, options = {}): Promise<HexxlaClient> {
  const client = await HexxlaClient.connect(address, { retry: { baseDelayMs: 1 }, ...options });
  clients.push(client);
  return client;
}

const unavailable = { code: grpc.status.UNAVAILABLE, details: 'down for a moment' };
const cellReply = create(GetCellResponseSchema, { header: { commitSeq: 7n, headSeq: 7n },
  cell: { coord: { q: 1, r: 1 }, rawContent: 'after retries' } });

describe('SDK: errors', () => {
  it('rebuilds every ErrorCode with its context from what the server sends', () => {
    for (const code of errorCodes) {
      const { serviceError } = toServiceError(hexxlaError(code, `failed: ${code}`,
        { seq: 42n, coord: '1,2' }));
      const rebuilt = errorFromStatus(serviceError);
      expect(isHexxlaError(rebuilt, code), code).toBe(true);
      expect((rebuilt as { context: Record<string, string> }).context)
        .toMatchObject({ seq: '42', coord: '1,2' });
      expect(reasonOfCode(code)).toBe(reasonOf(code));
    }
    expect([clientMd.authorizationKey, clientMd.requestIdKey, clientMd.databaseKey])
      .toEqual([authorizationKey, requestIdKey, databaseKey]);
  });

  it('types statuses that carry no ErrorInfo', () => {
    const denied = errorFromStatus({ code: grpc.status.PERMISSION_DENIED, details: 'no' });
    expect(denied).toBeInstanceOf(RpcError);
    expect((denied as RpcError).status).toBe('PERMISSION_DENIED');
    const late = errorFromStatus({ code: grpc.status.DEADLINE_EXCEEDED, details: 'late' });
    expect(isHexxlaError(late, 'Cancelled')).toBe(true);
  });
});

describe('SDK: retries, deadlines, cancellation', () => {
  it('retries reads on UNAVAILABLE, never writes', async () => {
    let gets = 0;
    let puts = 0;
    const address = await fakeServer([
      [CellService.method.getCell, (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
        gets++;
        if (gets < 3) cb(unavailable);
        else cb(null, cellReply);
      }],
      [CellService.method.putCell, (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
        puts++;
        cb(unavailable);
      }],
    ]);
    const client = await connect(address);
    let header = 0n;
    const cell = await client.getCell({ q: 1, r: 1 },
      { onHeader: (h) => { header = h.commitSeq; } });
    expect(cell?.rawContent).toBe('after retries');
    expect(gets).toBe(3);
    expect(header).toBe(7n);
    const err = await client.putCell({ coord: { q: 0, r: 0 }, rawContent: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).status).toBe('UNAVAILABLE');
    expect(puts).toBe(1);
  });

  it('stops retrying at the policy bound and on other codes', async () => {
    let gets = 0;
    const address = await fakeServer([[CellService.method.getCell,
      (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
        gets++;
        cb(gets <= 2 ? unavailable : { code: grpc.status.INTERNAL, details: 'bug' });
      }]]);
    const client = await connect(address, { retry: { attempts: 2, baseDelayMs: 1 } });
    await expect(client.getCell({ q: 0, r: 0 })).rejects.toBeInstanceOf(RpcError);
    expect(gets).toBe(2);
    const again = await client.getCell({ q: 0, r: 0 }).catch((e: unknown) => e);
    expect((again as RpcError).status).toBe('INTERNAL');
    expect(gets).toBe(3);
  });

  it('fails a call past its deadline, or when its signal aborts, with Cancelled', async () => {
    let calls = 0;
    const address = await fakeServer([[CellService.method.getCell, () => {
      calls++; // never answers
    }]]);
    const client = await connect(address);
    const late = await client.getCell({ q: 0, r: 0 }, { deadlineMs: 30 })
      .catch((e: unknown) => e);
    expect(isHexxlaError(late, 'Cancelled')).toBe(true);
    expect((late as { context: Record<string, string> }).context.grpcStatus)
      .toBe('DEADLINE_EXCEEDED');
    expect(calls).toBe(1);
    const controller = new AbortController();
    const pending = client.getCell({ q: 0, r: 0 }, { signal: controller.signal });
    while (calls < 2) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expectCode(pending, 'Cancelled');
  });

  it('refuses a deadline a gRPC server cannot honour (~24.8 days), takes the longest', async () => {
    // grpc-js servers parse grpc-timeout into 32 bits: a 30-day deadline used to end the call
    // at once with DEADLINE_EXCEEDED; now the SDK says why before sending anything.
    const { address } = await startServer(tmp);
    const client = await connect(address);
    const dayMs = 24 * 60 * 60 * 1000;
    await expectCode(client.putCell({ coord: { q: 1, r: 2 }, rawContent: 'x' },
      { deadlineMs: 30 * dayMs }), 'InvalidArgument');
    expect(await client.getCell({ q: 1, r: 2 })).toBeUndefined(); // nothing was sent
    await client.putCell({ coord: { q: 1, r: 2 }, rawContent: 'x' }, { deadlineMs: deadlineMsMax });
    expect((await client.getCell({ q: 1, r: 2 }, { deadlineMs: deadlineMsMax }))?.rawContent)
      .toBe('x');
    await expectCode(client.getCell({ q: 1, r: 2 }, { deadlineMs: deadlineMsMax + 1 }),
      'InvalidArgument');
    await expect(connect(address, { deadlineMs: 30 * dayMs })).rejects.toMatchObject(
      { code: 'InvalidArgument' });
  });
});

describe('SDK: auth', () => {
  it('sends the bearer token; roles are enforced', async () => {
    const reader = 'reader-token-0123456789';
    const writer = 'writer-token-0123456789';
    const { address } = await startServer(tmp, { tokens: [{ token: reader, role: 'read' },
      { token: writer, role: 'write' }] });
    const w = await connect(address, { token: writer });
    await w.putCell({ coord: { q: 0, r: 0 }, rawContent: 'written' });
    const r = await connect(address, { token: reader });
    expect((await r.getCell({ q: 0, r: 0 }))?.rawContent).toBe('written');
    const denied = await r.putCell({ coord: { q: 1, r: 0 }, rawContent: 'x' })
      .catch((e: unknown) => e);
    expect((denied as RpcError).status).toBe('PERMISSION_DENIED');
    const anonymous = await connect(address);
    const unauth = await anonymous.getCell({ q: 0, r: 0 }).catch((e: unknown) => e);
    expect((unauth as RpcError).status).toBe('UNAUTHENTICATED');
  });
});

/** A scripted changelog: commits 1..total; each stream follows the next step of `script`. */
function scriptedChangelog(total: number, script: { send: number; overlap?: boolean;
  end: 'lagging' | 'unavailable' | 'ok' | 'disabled' }[], requests: bigint[]): Impl {
  let stream = 0;
  return (call: grpc.ServerWritableStream<unknown, unknown>) => {
    const since = (call.request as SubscribeChangelogRequest).sinceSeq;
    requests.push(since);
    const step = script[stream++] ?? { send: total, end: 'ok' as const };
    // An overlapping replay re-sends the commit the client already has.
    let seq = step.overlap === true && since > 0n ? since : since + 1n;
    for (let n = 0; n < step.send && seq <= BigInt(total); n++, seq++) {
      call.write(create(SubscribeChangelogResponseSchema, {
        header: { commitSeq: seq, headSeq: BigInt(total) },
        events: [{ seq, op: 1, family: 16, key: new Uint8Array([Number(seq)]) }],
      }));
    }
    if (step.end === 'ok') call.end();
    else if (step.end === 'unavailable') call.emit('error', unavailable);
    else {
      const code = step.end === 'lagging' ? 'SubscriberLagging' : 'ChangelogDisabled';
      call.emit('error', toServiceError(hexxlaError(code, 'cut off',
        { resumeSeq: seq - 1n })).serviceError);
    }
  };
}

describe('SDK: changelog subscriber', () => {
  it('delivers every commit once, in order, across cut-offs and reconnects', async () => {
    const requests: bigint[] = [];
    const address = await fakeServer([[ChangelogService.method.subscribeChangelog,
      scriptedChangelog(12, [
        { send: 3, end: 'lagging' }, { send: 2, overlap: true, end: 'unavailable' },
        { send: 0, end: 'unavailable' }, { send: 4, overlap: true, end: 'ok' },
      ], requests)]]);
    const client = await connect(address);
    const seen: ChangelogFrame[] = [];
    const resumes: bigint[] = [];
    for await (const frame of client.subscribeChangelog(0n,
      { backoff: { baseDelayMs: 1 }, onResume: (i) => resumes.push(i.fromSeq) })) {
      seen.push(frame);
      if (frame.seq === 12n) break;
    }
    expect(seen.map((f) => f.seq)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
    expect(seen[0]?.entries[0]).toMatchObject({ seq: 1n, op: 'putCell', family: 16 });
    expect(requests).toEqual([0n, 3n, 4n, 4n, 7n]);
    expect(resumes).toEqual([3n, 4n, 4n, 7n]);
  });

  it('throws an error that resuming cannot fix', async () => {
    const address = await fakeServer([[ChangelogService.method.subscribeChangelog,
      scriptedChangelog(5, [{ send: 1, end: 'disabled' }], [])]]);
    const client = await connect(address);
    const seen: bigint[] = [];
    const run = (async () => {
      for await (const frame of client.subscribeChangelog(0n)) seen.push(frame.seq);
    })();
    await expectCode(run, 'ChangelogDisabled');
    expect(seen).toEqual([1n]);
  });
});
