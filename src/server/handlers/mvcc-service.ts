/**
 * MvccService handlers (SPEC §5, §6): stats, snapshot tags, diffs and bounded prune passes.
 * A prune pass that removes rows commits; its header names the head after the pass.
 */
import type { MvccService } from '../../../gen/hexxladb/v1/mvcc_service_pb.js';
import { DiffChange, PruneProfile } from '../../../gen/hexxladb/v1/mvcc_service_pb.js';
import { hexxlaError } from '../../errors.js';
import type { Coord } from '../../index.js';
import { coordOut } from '../convert.js';
import { diffEntriesPerMessage, pruneMaxDeleteDefault } from '../limits.js';
import { headerAt, offsetList, readPage } from '../snapshot.js';
import { checkLive, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof MvccService>;

const profileNames = {
  [PruneProfile.LOW_LATENCY]: 'low-latency',
  [PruneProfile.BALANCED]: 'balanced',
  [PruneProfile.LONG_HISTORY]: 'long-history',
} as const;

function profileName(p: PruneProfile): (typeof profileNames)[keyof typeof profileNames] {
  const name = (profileNames as Partial<Record<PruneProfile, string>>)[p];
  if (name === undefined) {
    throw hexxlaError('InvalidArgument', 'profile must be set to a known PruneProfile',
      { profile: p });
  }
  return name as (typeof profileNames)[keyof typeof profileNames];
}

/** Prune handlers (admin role). */
function pruneHandlers(db: HandlerDeps['db']): Handlers {
  return {
    async getSuggestedPrune(_req, ctx) {
      checkLive(ctx);
      const beforeSeq = db.suggestedPruneBeforeSeq();
      return { header: headerAt(db, db.commitSeq()), beforeSeq };
    },
    async pruneCellVersions(req, ctx) {
      checkLive(ctx);
      const maxDelete = req.maxDelete === 0 ? pruneMaxDeleteDefault : req.maxDelete;
      const removed = await db.pruneCellVersions(req.beforeSeq, maxDelete);
      return { header: headerAt(db, db.commitSeq()), removed: BigInt(removed) };
    },
    async pruneByProfile(req, ctx) {
      checkLive(ctx);
      const name = profileName(req.profile);
      const removed = await db.pruneByProfile(name);
      return { header: headerAt(db, db.commitSeq()), removed: BigInt(removed) };
    },
  };
}

export function mvccHandlers({ db, pageBytes }: HandlerDeps): Handlers {
  return {
    ...pruneHandlers(db),
    async getMvccStats(_req, ctx) {
      checkLive(ctx);
      const stats = db.statsMVCC();
      return { header: headerAt(db, stats.headSeq), headSeq: stats.headSeq,
        cellCount: BigInt(stats.cellCount), versionedRowCount: BigInt(stats.versionedRows) };
    },
    async tagSnapshot(req, ctx) {
      checkLive(ctx);
      const seq = await db.tagSnapshot(req.label);
      // Tagging commits the tag itself: the header names the head after that commit.
      return { header: headerAt(db, db.commitSeq()), seq };
    },
    async getSnapshotTag(req, ctx) {
      checkLive(ctx);
      const seq = db.snapshotTag(req.label);
      return { header: headerAt(db, db.commitSeq()), seq };
    },
    async listSnapshotTags(req, ctx) {
      checkLive(ctx);
      // Tags are not versioned data: always listed at the head, paged by offset.
      const all = db.listSnapshotTags();
      const page = readPage(db, { budgetBytes: pageBytes, unversioned: true,
        readAt: undefined, page: req.page, scope: 'snapshot-tags',
        ...offsetList(() => all) });
      return { header: page.header, tags: page.items,
        page: { nextPageToken: page.nextPageToken } };
    },
    async deleteSnapshotTag(req, ctx) {
      checkLive(ctx);
      const deleted = await db.deleteSnapshotTag(req.label);
      return { header: headerAt(db, db.commitSeq()), deleted };
    },
    async *diffSnapshots(req, ctx) {
      checkLive(ctx);
      const diff = db.snapshotDiff(req.fromSeq, req.toSeq);
      const header = headerAt(db, req.toSeq);
      const all: { coord: Coord; change: DiffChange }[] = [
        ...diff.added.map((coord) => ({ coord, change: DiffChange.ADDED })),
        ...diff.modified.map((coord) => ({ coord, change: DiffChange.MODIFIED })),
        ...diff.removed.map((coord) => ({ coord, change: DiffChange.REMOVED })),
      ];
      for (let i = 0; i === 0 || i < all.length; i += diffEntriesPerMessage) {
        const chunk = all.slice(i, i + diffEntriesPerMessage);
        const entries = chunk.map((e) => ({ coord: coordOut(e.coord), change: e.change }));
        yield { header, entries };
      }
    },
  };
}

