/**
 * gRPC status → the library's typed errors (ARCHITECTURE "Errors", SPEC §12.2).
 *
 * The server sends every HexxlaError as a canonical status plus a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer holding one `google.rpc.ErrorInfo` (domain "hexxladb.dev",
 * reason = the ErrorReason name without its prefix, metadata = the error's context as strings).
 * The SDK rebuilds the same `HexxlaError` with the same `code` from that reason, never from
 * the message text (the etcd lesson): 'READ_SEQ_FUTURE' → 'ReadSeqFuture'.
 *
 * A status without an ErrorInfo of our domain did not come from the engine: transport failures
 * (UNAVAILABLE), the client's own deadline or cancel, auth (UNAUTHENTICATED, PERMISSION_DENIED),
 * UNIMPLEMENTED, message size limits. Cancel and deadline become HexxlaError 'Cancelled' (its
 * documented meaning includes deadlines); everything else becomes a `RpcError`, which carries
 * the gRPC status code and name, since no library code describes it.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { ErrorInfoSchema, type ErrorInfo } from '../../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';
import { errorCodes, HexxlaError, isHexxlaError, type ErrorCode } from '../errors.js';

/** ErrorInfo.domain of every HexxlaDB error (the server's `errorDomain`). */
export const errorDomain = 'hexxladb.dev';
/** Metadata trailer that carries the serialised google.rpc.Status. */
export const statusDetailsKey = 'grpc-status-details-bin';

/** 'CorruptDatabase' -> 'CORRUPT_DATABASE' (the same rule as the server's reasonOf). */
export function reasonOfCode(code: ErrorCode): string {
  return code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

const codeByReason: ReadonlyMap<string, ErrorCode> =
  new Map(errorCodes.map((code) => [reasonOfCode(code), code]));

/** The library error code of an ErrorInfo reason, or undefined for an unknown reason. */
export function codeOfReason(reason: string): ErrorCode | undefined {
  return codeByReason.get(reason);
}

/** A failed call that carries no HexxlaDB ErrorInfo (transport, auth, unimplemented, …). */
export class RpcError extends Error {
  /** The gRPC status code number (grpc.status). */
  readonly grpcCode: grpc.status;
  /** The status name, e.g. 'PERMISSION_DENIED'. */
  readonly status: string;

  constructor(grpcCode: grpc.status, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.grpcCode = grpcCode;
    this.status = grpc.status[grpcCode] ?? `STATUS_${grpcCode}`;
    this.name = `RpcError[${this.status}]`;
  }
}

/** The ErrorInfo of our domain in a status-details trailer, if any. */
export function errorInfoOf(metadata: grpc.Metadata | undefined): ErrorInfo | undefined {
  const bin = metadata?.get(statusDetailsKey)[0];
  if (!(bin instanceof Uint8Array)) return undefined;
  let details;
  try {
    details = fromBinary(StatusSchema, bin).details;
  } catch {
    return undefined; // a malformed trailer is treated as no detail at all
  }
  for (const any of details) {
    const info = anyUnpack(any, ErrorInfoSchema);
    if (info !== undefined && info.domain === errorDomain) return info;
  }
  return undefined;
}

/** Context of a rebuilt error: ErrorInfo metadata (strings) plus the gRPC status name. */
function contextOf(info: ErrorInfo, grpcCode: grpc.status): Record<string, string> {
  return { ...info.metadata, grpcStatus: grpc.status[grpcCode] ?? String(grpcCode) };
}

/**
 * The typed error of a failed call: a HexxlaError when the status carries our ErrorInfo with a
 * known reason, 'Cancelled' for cancel/deadline, else an RpcError. `cause` is the grpc error.
 */
export function errorFromStatus(err: unknown): HexxlaError | RpcError {
  const e = err as Partial<grpc.ServiceError> | null;
  const grpcCode = typeof e?.code === 'number' ? e.code : grpc.status.UNKNOWN;
  const message = typeof e?.details === 'string' && e.details !== ''
    ? e.details : String((e as Error | null)?.message ?? 'call failed');
  const info = errorInfoOf(e?.metadata);
  const code = info === undefined ? undefined : codeOfReason(info.reason);
  if (info !== undefined && code !== undefined) {
    return new HexxlaError(code, message, { context: contextOf(info, grpcCode), cause: err });
  }
  if (grpcCode === grpc.status.CANCELLED || grpcCode === grpc.status.DEADLINE_EXCEEDED) {
    return new HexxlaError('Cancelled', message,
      { context: { grpcStatus: grpc.status[grpcCode] }, cause: err });
  }
  return new RpcError(grpcCode, message, { cause: err });
}

/**
 * True for failures worth retrying on an idempotent read: status UNAVAILABLE, whether from the
 * transport (no connection) or from the server (DatabaseClosed while it shuts down, IoError).
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RpcError) return error.grpcCode === grpc.status.UNAVAILABLE;
  return isHexxlaError(error) && error.context.grpcStatus === 'UNAVAILABLE';
}
