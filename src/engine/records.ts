/**
 * The record types of the data model (SPEC §3.1–3.4) as the engine stores them, their bounds, and
 * their validation. `codec.ts` turns them into bytes, `keys.ts` into tree keys; docs/records.md
 * has both layouts.
 *
 * Validation runs in two modes. `'input'` checks a caller's record before it is encoded and
 * throws `InvalidArgument` (or `InvalidCoordinate` for a coordinate). `'stored'` runs the same
 * rules over a record decoded from disk and throws `CorruptDatabase` instead, since a stored
 * record that breaks them can only come from damaged bytes.
 *
 * Times are integer milliseconds since 1970-01-01T00:00:00Z (UTC, negative before it), limited to
 * ±(2^52 − 1) (about ±142,000 years) so that their zigzag form stays a safe integer.
 */
import { isCoordComponent, type Coord } from '../coord/index.js';
import { hexxlaError, type ErrorCode, type ErrorContext } from '../errors.js';
import {
  resolutionStatuses, seamTypes, type Cell, type Edge, type Facet, type Provenance, type Seam,
  type Validity,
} from '../types/records.js';
import { type Ulid, ulidBytes } from './ulid.js';
import { isWellFormedString, utf8ByteLength } from './utf8.js';

/** Earliest record time: −(2^52 − 1) ms. Zigzag doubles it, and 2^53 − 2 is still exact. */
export const recordTimeMsMin = -(2 ** 52 - 1);
/** Latest record time: 2^52 − 1 ms (about the year 144,683). */
export const recordTimeMsMax = 2 ** 52 - 1;

/**
 * Longest tag, source id or relation type in UTF-8 bytes. These strings are parts of index keys;
 * 128 bytes fits any sensible label while keeping an edge key (two coords, the type and the seq
 * suffix) at 171 bytes, well under the tree's 312-byte key limit.
 */
export const indexStringBytesMax = 128;
/** Longest snapshot tag label in UTF-8 bytes (SPEC §5). */
export const snapshotLabelBytesMax = 200;
/**
 * Most tags on one cell. Every tag is one index entry written (and, under MVCC, versioned) at each
 * put of the cell, so this bounds the write amplification of one put to 64 entries.
 */
export const cellTagsMax = 64;
/** A facet's derivation hash is a SHA-256 digest (SPEC §3.2). */
export const derivationHashBytes = 32;

/** Facet ids (SPEC §3.2). A cell has at most one facet per id. */
export const facetIds = {
  raw: 0,
  summary: 1,
  conflictNotes: 2,
  validityMirror: 3,
  procedural: 4,
  customLens: 5,
} as const;
/** Largest facet id. */
export const facetIdMax = 5;

export {
  resolutionStatuses, seamTypes, type Cell, type Edge, type Facet, type FacetId, type Provenance,
  type ResolutionStatus, type Seam, type SeamType, type Validity,
} from '../types/records.js';

/** Validation mode: a caller's input, or a record decoded from storage. */
export type CheckMode = 'input' | 'stored';

/** Throws the error for `mode`: `code` for input, `CorruptDatabase` for stored records. */
function fail(mode: CheckMode, code: ErrorCode, message: string, context?: ErrorContext): never {
  throw hexxlaError(mode === 'stored' ? 'CorruptDatabase' : code, message, context);
}

/** Throws unless `value` is a non-null object. */
function checkObject(value: unknown, what: string, mode: CheckMode): void {
  if (typeof value !== 'object' || value === null) {
    fail(mode, 'InvalidArgument', `${what} must be an object`);
  }
}

/** Throws unless `value` is an integer time in `recordTimeMsMin … recordTimeMsMax`. */
export function checkTimeMs(value: unknown, what: string, mode: CheckMode = 'input'): void {
  if (!Number.isSafeInteger(value) || Math.abs(value as number) > recordTimeMsMax) {
    fail(mode, 'InvalidArgument', `${what} must be an integer ms within ±(2^52 - 1)`, {
      [what]: String(value),
    });
  }
}

/** Throws (`InvalidCoordinate` for input) unless `value` is a coordinate with int32 parts. */
export function checkCoord(value: unknown, what: string, mode: CheckMode = 'input'): void {
  const c = value as Coord | null | undefined;
  if (typeof c !== 'object' || c === null || !isCoordComponent(c.q) || !isCoordComponent(c.r)) {
    fail(mode, 'InvalidCoordinate', `${what} must be a coordinate with int32 components`, {
      [what]: typeof c === 'object' && c !== null ? `${String(c.q)},${String(c.r)}` : String(c),
    });
  }
}

/** Throws unless `value` is a well-formed string (any length). */
export function checkText(value: unknown, what: string, mode: CheckMode = 'input'): void {
  if (!isWellFormedString(value)) {
    fail(mode, 'InvalidArgument', `${what} must be a well-formed string`);
  }
}

/**
 * Throws unless `value` is a well-formed string of `bytesMin … bytesMax` UTF-8 bytes. Used for
 * every string that becomes part of a key.
 */
export function checkKeyString(
  value: unknown,
  what: string,
  bytesMax: number,
  bytesMin = 1,
  mode: CheckMode = 'input',
): void {
  checkText(value, what, mode);
  const bytes = utf8ByteLength(value as string);
  if (bytes < bytesMin || bytes > bytesMax) {
    fail(mode, 'InvalidArgument', `${what} must have ${bytesMin}…${bytesMax} UTF-8 bytes`, {
      bytes,
    });
  }
}

/** Throws unless `value` is a number in [0, 1] (NaN excluded). */
function checkConfidence(value: unknown, what: string, mode: CheckMode): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    fail(mode, 'InvalidArgument', `${what} must be a number in [0, 1]`, { [what]: String(value) });
  }
}

/** Throws unless `value` is a finite number. */
function checkFinite(value: unknown, what: string, mode: CheckMode): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(mode, 'InvalidArgument', `${what} must be a finite number`, { [what]: String(value) });
  }
}

/** Throws unless `value` is a facet id, an integer 0 … 5. */
export function checkFacetId(value: unknown, what: string, mode: CheckMode = 'input'): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > facetIdMax) {
    fail(mode, 'InvalidArgument', `${what} must be an integer 0…5`, { [what]: String(value) });
  }
}

/** Throws unless `value` is one of `allowed`. */
function checkMember(
  value: unknown,
  allowed: readonly string[],
  what: string,
  mode: CheckMode,
): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    fail(mode, 'InvalidArgument', `${what} must be one of ${allowed.join(', ')}`, {
      [what]: String(value),
    });
  }
}

/** Throws unless `value` is a `Uint8Array` of exactly `bytes` bytes. */
function checkFixedBytes(value: unknown, bytes: number, what: string, mode: CheckMode): void {
  if (!(value instanceof Uint8Array) || value.length !== bytes) {
    fail(mode, 'InvalidArgument', `${what} must be a Uint8Array of ${bytes} bytes`);
  }
}

function checkProvenance(value: unknown, what: string, mode: CheckMode): void {
  checkObject(value, what, mode);
  const p = value as Provenance;
  checkKeyString(p.sourceId, `${what}.sourceId`, indexStringBytesMax, 0, mode);
  checkConfidence(p.confidence, `${what}.confidence`, mode);
  checkTimeMs(p.createdAtMs, `${what}.createdAtMs`, mode);
  checkTimeMs(p.updatedAtMs, `${what}.updatedAtMs`, mode);
}

function checkValidity(value: unknown, mode: CheckMode): void {
  checkObject(value, 'cell.validity', mode);
  const { validFromMs, validToMs } = value as Validity;
  if (validFromMs !== undefined) checkTimeMs(validFromMs, 'validFromMs', mode);
  if (validToMs !== undefined) checkTimeMs(validToMs, 'validToMs', mode);
  if (validFromMs !== undefined && validToMs !== undefined && validFromMs > validToMs) {
    fail(mode, 'InvalidArgument', 'validity: validFromMs must not be after validToMs', {
      validFromMs,
      validToMs,
    });
  }
}

function checkTags(value: unknown, mode: CheckMode): void {
  if (!Array.isArray(value) || value.length > cellTagsMax) {
    fail(mode, 'InvalidArgument', `cell.tags must be an array of at most ${cellTagsMax} tags`);
  }
  const seen = new Set<string>();
  for (const tag of value as unknown[]) {
    checkKeyString(tag, 'tag', indexStringBytesMax, 1, mode);
    if (seen.has(tag as string)) fail(mode, 'InvalidArgument', 'cell.tags must be distinct');
    seen.add(tag as string);
  }
}

/**
 * Validates a cell. Input mode throws `InvalidArgument` (`InvalidCoordinate` for `coord` and
 * `clusterHint`); stored mode throws `CorruptDatabase`.
 */
export function checkCell(cell: Cell, mode: CheckMode = 'input'): void {
  checkObject(cell, 'cell', mode);
  checkCoord(cell.coord, 'cell.coord', mode);
  checkText(cell.rawContent, 'cell.rawContent', mode);
  checkTags(cell.tags, mode);
  checkProvenance(cell.provenance, 'cell.provenance', mode);
  checkValidity(cell.validity, mode);
  if (cell.clusterHint !== undefined) checkCoord(cell.clusterHint, 'cell.clusterHint', mode);
  checkFacetId(cell.activeFacetId, 'cell.activeFacetId', mode);
}

/** Validates a facet; errors as for `checkCell`. */
export function checkFacet(facet: Facet, mode: CheckMode = 'input'): void {
  checkObject(facet, 'facet', mode);
  checkFacetId(facet.id, 'facet.id', mode);
  checkText(facet.derivedContent, 'facet.derivedContent', mode);
  checkFixedBytes(facet.derivationHash, derivationHashBytes, 'facet.derivationHash', mode);
  checkTimeMs(facet.lastRotatedMs, 'facet.lastRotatedMs', mode);
}

/** Validates an edge; errors as for `checkCell` (`InvalidCoordinate` for `from` and `to`). */
export function checkEdge(edge: Edge, mode: CheckMode = 'input'): void {
  checkObject(edge, 'edge', mode);
  checkCoord(edge.from, 'edge.from', mode);
  checkCoord(edge.to, 'edge.to', mode);
  checkKeyString(edge.relationType, 'edge.relationType', indexStringBytesMax, 1, mode);
  checkFinite(edge.weight, 'edge.weight', mode);
  checkProvenance(edge.provenance, 'edge.provenance', mode);
}

/** Validates a seam; errors as for `checkCell` (`InvalidCoordinate` for the two cells). */
export function checkSeam(seam: Seam, mode: CheckMode = 'input'): void {
  checkObject(seam, 'seam', mode);
  checkFixedBytes(seam.id, ulidBytes, 'seam.id', mode);
  checkCoord(seam.cellA, 'seam.cellA', mode);
  checkCoord(seam.cellB, 'seam.cellB', mode);
  checkMember(seam.seamType, seamTypes, 'seam.seamType', mode);
  checkText(seam.reason, 'seam.reason', mode);
  checkFinite(seam.confidenceDelta, 'seam.confidenceDelta', mode);
  checkTimeMs(seam.detectedAtMs, 'seam.detectedAtMs', mode);
  checkMember(seam.resolutionStatus, resolutionStatuses, 'seam.resolutionStatus', mode);
  checkText(seam.resolutionNote, 'seam.resolutionNote', mode);
}
