/**
 * The SDK's one channel to a server: grpc-js calls built from protobuf-es method descriptors,
 * the inverse of src/server/grpc-adapter.ts. One `grpc.Client` (one HTTP/2 connection) serves
 * every service; a method's path is `/hexxladb.v1.Service/Method`.
 *
 * Requests are serialised with `toBinary` before the call starts (a value the wire cannot hold,
 * such as a negative uint32, fails as InvalidArgument here instead of as an opaque INTERNAL
 * from inside grpc-js, and a retried read reuses the bytes); responses are decoded with
 * `fromBinary`. Every call gets the bearer token, an optional request id, a deadline (the
 * call's own `deadlineMs`, else the client's default) and cancellation through an AbortSignal.
 * Failures are rebuilt as typed errors (error-from-status.ts). Idempotent reads are retried on
 * UNAVAILABLE (retry.ts); a stream is retried only before its first message.
 */
import {
  create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { hexxlaError } from '../errors.js';
import { errorFromStatus, isRetryable } from './error-from-status.js';
import { authorizationKey, requestIdKey } from './metadata.js';
import {
  backoffMs, resolveRetryPolicy, withRetry, type ResolvedRetryPolicy, type RetryPolicy,
} from './retry.js';

/** TLS settings; PEM strings or bytes. With privateKey + certChain the client presents them. */
export interface TlsOptions {
  /** Trusted CA certificates (default: the system roots). */
  readonly rootCerts?: string | Uint8Array;
  readonly privateKey?: string | Uint8Array;
  readonly certChain?: string | Uint8Array;
}

/** How to reach a server. */
export interface ConnectOptions {
  /** Bearer token sent on every call (`authorization: Bearer …`). */
  readonly token?: string;
  /** true = TLS with the system roots; an object = TLS with these files; absent = plaintext. */
  readonly tls?: boolean | TlsOptions;
  /** Default deadline of unary calls and finite streams, in ms; absent = none. */
  readonly deadlineMs?: number;
  /** Retry of idempotent reads on UNAVAILABLE; false = never (default: retry.ts defaults). */
  readonly retry?: RetryPolicy | false;
  /** Largest response accepted, in bytes (default 16 MiB, the server's default bound). */
  readonly maxReceiveMessageBytes?: number;
  /** Extra grpc-js channel options (keepalive, …). */
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Per-call options. */
export interface CallOptions {
  /** Deadline of this call in ms (overrides the client's default). */
  readonly deadlineMs?: number;
  /** Aborting cancels the call; it then fails with Cancelled. */
  readonly signal?: AbortSignal;
  /** Sent as x-request-id (the server logs it and echoes it back). */
  readonly requestId?: string;
}

/** A descriptor method with typed input and output schemas. */
export type TypedMethod<I extends DescMessage, O extends DescMessage> =
  DescMethod & { readonly input: I; readonly output: O };

const receiveBytesDefault = 16 * 1024 * 1024;

function bytesOf(value: string | Uint8Array | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

function credentialsOf(tls: ConnectOptions['tls']): grpc.ChannelCredentials {
  if (tls === undefined || tls === false) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  return grpc.credentials.createSsl(bytesOf(tls.rootCerts), bytesOf(tls.privateKey),
    bytesOf(tls.certChain));
}

/**
 * Longest deadline a call may carry: 2^31 − 1 ms (~24.8 days) rounded down to whole seconds.
 * grpc-js servers parse the grpc-timeout header into a 32-bit integer of ms, so a longer one
 * overflows and the call fails at once with DEADLINE_EXCEEDED; refusing it here says why. Whole
 * seconds because a timeout of over 10^8 ms travels in seconds, rounded up. Long-lived
 * subscriptions need no deadline.
 */
export const deadlineMsMax = 2_147_483_000;

function checkDeadline(ms: number | undefined, field: string): void {
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) {
    throw hexxlaError('InvalidArgument', `${field} must be a positive number of ms`, { field });
  }
  if (ms !== undefined && ms > deadlineMsMax) {
    throw hexxlaError('InvalidArgument', `${field} must be at most ${deadlineMsMax} ms (~24.8 ` +
      'days; gRPC servers cannot honour longer ones): pass none for a call that may run longer',
    { field, limit: deadlineMsMax });
  }
}

const passThrough = (bytes: Buffer): Buffer => bytes;

export class Transport {
  private readonly client: grpc.Client;
  private readonly retry: ResolvedRetryPolicy;
  private readonly deserializers = new Map<DescMessage, (b: Buffer) => unknown>();

  constructor(readonly address: string, private readonly options: ConnectOptions = {}) {
    checkDeadline(options.deadlineMs, 'deadlineMs');
    if (options.token !== undefined && !/^[\x21-\x7e]+$/.test(options.token)) {
      // A token must be one printable ASCII word to fit the header unchanged.
      throw hexxlaError('InvalidArgument', 'token must be printable ASCII without spaces',
        { field: 'token' });
    }
    this.retry = resolveRetryPolicy(options.retry);
    this.client = new grpc.Client(address, credentialsOf(options.tls), {
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? receiveBytesDefault,
      ...options.channelOptions,
    });
  }

  /** Waits until the channel is connected; UNAVAILABLE (RpcError) when `deadlineMs` passes. */
  waitForReady(deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + deadlineMs, (err) => {
        if (err === undefined || err === null) resolve();
        else reject(errorFromStatus({ code: grpc.status.UNAVAILABLE, details: err.message }));
      });
    });
  }

  /** Closes the channel; calls in flight fail with UNAVAILABLE or CANCELLED. */
  close(): void {
    this.client.close();
  }

  private metadataOf(options: CallOptions): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.options.token !== undefined) {
      md.set(authorizationKey, `Bearer ${this.options.token}`);
    }
    if (options.requestId !== undefined) md.set(requestIdKey, options.requestId);
    return md;
  }

  /** The absolute deadline of a call (ms since the epoch), Infinity for none. */
  private deadlineOf(options: CallOptions, useDefault: boolean): number {
    checkDeadline(options.deadlineMs, 'deadlineMs');
    const ms = options.deadlineMs ?? (useDefault ? this.options.deadlineMs : undefined);
    return ms === undefined ? Infinity : Date.now() + ms;
  }

  private deserializer(schema: DescMessage): (b: Buffer) => unknown {
    let fn = this.deserializers.get(schema);
    if (fn === undefined) {
      // A plain Uint8Array view, so bytes fields come out as Uint8Array (as the library's),
      // not Buffer, without a copy.
      fn = (b: Buffer) => fromBinary(schema, new Uint8Array(b.buffer, b.byteOffset, b.length));
      this.deserializers.set(schema, fn);
    }
    return fn;
  }

  /** The serialised request; InvalidArgument when the wire cannot hold a value. */
  private encode<I extends DescMessage>(schema: I, request: MessageInitShape<I>): Buffer {
    try {
      const bytes = toBinary(schema, create(schema, request));
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      throw hexxlaError('InvalidArgument', `request does not fit the wire format: ${
        (err as Error).message}`, { message: schema.typeName }, err);
    }
  }

  /** One unary call; `idempotent` reads are retried on UNAVAILABLE. */
  async unary<I extends DescMessage, O extends DescMessage>(method: TypedMethod<I, O>,
    request: MessageInitShape<I>, options: CallOptions = {},
    idempotent = false): Promise<MessageShape<O>> {
    const bytes = this.encode(method.input, request);
    const deadline = this.deadlineOf(options, true);
    const attempt = (): Promise<MessageShape<O>> => this.unaryOnce(method, bytes, options,
      deadline);
    if (!idempotent) return attempt();
    return withRetry({ policy: this.retry, deadline, signal: options.signal }, attempt);
  }

  private unaryOnce<O extends DescMessage>(method: TypedMethod<DescMessage, O>, bytes: Buffer,
    options: CallOptions, deadline: number): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted === true) {
        reject(hexxlaError('Cancelled', 'the call was cancelled before it started'));
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = this.client.makeUnaryRequest(`/${method.parent.typeName}/${method.name}`,
        passThrough, this.deserializer(method.output) as (b: Buffer) => MessageShape<O>, bytes,
        this.metadataOf(options), deadline === Infinity ? {} : { deadline },
        (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (err !== null || value === undefined) reject(errorFromStatus(err));
          else resolve(value);
        });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * One server stream as an async iterable. Breaking out of the loop cancels the call. With
   * `idempotent`, an UNAVAILABLE before the first message is retried. `useDefaultDeadline`
   * false (endless streams such as a subscription) applies only the call's own deadline.
   */
  async *stream<I extends DescMessage, O extends DescMessage>(method: TypedMethod<I, O>,
    request: MessageInitShape<I>, options: CallOptions = {},
    flags: { idempotent?: boolean; useDefaultDeadline?: boolean } = {}):
    AsyncGenerator<MessageShape<O>> {
    const bytes = this.encode(method.input, request);
    const deadline = this.deadlineOf(options, flags.useDefaultDeadline ?? true);
    for (let n = 1; ; n++) {
      let received = false;
      try {
        for await (const message of this.streamOnce(method, bytes, options, deadline)) {
          received = true;
          yield message;
        }
        return;
      } catch (err) {
        const delay = backoffMs(this.retry, n);
        const again = flags.idempotent === true && !received && isRetryable(err) &&
          n < this.retry.attempts && Date.now() + delay < deadline &&
          options.signal?.aborted !== true;
        if (!again) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async *streamOnce<O extends DescMessage>(method: TypedMethod<DescMessage, O>,
    bytes: Buffer, options: CallOptions, deadline: number): AsyncGenerator<MessageShape<O>> {
    const { signal } = options;
    if (signal?.aborted === true) {
      throw hexxlaError('Cancelled', 'the call was cancelled before it started');
    }
    const call = this.client.makeServerStreamRequest(`/${method.parent.typeName}/${method.name}`,
      passThrough, this.deserializer(method.output) as (b: Buffer) => MessageShape<O>, bytes,
      this.metadataOf(options), deadline === Infinity ? {} : { deadline });
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      for await (const message of call) yield message as MessageShape<O>;
      finished = true;
    } catch (err) {
      finished = true;
      throw errorFromStatus(err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) {
        // The consumer stopped early: cancel, and swallow the CANCELLED status that follows.
        call.on('error', () => undefined);
        call.cancel();
      }
    }
  }
}
