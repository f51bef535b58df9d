/**
 * Retry with backoff for idempotent reads (SPEC §12.5).
 *
 * Only reads are retried, and only when the failure says the server could not be reached or is
 * going away (UNAVAILABLE): a write that failed that way may or may not have committed, so
 * repeating it is the caller's decision, never the SDK's. Delays grow exponentially with full
 * jitter (AWS's "full jitter": a uniform draw in [0, min(cap, base·2^attempt)]), so many
 * clients that lost the same server do not come back in lockstep. A retry never starts past
 * the call's deadline or after its signal aborted.
 */
import { hexxlaError } from '../errors.js';
import { isRetryable } from './error-from-status.js';

/** How reads are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 4; 1 = no retry). */
  readonly attempts?: number;
  /** First backoff bound in ms (default 50). */
  readonly baseDelayMs?: number;
  /** Largest backoff bound in ms (default 1000). */
  readonly maxDelayMs?: number;
}

/** Bounds of a retry policy: more than 20 attempts would hide an outage rather than ride it. */
export const retryAttemptsMax = 20;

/** A validated policy with every field set. */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

export const retryPolicyDefault: ResolvedRetryPolicy =
  { attempts: 4, baseDelayMs: 50, maxDelayMs: 1000 };

/** Fills defaults and checks bounds; InvalidArgument names the bad field. */
export function resolveRetryPolicy(policy: RetryPolicy | false | undefined): ResolvedRetryPolicy {
  if (policy === false) return { ...retryPolicyDefault, attempts: 1 };
  const p = { ...retryPolicyDefault, ...policy };
  if (!Number.isSafeInteger(p.attempts) || p.attempts < 1 || p.attempts > retryAttemptsMax) {
    throw hexxlaError('InvalidArgument', `retry.attempts must be an integer in ` +
      `[1, ${retryAttemptsMax}]`, { field: 'retry.attempts' });
  }
  for (const field of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(p[field]) || p[field] < 0) {
      throw hexxlaError('InvalidArgument', `retry.${field} must be a finite number >= 0`,
        { field: `retry.${field}` });
    }
  }
  return p;
}

/** The delay before retry number `attempt` (1-based). */
export function backoffMs(policy: ResolvedRetryPolicy, attempt: number,
  random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * bound);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

/** Read through a function: TypeScript would otherwise keep its narrowing across the await. */
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** When and whether a failed attempt may be repeated. */
export interface RetryScope {
  readonly policy: ResolvedRetryPolicy;
  /** Absolute deadline (ms since epoch) of the whole call; Infinity = none. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the policy, deadline
 * or signal says stop; the last error is thrown. `attempt` must throw errors already typed.
 */
export async function withRetry<T>(scope: RetryScope,
  attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= scope.policy.attempts || !isRetryable(err)) throw err;
      const delay = backoffMs(scope.policy, n);
      if (Date.now() + delay >= scope.deadline || scope.signal?.aborted === true) throw err;
      await sleep(delay, scope.signal);
      if (isAborted(scope.signal)) throw err;
    }
  }
}
