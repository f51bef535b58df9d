/**
 * Snapshot selection and paging of reads (SPEC §12.1, header.proto).
 *
 * `readAt` runs a synchronous read on the snapshot a `ReadAt` selects (head, read_seq, as_of,
 * snapshot_tag) and returns the result with the ResponseHeader of that snapshot. Page tokens
 * pin later pages to the first page's seq: a token is base64url JSON of { v, seq, cursor,
 * scope }, where `scope` fingerprints the method and its filter so a token is refused (an
 * InvalidArgument) with other request parameters. Tokens are opaque to clients and carry no
 * secret; a forged token can only select another readable snapshot or position.
 *
 * Without MVCC there is only the head: a token's seq cannot be honoured, so later pages read
 * the head (a listing that spans commits may then skip or repeat items, as any non-MVCC cursor).
 *
 * Reads at a seq go through Database.viewAt / viewAtTime, which refuse an unprotected seq below
 * the prune floor with ReadSeqPruned (OUT_OF_RANGE): so does a later page whose token seq a
 * prune pass has since put below the floor, instead of answering (often with an empty page)
 * from pruned history. Listings of unversioned data (snapshot tags) pass `unversioned`: their
 * later pages read the head, as their first did, and never fail that way.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { PageRequest, ReadAt, ResponseHeaderSchema } from '../../gen/hexxladb/v1/header_pb.js';
import { hexxlaError } from '../errors.js';
import type { Database, ReadTx } from '../index.js';
import { msIn } from './convert.js';
import { pageSizeDefault, pageSizeMax } from './limits.js';

export type Header = MessageInitShape<typeof ResponseHeaderSchema>;

/** The header of a response served at `seq`. */
export function headerAt(db: Database, seq: bigint): Header {
  const head = db.commitSeq();
  return { commitSeq: seq, headSeq: head > seq ? head : seq };
}

/** A snapshot selector: a ReadAt message or a plain object of the same shape. */
export type Selector = Pick<ReadAt, 'selector'>;

/** Runs `fn` at the snapshot `at` selects (absent = the head). */
export function readAt<T>(db: Database, at: Selector | undefined,
  fn: (tx: ReadTx) => T): { value: T; header: Header } {
  let seq = 0n;
  const run = (tx: ReadTx): T => {
    seq = tx.readSeq;
    return fn(tx);
  };
  const s = at?.selector;
  let value: T;
  if (s === undefined || s.case === undefined) value = db.view(run);
  else if (s.case === 'readSeq') value = db.viewAt(s.value, run);
  else if (s.case === 'asOf') value = db.viewAtTime(msIn(s.value, 'read_at.as_of'), run);
  else value = db.viewAtTag(s.value, run);
  return { value, header: headerAt(db, seq) };
}

/** A position inside a listing. */
export type Cursor = { q: number; r: number } | string | number;

interface TokenBody {
  v: 1;
  seq: string;
  cursor: Cursor;
  scope: string;
}

export function encodeToken(seq: bigint, cursor: Cursor, scope: string): string {
  const body: TokenBody = { v: 1, seq: seq.toString(), cursor, scope };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function badToken(): never {
  throw hexxlaError('InvalidArgument', 'page_token is not valid for this request');
}

function isCursor(c: unknown): c is Cursor {
  if (typeof c === 'string') return true;
  if (typeof c === 'number') return Number.isSafeInteger(c) && c >= 0;
  const o = c as { q?: unknown; r?: unknown } | null;
  return typeof o === 'object' && o !== null && Number.isInteger(o.q) && Number.isInteger(o.r);
}

export function decodeToken(token: string, scope: string): { seq: bigint; cursor: Cursor } {
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    return badToken();
  }
  if (body?.v !== 1 || body.scope !== scope || typeof body.seq !== 'string' ||
    !/^\d{1,20}$/.test(body.seq) || !isCursor(body.cursor)) {
    return badToken();
  }
  return { seq: BigInt(body.seq), cursor: body.cursor };
}

/** The page size a request asks for, defaulted and capped. */
export function pageSizeOf(page: PageRequest | undefined): number {
  const n = page?.pageSize ?? 0;
  return n === 0 ? pageSizeDefault : Math.min(n, pageSizeMax);
}

/** One page of a listing. */
export interface Paged<T> {
  readonly items: T[];
  readonly header: Header;
  readonly nextPageToken: string;
}

/**
 * Rough encoded size of a listed item, on the high side: its UTF-8 JSON (field names included,
 * byte arrays counted by length). Used only to keep a page below the message bound.
 */
export function itemBytesEstimate(item: unknown): number {
  const json = JSON.stringify(item, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return value.length;
    return typeof value === 'bigint' ? value.toString() : value;
  });
  return Buffer.byteLength(json ?? '', 'utf8');
}

/** The leading items of `items` whose estimated bytes stay within `budgetBytes` (at least 1). */
function withinBudget<T>(items: T[], budgetBytes: number | undefined): T[] {
  if (budgetBytes === undefined) return items;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += itemBytesEstimate(items[i]);
    if (i > 0 && bytes > budgetBytes) return items.slice(0, i);
  }
  return items;
}

/**
 * Runs one page of a listing. `list(tx, cursor, limit)` returns up to `limit` items after
 * `cursor` (undefined = from the start); `cursorOf(item, index)` gives the cursor after an
 * item. One extra item is asked for to know whether another page exists. With `budgetBytes`
 * the page also ends before the item that would take it past that many estimated bytes (one
 * item at least), so large records cannot push a page past the send bound (header.proto: "The
 * server may return fewer items").
 */
export function readPage<T>(db: Database, args: {
  readAt: ReadAt | undefined;
  page: PageRequest | undefined;
  scope: string;
  list: (tx: ReadTx, cursor: Cursor | undefined, limit: number) => T[];
  cursorOf: (item: T, index: number, cursor: Cursor | undefined) => Cursor;
  budgetBytes?: number;
  /** The listing reads no versioned data: later pages read the head, not the token's seq. */
  unversioned?: boolean;
}): Paged<T> {
  const size = pageSizeOf(args.page);
  const token = args.page?.pageToken ?? '';
  const run = (tx: ReadTx, cursor: Cursor | undefined): T[] => args.list(tx, cursor, size + 1);
  let result: { value: T[]; header: Header };
  let cursor: Cursor | undefined;
  if (token === '') {
    result = readAt(db, args.readAt, (tx) => run(tx, undefined));
  } else {
    const decoded = decodeToken(token, args.scope);
    cursor = decoded.cursor;
    const at: Selector | undefined = db.mvcc && args.unversioned !== true
      ? { selector: { case: 'readSeq', value: decoded.seq } } : undefined;
    result = readAt(db, at, (tx) => run(tx, cursor));
  }
  const counted = result.value.slice(0, size);
  const items = withinBudget(counted, args.budgetBytes);
  const more = result.value.length > items.length;
  const last = items[items.length - 1];
  const nextPageToken = more && last !== undefined
    ? encodeToken(BigInt(result.header.commitSeq ?? 0n), args.cursorOf(last, items.length - 1,
      cursor), args.scope)
    : '';
  return { items, header: result.header, nextPageToken };
}

/** Listing by offset (for engine calls that return a whole, bounded array). */
export function offsetList<T>(all: (tx: ReadTx) => T[]):
  Pick<Parameters<typeof readPage<T>>[1], 'list' | 'cursorOf'> {
  const start = (cursor: Cursor | undefined): number => (typeof cursor === 'number' ? cursor : 0);
  return {
    list: (tx, cursor, limit) => all(tx).slice(start(cursor), start(cursor) + limit),
    cursorOf: (_item, index, cursor) => start(cursor) + index + 1,
  };
}
