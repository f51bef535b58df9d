/**
 * The record codec: compact, versioned binary values for cells, facets, edges, seams and MVCC
 * tombstones (SPEC §3, §5). Primitives (varuint, zigzag varint, f64 LE, strings) are described in
 * codec-io.ts; docs/records.md "Record codec" has the tables.
 *
 * Every value starts with two bytes:
 *
 *   byte 0  codec version, 1 today
 *   byte 1  record type: 1 cell, 2 facet, 3 edge, 4 seam, 5 tombstone
 *
 * then the fields of the type, in this order (times are zigzag varints of ms):
 *
 *   cell       flags u8 (bit 0 validFrom, bit 1 validTo, bit 2 clusterHint; others 0),
 *              coord q varint, r varint, activeFacetId u8, rawContent string,
 *              tag count varuint, tags string…, provenance, [validFrom], [validTo],
 *              [clusterHint q varint, r varint]
 *   facet      id u8, derivationHash 32 bytes, lastRotated time, derivedContent string
 *   edge       from q, r, to q, r (varints), relationType string, weight f64, provenance
 *   seam       id 16 bytes, cellA q, r, cellB q, r (varints), seamType u8, resolutionStatus u8,
 *              confidenceDelta f64, detectedAt time, reason string, resolutionNote string
 *   tombstone  nothing
 *   provenance = sourceId string, confidence f64, createdAt time, updatedAt time
 *
 * Enums are stored as their index in `seamTypes` / `resolutionStatuses` (records.ts).
 *
 * Canonical form: decoding accepts exactly the bytes that encoding produces (minimal varints, zero
 * unused flag bits, no trailing bytes), so `encode(decode(b))` equals `b` whenever `decode(b)`
 * succeeds, and every decoded record passes the same validation as an input record.
 *
 * Versioning rule: any change to any layout (a new field, a new record type, a new enum value)
 * takes the next codec version; readers keep decoding every older version forever and refuse a
 * newer one with `UnsupportedFormat`. Encoders always write the current version.
 *
 * Errors: encoders throw `InvalidArgument` / `InvalidCoordinate` for invalid records (records.ts);
 * decoders throw `CorruptDatabase` for any malformed value and `UnsupportedFormat` for a newer
 * codec version. Results of encoders and decoders are fresh and owned by the caller.
 */
import { isCoordComponent, type Coord } from '../coord/index.js';
import { hexxlaError } from '../errors.js';
import { ByteReader, recordWriter, type ByteWriter } from './codec-io.js';
import {
  cellTagsMax,
  checkCell,
  checkEdge,
  checkFacet,
  checkSeam,
  derivationHashBytes,
  resolutionStatuses,
  seamTypes,
  type Cell,
  type Edge,
  type Facet,
  type FacetId,
  type Provenance,
  type Seam,
  type Validity,
} from './records.js';
import { ulidBytes } from './ulid.js';

/** The codec version written by this library; decoders accept 1 … `codecVersion`. */
export const codecVersion = 1;

/** Record type ids (byte 1). Never renumbered; new types take new ids and a new version. */
export const recordTypes = { cell: 1, facet: 2, edge: 3, seam: 4, tombstone: 5 } as const;
export type RecordType = keyof typeof recordTypes;

/** A decoded value of any type. */
export type DecodedRecord =
  | { readonly type: 'cell'; readonly cell: Cell }
  | { readonly type: 'facet'; readonly facet: Facet }
  | { readonly type: 'edge'; readonly edge: Edge }
  | { readonly type: 'seam'; readonly seam: Seam }
  | { readonly type: 'tombstone' };

const cellFlagValidFrom = 1;
const cellFlagValidTo = 2;
const cellFlagClusterHint = 4;
const cellFlagsKnown = cellFlagValidFrom | cellFlagValidTo | cellFlagClusterHint;

const typeNames: readonly (RecordType | undefined)[] = [
  undefined, 'cell', 'facet', 'edge', 'seam', 'tombstone',
];

// ---------------------------------------------------------------------------------------------
// Encoding

function header(type: RecordType): ByteWriter {
  return recordWriter().u8(codecVersion).u8(recordTypes[type]);
}

function writeCoord(w: ByteWriter, c: Coord): void {
  w.varint(c.q).varint(c.r);
}

function writeProvenance(w: ByteWriter, p: Provenance): void {
  w.string(p.sourceId).f64(p.confidence).varint(p.createdAtMs).varint(p.updatedAtMs);
}

/**
 * The value bytes of `cell`. Throws `InvalidArgument` for a bad field (confidence outside [0, 1],
 * facet id, tags, times, validity order, malformed strings) and `InvalidCoordinate` for a bad
 * coordinate or cluster hint.
 */
export function encodeCell(cell: Cell): Uint8Array {
  checkCell(cell);
  const { validFromMs, validToMs } = cell.validity;
  const flags =
    (validFromMs === undefined ? 0 : cellFlagValidFrom) |
    (validToMs === undefined ? 0 : cellFlagValidTo) |
    (cell.clusterHint === undefined ? 0 : cellFlagClusterHint);
  const w = header('cell').u8(flags);
  writeCoord(w, cell.coord);
  w.u8(cell.activeFacetId).string(cell.rawContent).varuint(cell.tags.length);
  for (const tag of cell.tags) w.string(tag);
  writeProvenance(w, cell.provenance);
  if (validFromMs !== undefined) w.varint(validFromMs);
  if (validToMs !== undefined) w.varint(validToMs);
  if (cell.clusterHint !== undefined) writeCoord(w, cell.clusterHint);
  return w.finish();
}

/** The value bytes of `facet`. Throws `InvalidArgument` (facet id, hash length, time, text). */
export function encodeFacet(facet: Facet): Uint8Array {
  checkFacet(facet);
  return header('facet')
    .u8(facet.id)
    .fixed(facet.derivationHash)
    .varint(facet.lastRotatedMs)
    .string(facet.derivedContent)
    .finish();
}

/** The value bytes of `edge`. Throws `InvalidArgument` (NaN weight, …) / `InvalidCoordinate`. */
export function encodeEdge(edge: Edge): Uint8Array {
  checkEdge(edge);
  const w = header('edge');
  writeCoord(w, edge.from);
  writeCoord(w, edge.to);
  w.string(edge.relationType).f64(edge.weight);
  writeProvenance(w, edge.provenance);
  return w.finish();
}

/** The value bytes of `seam`. Throws `InvalidArgument` / `InvalidCoordinate`. */
export function encodeSeam(seam: Seam): Uint8Array {
  checkSeam(seam);
  const w = header('seam').fixed(seam.id);
  writeCoord(w, seam.cellA);
  writeCoord(w, seam.cellB);
  return w
    .u8(seamTypes.indexOf(seam.seamType))
    .u8(resolutionStatuses.indexOf(seam.resolutionStatus))
    .f64(seam.confidenceDelta)
    .varint(seam.detectedAtMs)
    .string(seam.reason)
    .string(seam.resolutionNote)
    .finish();
}

/** The value of an MVCC delete: a tombstone version (2 bytes). */
export function encodeTombstone(): Uint8Array {
  return header('tombstone').finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Checks the two header bytes and returns the record type. Throws `CorruptDatabase` for a value
 * too short, version 0 or an unknown type, `UnsupportedFormat` for a newer codec version.
 */
function readHeader(bytes: Uint8Array): RecordType {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) {
    throw hexxlaError('CorruptDatabase', 'record value shorter than its 2-byte header', {
      length: bytes instanceof Uint8Array ? bytes.length : -1,
    });
  }
  const version = bytes[0] ?? 0;
  if (version > codecVersion) {
    throw hexxlaError('UnsupportedFormat', `record codec version ${version} is newer than ` +
      `this library's ${codecVersion}`, { version });
  }
  const type = typeNames[bytes[1] ?? 0];
  if (version === 0 || type === undefined) {
    throw hexxlaError('CorruptDatabase', 'record value has a bad header', {
      version,
      type: bytes[1] ?? 0,
    });
  }
  return type;
}

/**
 * The record type of a stored value (its header only is checked). Throws as `decodeRecord` for
 * a bad header.
 */
export function recordTypeOf(bytes: Uint8Array): RecordType {
  return readHeader(bytes);
}

/** True when the stored value is an MVCC tombstone. Throws as `recordTypeOf`. */
export function isTombstone(bytes: Uint8Array): boolean {
  return readHeader(bytes) === 'tombstone';
}

/** A coordinate read as two varints, each within the int32 range. */
function readCoord(r: ByteReader): Coord {
  const q = r.varint();
  const rr = r.varint();
  if (!isCoordComponent(q) || !isCoordComponent(rr)) throw r.corrupt('coordinate out of range');
  return { q, r: rr };
}

function readProvenance(r: ByteReader): Provenance {
  const sourceId = r.string('sourceId');
  const confidence = r.f64();
  const createdAtMs = r.varint();
  const updatedAtMs = r.varint();
  return { sourceId, confidence, createdAtMs, updatedAtMs };
}

function readTags(r: ByteReader): string[] {
  const count = r.varuint();
  // Each tag takes at least 2 bytes (length and one byte): reject impossible counts up front.
  if (count > cellTagsMax || count * 2 > r.remaining()) throw r.corrupt('bad tag count');
  const tags: string[] = [];
  for (let i = 0; i < count; i++) tags.push(r.string('tag'));
  return tags;
}

/** The validity window; absent bounds are left out of the object (not set to undefined). */
function readValidity(r: ByteReader, flags: number): Validity {
  const hasFrom = (flags & cellFlagValidFrom) !== 0;
  const hasTo = (flags & cellFlagValidTo) !== 0;
  if (hasFrom && hasTo) {
    const validFromMs = r.varint();
    return { validFromMs, validToMs: r.varint() };
  }
  if (hasFrom) return { validFromMs: r.varint() };
  if (hasTo) return { validToMs: r.varint() };
  return {};
}

function readCell(r: ByteReader): Cell {
  const flags = r.u8();
  if ((flags & ~cellFlagsKnown) !== 0) throw r.corrupt('unknown flag bits');
  const cellCoord = readCoord(r);
  const activeFacetId = r.u8() as FacetId;
  const rawContent = r.string('rawContent');
  const tags = readTags(r);
  const provenance = readProvenance(r);
  const validity = readValidity(r, flags);
  const hint = (flags & cellFlagClusterHint) !== 0 ? readCoord(r) : undefined;
  r.end();
  // Object literals of fixed shape (no spreads): decoding is on every read path.
  const cell: Cell =
    hint === undefined
      ? { coord: cellCoord, rawContent, tags, provenance, validity, activeFacetId }
      : { coord: cellCoord, rawContent, tags, provenance, validity, clusterHint: hint,
        activeFacetId };
  checkCell(cell, 'stored');
  return cell;
}

function readFacet(r: ByteReader): Facet {
  const id = r.u8() as FacetId;
  const derivationHash = r.fixed(derivationHashBytes);
  const lastRotatedMs = r.varint();
  const derivedContent = r.string('derivedContent');
  r.end();
  const facet: Facet = { id, derivedContent, derivationHash, lastRotatedMs };
  checkFacet(facet, 'stored');
  return facet;
}

function readEdge(r: ByteReader): Edge {
  const from = readCoord(r);
  const to = readCoord(r);
  const relationType = r.string('relationType');
  const weight = r.f64();
  const provenance = readProvenance(r);
  r.end();
  const edge: Edge = { from, to, relationType, weight, provenance };
  checkEdge(edge, 'stored');
  return edge;
}

function readSeam(r: ByteReader): Seam {
  const id = r.fixed(ulidBytes);
  const cellA = readCoord(r);
  const cellB = readCoord(r);
  const seamType = seamTypes[r.u8()];
  const resolutionStatus = resolutionStatuses[r.u8()];
  if (seamType === undefined || resolutionStatus === undefined) throw r.corrupt('bad enum');
  const confidenceDelta = r.f64();
  const detectedAtMs = r.varint();
  const reason = r.string('reason');
  const resolutionNote = r.string('resolutionNote');
  r.end();
  const seam: Seam = {
    id, cellA, cellB, seamType, reason, confidenceDelta, detectedAtMs, resolutionStatus,
    resolutionNote,
  };
  checkSeam(seam, 'stored');
  return seam;
}

/**
 * Decodes any stored value. Throws `CorruptDatabase` for malformed bytes (truncation, trailing
 * bytes, bad lengths, enums, flags, ranges or UTF-8) and `UnsupportedFormat` for a newer codec
 * version.
 */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  const type = readHeader(bytes);
  const r = new ByteReader(bytes, type, 2);
  switch (type) {
    case 'cell':
      return { type, cell: readCell(r) };
    case 'facet':
      return { type, facet: readFacet(r) };
    case 'edge':
      return { type, edge: readEdge(r) };
    case 'seam':
      return { type, seam: readSeam(r) };
    case 'tombstone':
      r.end();
      return { type };
  }
}

/** Throws `CorruptDatabase` because a value of `actual` type was found where `expected` was. */
function wrongType(expected: RecordType, actual: RecordType): never {
  throw hexxlaError('CorruptDatabase', `expected a ${expected} record, found a ${actual}`, {
    expected,
    actual,
  });
}

/**
 * Decodes a cell value. A tombstone or another type is `CorruptDatabase` too: check
 * `isTombstone` first where a delete may be the visible version. Errors as `decodeRecord`.
 */
export function decodeCell(bytes: Uint8Array): Cell {
  const record = decodeRecord(bytes);
  return record.type === 'cell' ? record.cell : wrongType('cell', record.type);
}

/** Decodes a facet value; errors as `decodeCell`. */
export function decodeFacet(bytes: Uint8Array): Facet {
  const record = decodeRecord(bytes);
  return record.type === 'facet' ? record.facet : wrongType('facet', record.type);
}

/** Decodes an edge value; errors as `decodeCell`. */
export function decodeEdge(bytes: Uint8Array): Edge {
  const record = decodeRecord(bytes);
  return record.type === 'edge' ? record.edge : wrongType('edge', record.type);
}

/** Decodes a seam value; errors as `decodeCell`. */
export function decodeSeam(bytes: Uint8Array): Seam {
  const record = decodeRecord(bytes);
  return record.type === 'seam' ? record.seam : wrongType('seam', record.type);
}
