/**
 * Service benchmark (issue #5, `npm run bench:service`): calls/s over gRPC against the bar of
 * the transport itself, in ONE run on one machine.
 *
 * Method: one process holds the clients and two servers on 127.0.0.1 (so both share the same
 * cores, as a co-located deployment would):
 *   - the bar: a no-op grpc-js unary service on the GetCell path, same serialisation style
 *     (protobuf-es toBinary/fromBinary of the same request and response types), answering a
 *     prebuilt GetCellResponse, called with a plain grpc-js client;
 *   - HexxlaDB: HexxlaServer over an on-disk MVCC database of `cells` cells (logs silenced),
 *     called through the SDK (HexxlaClient).
 * Each measurement keeps 1 or 64 calls in flight for `ms` milliseconds after a short warm-up and
 * counts completed calls; the rows of one concurrency are measured in interleaved rounds and
 * the median round is printed, so a burst of load from elsewhere hits bar and service alike.
 * PutCell writes distinct coordinates (each its own commit, fsynced,
 * group commit sharing fsyncs across the calls in flight). If the server serves the
 * ChangelogService, subscribe throughput is measured as commits delivered per second to one
 * subscriber while 64 writers commit. GetCell at 64 in flight is printed as a % of the no-op
 * (goal ≥ 80%). Run: npm run bench:service [-- ms [cells]]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  CellService, GetCellRequestSchema, GetCellResponseSchema, type GetCellRequest,
} from '../gen/hexxladb/v1/cell_service_pb.js';
import { HexxlaClient } from '../src/client/index.js';
import { open } from '../src/index.js';
import {
  createLogger, defaultConfig, HexxlaServer, methodDefinition, resolveConfig,
} from '../src/server/index.js';

const ms = Number(process.argv[2] ?? 1000);
/** Rounds per row, interleaved across rows; the median is printed (damps a noisy machine). */
const rounds = 3;
const cells = Number(process.argv[3] ?? 1000);
const warmupMs = Math.min(300, ms / 4);

/** Runs `call` with `inflight` concurrent loops for `durationMs`; returns completed calls/s. */
async function rate(inflight: number, durationMs: number,
  call: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  let next = 0;
  const stopAt = performance.now() + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      await call(next++);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inflight }, loop));
  return done / ((performance.now() - started) / 1000);
}

async function measure(inflight: number, call: (i: number) => Promise<unknown>):
  Promise<number> {
  await rate(inflight, warmupMs, call);
  return rate(inflight, ms, call);
}

/** The bar: a no-op unary service on the GetCell path with the same message types. */
async function startNoop(): Promise<{ server: grpc.Server; port: number }> {
  const reply = create(GetCellResponseSchema, { header: { commitSeq: 1n, headSeq: 1n },
    cell: { coord: { q: 1, r: 2 }, rawContent: 'cell 42: a memory of something said earlier',
      tags: ['bench'], provenance: { sourceId: 'bench', confidence: 0.9 } } });
  const server = new grpc.Server();
  const method = CellService.method.getCell;
  server.addService({ [method.name]: methodDefinition(method) },
    { [method.name]: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, reply) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0',
    grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { server, port };
}

function noopCaller(port: number): { call: () => Promise<unknown>; close: () => void } {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const path_ = `/${CellService.typeName}/GetCell`;
  const serialize = (m: unknown): Buffer => {
    const b = toBinary(GetCellRequestSchema, m as GetCellRequest);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  };
  const deserialize = (b: Buffer): unknown => fromBinary(GetCellResponseSchema, b);
  const call = (): Promise<unknown> => new Promise((resolve, reject) => {
    client.makeUnaryRequest(path_, serialize, deserialize,
      create(GetCellRequestSchema, { coord: { q: 1, r: 2 } }), new grpc.Metadata(), {},
      (err, value) => (err === null ? resolve(value) : reject(err)));
  });
  return { call, close: () => client.close() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);

async function subscribeRate(client: HexxlaClient): Promise<number | null> {
  const head = await client.commitSeq();
  try {
    await client.readChangelogSince(head, { limit: 1 });
  } catch {
    return null; // no ChangelogService (UNIMPLEMENTED) or no changelog on this database
  }
  const controller = new AbortController();
  let delivered = 0;
  const reader = (async () => {
    for await (const _frame of client.subscribeChangelog(head, { signal: controller.signal })) {
      delivered++;
    }
  })();
  const base = 2_000_000;
  const started = performance.now();
  await rate(64, ms, (i) => client.putCell({ coord: { q: base + i, r: 1 }, rawContent: 's' }));
  const target = await client.commitSeq();
  while (head + BigInt(delivered) < target) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  controller.abort();
  await reader;
  return delivered / seconds;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-service-bench-'));
  const noop = await startNoop();
  const db = await open(path.join(dir, 'bench.db'), { mvcc: true, changelog: true });
  const server = await HexxlaServer.start({ db, logger: createLogger('silent'),
    config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0',
      backupDir: path.join(dir, 'backups') }) });
  const client = await HexxlaClient.connect(`127.0.0.1:${server.port}`);
  const bar = noopCaller(noop.port);
  try {
    await client.putCells(Array.from({ length: cells }, (_, i) => ({
      coord: { q: i % 100, r: Math.floor(i / 100) },
      rawContent: `cell ${i}: a memory of something said earlier`, tags: ['bench'],
    })));
    const get = (i: number): Promise<unknown> =>
      client.getCell({ q: i % 100, r: Math.floor((i % cells) / 100) });
    let putBase = 1_000_000;
    const put = (i: number): Promise<unknown> =>
      client.putCell({ coord: { q: putBase + i, r: 0 }, rawContent: `put ${i}` });
    const rows: [string, number, number][] = [];
    for (const inflight of [1, 64]) {
      const samples: Record<string, number[]> = { noop: [], get: [], put: [] };
      for (let round = 0; round < rounds; round++) {
        samples.noop?.push(await measure(inflight, bar.call));
        samples.get?.push(await measure(inflight, get));
        samples.put?.push(await measure(inflight, put));
        putBase += 1_000_000;
      }
      rows.push(['no-op grpc-js unary', inflight, median(samples.noop ?? [])]);
      rows.push(['GetCell (SDK)', inflight, median(samples.get ?? [])]);
      rows.push(['PutCell (SDK)', inflight, median(samples.put ?? [])]);
    }
    console.log(`service bench: median of ${rounds} x ${ms} ms, ${cells} cells, ` +
      `${os.cpus().length} cores, Node ${process.version}`);
    console.log('call                   in flight     calls/s');
    for (const [name, inflight, value] of rows) {
      console.log(`${name.padEnd(22)} ${String(inflight).padStart(9)} ${fmt(value)}`);
    }
    const noop64 = rows.find((r) => r[0].startsWith('no-op') && r[1] === 64)?.[2] ?? 1;
    const get64 = rows.find((r) => r[0].startsWith('GetCell') && r[1] === 64)?.[2] ?? 0;
    console.log(`GetCell at 64 in flight: ${(100 * get64 / noop64).toFixed(1)}% of no-op ` +
      '(goal >= 80%)');
    const sub = await subscribeRate(client);
    console.log(sub === null ? 'subscribe: ChangelogService not served (skipped)'
      : `subscribe: ${fmt(sub)} commits/s delivered (64 writers)`);
  } finally {
    bar.close();
    client.close();
    noop.server.forceShutdown();
    await server.shutdown(1000);
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
