/**
 * The check every power-loss test makes of a crash image (kept apart from commit-workload.ts,
 * which child processes import outside vitest): the database opens, holds exactly the model
 * state after k commits with acked ≤ k ≤ issued, passes check(), accepts commit k + 1, and
 * still holds it after a reopen.
 */
import { expect } from 'vitest';
import { open } from '../../src/index.js';
import type { Database, OpenOptions, ReadTx } from '../../src/index.js';
import type { FileSystem } from '../../src/storage/file.js';
import type { CommitDriver } from './commit-workload.js';
import { applyCommit, lastCommit, readState, stateDiff } from './commit-workload.js';

export interface PrefixCheckOptions {
  readonly dbPath: string;
  /** Open options (without `fs`) for every open of an image. */
  readonly options: OpenOptions;
  readonly seed: number;
  /** Model states after 0 … n commits (modelPrefixes). */
  readonly prefixes: readonly Map<string, Uint8Array>[];
  /** Reads the workload's keys (default readState: the whole raw namespace). */
  readonly read?: (tx: ReadTx) => Map<string, Uint8Array>;
  /** check() also decodes every value (default true). */
  readonly verifyValues?: boolean;
}

export class PrefixChecker {
  constructor(private readonly o: PrefixCheckOptions) {}

  /** Expects the model state after k commits, min ≤ k ≤ max, and a clean check(); returns k. */
  expectState(db: Database, name: string, min: number, max: number): number {
    const state = db.view(this.o.read ?? readState);
    const k = lastCommit(state);
    expect(k, `${name}: commits present`).toBeGreaterThanOrEqual(min);
    expect(k, `${name}: commits present`).toBeLessThanOrEqual(max);
    expect(stateDiff(state, this.o.prefixes[k]!), `${name}: state after ${k} commits`).toBeNull();
    const report = db.check({ verifyValues: this.o.verifyValues ?? true });
    expect(report.errors, `${name}: check()`).toEqual([]);
    return k;
  }

  /** The whole check of one crash image, against the driver that ran the workload. */
  async checkImage(image: FileSystem, name: string, driver: CommitDriver): Promise<void> {
    const { dbPath, options, seed } = this.o;
    let db = await open(dbPath, { ...options, fs: image });
    const k = this.expectState(db, name, driver.acked, driver.issued);
    await db.update((tx) => applyCommit(tx, seed, k + 1));
    this.expectState(db, `${name} (+1 commit)`, k + 1, k + 1);
    await db.close();
    db = await open(dbPath, { ...options, fs: image });
    this.expectState(db, `${name} (+1 commit, reopened)`, k + 1, k + 1);
    await db.close();
  }
}
