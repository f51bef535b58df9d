/**
 * Conversions between wire messages (gen/hexxladb/v1) and engine records (src/index.ts). This is
 * the only place where protobuf shapes and engine shapes meet (ARCHITECTURE §1).
 *
 * Wire → engine: absent message fields stay absent so the engine applies its own defaults
 * (provenance, validity, facet hash, times); a required message that is absent (a coordinate)
 * fails with InvalidArgument naming the field. Values are validated by the engine, not here,
 * except where the wire type admits values the engine type cannot hold (enum numbers, times).
 * Engine → wire: times become Timestamps, seam ids 26-character ULID strings.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  CellSchema, CoordSchema, EdgeSchema, FacetSchema, ProvenanceSchema,
  ResolutionStatus as WireStatus, SeamSchema, SeamType as WireSeamType,
  type Cell as WireCell, type Coord as WireCoord, type Edge as WireEdge,
  type Facet as WireFacet, type Provenance as WireProvenance,
} from '../../gen/hexxladb/v1/types_pb.js';
import { hexxlaError } from '../errors.js';
import {
  resolutionStatuses, ulidFromString, ulidToString,
  type Cell, type CellInput, type Coord, type Edge, type EdgeInput, type Facet, type FacetId,
  type FacetInput, type Provenance, type ResolutionStatus, type Seam, type Ulid,
} from '../index.js';

type CoordInit = MessageInitShape<typeof CoordSchema>;

/** Largest `nanos` of a valid google.protobuf.Timestamp. */
const nanosMax = 999_999_999;

/** A required coordinate; InvalidArgument naming `what` when absent. */
export function coordIn(c: WireCoord | undefined, what: string): Coord {
  if (c === undefined) throw hexxlaError('InvalidArgument', `${what} is required`, { field: what });
  return { q: c.q, r: c.r };
}

export function coordOut(c: Coord): CoordInit {
  return { q: c.q, r: c.r };
}

/**
 * Milliseconds of a Timestamp; InvalidArgument when it is malformed (nanos outside
 * [0, 999,999,999], which timestampMs would silently fold into another instant) or not a safe
 * integer of ms.
 */
export function msIn(ts: Timestamp, what: string): number {
  if (!Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos > nanosMax) {
    throw hexxlaError('InvalidArgument', `${what}.nanos must be in [0, ${nanosMax}]`,
      { field: what });
  }
  const ms = timestampMs(ts);
  if (!Number.isSafeInteger(ms)) {
    throw hexxlaError('InvalidArgument', `${what} is out of range`, { field: what });
  }
  return ms;
}

export function msOut(ms: number): Timestamp {
  return timestampFromMs(ms);
}

function optionalMs(ts: Timestamp | undefined, what: string): number | undefined {
  return ts === undefined ? undefined : msIn(ts, what);
}

function provenanceIn(p: WireProvenance | undefined,
  what: string): Partial<Provenance> | undefined {
  if (p === undefined) return undefined;
  const createdAtMs = optionalMs(p.createdAt, `${what}.created_at`);
  const updatedAtMs = optionalMs(p.updatedAt, `${what}.updated_at`);
  return {
    sourceId: p.sourceId,
    confidence: p.confidence,
    ...(createdAtMs === undefined ? {} : { createdAtMs }),
    ...(updatedAtMs === undefined ? {} : { updatedAtMs }),
  };
}

function provenanceOut(p: Provenance): MessageInitShape<typeof ProvenanceSchema> {
  return {
    sourceId: p.sourceId,
    confidence: p.confidence,
    createdAt: msOut(p.createdAtMs),
    updatedAt: msOut(p.updatedAtMs),
  };
}

/** A facet id 0 … 5 from a wire uint32 (the engine rejects other numbers with InvalidArgument). */
export function facetIdIn(id: number): FacetId {
  return id as FacetId;
}

/** A cell to put; `cell` is required. */
export function cellIn(cell: WireCell | undefined): CellInput {
  if (cell === undefined) throw hexxlaError('InvalidArgument', 'cell is required');
  const provenance = provenanceIn(cell.provenance, 'cell.provenance');
  const validFromMs = optionalMs(cell.validity?.validFrom, 'cell.validity.valid_from');
  const validToMs = optionalMs(cell.validity?.validTo, 'cell.validity.valid_to');
  return {
    coord: coordIn(cell.coord, 'cell.coord'),
    rawContent: cell.rawContent,
    tags: cell.tags,
    ...(provenance === undefined ? {} : { provenance }),
    validity: {
      ...(validFromMs === undefined ? {} : { validFromMs }),
      ...(validToMs === undefined ? {} : { validToMs }),
    },
    ...(cell.clusterHint === undefined ? {} : { clusterHint: coordIn(cell.clusterHint, '') }),
    activeFacetId: facetIdIn(cell.activeFacetId),
  };
}

export function cellOut(cell: Cell): MessageInitShape<typeof CellSchema> {
  const { validFromMs, validToMs } = cell.validity;
  return {
    coord: coordOut(cell.coord),
    rawContent: cell.rawContent,
    tags: [...cell.tags],
    provenance: provenanceOut(cell.provenance),
    validity: {
      ...(validFromMs === undefined ? {} : { validFrom: msOut(validFromMs) }),
      ...(validToMs === undefined ? {} : { validTo: msOut(validToMs) }),
    },
    ...(cell.clusterHint === undefined ? {} : { clusterHint: coordOut(cell.clusterHint) }),
    activeFacetId: cell.activeFacetId,
  };
}

/** A facet to put; `facet` is required. An empty derivation hash = the engine's default. */
export function facetIn(facet: WireFacet | undefined): { coord: Coord; input: FacetInput } {
  if (facet === undefined) throw hexxlaError('InvalidArgument', 'facet is required');
  const lastRotatedMs = optionalMs(facet.lastRotated, 'facet.last_rotated');
  return {
    coord: coordIn(facet.coord, 'facet.coord'),
    input: {
      id: facetIdIn(facet.facetId),
      derivedContent: facet.derivedContent,
      ...(facet.derivationHash.length === 0 ? {} : { derivationHash: facet.derivationHash }),
      ...(lastRotatedMs === undefined ? {} : { lastRotatedMs }),
    },
  };
}

export function facetOut(c: Coord, facet: Facet): MessageInitShape<typeof FacetSchema> {
  return {
    coord: coordOut(c),
    facetId: facet.id,
    derivedContent: facet.derivedContent,
    derivationHash: facet.derivationHash,
    lastRotated: msOut(facet.lastRotatedMs),
  };
}

/** An edge to put; `edge` is required. */
export function edgeIn(edge: WireEdge | undefined): EdgeInput {
  if (edge === undefined) throw hexxlaError('InvalidArgument', 'edge is required');
  const provenance = provenanceIn(edge.provenance, 'edge.provenance');
  return {
    from: coordIn(edge.fromCoord, 'edge.from_coord'),
    to: coordIn(edge.toCoord, 'edge.to_coord'),
    relationType: edge.relationType,
    weight: edge.weight,
    ...(provenance === undefined ? {} : { provenance }),
  };
}

export function edgeOut(edge: Edge): MessageInitShape<typeof EdgeSchema> {
  return {
    fromCoord: coordOut(edge.from),
    toCoord: coordOut(edge.to),
    relationType: edge.relationType,
    weight: edge.weight,
    provenance: provenanceOut(edge.provenance),
  };
}

/** A seam id from its 26-character string (InvalidArgument otherwise). */
export function seamIdIn(id: string): Ulid {
  return ulidFromString(id);
}

/** Wire resolution status → engine; UNSPECIFIED = unresolved; unknown numbers are rejected. */
export function resolutionIn(status: WireStatus): ResolutionStatus {
  if (status === WireStatus.UNSPECIFIED) return 'unresolved';
  const value = resolutionStatuses[status - 1];
  if (value === undefined) {
    throw hexxlaError('InvalidArgument', 'unknown resolution_status',
      { resolution_status: status });
  }
  return value;
}

function resolutionOut(status: ResolutionStatus): WireStatus {
  return (resolutionStatuses.indexOf(status) + 1) as WireStatus;
}

export function seamOut(seam: Seam): MessageInitShape<typeof SeamSchema> {
  return {
    id: ulidToString(seam.id),
    cellA: coordOut(seam.cellA),
    cellB: coordOut(seam.cellB),
    seamType: seam.seamType === 'conflict' ? WireSeamType.CONFLICT : WireSeamType.SUPERSEDES,
    reason: seam.reason,
    confidenceDelta: seam.confidenceDelta,
    detectedAt: msOut(seam.detectedAtMs),
    resolutionStatus: resolutionOut(seam.resolutionStatus),
    resolutionNote: seam.resolutionNote,
  };
}
