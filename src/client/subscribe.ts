/**
 * The changelog subscriber (SPEC §7, §12.5): every commit after a seq, then live ones, exactly
 * once and in order, across disconnects.
 *
 * The server sends one message per commit (header.commit_seq = the commit's seq) and promises
 * no gaps or duplicates within one stream. Across streams the subscriber keeps that promise
 * itself: it remembers the seq of the last commit it delivered, and when the stream breaks —
 * UNAVAILABLE (connection lost, server restarting), the server's RESOURCE_EXHAUSTED cut-off
 * for a slow reader (SubscriberLagging), or a stream that ends although a subscription never
 * does (server shutdown) — it subscribes again from that seq. A commit at or below it is
 * skipped, so a replay can never duplicate, and since the server replays everything after the
 * given seq nothing can be missed. Re-subscribing backs off with jitter; after `resumeAttempts`
 * consecutive failures without a delivered commit the last error is thrown. Any other error
 * (ChangelogDisabled, PERMISSION_DENIED, …) is thrown at once. Aborting the signal or breaking
 * out of the loop ends the subscription quietly.
 */
import { timestampMs } from '@bufbuild/protobuf/wkt';
import {
  ChangelogService, type ChangeEvent, type SubscribeChangelogResponse,
} from '../../gen/hexxladb/v1/changelog_service_pb.js';
import { isHexxlaError } from '../errors.js';
import { isRetryable } from './error-from-status.js';
import { backoffMs, resolveRetryPolicy, type RetryPolicy } from './retry.js';
import type { CallOptions, Transport } from './transport.js';
import { changeOps, type ChangelogEntry, type ChangelogFrame, type ChangeOp } from './types.js';

const opByNumber = new Map<number, ChangeOp>(
  Object.entries(changeOps).map(([name, code]) => [code, name as ChangeOp]));

/** Options of a subscription. */
export interface SubscribeOptions extends Omit<CallOptions, 'deadlineMs'> {
  /** Consecutive failed re-subscriptions before giving up (default 10; 0 = never resume). */
  readonly resumeAttempts?: number;
  /** Backoff between re-subscriptions (attempts is ignored; see resumeAttempts). */
  readonly backoff?: Omit<RetryPolicy, 'attempts'>;
  /** Called before each re-subscription with the seq it resumes from and the cause. */
  readonly onResume?: (info: { readonly fromSeq: bigint; readonly cause: unknown }) => void;
}

/** The library's op name of a wire op number ('putCell' for 1). */
export function changeOpIn(op: number): ChangeOp {
  const name = opByNumber.get(op);
  // An op newer than this SDK: keep the entry rather than drop it, under its number.
  return name ?? (`op${op}` as ChangeOp);
}

/** The wire op number of a library op name (0, "unspecified", for an unknown name). */
export function changeOpOut(op: ChangeOp): number {
  return (changeOps as Record<string, number>)[op] ?? 0;
}

export function entryIn(e: ChangeEvent): ChangelogEntry {
  return {
    seq: e.seq,
    timeMs: e.committedAt === undefined ? 0 : timestampMs(e.committedAt),
    op: changeOpIn(e.op),
    family: e.family,
    key: e.key,
    ...(e.value.length === 0 ? {} : { value: e.value }),
  };
}

function frameIn(m: SubscribeChangelogResponse): ChangelogFrame {
  const entries = m.events.map(entryIn);
  return { seq: m.header?.commitSeq ?? entries[0]?.seq ?? 0n, timeMs: entries[0]?.timeMs ?? 0,
    entries };
}

/** True when a broken subscription should be resumed rather than reported. */
function resumable(err: unknown): boolean {
  return isRetryable(err) || isHexxlaError(err, 'SubscriberLagging');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Commits after `fromSeq`, then live ones; see the module comment. */
export async function* subscribeChangelog(transport: Transport, fromSeq: bigint,
  options: SubscribeOptions = {}): AsyncGenerator<ChangelogFrame> {
  const policy = resolveRetryPolicy({ ...options.backoff, attempts: 1 });
  const attemptsMax = options.resumeAttempts ?? 10;
  let last = fromSeq;
  let failures = 0;
  for (;;) {
    let cause: unknown = null;
    try {
      const stream = transport.stream(ChangelogService.method.subscribeChangelog,
        { sinceSeq: last }, options, { useDefaultDeadline: false });
      for await (const message of stream) {
        const frame = frameIn(message);
        if (frame.seq <= last) continue; // already delivered before a reconnect
        last = frame.seq;
        failures = 0;
        yield frame;
      }
    } catch (err) {
      if (options.signal?.aborted === true) return;
      if (!resumable(err)) throw err;
      cause = err;
    }
    if (options.signal?.aborted === true) return;
    if (++failures > attemptsMax) {
      if (cause !== null) throw cause;
      return; // the server keeps ending the stream cleanly: it is going away for good
    }
    options.onResume?.({ fromSeq: last, cause });
    await sleep(backoffMs(policy, failures), options.signal);
  }
}
