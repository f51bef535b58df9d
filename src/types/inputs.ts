/**
 * Public input, option and result types of the record API (SPEC §3, §10.3), shared by the
 * library and the client SDK like ./records.ts: what callers pass in (with defaults) and what
 * listing and walking calls return.
 */
import type { Coord } from '../coord/index.js';
import type { HexxlaError } from '../errors.js';
import type {
  Cell, Facet, FacetId, Provenance, ResolutionStatus, Seam, Validity,
} from './records.js';

/** A cell to put. Omitted fields get defaults (see WriteTx.putCell). */
export interface CellInput {
  readonly coord: Coord;
  readonly rawContent: string;
  /** Default []. */
  readonly tags?: readonly string[];
  /**
   * Default sourceId '' (no source index entry), confidence 1. createdAtMs defaults to the
   * existing cell's createdAtMs (re-put) or the commit's time; updatedAtMs to the commit's time.
   */
  readonly provenance?: Partial<Provenance>;
  /** Default {} (always valid). */
  readonly validity?: Validity;
  readonly clusterHint?: Coord;
  /** Default 0 (raw verbatim). */
  readonly activeFacetId?: FacetId;
}

/** A facet to put on an existing cell. */
export interface FacetInput {
  readonly id: FacetId;
  readonly derivedContent: string;
  /** Default: SHA-256 of the cell's current raw content. */
  readonly derivationHash?: Uint8Array;
  /** Default: the commit's time. */
  readonly lastRotatedMs?: number;
}

/** An edge to put. `from` must be an existing cell. */
export interface EdgeInput {
  readonly from: Coord;
  readonly to: Coord;
  readonly relationType: string;
  /** Default 1. */
  readonly weight?: number;
  /** Defaults as for CellInput.provenance. */
  readonly provenance?: Partial<Provenance>;
}

/** Details of a new seam. */
export interface SeamInput {
  /** Default ''. */
  readonly reason?: string;
  /** Default 0. */
  readonly confidenceDelta?: number;
}

/** Paging of a listing: at most `limit` results, starting after the coordinate `after`. */
export interface ListOptions {
  readonly limit?: number;
  /** Resume after this coordinate (exclusive), in key order. */
  readonly after?: Coord;
}

/** Options of a ring walk. */
export interface WalkOptions {
  /** Bit i set = include facet i (0 … 5). Default 0: no facets. */
  readonly facetMask?: number;
  /** Keep only cells valid at this time (ms): validFrom ≤ t ≤ validTo, open ends included. */
  readonly validAtMs?: number;
}

/** One cell of a ring walk, with its ring number and the facets the mask selected. */
export interface RingCell {
  readonly ring: number;
  readonly cell: Cell;
  readonly facets: readonly Facet[];
}

/** Options of findSeams. */
export interface FindSeamsOptions {
  /** Only seams whose resolution status is 'unresolved'. */
  readonly unresolvedOnly?: boolean;
  /** Only seams detected at or before this time (ms). */
  readonly asOfMs?: number;
}

/** Options of a batch put (Database.putCells). */
export interface BatchPutOptions {
  /** Cells per commit (default 1000, 1 … 100,000). */
  readonly batchSize?: number;
  /** Skip failing items and report them instead of stopping at the first (default false). */
  readonly continueOnError?: boolean;
  /** Called after each committed batch with the number of items processed so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Result of a batch put. */
export interface BatchPutResult {
  readonly written: number;
  readonly errors: readonly { readonly index: number; readonly error: HexxlaError }[];
}

/** Library hooks (SPEC §3.1). */
export interface RecordHooks {
  /**
   * Called before every cell put with the cell as it will be stored; throw to reject it. Must be
   * synchronous: one that returns a promise fails the put with InvalidArgument.
   */
  readonly validateCell?: (cell: Cell) => void;
  /**
   * Called after the commit that put the cell is durable. May be async: a rejection goes to
   * onHookError like a throw.
   */
  readonly afterPutCell?: (cell: Cell) => void;
  /** Called after the commit that put (marked or resolved) the seam is durable. */
  readonly afterPutSeam?: (seam: Seam) => void;
  /** Receives errors thrown by after-put hooks (they never fail the commit). Default: ignored. */
  readonly onHookError?: (error: unknown) => void;
}

export type { ResolutionStatus };
