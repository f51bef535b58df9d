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

/** A facet id, 0 … 5 (SPEC §3.2). */
export type FacetId = 0 | 1 | 2 | 3 | 4 | 5;
/** Seam types (SPEC §3.4). */
export type SeamType = 'conflict' | 'supersedes';
/** Seam review states, in the library's order. */
export const resolutionStatuses = ['unresolved', 'merged', 'superseded', 'archived'] as const;
export type ResolutionStatus = (typeof resolutionStatuses)[number];
/** A ULID as the library holds it: exactly 16 bytes. */
export type Ulid = Uint8Array;

export interface Provenance {
  readonly sourceId: string;
  readonly confidence: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface Validity {
  readonly validFromMs?: number;
  readonly validToMs?: number;
}

export interface Cell {
  readonly coord: Coord;
  readonly rawContent: string;
  readonly tags: readonly string[];
  readonly provenance: Provenance;
  readonly validity: Validity;
  readonly clusterHint?: Coord;
  readonly activeFacetId: FacetId;
}

export interface Facet {
  readonly id: FacetId;
  readonly derivedContent: string;
  /** SHA-256 of the raw content it was derived from: 32 bytes. */
  readonly derivationHash: Uint8Array;
  readonly lastRotatedMs: number;
}

export interface Edge {
  readonly from: Coord;
  readonly to: Coord;
  readonly relationType: string;
  readonly weight: number;
  readonly provenance: Provenance;
}

export interface Seam {
  readonly id: Ulid;
  readonly cellA: Coord;
  readonly cellB: Coord;
  readonly seamType: SeamType;
  readonly reason: string;
  readonly confidenceDelta: number;
  readonly detectedAtMs: number;
  readonly resolutionStatus: ResolutionStatus;
  readonly resolutionNote: string;
}

/** A cell to put; defaults as the library's (tags [], confidence 1, times = commit time). */
export interface CellInput {
  readonly coord: Coord;
  readonly rawContent: string;
  readonly tags?: readonly string[];
  readonly provenance?: Partial<Provenance>;
  readonly validity?: Validity;
  readonly clusterHint?: Coord;
  readonly activeFacetId?: FacetId;
}

/** A facet to put on an existing cell; the hash defaults to the cell's current content. */
export interface FacetInput {
  readonly id: FacetId;
  readonly derivedContent: string;
  readonly derivationHash?: Uint8Array;
  readonly lastRotatedMs?: number;
}

/** An edge to put; weight defaults to 1 as in the library. */
export interface EdgeInput {
  readonly from: Coord;
  readonly to: Coord;
  readonly relationType: string;
  readonly weight?: number;
  readonly provenance?: Partial<Provenance>;
}

export interface SeamInput {
  readonly reason?: string;
  readonly confidenceDelta?: number;
}

export interface WalkOptions {
  /** Bit i set = include facet i (0 … 5). Default 0. */
  readonly facetMask?: number;
  /** Keep only cells valid at this time (ms). */
  readonly validAtMs?: number;
}

export interface RingCell {
  readonly ring: number;
  readonly cell: Cell;
  readonly facets: readonly Facet[];
}

export interface FindSeamsOptions {
  readonly unresolvedOnly?: boolean;
  /** Only seams detected at or before this time (ms). */
  readonly asOfMs?: number;
}

export interface BatchPutOptions {
  /** Cells per commit (server default 1000). */
  readonly batchSize?: number;
  readonly continueOnError?: boolean;
}

export interface BatchPutResult {
  readonly written: number;
  /** Skipped cells; each error has the code the server reported (message is generic). */
  readonly errors: readonly { readonly index: number; readonly error: HexxlaError }[];
}

export interface MvccStats {
  readonly headSeq: bigint;
  readonly cellCount: number;
  readonly versionedRows: number;
}

export interface SnapshotTag {
  readonly label: string;
  readonly seq: bigint;
}

export interface SnapshotDiff {
  readonly fromSeq: bigint;
  readonly toSeq: bigint;
  readonly added: Coord[];
  readonly modified: Coord[];
  readonly removed: Coord[];
}

/** The library's changelog op names (src/model/context.ts changeOps), by wire number. */
export const changeOpNames = [
  'putCell', 'putSeam', 'resolveSeam', 'putFacet', 'putEdge', 'deleteCell', 'deleteEdge',
  'putEmbedding', 'deleteEmbedding', 'tagSnapshot', 'deleteSnapshotTag',
] as const;
export type ChangeOp = (typeof changeOpNames)[number];

/** One logical mutation (the library's ChangelogEntry). */
export interface ChangelogEntry {
  readonly seq: bigint;
  readonly timeMs: number;
  readonly op: ChangeOp;
  readonly family: number;
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
}

/** One commit's entries (the library's ChangelogFrame). */
export interface ChangelogFrame {
  readonly seq: bigint;
  readonly timeMs: number;
  readonly entries: readonly ChangelogEntry[];
}

/** Filter of readChangelogFiltered. */
export interface ChangelogFilter {
  readonly ops?: readonly ChangeOp[];
  readonly keyPrefix?: Uint8Array;
  readonly limit?: number;
}

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
