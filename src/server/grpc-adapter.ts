/**
 * The one bridge between protobuf-es service descriptors (gen/*_pb.ts, `GenService`) and grpc-js
 * (ARCHITECTURE "Generated code"): a descriptor plus a handler object keyed by method
 * `localName` becomes a grpc-js `ServiceDefinition` and implementation map.
 *
 * - Paths are `/hexxladb.v1.Service/Method`; (de)serialisation is `toBinary` / `fromBinary`.
 * - Unary handlers return a promise of the response (an init shape: `create` fills defaults);
 *   server-streaming handlers return an async iterable of responses, written with back-pressure
 *   (a full socket buffer waits for 'drain') and stopped when the call is cancelled.
 * - Only the methods that have a handler are registered: a method without one is absent from the
 *   definition, so grpc-js answers UNIMPLEMENTED by itself and no placeholder exists.
 * - Every call goes through `CallHooks.run` (auth, logging, error mapping: see server.ts), which
 *   receives the method and a `CallContext` with an AbortSignal tied to cancellation and deadline.
 */
import {
  create, fromBinary, toBinary,
  type DescMessage, type DescMethod, type DescService, type MessageInitShape, type MessageShape,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';
import { hexxlaError } from '../errors.js';

/** What a handler knows about its call. */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the server force-stops. */
  readonly signal: AbortSignal;
  /** The request metadata (headers). */
  readonly metadata: grpc.Metadata;
  /** The request id of this call (from x-request-id or generated). */
  readonly requestId: string;
}

type Unary<I extends DescMessage, O extends DescMessage> =
  (request: MessageShape<I>, ctx: CallContext) => Promise<MessageInitShape<O>>;
type ServerStreaming<I extends DescMessage, O extends DescMessage> =
  (request: MessageShape<I>, ctx: CallContext) => AsyncIterable<MessageInitShape<O>>;

/** Handlers of one service; every method is optional (unregistered when absent). */
export type ServiceHandlers<M extends GenServiceMethods> = {
  [K in keyof M]?: M[K] extends { methodKind: 'unary'; input: infer I; output: infer O }
    ? I extends DescMessage ? O extends DescMessage ? Unary<I, O> : never : never
    : M[K] extends { methodKind: 'server_streaming'; input: infer I; output: infer O }
      ? I extends DescMessage ? O extends DescMessage ? ServerStreaming<I, O> : never : never
      : never;
};

/**
 * Wraps every call: `run` receives the method, the raw grpc-js call and the work to do; it
 * resolves when the work is done and owns error handling (it must never reject).
 */
export interface CallHooks {
  run(
    method: DescMethod,
    call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
    work: (ctx: CallContext) => Promise<void>,
    respond: (err: grpc.ServiceError | null, value?: unknown) => void,
  ): void;
}

/** The grpc-js path of a method: `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer(schema: DescMessage): (value: unknown) => Buffer {
  return (value) => {
    const bytes = toBinary(schema, value as MessageShape<DescMessage>);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (bytes: Buffer) => unknown {
  return (bytes) => fromBinary(schema, bytes);
}

/** The grpc-js method definition of a descriptor method (unary or server streaming). */
export function methodDefinition(method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: methodPath(method),
    requestStream: method.methodKind === 'client_streaming' ||
      method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' ||
      method.methodKind === 'bidi_streaming',
    requestSerialize: serializer(method.input),
    requestDeserialize: deserializer(method.input),
    responseSerialize: serializer(method.output),
    responseDeserialize: deserializer(method.output),
    originalName: method.localName,
  };
}

/** Full client-side definition of a service (every method), for test clients and the SDK. */
export function clientDefinition(service: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) def[method.name] = methodDefinition(method);
  return def;
}

/** Waits until `call` can take more data, or the signal aborts. */
function drained(call: grpc.ServerWritableStream<unknown, unknown>,
  signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done);
  });
}

/** Writes every message of `source` to the stream; stops early when the call is aborted. */
async function pump(
  method: DescMethod,
  source: AsyncIterable<unknown>,
  call: grpc.ServerWritableStream<unknown, unknown>,
  signal: AbortSignal,
): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (signal.aborted) throw hexxlaError('Cancelled', 'the call was cancelled');
      const next = await iterator.next();
      if (next.done === true) return;
      const message = create(method.output, next.value as MessageInitShape<DescMessage>);
      if (!call.write(message)) await drained(call, signal);
    }
  } finally {
    // Lets the generator run its finally blocks (release snapshots, stop subscriptions).
    await iterator.return?.();
  }
}

function unaryImplementation(method: DescMethod, handler: Unary<DescMessage, DescMessage>,
  hooks: CallHooks): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    let response: unknown;
    hooks.run(method, call, async (ctx) => {
      const init = await handler(call.request as MessageShape<DescMessage>, ctx);
      response = create(method.output, init);
    }, (err) => (err === null ? callback(null, response) : callback(err)));
  };
}

function streamImplementation(method: DescMethod,
  handler: ServerStreaming<DescMessage, DescMessage>,
  hooks: CallHooks): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    hooks.run(method, call, async (ctx) => {
      const source = handler(call.request as MessageShape<DescMessage>, ctx);
      await pump(method, source, call, ctx.signal);
    }, (err) => {
      if (err === null) call.end();
      // grpc-js turns an 'error' event into the call's status (destroy would never send one).
      else call.emit('error', err);
    });
  };
}

/** A service definition and implementation ready for `grpc.Server.addService`. */
export interface AdaptedService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** localNames of the methods registered. */
  readonly registered: readonly string[];
}

/**
 * Adapts `handlers` for `service`. Only methods with a handler are registered. Throws an Error
 * for a handler on a client- or bidi-streaming method (none exists in the contract yet).
 */
export function adaptService<M extends GenServiceMethods>(
  service: GenService<M>,
  handlers: ServiceHandlers<M>,
  hooks: CallHooks,
): AdaptedService {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  const registered: string[] = [];
  for (const method of service.methods) {
    const handler = (handlers as Record<string, unknown>)[method.localName];
    if (handler === undefined) continue;
    definition[method.name] = methodDefinition(method);
    if (method.methodKind === 'unary') {
      implementation[method.name] =
        unaryImplementation(method, handler as Unary<DescMessage, DescMessage>, hooks);
    } else if (method.methodKind === 'server_streaming') {
      implementation[method.name] = streamImplementation(method,
        handler as ServerStreaming<DescMessage, DescMessage>, hooks);
    } else {
      throw new Error(`grpc-adapter: ${method.methodKind} methods are not supported yet`);
    }
    registered.push(method.localName);
  }
  return { definition, implementation, registered };
}
