/**
 * The record types of the data model (SPEC §3.1–3.4), shared by the library (src/engine,
 * src/model) and the client SDK (src/client), which therefore read and write the very same
 * shapes. Types and two constant lists only: this module imports nothing but src/coord, so the
 * SDK can ship it without the engine. Bounds and validation live in src/engine/records.ts.
 */
import type { Coord } from '../coord/index.js';

/** A ULID as the library holds it: exactly 16 bytes (26 characters in text). */
export type Ulid = Uint8Array;

/** A facet id, 0 … 5 (SPEC §3.2). */
export type FacetId = 0 | 1 | 2 | 3 | 4 | 5;

/** Seam types; the codec stores the index, so the list only ever grows at the end. */
export const seamTypes = ['conflict', 'supersedes'] as const;
export type SeamType = (typeof seamTypes)[number];

/** Seam resolution states; the codec stores the index, so the list only ever grows at the end. */
export const resolutionStatuses = ['unresolved', 'merged', 'superseded', 'archived'] as const;
export type ResolutionStatus = (typeof resolutionStatuses)[number];

/** Who wrote a record and how sure they were (SPEC §3.1). */
export interface Provenance {
  /** 0 … 128 UTF-8 bytes; empty means "no source" (such a record has no source index entry). */
  readonly sourceId: string;
  /** In [0, 1]. */
  readonly confidence: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** Real-world validity window; both absent = always valid. `validFromMs ≤ validToMs`. */
export interface Validity {
  readonly validFromMs?: number;
  readonly validToMs?: number;
}

/** A cell (SPEC §3.1). */
export interface Cell {
  readonly coord: Coord;
  readonly rawContent: string;
  /** Distinct, 1 … 128 UTF-8 bytes each, at most `cellTagsMax`, order kept as given. */
  readonly tags: readonly string[];
  readonly provenance: Provenance;
  readonly validity: Validity;
  readonly clusterHint?: Coord;
  readonly activeFacetId: FacetId;
}

/** A facet: one derived view of a cell (SPEC §3.2). The cell's coordinate is in its key. */
export interface Facet {
  readonly id: FacetId;
  readonly derivedContent: string;
  /** SHA-256 of the raw content it was derived from: exactly 32 bytes. */
  readonly derivationHash: Uint8Array;
  readonly lastRotatedMs: number;
}

/** A directed, typed, weighted relation (SPEC §3.3). */
export interface Edge {
  readonly from: Coord;
  readonly to: Coord;
  /** 1 … 128 UTF-8 bytes. */
  readonly relationType: string;
  /** Any finite number. */
  readonly weight: number;
  readonly provenance: Provenance;
}

/** A seam between two cells (SPEC §3.4). In a supersedes seam `cellA` replaces `cellB`. */
export interface Seam {
  readonly id: Ulid;
  readonly cellA: Coord;
  readonly cellB: Coord;
  readonly seamType: SeamType;
  readonly reason: string;
  /** Any finite number. */
  readonly confidenceDelta: number;
  readonly detectedAtMs: number;
  readonly resolutionStatus: ResolutionStatus;
  readonly resolutionNote: string;
}

