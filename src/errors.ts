/**
 * Typed errors of the HexxlaDB library (SPEC §13).
 *
 * Every expected operating error is a `HexxlaError` with a stable `code` from the closed set
 * `ErrorCode`. The server maps codes to gRPC statuses; the SDK rebuilds the same class from the
 * `ErrorInfo.reason`, never from message text. Context values (path, key, seq) help operators and
 * must never contain a secret (keys, passphrases, tokens).
 *
 * This module imports nothing from the engine so that the client SDK can ship it alone.
 */

/** The closed set of error codes. Add codes; never rename or remove one. */
export const errorCodes = [
  'CorruptDatabase',
  'EncryptionKeyMismatch',
  'ReadSeqFuture',
  'SnapshotTagNotFound',
  'FacetDerivationMismatch',
  'EmbeddingsDisabled',
  'EmbeddingDimension',
  'ChangelogCorrupt',
  'ValueTooLarge',
  'KeyTooLarge',
  'InvalidCoordinate',
  'TxClosed',
  'TxReadOnly',
  'DatabaseClosed',
  'MvccDisabled',
  'ChangelogDisabled',
  // Beyond SPEC §13: needed by the engine core.
  /** An argument or option is malformed or outside its documented bounds. */
  'InvalidArgument',
  /** The file was written by a newer, unknown format version. */
  'UnsupportedFormat',
  /** A write failed in a way that cannot be retried (fsync error): reopen to recover. */
  'DatabasePoisoned',
  /** The disk is full (ENOSPC): the commit failed, earlier commits are intact. */
  'DiskFull',
  /** Any other I/O failure reported by the operating system. */
  'IoError',
  /** A requested record does not exist. */
  'NotFound',
  /** A compare-and-set precondition did not hold. */
  'PreconditionFailed',
  /** The operation was cancelled by its caller (AbortSignal, RPC cancel, deadline). */
  'Cancelled',
  /** A changelog subscriber fell too far behind and was cut off; resume from `resumeSeq`. */
  'SubscriberLagging',
  /** The database is open in another process or handle (its `<primary>-lock` is held). */
  'DatabaseLocked',
  /**
   * A read at a seq below the prune floor that nothing protects: pruning may have removed
   * versions it would see (context seq, floor). Read at a seq >= the floor instead.
   */
  'ReadSeqPruned',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Context attached to an error: small, JSON-safe values only, never secrets. */
export type ErrorContext = Readonly<Record<string, string | number | bigint | boolean>>;

const hexxlaErrorBrand = Symbol.for('hexxladb.HexxlaError');

/** Base class of every expected error the library throws. */
export class HexxlaError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  readonly [hexxlaErrorBrand] = true;

  constructor(
    code: ErrorCode,
    message: string,
    options: { context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `HexxlaError[${code}]`;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/**
 * True when `value` is a HexxlaError, also across module instances (ESM and CJS copies of the
 * package): checks the brand and the shape, not only `instanceof`.
 */
export function isHexxlaError(value: unknown, code?: ErrorCode): value is HexxlaError {
  if (typeof value !== 'object' || value === null) return false;
  const branded = value instanceof HexxlaError || hexxlaErrorBrand in value;
  if (!branded) return false;
  const actual = (value as { code?: unknown }).code;
  if (typeof actual !== 'string' || !(errorCodes as readonly string[]).includes(actual)) {
    return false;
  }
  return code === undefined || actual === code;
}

/** Shorthand constructor used across the engine. */
export function hexxlaError(
  code: ErrorCode,
  message: string,
  context?: ErrorContext,
  cause?: unknown,
): HexxlaError {
  return new HexxlaError(code, message, { context: context ?? {}, cause });
}

/**
 * Throws InvalidArgument unless `options` is undefined or an object. A parameter default
 * (`options = {}`) replaces only undefined: null would otherwise reach the first field read as a
 * TypeError.
 */
export function checkOptionsObject(options: unknown, what: string): void {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw hexxlaError('InvalidArgument', `${what} must be an object`);
  }
}

/** Wraps a Node.js system error from file I/O into the matching typed error. */
export function ioError(operation: string, path: string, cause: unknown): HexxlaError {
  const errno = (cause as { code?: unknown } | null)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return hexxlaError('DiskFull', `${operation} failed: disk full`, { path }, cause);
  }
  const detail = typeof errno === 'string' ? errno : String(cause);
  return hexxlaError('IoError', `${operation} failed: ${detail}`, { path }, cause);
}
