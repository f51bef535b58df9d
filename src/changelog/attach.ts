/**
 * Joins a Store and its changelog sidecar (SPEC §7): opens the log beside the primary (sealed
 * under the changelog subkey when the database is encrypted), has the store sync it before every
 * WAL fsync, and exposes what Database needs: stage a commit's changes, mark durable, roll back.
 */
import { checkOptionsObject, hexxlaError } from '../errors.js';
import type { Change } from '../model/context.js';
import { changelogSealer } from '../storage/crypto/seal.js';
import type { FileSystem } from '../storage/file.js';
import type { Store } from '../storage/store.js';
import { changeOps } from '../types/changelog.js';
import { Changelog, type ChangelogFilter } from './changelog.js';
import type { ChangelogEntry, ChangelogFrame } from './format.js';
import { followChangelog, type SubscribeOptions } from './subscribe.js';

/** The sidecar's path for a primary at `path`. */
export const changelogPath = (path: string): string => `${path}-changelog`;

export class ChangelogLink {
  private constructor(
    private readonly store: Store,
    readonly log: Changelog,
  ) {
    store.setBeforeWalSync(() => log.sync());
  }

  static async open(store: Store, fs: FileSystem): Promise<ChangelogLink> {
    const keys = store.encryptionKeys;
    const log = await Changelog.open({
      fs, path: changelogPath(store.path), fileId: store.identity.fileId,
      commitSeq: store.commitSeq, ...(keys === null ? {} : { sealer: changelogSealer(keys) }),
    });
    return new ChangelogLink(store, log);
  }

  /** Writes the frame of the commit being built (synced before the WAL fsync). */
  stage(seq: bigint, timeMs: number, changes: readonly Change[]): void {
    if (changes.length > 0) this.log.stage(seq, timeMs, changes);
  }

  /**
   * After an update settled: publishes the frames of durable commits, or, after a failure, drops
   * the frames of commits the store no longer has (a failed commit rolls the store back to its
   * durable state; a callback that threw staged nothing and leaves other commits in flight).
   */
  settle(ok: boolean): void {
    if (ok) this.log.markDurable(this.store.commitSeq);
    else this.log.rollbackTo(this.store.latestCommitSeq);
  }

  readSince(seq: bigint, limit?: number): ChangelogEntry[] {
    checkSeq(seq);
    checkLimit(limit);
    return this.log.readSince(seq, limit);
  }

  readFiltered(seq: bigint, filter: ChangelogFilter): ChangelogEntry[] {
    checkSeq(seq);
    checkFilter(filter);
    return this.log.readFiltered(seq, filter);
  }

  get startSeq(): bigint {
    return this.log.startSeq;
  }

  /**
   * Subscribes from `fromSeq`; when this log closes, `next` gives the log that replaced it (see
   * followChangelog), or null when the database closed.
   */
  subscribe(fromSeq: bigint, options: SubscribeOptions | undefined,
    next: () => Promise<Changelog | null>): AsyncGenerator<ChangelogFrame> {
    checkSeq(fromSeq);
    checkOptionsObject(options, 'subscribe options');
    return followChangelog(this.log, fromSeq, options ?? {}, next);
  }

  close(): void {
    this.store.setBeforeWalSync(null);
    this.log.close();
  }
}

/** Throws InvalidArgument unless `limit` is absent or an integer ≥ 0. */
function checkLimit(limit: unknown): void {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0)) {
    throw hexxlaError('InvalidArgument', 'limit must be an integer >= 0',
      { limit: String(limit) });
  }
}

/**
 * Throws InvalidArgument for a filter that is not what its type says: `ops` an array of known
 * op names, `keyPrefix` a Uint8Array. (A string `ops` matched by substring, an unknown op or a
 * string prefix matched nothing: wrong answers instead of errors.)
 */
function checkFilter(filter: ChangelogFilter): void {
  if (typeof filter !== 'object' || filter === null) {
    throw hexxlaError('InvalidArgument', 'the changelog filter must be an object');
  }
  const { ops, keyPrefix, limit } = filter;
  if (ops !== undefined) {
    if (!Array.isArray(ops)) throw hexxlaError('InvalidArgument', 'filter.ops must be an array');
    for (const op of ops as unknown[]) {
      if (typeof op !== 'string' || !Object.hasOwn(changeOps, op)) {
        throw hexxlaError('InvalidArgument', `unknown changelog op ${String(op)}`,
          { op: String(op) });
      }
    }
  }
  if (keyPrefix !== undefined && !(keyPrefix instanceof Uint8Array)) {
    throw hexxlaError('InvalidArgument', 'filter.keyPrefix must be a Uint8Array');
  }
  checkLimit(limit);
}

function checkSeq(seq: bigint): void {
  if (typeof seq !== 'bigint' || seq < 0n) {
    throw hexxlaError('InvalidArgument', 'seq must be a non-negative bigint');
  }
}
