/**
 * Live changelog subscriptions (SPEC §7): replay durable commits after a seq from the file, then
 * follow new commits as they become durable, in commit order, without gaps or duplicates.
 *
 * The live listener is registered before the replay starts, so a commit that becomes durable
 * during the replay is queued and delivered after it (duplicates are skipped by seq). The queue is
 * bounded: a subscriber that falls `bufferFrames` commits behind is cut off with
 * `SubscriberLagging` carrying `resumeSeq` (the last seq it received), so a slow reader never
 * stalls writers or grows memory without bound; it resumes by subscribing from that seq.
 */
import { hexxlaError } from '../errors.js';
import { closedFrame, type Changelog } from './changelog.js';
import type { ChangelogFrame } from './format.js';

export interface SubscribeOptions {
  /** Commits that may wait for the reader before it is cut off (default 1024). */
  readonly bufferFrames?: number;
  /** Ends the subscription (the iterator returns). */
  readonly signal?: AbortSignal;
}

export const subscribeBufferFramesDefault = 1024;

/**
 * Like subscribeChangelog, but when the log closes it asks `next` for the log that replaced it
 * (a live swap or key rotation restarts the log on the new files; null or the same closed log:
 * the database closed) and continues there from the last seq delivered. When every frame of
 * the old log was delivered, the commits between it and the new log's start changed nothing and
 * the new log is read from its start; else the frames not delivered went with the old log and
 * the new one refuses the seq (PreconditionFailed), never skipping them silently.
 */
export async function* followChangelog(first: Changelog, fromSeq: bigint,
  opts: SubscribeOptions, next: () => Promise<Changelog | null>):
  AsyncGenerator<ChangelogFrame> {
  let log = first;
  let last = fromSeq;
  for (;;) {
    for await (const frame of subscribeChangelog(log, last, opts)) {
      last = frame.seq;
      yield frame;
    }
    if (opts.signal?.aborted === true) return;
    const replacement = await next();
    if (replacement === null || replacement === log || replacement.isClosed) return;
    if (last >= log.lastFrameSeq && replacement.startSeq > last &&
      nothingBetween(log, replacement, last)) {
      last = replacement.startSeq;
    }
    log = replacement;
  }
}

/**
 * True when every log between `from` and `to` (the chain of replacedBy; two swaps while the
 * subscriber did not read) holds no frame after `last`, so jumping to `to`'s start skips
 * nothing. False when the chain does not lead to `to`: then nothing is known, and the caller
 * lets `to` refuse the seq instead of jumping.
 */
function nothingBetween(from: Changelog, to: Changelog, last: bigint): boolean {
  for (let l = from.replacedBy; l !== null; l = l.replacedBy) {
    if (l === to) return true;
    // lastFrameSeq is the start seq when the log has no frame: only a frame after last counts.
    if (l.lastFrameSeq > last && l.lastFrameSeq > l.startSeq) return false;
  }
  return false;
}

/** Commits after `fromSeq`, then live ones, as an async iterator of frames (one per commit). */
export async function* subscribeChangelog(log: Changelog, fromSeq: bigint,
  opts: SubscribeOptions = {}): AsyncGenerator<ChangelogFrame> {
  const bound = opts.bufferFrames ?? subscribeBufferFramesDefault;
  if (!Number.isSafeInteger(bound) || bound < 1) {
    throw hexxlaError('InvalidArgument', 'bufferFrames must be a positive integer');
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw hexxlaError('InvalidArgument', 'signal must be an AbortSignal');
  }
  const queue: ChangelogFrame[] = [];
  let wake: (() => void) | null = null;
  let overflow = false;
  const stop = log.listen((frame) => {
    if (queue.length >= bound) overflow = true;
    else queue.push(frame);
    wake?.();
  });
  const onAbort = (): void => wake?.();
  opts.signal?.addEventListener('abort', onAbort);
  let last = fromSeq;
  try {
    for (const frame of log.frames(fromSeq)) {
      if (opts.signal?.aborted === true) return;
      last = frame.seq;
      yield frame;
    }
    for (;;) {
      if (opts.signal?.aborted === true) return;
      const frame = queue.shift();
      if (frame === closedFrame) return;
      if (frame !== undefined) {
        if (frame.seq <= last) continue;
        last = frame.seq;
        yield frame;
        continue;
      }
      if (overflow) {
        throw hexxlaError('SubscriberLagging', `the subscriber fell ${bound} commits behind; ` +
          `resume from seq ${last}`, { resumeSeq: last, bufferFrames: bound });
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
