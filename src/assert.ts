/**
 * Assertions for programming errors (tier 1 of the error model in ARCHITECTURE.md).
 * A failed assertion is a bug, never an expected condition: it throws `AssertionError`, and a
 * write path that hits one poisons the database rather than continue on a state that may be
 * corrupt.
 */

export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

/** Throws AssertionError when `condition` is false. */
export function assert(condition: unknown, message = 'invariant violated'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch that the type system proves unreachable. */
export function assertNever(value: never, message = 'unexpected value'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

/** True when expensive invariant checks are on (HEXXLA_VERIFY=1), like bbolt's BBOLT_VERIFY. */
export const verifyEnabled = process.env['HEXXLA_VERIFY'] === '1';

/** True for a promise or any object with a `then` method (what an async callback returns). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
