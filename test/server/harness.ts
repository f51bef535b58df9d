/**
 * Test harness for the gRPC server: starts a HexxlaServer in-process on 127.0.0.1, port 0, over
 * a temporary database (useTmpDb: checked after each test), and builds a minimal grpc-js client
 * from the same protobuf-es descriptors (the SDK comes later). Logs go to an in-memory array so
 * tests can assert what was (not) logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { create, fromBinary, type DescMessage, type DescService, type MessageInitShape,
  type MessageShape } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { ErrorInfoSchema, type ErrorInfo } from '../../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';
import type { BackupResponse } from '../../gen/hexxladb/v1/admin_service_pb.js';
import {
  clientDefinition, createLogger, defaultConfig, HexxlaServer, resolveConfig, statusDetailsKey,
  type ConfigLayer,
} from '../../src/server/index.js';
import type { TmpDbFactory, TmpDbOptions } from '../harness/tmp-db.js';

/** A running server with its log lines. */
export interface Running {
  readonly server: HexxlaServer;
  readonly address: string;
  readonly logs: string[];
}

const servers: HexxlaServer[] = [];
const clients: grpc.Client[] = [];

/** Starts a server on a fresh temporary database (MVCC on unless told otherwise). */
export async function startServer(tmp: TmpDbFactory, config: ConfigLayer = {},
  dbOptions: TmpDbOptions = { mvcc: true }): Promise<Running> {
  const { db } = await tmp.open(dbOptions);
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const server = await HexxlaServer.start({
    config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0', ...config }),
    db,
    logger,
  });
  servers.push(server);
  return { server, address: `127.0.0.1:${server.port}`, logs };
}

/** Stops every server and client started by the current test (call in afterEach). */
export async function stopAll(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
}

type UnaryFn = (req: object, options?: CallOptions) => Promise<unknown>;
type StreamFn = (req: object, options?: CallOptions) =>
  AsyncIterable<unknown> & grpc.ClientReadableStream<unknown>;

/** Per-call options of the test client. */
export interface CallOptions {
  token?: string;
  deadlineMs?: number;
  metadata?: Record<string, string>;
}

/** A client of one service: unary methods by localName, server streams under `streams`. */
export type TestClient = Record<string, UnaryFn> & { streams: Record<string, StreamFn> };

function metadataOf(options: CallOptions): grpc.Metadata {
  const md = new grpc.Metadata();
  if (options.token !== undefined) md.set('authorization', `Bearer ${options.token}`);
  for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
  return md;
}

function callOptionsOf(options: CallOptions): grpc.CallOptions {
  return options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
}

/** Builds a test client for `service` at `address` (plaintext unless `credentials`). */
export function clientFor(service: DescService, address: string, defaults: CallOptions = {},
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()): TestClient {
  const Ctor = grpc.makeGenericClientConstructor(clientDefinition(service), service.name);
  const raw = new Ctor(address, credentials) as unknown as
    Record<string, (...args: unknown[]) => unknown> & grpc.Client;
  clients.push(raw);
  const out: Record<string, UnaryFn> = {};
  const streams: Record<string, StreamFn> = {};
  for (const method of service.methods) {
    const fn = raw[method.name];
    if (fn === undefined) continue;
    const input = method.input;
    if (method.methodKind === 'unary') {
      out[method.localName] = ((req: object, options: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const o = { ...defaults, ...options };
          fn.call(raw, create(input, req as MessageInitShape<DescMessage>), metadataOf(o),
            callOptionsOf(o), (err: grpc.ServiceError | null, res: unknown) =>
              (err === null ? resolve(res) : reject(err)));
        }));
    } else {
      streams[method.localName] = (req: object, options: CallOptions = {}) => {
        const o = { ...defaults, ...options };
        return fn.call(raw, create(input, req as MessageInitShape<DescMessage>), metadataOf(o),
          callOptionsOf(o)) as ReturnType<StreamFn>;
      };
    }
  }
  return Object.assign(out, { streams }) as TestClient;
}

/** Typed view of a client call result. */
export function as<D extends DescMessage>(_schema: D, value: unknown): MessageShape<D> {
  return value as MessageShape<D>;
}

/** The ErrorInfo of a failed call, from grpc-status-details-bin. */
export function errorInfoOf(err: unknown): ErrorInfo | undefined {
  const md = (err as grpc.ServiceError).metadata;
  const bin = md?.get(statusDetailsKey)[0];
  if (!(bin instanceof Buffer)) return undefined;
  const status = fromBinary(StatusSchema, bin);
  for (const any of status.details) {
    const info = anyUnpack(any, ErrorInfoSchema);
    if (info !== undefined) return info;
  }
  return undefined;
}

/** Awaits a call expected to fail; returns its gRPC code and ErrorInfo reason. */
export async function failure(p: Promise<unknown>): Promise<{ code: grpc.status;
  reason: string | undefined; info: ErrorInfo | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const info = errorInfoOf(err);
    return { code: (err as grpc.ServiceError).code, reason: info?.reason, info,
      message: (err as grpc.ServiceError).details };
  }
  throw new Error('expected the call to fail');
}

/** Collects a server stream. */
export async function collect<T = unknown>(stream: AsyncIterable<unknown>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item as T);
  return out;
}

/** Writes streamed Backup messages into `dir` as the files they describe (test helper). */
export function writeBackup(messages: BackupResponse[], dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const m of messages) {
    if (m.item.case === 'manifestJson') {
      fs.writeFileSync(path.join(dir, 'manifest.json'), m.item.value);
    } else if (m.item.case === 'chunk') {
      const file = path.join(dir, m.item.value.fileName);
      const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w');
      fs.writeSync(fd, m.item.value.data, 0, m.item.value.data.length,
        Number(m.item.value.offset));
      fs.closeSync(fd);
    }
  }
}
