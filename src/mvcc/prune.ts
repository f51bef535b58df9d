/**
 * Version pruning, retention and prune profiles (SPEC §6; docs/mvcc.md).
 *
 * Layout recap (src/mvcc/records.ts): under MVCC every row of the record families 0x10–0x3F has
 * the tree key `logical ‖ u64be(2^64 − 1 − seq)`, so the versions of one logical key are adjacent
 * and come newest first; an empty value is a tombstone. A reader at seq S sees the newest version
 * with seq ≤ S. Families 0x40+ (timeline, snapshot tags, meta) and raw user keys (0x00) are not
 * versioned and are never touched here.
 *
 * Which versions may go. Let V (seq v) be a version and W (seq w) the next-newer version of the
 * same logical key. V is what readers at seqs in [v, w) see, and nobody else; the newest version
 * has w = ∞. Pruning promises that reads at every seq ≥ beforeSeq and at every protected seq
 * (open snapshots, snapshot tags, engine pins) are unchanged. So:
 *   1. V is removed iff w ≤ beforeSeq (then no seq ≥ beforeSeq lies in [v, w)) and no protected
 *      seq lies in [v, w). The newest version (w = ∞) always stays, so the newest visible
 *      version of a live record is never removed. Every reader that must keep its result reads a
 *      version that stays and had no kept version between it and the reader's seq, so its
 *      result is unchanged; since this holds for each removal against the chain as it was, a
 *      whole set of removals decided on one chain is safe together.
 *   2. A tombstone T that is the oldest version that remains changes no read when removed:
 *      readers that saw T saw "absent", and with nothing older they still see "absent". So the
 *      kept tombstones at the bottom of a chain go, oldest first, once rule 1 has removed what
 *      was below them. They go only when their seq ≤ beforeSeq, so that pruning never touches
 *      history after the prune point (and a key deleted at seq t vanishes once beforeSeq ≥ t).
 * Both rules are decided while streaming a chain newest → oldest: rule 1 needs only the seq of
 * the previous row (the original next-newer version, removed or not), rule 2 keeps the run of
 * kept tombstones ≤ beforeSeq seen since the last other kept row (at most one per protected seq
 * plus one), and removes it when the chain ends.
 *
 * A later pass sees the chain a previous pass left; deciding on that chain is again safe, since
 * the reads it protects are the same. A version already removed cannot come back, so a read
 * later at an unprotected seq below an earlier prune point would see a partly pruned state: the
 * host's prune floor (src/mvcc/prune-floor.ts, raised by `raiseFloor` in the transaction of every
 * step that removes rows) refuses such reads with ReadSeqPruned.
 *
 * Passes. `VersionPruner.prune(beforeSeq, maxDelete)` removes at most `maxDelete` rows, in
 * synchronous steps of at most `pruneStepRowsMax` scanned rows; each step that removes rows is
 * one commit (one fsync), and every step yields to the event loop. A cursor (a logical key) kept
 * between calls makes repeated calls continue where the last stopped instead of rescanning from
 * the start; a call scans at most one full cycle (cursor → end, then start → cursor), so a call
 * that returns 0 scanned everything and found nothing to remove. Calls are serialised.
 */
import { hexxlaError } from '../errors.js';
import { splitSeq } from '../engine/keys.js';
import { compareBytes } from '../storage/page.js';
import type { StoreWriteTx } from '../storage/tx.js';

/**
 * Rows scanned per synchronous step. The store scans ≈ 300–450 k rows/s here (bench/prune-bench)
 * and a step deletes at most this many rows, so one step holds the event loop for ≈ 10–20 ms;
 * 4096 deletes dirty at most a few hundred leaf pages, far below txDirtyPagesMax.
 */
export const pruneStepRowsMax = 4096;
/**
 * Largest `maxDelete` of one call. At ≈ 60–100 k removals/s (bench/prune-bench, real disk) a
 * call of 100,000 runs one to two seconds in yielding steps; callers wanting more call again.
 */
export const pruneDeleteMax = 100_000;

/** First tree key and exclusive end of the versioned families 0x10–0x3F. */
const versionedStart = Uint8Array.of(0x10);
const versionedEnd = Uint8Array.of(0x40);

/** Sorted protected seqs with an interval query. */
class ProtectedSeqs {
  private readonly seqs: bigint[];

  constructor(seqs: readonly bigint[]) {
    this.seqs = [...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** True when a protected seq p has lo ≤ p < hi. */
  anyIn(lo: bigint, hi: bigint): boolean {
    let a = 0;
    let b = this.seqs.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if ((this.seqs[mid] ?? 0n) < lo) a = mid + 1;
      else b = mid;
    }
    const first = this.seqs[a];
    return first !== undefined && first < hi;
  }
}

/** The chain (versions of one logical key) being scanned. */
interface Chain {
  readonly logical: Uint8Array;
  /** Seq of the previous (next-newer) row of the chain, removed or not. */
  newerSeq: bigint;
  /** Kept tombstones with seq ≤ beforeSeq since the last other kept row, newest first. */
  tail: Uint8Array[];
}

interface StepInput {
  readonly beforeSeq: bigint;
  readonly protectedSeqs: ProtectedSeqs;
  /** Inclusive tree key to scan from, and exclusive end (both on logical key boundaries). */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  /** The chain left open by the previous step, or null. */
  readonly chain: Chain | null;
  readonly deletesMax: number;
}

interface StepResult {
  readonly removed: number;
  /** Tree key where the next step starts (inclusive); undefined when the range is done. */
  readonly next: Uint8Array | undefined;
  /** Chain still open at `next` (null when `next` is undefined). */
  readonly chain: Chain | null;
}

function noteKept(chain: Chain, key: Uint8Array, value: Uint8Array, seq: bigint,
  beforeSeq: bigint): void {
  if (value.length === 0 && seq <= beforeSeq) chain.tail.push(key);
  else chain.tail = [];
}

/**
 * Rule 2: the chain ended; its bottom run of tombstones goes, within budget. Any subset of that
 * run may go (everything at and below it reads "absent" either way); oldest first is natural.
 */
function flushTail(chain: Chain | null, doomed: Uint8Array[], deletesMax: number): void {
  if (chain === null) return;
  for (let i = chain.tail.length - 1; i >= 0 && doomed.length < deletesMax; i--) {
    doomed.push(chain.tail[i] as Uint8Array);
  }
  chain.tail = [];
}

/**
 * One synchronous step on the write transaction: scans at most pruneStepRowsMax rows of
 * [start, end), applies rules 1 and 2 (file header) and deletes at most `deletesMax` rows.
 */
function pruneStep(w: StoreWriteTx, input: StepInput): StepResult {
  const { beforeSeq, protectedSeqs, deletesMax } = input;
  const doomed: Uint8Array[] = [];
  let chain = input.chain;
  let rows = 0;
  let next: Uint8Array | undefined;
  for (const [key, value] of w.range({ start: input.start, end: input.end })) {
    if (rows >= pruneStepRowsMax || doomed.length >= deletesMax) {
      next = key;
      break;
    }
    rows++;
    const { logical, seq } = splitSeq(key);
    if (chain === null || compareBytes(logical, chain.logical) !== 0) {
      flushTail(chain, doomed, deletesMax);
      chain = { logical, newerSeq: seq, tail: [] };
      noteKept(chain, key, value, seq, beforeSeq); // the newest version always stays
      continue;
    }
    // Rule 1: this version is visible only in [seq, newerSeq).
    if (chain.newerSeq <= beforeSeq && !protectedSeqs.anyIn(seq, chain.newerSeq)) {
      doomed.push(key);
    } else {
      noteKept(chain, key, value, seq, beforeSeq);
    }
    chain.newerSeq = seq;
  }
  if (next === undefined) {
    flushTail(chain, doomed, deletesMax);
    chain = null;
  }
  // Deleting after the scan keeps the range iterator from re-seeking after every delete.
  for (const key of doomed) w.delete(key);
  return { removed: doomed.length, next, chain };
}

/** A key range [start, end) scanned by one phase of a pass. */
interface Phase {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** What the pruner needs from its database. */
export interface PruneHost {
  /**
   * Runs `fn` as the only writer and resolves once its commit (if it wrote anything) is durable.
   */
  update<T>(fn: (w: StoreWriteTx) => T): Promise<T>;
  /** Seqs whose reads must not change, read inside the writing transaction. */
  protectedSeqs(w: StoreWriteTx): readonly bigint[];
  /**
   * Called in the transaction of every step that removes rows, with the pass's beforeSeq: the
   * host raises its prune floor there (src/mvcc/prune-floor.ts), so the floor is durable in the
   * same commit as the deletions.
   */
  raiseFloor?(w: StoreWriteTx, beforeSeq: bigint): void;
}

/** Lets the event loop run (I/O callbacks included) between synchronous steps. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Removes record versions no protected reader needs, in bounded, resumable passes. One per
 * database: it owns the resume cursor. See the file header for the rules.
 */
export class VersionPruner {
  /** Logical key where the next call starts; undefined: the start of the versioned range. */
  private cursor: Uint8Array | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: PruneHost) {}

  /**
   * Removes at most `maxDelete` versions with seq < `beforeSeq` that no reader at a seq ≥
   * beforeSeq or at a protected seq can see, and tombstones nothing older needs (seq ≤
   * beforeSeq). Returns the number of rows removed; 0 means a full cycle found nothing. The
   * caller validates the arguments and clamps beforeSeq to the durable head.
   */
  prune(beforeSeq: bigint, maxDelete: number): Promise<number> {
    const run = this.queue.then(() => this.pass(beforeSeq, maxDelete));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async pass(beforeSeq: bigint, maxDelete: number): Promise<number> {
    if (beforeSeq <= 0n) return 0; // seqs start at 1: nothing is older than seq 0
    const origin: Uint8Array = this.cursor ?? versionedStart;
    const phases: Phase[] = [{ start: origin, end: versionedEnd }];
    if (compareBytes(origin, versionedStart) > 0) {
      phases.push({ start: versionedStart, end: origin });
    }
    let removed = 0;
    for (const phase of phases) {
      if (removed >= maxDelete) {
        this.cursor = phase.start === versionedStart ? undefined : phase.start;
        return removed;
      }
      let start: Uint8Array | undefined = phase.start;
      let chain: Chain | null = null;
      while (start !== undefined) {
        const input = { beforeSeq, start, end: phase.end, chain, deletesMax: maxDelete - removed };
        const step: StepResult = await this.host.update((w) => {
          const done = pruneStep(w,
            { ...input, protectedSeqs: new ProtectedSeqs(this.host.protectedSeqs(w)) });
          if (done.removed > 0) this.host.raiseFloor?.(w, beforeSeq);
          return done;
        });
        removed += step.removed;
        ({ next: start, chain } = step);
        if (start !== undefined && removed >= maxDelete) {
          // Resume at a logical key boundary: the open chain restarts from its newest version.
          this.cursor = chain?.logical ?? splitSeq(start).logical;
          return removed;
        }
        if (step.removed === 0) await yieldToEventLoop();
      }
    }
    return removed;
  }
}

/** Names of the built-in prune profiles. */
export type PruneProfileName = 'low-latency' | 'balanced' | 'long-history';

/** What a prune profile chooses (SPEC §6). */
export interface PruneProfile {
  readonly name: string;
  /** Commits of history kept behind the head: a pass prunes before head − this. */
  readonly retainCommitsBehindHead: number;
  /** Rows one pass (one scheduler tick) may remove. */
  readonly maxDeletePerPass: number;
  /**
   * Advice for hosts that run a timer (the server): milliseconds between ticks. The library
   * itself never starts a timer.
   */
  readonly tickIntervalMs: number;
}

/**
 * The built-in profiles; docs/mvcc.md has the same table. The pass bound sets how long a tick
 * may run: prune-bench removes ≈ 60–100 k versions/s on this machine's disk (one commit per
 * 4096-row step), so 1,000 rows ≈ 10–20 ms, 10,000 ≈ 0.1–0.2 s, 50,000 ≈ 0.5–0.8 s, spread over
 * steps of ≤ 4096 rows that each yield to the event loop.
 * - low-latency: keeps 100 commits of history, removes ≤ 1,000 rows per tick, every second: many
 *   tiny passes, so the writer queue never waits long behind a prune commit.
 * - balanced (the default): keeps 10,000 commits, ≤ 10,000 rows per tick, every 10 s.
 * - long-history: keeps 1,000,000 commits (time travel far back), ≤ 50,000 rows per tick, every
 *   minute: rare, larger passes, since little becomes prunable at a time.
 */
export const pruneProfiles: Readonly<Record<PruneProfileName, PruneProfile>> = {
  'low-latency': {
    name: 'low-latency', retainCommitsBehindHead: 100, maxDeletePerPass: 1_000,
    tickIntervalMs: 1_000,
  },
  balanced: {
    name: 'balanced', retainCommitsBehindHead: 10_000, maxDeletePerPass: 10_000,
    tickIntervalMs: 10_000,
  },
  'long-history': {
    name: 'long-history', retainCommitsBehindHead: 1_000_000, maxDeletePerPass: 50_000,
    tickIntervalMs: 60_000,
  },
};

/** The default profile. */
export const defaultPruneProfile: PruneProfileName = 'balanced';

/**
 * The built-in profile called `profile`, or `profile` itself (a custom one) after validation.
 * Throws InvalidArgument for an unknown name or a field outside its bounds.
 */
export function resolvePruneProfile(profile: PruneProfileName | PruneProfile): PruneProfile {
  if (typeof profile === 'string') {
    if (!Object.hasOwn(pruneProfiles, profile)) {
      throw hexxlaError('InvalidArgument', `unknown prune profile "${profile}" (one of ` +
        `${Object.keys(pruneProfiles).join(', ')})`, { profile });
    }
    return pruneProfiles[profile];
  }
  if (typeof profile !== 'object' || profile === null) {
    throw hexxlaError('InvalidArgument', 'a prune profile is a name or a PruneProfile object');
  }
  checkRetention(profile.retainCommitsBehindHead, 'profile.retainCommitsBehindHead');
  checkPruneArgs(0n, profile.maxDeletePerPass);
  if (!Number.isSafeInteger(profile.tickIntervalMs) || profile.tickIntervalMs < 1) {
    throw hexxlaError('InvalidArgument', 'profile.tickIntervalMs must be an integer >= 1',
      { value: String(profile.tickIntervalMs) });
  }
  return profile;
}

/** max(0, head − retain), or 0n when `retain` is 0 (no suggestion). */
export function suggestedPruneBeforeSeq(head: bigint, retain: number): bigint {
  if (retain === 0) return 0n;
  const seq = head - BigInt(retain);
  return seq > 0n ? seq : 0n;
}

/** Throws InvalidArgument unless `retain` is a safe integer ≥ 0. */
export function checkRetention(retain: number, what = 'retainCommitsBehindHead'): number {
  if (!Number.isSafeInteger(retain) || retain < 0) {
    throw hexxlaError('InvalidArgument', `${what} must be a safe integer >= 0`,
      { option: what, value: String(retain) });
  }
  return retain;
}

/** Validates pruneCellVersions' arguments; throws InvalidArgument naming the bound. */
export function checkPruneArgs(beforeSeq: bigint, maxDelete: number): void {
  if (typeof beforeSeq !== 'bigint' || beforeSeq < 0n) {
    throw hexxlaError('InvalidArgument', 'beforeSeq must be a non-negative bigint',
      { value: String(beforeSeq) });
  }
  if (!Number.isSafeInteger(maxDelete) || maxDelete < 1 || maxDelete > pruneDeleteMax) {
    throw hexxlaError('InvalidArgument', `maxDelete must be an integer in [1, ${pruneDeleteMax}]`,
      { value: String(maxDelete), limit: pruneDeleteMax });
  }
}
