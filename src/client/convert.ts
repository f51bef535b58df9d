/**
 * SDK types (types.ts, the library's shapes) ↔ wire messages (gen/hexxladb/v1).
 *
 * To the wire: the SDK fills the library's defaults where the wire default differs (an edge's
 * weight 1, a given provenance's confidence 1) so a call means the same through the SDK as
 * in-process. Coordinates are checked here with the coord module's own `assertCoord`, so a bad
 * one fails with the library's InvalidCoordinate before anything is sent; times must be safe
 * integers of ms (InvalidArgument). Everything else is validated by the engine on the server.
 * From the wire: Timestamps become ms, seam ids 16-byte ULIDs, enums the library's strings.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import type {
  ReadAtSchema, ResponseHeader as WireHeader,
} from '../../gen/hexxladb/v1/header_pb.js';
import {
  ResolutionStatus as WireStatus, SeamType as WireSeamType,
  type Cell as WireCell, type CellSchema, type Coord as WireCoord, type Edge as WireEdge,
  type EdgeSchema, type Facet as WireFacet, type FacetSchema, type Provenance as WireProvenance,
  type ProvenanceSchema, type Seam as WireSeam,
} from '../../gen/hexxladb/v1/types_pb.js';
import { hexxlaError } from '../errors.js';
import {
  resolutionStatuses, type Cell, type CellInput, type Coord, type Edge, type EdgeInput,
  type Facet, type FacetId, type FacetInput, type Provenance, type ReadAt,
  type ResolutionStatus, type ResponseHeader, type Seam,
} from './types.js';
import { assertCoord } from '../coord/index.js';
import { ulidFromString as ulidFromWire, ulidToString } from '../types/ulid-text.js';

/**
 * A coordinate for the wire. InvalidCoordinate (the library's own check) when it is not one,
 * before anything is sent.
 */
export function coordOut(c: Coord, what = 'coord'): { q: number; r: number } {
  if (typeof c !== 'object' || c === null) {
    throw hexxlaError('InvalidCoordinate', `${what}: not a coordinate`, { operation: what });
  }
  assertCoord(c, what);
  return { q: c.q, r: c.r };
}

export function coordIn(c: WireCoord | undefined): Coord {
  return { q: c?.q ?? 0, r: c?.r ?? 0 };
}

/** A time for the wire; InvalidArgument unless a safe integer of ms. */
export function msOut(ms: number, what: string): Timestamp {
  if (!Number.isSafeInteger(ms)) {
    throw hexxlaError('InvalidArgument', `${what} must be an integer number of ms`,
      { field: what });
  }
  return timestampFromMs(ms);
}

function msIn(ts: Timestamp | undefined): number {
  return ts === undefined ? 0 : timestampMs(ts);
}

export function headerIn(h: WireHeader | undefined): ResponseHeader {
  return { commitSeq: h?.commitSeq ?? 0n, headSeq: h?.headSeq ?? 0n };
}

/** The wire ReadAt of a selector (undefined = the head). */
export function readAtOut(at: ReadAt | undefined): MessageInitShape<typeof ReadAtSchema> |
  undefined {
  if (at === undefined) return undefined;
  if ('seq' in at) return { selector: { case: 'readSeq', value: at.seq } };
  if ('asOfMs' in at) return { selector: { case: 'asOf', value: msOut(at.asOfMs, 'asOfMs') } };
  return { selector: { case: 'snapshotTag', value: at.tag } };
}

function provenanceOut(p: Partial<Provenance> | undefined):
  MessageInitShape<typeof ProvenanceSchema> | undefined {
  if (p === undefined) return undefined;
  return {
    sourceId: p.sourceId ?? '',
    // The wire's 0 would mean "no confidence"; the library's default for an omitted one is 1.
    confidence: p.confidence ?? 1,
    ...(p.createdAtMs === undefined ? {} : { createdAt: msOut(p.createdAtMs, 'createdAtMs') }),
    ...(p.updatedAtMs === undefined ? {} : { updatedAt: msOut(p.updatedAtMs, 'updatedAtMs') }),
  };
}

function provenanceIn(p: WireProvenance | undefined): Provenance {
  return { sourceId: p?.sourceId ?? '', confidence: p?.confidence ?? 0,
    createdAtMs: msIn(p?.createdAt), updatedAtMs: msIn(p?.updatedAt) };
}

export function cellOut(input: CellInput): MessageInitShape<typeof CellSchema> {
  const v = input.validity ?? {};
  return {
    coord: coordOut(input.coord),
    rawContent: input.rawContent,
    tags: [...(input.tags ?? [])],
    provenance: provenanceOut(input.provenance),
    validity: {
      ...(v.validFromMs === undefined ? {} : { validFrom: msOut(v.validFromMs, 'validFromMs') }),
      ...(v.validToMs === undefined ? {} : { validTo: msOut(v.validToMs, 'validToMs') }),
    },
    ...(input.clusterHint === undefined ? {}
      : { clusterHint: coordOut(input.clusterHint, 'clusterHint') }),
    activeFacetId: input.activeFacetId ?? 0,
  };
}

export function cellIn(c: WireCell | undefined): Cell {
  const validity = c?.validity;
  return {
    coord: coordIn(c?.coord),
    rawContent: c?.rawContent ?? '',
    tags: c?.tags ?? [],
    provenance: provenanceIn(c?.provenance),
    validity: {
      ...(validity?.validFrom === undefined ? {} : { validFromMs: msIn(validity.validFrom) }),
      ...(validity?.validTo === undefined ? {} : { validToMs: msIn(validity.validTo) }),
    },
    ...(c?.clusterHint === undefined ? {} : { clusterHint: coordIn(c.clusterHint) }),
    activeFacetId: (c?.activeFacetId ?? 0) as FacetId,
  };
}

export function facetOut(c: Coord, f: FacetInput): MessageInitShape<typeof FacetSchema> {
  return {
    coord: coordOut(c),
    facetId: f.id,
    derivedContent: f.derivedContent,
    ...(f.derivationHash === undefined ? {} : { derivationHash: f.derivationHash }),
    ...(f.lastRotatedMs === undefined ? {}
      : { lastRotated: msOut(f.lastRotatedMs, 'lastRotatedMs') }),
  };
}

export function facetIn(f: WireFacet | undefined): Facet {
  return { id: (f?.facetId ?? 0) as FacetId, derivedContent: f?.derivedContent ?? '',
    derivationHash: f?.derivationHash ?? new Uint8Array(0), lastRotatedMs: msIn(f?.lastRotated) };
}

export function edgeOut(e: EdgeInput): MessageInitShape<typeof EdgeSchema> {
  return {
    fromCoord: coordOut(e.from, 'from'),
    toCoord: coordOut(e.to, 'to'),
    relationType: e.relationType,
    weight: e.weight ?? 1, // the library's default; the wire's 0 would mean "unweighted"
    provenance: provenanceOut(e.provenance),
  };
}

export function edgeIn(e: WireEdge | undefined): Edge {
  return { from: coordIn(e?.fromCoord), to: coordIn(e?.toCoord),
    relationType: e?.relationType ?? '', weight: e?.weight ?? 0,
    provenance: provenanceIn(e?.provenance) };
}

export function resolutionOut(status: ResolutionStatus): WireStatus {
  const index = resolutionStatuses.indexOf(status);
  if (index < 0) {
    throw hexxlaError('InvalidArgument', 'unknown resolution status', { status: String(status) });
  }
  return (index + 1) as WireStatus;
}

export function seamIn(s: WireSeam | undefined): Seam {
  const status = resolutionStatuses[(s?.resolutionStatus ?? 1) - 1] ?? 'unresolved';
  return {
    id: ulidFromWire(s?.id ?? ''),
    cellA: coordIn(s?.cellA),
    cellB: coordIn(s?.cellB),
    seamType: s?.seamType === WireSeamType.SUPERSEDES ? 'supersedes' : 'conflict',
    reason: s?.reason ?? '',
    confidenceDelta: s?.confidenceDelta ?? 0,
    detectedAtMs: msIn(s?.detectedAt),
    resolutionStatus: status,
    resolutionNote: s?.resolutionNote ?? '',
  };
}

/** A seam id as text for the wire. */
export function seamIdOut(id: Uint8Array): string {
  return ulidToString(id);
}
