/**
 * Engine errors to gRPC statuses (SPEC §12.2, ARCHITECTURE "Errors").
 *
 * `grpcCodeOf` is one exhaustive switch over every `ErrorCode` (assertNever makes a new code a
 * compile error here until it is mapped). `toServiceError` builds what grpc-js sends: the status
 * code, the message, and a `google.rpc.Status` with one `google.rpc.ErrorInfo` (domain
 * "hexxladb.dev", reason = the ErrorReason name without its prefix, metadata = the error's
 * context as strings) in the `grpc-status-details-bin` trailer. Clients rebuild the typed error
 * from the reason, never from the message.
 *
 * Anything that is not a HexxlaError is a bug or an unforeseen failure: it becomes INTERNAL with
 * a fixed message (no stack, no file path) and the caller logs the original.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { ErrorInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';
import { ErrorReason } from '../../gen/hexxladb/v1/errors_pb.js';
import { assertNever } from '../assert.js';
import { isHexxlaError, type ErrorCode, type HexxlaError } from '../errors.js';

/** ErrorInfo.domain of every HexxlaDB error. */
export const errorDomain = 'hexxladb.dev';

/** Metadata trailer that carries the serialised google.rpc.Status. */
export const statusDetailsKey = 'grpc-status-details-bin';

/** Context keys never sent to clients: server file paths stay in the log (SPEC §12.2). */
const hiddenContextKeys = new Set(['path', 'dir', 'file']);

/** The canonical gRPC status code of an engine error code. */
export function grpcCodeOf(code: ErrorCode): grpc.status {
  switch (code) {
    case 'NotFound':
    case 'SnapshotTagNotFound':
      return grpc.status.NOT_FOUND;
    case 'InvalidArgument':
    case 'InvalidCoordinate':
    case 'ValueTooLarge':
    case 'KeyTooLarge':
    case 'EmbeddingDimension':
      return grpc.status.INVALID_ARGUMENT;
    case 'FacetDerivationMismatch':
    case 'PreconditionFailed':
    case 'MvccDisabled':
    case 'ChangelogDisabled':
    case 'EmbeddingsDisabled':
    case 'EncryptionKeyMismatch':
    case 'UnsupportedFormat':
    case 'DatabaseLocked':
    // Poisoned: retrying cannot help until an operator reopens the database.
    case 'DatabasePoisoned':
      return grpc.status.FAILED_PRECONDITION;
    case 'ReadSeqFuture':
    // A seq below the prune floor: like a future seq, outside the readable range.
    case 'ReadSeqPruned':
      return grpc.status.OUT_OF_RANGE;
    case 'DiskFull':
    case 'SubscriberLagging':
      return grpc.status.RESOURCE_EXHAUSTED;
    case 'CorruptDatabase':
    case 'ChangelogCorrupt':
      return grpc.status.DATA_LOSS;
    case 'Cancelled':
      return grpc.status.CANCELLED;
    // Closing (shutdown) and transient I/O failures: another attempt later may succeed.
    case 'DatabaseClosed':
    case 'IoError':
      return grpc.status.UNAVAILABLE;
    // A transaction misused inside the server is a server bug, never the client's doing.
    case 'TxClosed':
    case 'TxReadOnly':
      return grpc.status.INTERNAL;
    default:
      return assertNever(code);
  }
}

/** 'CorruptDatabase' -> 'CORRUPT_DATABASE': the ErrorInfo.reason of a code. */
export function reasonOf(code: ErrorCode): string {
  const reason = code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  // The contract test keeps errors.proto and errorCodes in step; this guards the build too.
  if (!(reason in ErrorReason)) throw new Error(`error-map: no ErrorReason for ${code}`);
  return reason;
}

/** The ErrorReason enum value of a code. */
export function reasonValueOf(code: ErrorCode): ErrorReason {
  return ErrorReason[reasonOf(code) as keyof typeof ErrorReason];
}

function contextStrings(error: HexxlaError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(error.context)) {
    if (!hiddenContextKeys.has(key)) out[key] = String(value);
  }
  return out;
}

/** Options of toServiceError. */
export interface ToServiceErrorOptions {
  /** Strings removed from messages (e.g. the database directory). */
  readonly redact?: readonly string[];
  /** Status to use for a Cancelled error when the deadline passed (DEADLINE_EXCEEDED). */
  readonly deadlineExceeded?: boolean;
}

function redact(message: string, parts: readonly string[]): string {
  let out = message;
  for (const part of parts) if (part.length > 0) out = out.split(part).join('<redacted>');
  return out;
}

/** A grpc-js error for a HexxlaError, with the ErrorInfo trailer. */
export function hexxlaServiceError(error: HexxlaError,
  options: ToServiceErrorOptions = {}): grpc.ServiceError {
  let code = grpcCodeOf(error.code);
  if (error.code === 'Cancelled' && options.deadlineExceeded === true) {
    code = grpc.status.DEADLINE_EXCEEDED;
  }
  const message = redact(error.message, options.redact ?? []);
  const info = create(ErrorInfoSchema, {
    reason: reasonOf(error.code), domain: errorDomain, metadata: contextStrings(error),
  });
  const status = create(StatusSchema, { code, message, details: [anyPack(ErrorInfoSchema, info)] });
  const metadata = new grpc.Metadata();
  metadata.set(statusDetailsKey, Buffer.from(toBinary(StatusSchema, status)));
  return Object.assign(new Error(message), { code, details: message, metadata });
}

/** A status error without ErrorInfo (auth failures): sent as it is. */
export class RpcStatusError extends Error implements grpc.ServiceError {
  readonly details: string;
  readonly metadata = new grpc.Metadata();

  constructor(readonly code: grpc.status, message: string) {
    super(message);
    this.name = 'RpcStatusError';
    this.details = message;
  }
}

/** A plain status error without ErrorInfo (auth failures). */
export function plainServiceError(code: grpc.status, message: string): RpcStatusError {
  return new RpcStatusError(code, message);
}

/**
 * The grpc-js error for anything thrown by a handler. Non-HexxlaErrors become INTERNAL with a
 * fixed message; `isUnexpected` tells the caller to log the original with its stack.
 */
export function toServiceError(error: unknown, options: ToServiceErrorOptions = {}):
  { serviceError: grpc.ServiceError; isUnexpected: boolean } {
  if (error instanceof RpcStatusError) return { serviceError: error, isUnexpected: false };
  if (isHexxlaError(error)) {
    const serviceError = hexxlaServiceError(error, options);
    return { serviceError, isUnexpected: serviceError.code === grpc.status.INTERNAL };
  }
  return {
    serviceError: plainServiceError(grpc.status.INTERNAL, 'internal error'),
    isUnexpected: true,
  };
}
