/**
 * Facets 0–5 of a cell (SPEC §3.2): derived views stored at `facetKey(coord, id)`, one per id,
 * versioned like every record family (docs/records.md).
 *
 * - Facet 0 is the raw content verbatim. putCell writes it on every put and re-put
 *   (`writeRawFacet`); callers can never put or update it, so it always mirrors the cell.
 * - Facets 1…5 are upserted by `putFacet`. `updateFacet` replaces one only when the caller proves
 *   it derived the content from the cell's current raw content: the hash it passes must equal
 *   `contentHash(raw)` (SHA-256 of the UTF-8 bytes), else `FacetDerivationMismatch`.
 * - Facet 2 (conflict notes) also gets one line per seam that touches the cell (`noteSeam`,
 *   called by seams.ts when a seam is marked). Line formats, `<id>` being the seam's ULID text:
 *     `<id> conflict with <q>,<r>[: <reason>]`     on both cells of a conflict seam;
 *     `<id> supersedes <q>,<r>[: <reason>]`        on the newer cell (cellA) of a supersedes seam;
 *     `<id> superseded by <q>,<r>[: <reason>]`     on the older cell (cellB).
 *   Line breaks in the reason become spaces so that one seam is always one line. The notes keep
 *   the newest lines that fit the database's value limit.
 * - deleteCell removes all facets (`deleteFacets`).
 * Changelog: only putFacet and updateFacet record a change ('putFacet'). Facet 0, the seam notes
 * and the delete cascade are derived writes implied by the putCell, putSeam and deleteCell
 * entries of the same operation (one change per logical mutation).
 */
import { createHash } from 'node:crypto';
import type { Coord } from '../coord/index.js';
import { decodeCell, decodeFacet, encodeFacet } from '../engine/codec.js';
import { cellKey, decodeFacetKey, facetKey, facetPrefix } from '../engine/keys.js';
import {
  checkCoord, checkFacet, checkFacetId, checkText, derivationHashBytes, facetIds,
  type Cell, type Facet, type FacetId, type Seam,
} from '../engine/records.js';
import { ulidToString } from '../engine/ulid.js';
import { utf8ByteLength } from '../engine/utf8.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import type { FacetInput } from './types.js';

const coordText = (c: Coord): string => `${c.q},${c.r}`;

/**
 * SHA-256 of the UTF-8 bytes of `rawContent`: the derivation hash a facet derived from that
 * content carries. 32 fresh bytes. Throws `InvalidArgument` for a string that is not well formed
 * (a lone surrogate has no UTF-8 form, so it could not be hashed faithfully).
 */
export function contentHash(rawContent: string): Uint8Array {
  checkText(rawContent, 'rawContent');
  // Copy out of the Buffer so callers get a plain Uint8Array (equal under toEqual, no pool view).
  return new Uint8Array(createHash('sha256').update(rawContent, 'utf8').digest());
}

/** True when `a` and `b` hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Decodes a stored facet and checks that it is the one its key names. */
function storedFacet(value: Uint8Array, id: FacetId, c: Coord): Facet {
  const facet = decodeFacet(value);
  if (facet.id !== id) {
    throw hexxlaError('CorruptDatabase', 'facet record id differs from its key', {
      cell: coordText(c), keyId: id, recordId: facet.id,
    });
  }
  return facet;
}

/** The cell at `c`, or undefined. */
function readCell(ctx: ReadCtx, c: Coord): Cell | undefined {
  const value = ctx.records.get(cellKey(c));
  return value === undefined ? undefined : decodeCell(value);
}

/** The cell at `c`; throws `NotFound` when there is none. */
function requireCell(ctx: ReadCtx, c: Coord): Cell {
  const cell = readCell(ctx, c);
  if (cell === undefined) {
    throw hexxlaError('NotFound', 'no cell at this coordinate', { cell: coordText(c) });
  }
  return cell;
}

/** Throws `InvalidArgument` for facet 0, which only putCell writes. */
function refuseRawFacet(id: FacetId): void {
  if (id === facetIds.raw) {
    throw hexxlaError('InvalidArgument',
      'facet 0 (raw) is written with the cell and never put or updated on its own', { id });
  }
}

/** Encodes and writes `facet` of the cell at `c`; returns its key and value. */
function writeFacet(ctx: WriteCtx, c: Coord, facet: Facet):
  { key: Uint8Array; value: Uint8Array } {
  const key = facetKey(c, facet.id);
  const value = encodeFacet(facet);
  ctx.records.put(key, value);
  return { key, value };
}

/** Facet `id` of the cell at `c`, or undefined. Throws `InvalidCoordinate` / `InvalidArgument`. */
export function getFacet(ctx: ReadCtx, c: Coord, id: FacetId): Facet | undefined {
  const value = ctx.records.get(facetKey(c, id));
  return value === undefined ? undefined : storedFacet(value, id, c);
}

/** Every facet of the cell at `c`, by id (key order). Throws `InvalidCoordinate`. */
export function listFacets(ctx: ReadCtx, c: Coord): Facet[] {
  const out: Facet[] = [];
  for (const [key, value] of ctx.records.scan(facetPrefix(c))) {
    out.push(storedFacet(value, decodeFacetKey(key).facetId, c));
  }
  return out;
}

/**
 * Upserts facet `input.id` (1…5) of the existing cell at `c` and returns it as stored.
 * derivationHash defaults to contentHash(cell raw), lastRotatedMs to the commit time. Throws
 * `InvalidCoordinate`, `InvalidArgument` (bad input, id 0), `NotFound` (no cell); nothing is
 * written then.
 */
export function putFacet(ctx: WriteCtx, c: Coord, input: FacetInput): Facet {
  checkCoord(c, 'coord');
  if (typeof input !== 'object' || input === null) {
    throw hexxlaError('InvalidArgument', 'facet input must be an object');
  }
  checkFacetId(input.id, 'facet.id');
  refuseRawFacet(input.id);
  const given = input.derivationHash;
  const draft: Facet = {
    id: input.id,
    derivedContent: input.derivedContent,
    // A private copy: the caller may reuse its array after the call. The placeholder stands in
    // for the default (which needs the cell) so every field is checked before the cell is read.
    derivationHash: given === undefined ? new Uint8Array(derivationHashBytes)
      : given instanceof Uint8Array ? new Uint8Array(given) : given,
    lastRotatedMs: input.lastRotatedMs ?? ctx.nowMs,
  };
  checkFacet(draft);
  const cell = requireCell(ctx, c);
  const facet = given === undefined
    ? { ...draft, derivationHash: contentHash(cell.rawContent) }
    : draft;
  ctx.change({ op: 'putFacet', ...writeFacet(ctx, c, facet) });
  return facet;
}

/**
 * Replaces the content of the existing facet `id` (1…5) of the existing cell at `c`, provided
 * `hash` equals contentHash(current raw content); lastRotatedMs becomes the commit time. Throws
 * `InvalidCoordinate`, `InvalidArgument` (bad id, id 0, content not a well-formed string, hash
 * not 32 bytes), `NotFound` (no cell or no such facet), `FacetDerivationMismatch`.
 */
export function updateFacet(ctx: WriteCtx, c: Coord, id: FacetId, content: string,
  hash: Uint8Array): Facet {
  checkCoord(c, 'coord');
  checkFacetId(id, 'facetId');
  refuseRawFacet(id);
  const facet: Facet = {
    id,
    derivedContent: content,
    derivationHash: hash instanceof Uint8Array ? new Uint8Array(hash) : hash,
    lastRotatedMs: ctx.nowMs,
  };
  checkFacet(facet);
  const cell = requireCell(ctx, c);
  if (getFacet(ctx, c, id) === undefined) {
    throw hexxlaError('NotFound', 'the cell has no facet with this id', {
      cell: coordText(c), id,
    });
  }
  if (!sameBytes(facet.derivationHash, contentHash(cell.rawContent))) {
    throw hexxlaError('FacetDerivationMismatch',
      'derivation hash differs from SHA-256 of the cell\'s current raw content', {
        cell: coordText(c), id,
      });
  }
  ctx.change({ op: 'putFacet', ...writeFacet(ctx, c, facet) });
  return facet;
}

/**
 * Writes facet 0 of `cell`: its raw content verbatim, hashed, rotated now. Called by putCell on
 * every put and re-put (after it validated the cell); records no change of its own.
 */
export function writeRawFacet(ctx: WriteCtx, cell: Cell,
  value: Uint8Array = encodeRawFacet(ctx, cell)): void {
  ctx.records.put(facetKey(cell.coord, facetIds.raw), value);
}

/** The encoded facet 0 of `cell` (putCell checks its size before writing anything). */
export function encodeRawFacet(ctx: WriteCtx, cell: Cell): Uint8Array {
  return encodeFacet({
    id: facetIds.raw,
    derivedContent: cell.rawContent,
    derivationHash: contentHash(cell.rawContent),
    lastRotatedMs: ctx.nowMs,
  });
}

/** The facet-2 line of `seam` as seen from the cell at `c` (see the module comment). */
export function seamNoteLine(seam: Seam, c: Coord): string {
  const isA = seam.cellA.q === c.q && seam.cellA.r === c.r;
  const isB = seam.cellB.q === c.q && seam.cellB.r === c.r;
  if (!isA && !isB) {
    throw hexxlaError('InvalidArgument', 'the seam does not touch this cell', {
      cell: coordText(c),
    });
  }
  const other = coordText(isA ? seam.cellB : seam.cellA);
  let relation = `conflict with ${other}`;
  if (seam.seamType === 'supersedes') {
    relation = isA ? `supersedes ${other}` : `superseded by ${other}`;
  }
  const reason = seam.reason.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
  return `${ulidToString(seam.id)} ${relation}${reason === '' ? '' : `: ${reason}`}`;
}

/**
 * Facet-2 content made of the newest of `lines` (oldest first) whose UTF-8 form, joined by '\n',
 * fits `budgetBytes`: older lines are dropped first. When even the newest line alone is longer,
 * it is cut at a code point boundary. Infinity keeps every line.
 */
export function fitNoteLines(lines: readonly string[], budgetBytes: number): string {
  let used = 0;
  let first = lines.length;
  while (first > 0) {
    const bytes = utf8ByteLength(lines[first - 1] ?? '') + (first < lines.length ? 1 : 0);
    if (used + bytes > budgetBytes) break;
    used += bytes;
    first--;
  }
  if (first < lines.length) return lines.slice(first).join('\n');
  // Not even the newest line fits: keep its longest prefix that does.
  let out = '';
  let bytes = 0;
  for (const ch of lines[lines.length - 1] ?? '') {
    bytes += utf8ByteLength(ch);
    if (bytes > budgetBytes) break;
    out += ch;
  }
  return out;
}

/**
 * Appends the line of `seam` to facet 2 (conflict notes) of the cell at `c`, creating the facet
 * when missing; its hash becomes contentHash(raw) and lastRotatedMs the commit time. The notes
 * keep the newest lines that fit the database's value limit (older ones are dropped: seamsOfCell
 * lists every seam), so marking a seam never fails on a cell with a long history. A no-op when
 * there is no cell at `c`. Called by seams.ts, which validated the seam; records no change.
 */
export function noteSeam(ctx: WriteCtx, c: Coord, seam: Seam): void {
  checkCoord(c, 'coord');
  const cell = readCell(ctx, c);
  if (cell === undefined) return;
  const line = seamNoteLine(seam, c);
  const before = getFacet(ctx, c, facetIds.conflictNotes)?.derivedContent ?? '';
  const lines = before === '' ? [line] : [...before.split('\n'), line];
  const facet: Facet = {
    id: facetIds.conflictNotes,
    derivedContent: '',
    derivationHash: contentHash(cell.rawContent),
    lastRotatedMs: ctx.nowMs,
  };
  // Bytes left for the content: the limit minus the encoded facet without content, minus the
  // 2 bytes by which the content's length varuint can grow (3 bytes cover the 1 MiB maximum).
  const budget = ctx.records.maxValueBytes - encodeFacet(facet).length - 2;
  writeFacet(ctx, c, { ...facet, derivedContent: fitNoteLines(lines, Math.max(0, budget)) });
}

/**
 * Deletes every facet of the cell at `c` (the cascade of deleteCell) and returns how many there
 * were. Records no change (the deleteCell entry implies it). Throws `InvalidCoordinate`.
 */
export function deleteFacets(ctx: WriteCtx, c: Coord): number {
  // Collect first: deleting while the scan's cursor walks the same range would disturb it.
  const keys: Uint8Array[] = [];
  for (const [key] of ctx.records.scan(facetPrefix(c))) keys.push(key);
  for (const key of keys) ctx.records.delete(key);
  return keys.length;
}
