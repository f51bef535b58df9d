/**
 * Plain TypeScript types of the SDK. The record shapes are structurally the library's
 * (src/engine/records.ts, src/model/types.ts): code written against the in-process engine reads
 * the same objects from the SDK. The SDK declares them itself because it may not import the
 * engine (ARCHITECTURE §1); test/behaviour checks at compile time that each pair is mutually
 * assignable, so the two cannot drift apart unnoticed.
 *
 * Mapping to the wire (docs/client.md has the full table):
 * - Coord {q, r} ↔ hexxladb.v1.Coord; times are integer ms since the epoch (`…Ms`) ↔
 *   google.protobuf.Timestamp; commit seqs are `bigint` ↔ uint64.
 * - Seam ids are the library's `Ulid` (16-byte Uint8Array) ↔ the 26-character ULID string.
 * - Enums are the library's string unions ('conflict', 'unresolved', …) ↔ proto enums.
 */
import type { HexxlaError } from '../errors.js';

/** An axial hex coordinate with int32 components (the library's, src/coord). */
export type { Coord } from '../coord/index.js';
import type { Coord } from '../coord/index.js';

// The record shapes are the library's own declarations (src/types: no engine code behind them).
export {
  resolutionStatuses, seamTypes, type Cell, type Edge, type Facet, type FacetId, type Provenance,
  type ResolutionStatus, type Seam, type SeamType, type Ulid, type Validity,
} from '../types/records.js';
export type {
  BatchPutResult, CellInput, EdgeInput, FacetInput, FindSeamsOptions, RingCell, SeamInput,
  WalkOptions,
} from '../types/inputs.js';
export type { MvccStats, SnapshotDiff, SnapshotTag } from '../types/mvcc.js';
import type { Cell, Edge, Facet, Seam } from '../types/records.js';

export interface BatchPutOptions {
  /** Cells per commit (server default 1000). */
  readonly batchSize?: number;
  readonly continueOnError?: boolean;
}

export {
  changeOps, type ChangeOp, type ChangelogEntry, type ChangelogFilter, type ChangelogFrame,
} from '../types/changelog.js';

/**
 * Snapshot selector of a read (header.proto ReadAt): a commit seq, a wall-clock time (the
 * newest commit at or before it), or a snapshot tag. Absent = the head.
 */
export type ReadAt =
  | { readonly seq: bigint }
  | { readonly asOfMs: number }
  | { readonly tag: string };

/** The header of every response: the seq it was served at and the head then. */
export interface ResponseHeader {
  readonly commitSeq: bigint;
  readonly headSeq: bigint;
}
