/**
 * ChangelogService handlers (SPEC §7, §12; changelog_service.proto). Every RPC fails with
 * FAILED_PRECONDITION (CHANGELOG_DISABLED) when the database runs without its changelog: the
 * engine throws ChangelogDisabled and the error map does the rest.
 *
 * Reads are pages of at most `page_size` entries that also stay below a byte budget (a quarter
 * of the send bound), so no unary response is unbounded even with large records. A page may end
 * inside a commit: its position is (next_since_seq = the last complete commit returned,
 * next_entry_offset = entries of the following commit already returned), which a client passes
 * back as (since_seq, entry_offset); nothing is skipped or repeated between pages.
 *
 * Subscribe sends one message per commit (header.commit_seq = its seq), replaying after
 * since_seq and then following live commits (Database.subscribeChangelog). Back-pressure: the
 * adapter writes a message only after the previous one drained, so a slow client stops pulling
 * frames; the engine then queues at most `bufferFrames` commits for it and ends the stream with
 * SubscriberLagging (RESOURCE_EXHAUSTED, ErrorInfo metadata resumeSeq = the last seq sent), so
 * writers never wait for a reader and memory stays bounded. Cancellation and deadlines abort the
 * call's signal, which ends the engine's subscription (its listener is removed at once).
 */
import type { ChangelogService } from '../../../gen/hexxladb/v1/changelog_service_pb.js';
import type { ChangelogFilter } from '../../changelog/changelog.js';
import type { ChangelogEntry } from '../../changelog/format.js';
import { hexxlaError, isHexxlaError } from '../../errors.js';
import type { Database } from '../../index.js';
import type { CallContext } from '../grpc-adapter.js';
import { pageSizeDefault, pageSizeMax } from '../limits.js';
import { headerAt } from '../snapshot.js';
import { engineOp, eventBytesEstimate, eventOf } from './changelog-events.js';
import { checkLive, checkMax, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof ChangelogService>;

/**
 * Largest entry_offset accepted. A page re-reads the skipped entries of its first commit, so the
 * offset bounds that work; no commit the service can write (WriteBatch ≤ 1000 mutations,
 * BatchPutCells ≤ 10,000 cells) comes near it.
 */
export const entryOffsetMax = 1_000_000;

/** Settings of the changelog handlers (from the server configuration). */
export interface ChangelogHandlerOptions {
  /** Commits queued for a subscriber before it is cut off (config changelogBufferFrames). */
  readonly bufferFrames: number;
  /** Byte budget of one read page (estimated encoded size). */
  readonly pageBytes: number;
}

/** Where a page starts or ends. */
interface Position {
  readonly sinceSeq: bigint;
  readonly entryOffset: number;
}

/** One page cut from the entries after a position. */
export interface ChangelogPage {
  readonly entries: ChangelogEntry[];
  readonly next: Position;
  readonly more: boolean;
}

/**
 * Cuts a page from `fetched`: the entries after `from.sinceSeq` (at least from.entryOffset +
 * size + 1 of them when that many exist, so that whether the last commit of the page is complete
 * is known). Skips `from.entryOffset` entries of the first commit only.
 */
export function cutPage(fetched: readonly ChangelogEntry[], from: Position, size: number,
  budgetBytes: number): ChangelogPage {
  const firstSeq = fetched[0]?.seq;
  let start = 0;
  while (start < from.entryOffset && fetched[start]?.seq === firstSeq) start++;
  const entries: ChangelogEntry[] = [];
  let bytes = 0;
  let end = start;
  for (; end < fetched.length && entries.length < size; end++) {
    const entry = fetched[end]!;
    const cost = eventBytesEstimate(entry);
    if (entries.length > 0 && bytes + cost > budgetBytes) break;
    entries.push(entry);
    bytes += cost;
  }
  const more = end < fetched.length;
  if (end === 0) return { entries, next: { sinceSeq: from.sinceSeq, entryOffset: 0 }, more };
  const lastSeq = fetched[end - 1]!.seq;
  if (!more || fetched[end]!.seq !== lastSeq) {
    return { entries, next: { sinceSeq: lastSeq, entryOffset: 0 }, more };
  }
  // The page ends inside commit lastSeq: count its entries handed out so far (skipped included).
  let commitStart = end - 1;
  while (commitStart > 0 && fetched[commitStart - 1]!.seq === lastSeq) commitStart--;
  const sinceSeq = commitStart === 0 ? from.sinceSeq : fetched[commitStart - 1]!.seq;
  return { entries, next: { sinceSeq, entryOffset: end - commitStart }, more };
}

/** Page size of a request: 0 = the default, above the maximum = the maximum. */
function pageSizeOf(requested: number): number {
  return requested === 0 ? pageSizeDefault : Math.min(requested, pageSizeMax);
}

/** ReadSeqFuture for a since_seq newer than the head: such a position was never handed out. */
function checkSince(sinceSeq: bigint, head: bigint): void {
  if (sinceSeq > head) {
    throw hexxlaError('ReadSeqFuture', `since_seq ${sinceSeq} is newer than the head ${head}`,
      { seq: sinceSeq, headSeq: head });
  }
}

interface PageRequest {
  readonly sinceSeq: bigint;
  readonly pageSize: number;
  readonly entryOffset: number;
}

function readPage(db: Database, ctx: CallContext, req: PageRequest, pageBytes: number,
  read: (limit: number) => ChangelogEntry[]) {
  checkLive(ctx);
  checkMax(req.entryOffset, entryOffsetMax, 'entry_offset');
  const head = db.commitSeq();
  const size = pageSizeOf(req.pageSize);
  // Reads are synchronous: no commit lands between `head` and the read (ChangelogDisabled
  // comes from the read, before a since_seq check could mask it).
  const fetched = read(req.entryOffset + size + 1);
  checkSince(req.sinceSeq, head);
  const page = cutPage(fetched, req, size, pageBytes);
  const header = headerAt(db, head);
  return { header, events: page.entries.map(eventOf), nextSinceSeq: page.next.sinceSeq,
    nextEntryOffset: page.next.entryOffset, more: page.more };
}

/** Frames of a subscription as messages; Cancelled when the call ended it. */
async function* subscription(db: Database, sinceSeq: bigint, ctx: CallContext,
  bufferFrames: number) {
  checkLive(ctx);
  // ChangelogDisabled first; the engine's generator registers nothing until it is iterated.
  const frames = db.subscribeChangelog(sinceSeq, { bufferFrames, signal: ctx.signal });
  checkSince(sinceSeq, db.commitSeq());
  for await (const frame of frames) {
    yield { header: headerAt(db, frame.seq), events: frame.entries.map(eventOf) };
  }
  // The engine ends quietly on abort; say why: a server shutdown (UNAVAILABLE: reconnect
  // elsewhere or later), else the caller's cancel or deadline.
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (isHexxlaError(reason, 'DatabaseClosed')) throw reason;
    throw hexxlaError('Cancelled', 'the call was cancelled');
  }
}

export function changelogHandlers({ db }: HandlerDeps,
  options: ChangelogHandlerOptions): Handlers {
  return {
    async readChangelogSince(req, ctx) {
      return readPage(db, ctx, req, options.pageBytes,
        (limit) => db.readChangelogSince(req.sinceSeq, limit));
    },
    async readChangelogFiltered(req, ctx) {
      const filter: ChangelogFilter = {
        ...(req.ops.length === 0 ? {} : { ops: req.ops.map((op, i) => engineOp(op, `ops[${i}]`)) }),
        ...(req.keyPrefix.length === 0 ? {} : { keyPrefix: req.keyPrefix }),
      };
      return readPage(db, ctx, req, options.pageBytes,
        (limit) => db.readChangelogFiltered(req.sinceSeq, { ...filter, limit }));
    },
    subscribeChangelog(req, ctx) {
      return subscription(db, req.sinceSeq, ctx, options.bufferFrames);
    },
  };
}
