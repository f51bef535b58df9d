/**
 * The prune scheduler (SPEC §6): one bounded prune pass per `tick()`, with the retention and the
 * pass bound of a prune profile (src/mvcc/prune.ts, docs/mvcc.md).
 *
 * The library never starts a timer or a background task: the host (the server, an application)
 * calls `tick()` when it wants, e.g. every `profile.tickIntervalMs`. A tick that starts while the
 * previous one still runs is skipped rather than queued, so a slow disk cannot pile ticks up.
 */
import {
  defaultPruneProfile, resolvePruneProfile, type PruneProfile, type PruneProfileName,
} from './prune.js';

/** What the scheduler drives: a Database (structural, so mvcc/ does not import engine/). */
export interface PruneSchedulerTarget {
  pruneByProfile(profile: PruneProfileName | PruneProfile): Promise<number>;
}

/** Outcome of one tick. */
export interface PruneTickResult {
  /** Rows removed by this tick's pass. */
  readonly removed: number;
  /** True when the previous tick was still running and this one did nothing. */
  readonly skipped: boolean;
  /** True when the pass scanned a full cycle and found nothing (removed 0, not skipped). */
  readonly idle: boolean;
}

/** Counters since the scheduler was made. */
export interface PruneSchedulerStats {
  readonly ticks: number;
  readonly skippedTicks: number;
  readonly removedTotal: number;
  readonly lastRemoved: number;
}

/** Runs one bounded prune pass per tick. See the file header. */
export class PruneScheduler {
  /** The profile in force (validated). */
  readonly profile: PruneProfile;
  private running = false;
  private counters = { ticks: 0, skippedTicks: 0, removedTotal: 0, lastRemoved: 0 };

  /**
   * `profile` defaults to 'balanced'. Throws InvalidArgument for an unknown or invalid profile.
   */
  constructor(
    private readonly db: PruneSchedulerTarget,
    profile: PruneProfileName | PruneProfile = defaultPruneProfile,
  ) {
    this.profile = resolvePruneProfile(profile);
  }

  /**
   * One pass of at most `profile.maxDeletePerPass` removals before head − retention. Rejects
   * with the pass's error (MvccDisabled on a v1 database, DatabaseClosed, …).
   */
  async tick(): Promise<PruneTickResult> {
    if (this.running) {
      this.counters.skippedTicks++;
      return { removed: 0, skipped: true, idle: false };
    }
    this.running = true;
    try {
      const removed = await this.db.pruneByProfile(this.profile);
      this.counters.ticks++;
      this.counters.removedTotal += removed;
      this.counters.lastRemoved = removed;
      return { removed, skipped: false, idle: removed === 0 };
    } finally {
      this.running = false;
    }
  }

  /** A copy of the counters. */
  stats(): PruneSchedulerStats {
    return { ...this.counters };
  }
}
