/**
 * The reference for model-random.test.ts: the records a correct engine holds, as plain maps, with
 * one method per record operation mirroring the documented semantics of src/model/*.ts:
 * - cells (cells.ts): defaults of CellInput, createdAtMs kept across re-puts; every put writes
 *   facet 0 (raw content, SHA-256 of it, rotated now); deleteCell removes the cell, its facets
 *   and its out-edges (edges whose `from` is the cell) and nothing else: in-edges and seams stay.
 * - facets (facets.ts): putFacet upserts 1…5 (hash defaults to SHA-256 of the current raw
 *   content); updateFacet needs the cell, the facet and the current raw content's hash; marking a
 *   seam appends one line to facet 2 of both cells (hash of the cell's raw, rotated now).
 * - edges (edges.ts): keyed by (from, to, relation type); `from` must exist, `to` need not;
 *   listed by packed `to`, then relation type by UTF-8 length, then bytes (the key's u16 length
 *   prefix comes first).
 * - seams (seams.ts): never deleted; ids are ULIDs chosen by the engine (the model takes them
 *   from the engine's result), so id text order is creation order, which every listing uses.
 * A method returns undefined (and changes nothing) where the engine must throw; the caller
 * asserts the error code. Expected values are computed here independently (SHA-256 via
 * node:crypto, distance via the cube formula) rather than with the engine's helpers.
 */
import { createHash } from 'node:crypto';
import { comparePackedCoords, packCoord, type Coord } from '../../src/coord/index.js';
import type {
  Cell, Edge, Facet, FacetId, ResolutionStatus, Seam, SeamType,
} from '../../src/engine/records.js';
import { ulidToString } from '../../src/engine/ulid.js';
import { weekBucket } from '../../src/engine/week-bucket.js';
import type { CellInput, EdgeInput, FacetInput, FindSeamsOptions, SeamInput } from
  '../../src/index.js';

export const coordId = (c: Coord): string => `${c.q},${c.r}`;
const sameCoord = (a: Coord, b: Coord): boolean => a.q === b.q && a.r === b.r;
const byCoord = (a: Coord, b: Coord): number => comparePackedCoords(packCoord(a), packCoord(b));
const edgeId = (from: Coord, to: Coord, type: string): string =>
  `${coordId(from)}|${coordId(to)}|${type}`;
const seamId = (s: Seam): string => ulidToString(s.id);

/** SHA-256 of the UTF-8 bytes of `text`, as a plain Uint8Array (what decoded facets hold). */
export function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

/** Hex distance, written out here so the model does not lean on src/coord's own. */
export function hexDistance(a: Coord, b: Coord): number {
  const dq = a.q - b.q;
  const dr = a.r - b.r;
  return (Math.abs(dq) + Math.abs(dr) + Math.abs(dq + dr)) / 2;
}

/** Relation types in key order: UTF-8 byte length first, then bytes. */
function compareTypes(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}

const byEdgeKey = (a: Edge, b: Edge): number =>
  byCoord(a.to, b.to) || compareTypes(a.relationType, b.relationType);
const bySeamId = (a: Seam, b: Seam): number => (seamId(a) < seamId(b) ? -1 : 1);

function withProvenance(given: CellInput['provenance'], createdAtMs: number | undefined,
  nowMs: number): Cell['provenance'] {
  const p = given ?? {};
  return {
    sourceId: p.sourceId ?? '',
    confidence: p.confidence ?? 1,
    createdAtMs: p.createdAtMs ?? createdAtMs ?? nowMs,
    updatedAtMs: p.updatedAtMs ?? nowMs,
  };
}

export class RecordModel {
  readonly cells = new Map<string, Cell>();
  /** Cell id → facet id → facet. */
  readonly facets = new Map<string, Map<FacetId, Facet>>();
  /** edgeId → edge. */
  readonly edges = new Map<string, Edge>();
  /** Seam id text → seam. */
  readonly seams = new Map<string, Seam>();
  /** Seam id text → the distinct non-empty sources of its cells when it was marked. */
  readonly seamSources = new Map<string, readonly string[]>();

  // -------------------------------------------------------------------------------------------
  // Cells

  putCell(input: CellInput, nowMs: number): Cell {
    const old = this.cells.get(coordId(input.coord));
    const cell: Cell = {
      coord: { q: input.coord.q, r: input.coord.r },
      rawContent: input.rawContent,
      tags: [...(input.tags ?? [])],
      provenance: withProvenance(input.provenance, old?.provenance.createdAtMs, nowMs),
      validity: { ...input.validity },
      activeFacetId: input.activeFacetId ?? 0,
    };
    this.cells.set(coordId(cell.coord), cell);
    this.setFacet(cell.coord, { id: 0, derivedContent: cell.rawContent,
      derivationHash: sha256(cell.rawContent), lastRotatedMs: nowMs });
    return cell;
  }

  /** The cascade: cell, facets, out-edges. In-edges and seams stay. */
  deleteCell(c: Coord): boolean {
    if (!this.cells.delete(coordId(c))) return false;
    this.facets.delete(coordId(c));
    for (const [k, edge] of this.edges) if (sameCoord(edge.from, c)) this.edges.delete(k);
    return true;
  }

  getCell(c: Coord): Cell | undefined {
    return this.cells.get(coordId(c));
  }

  listCells(filter: (cell: Cell) => boolean = () => true): Cell[] {
    return [...this.cells.values()].filter(filter).sort((a, b) => byCoord(a.coord, b.coord));
  }

  listCellsByTag(tag: string): Cell[] {
    return this.listCells((cell) => cell.tags.includes(tag));
  }

  listCellsBySource(sourceId: string): Cell[] {
    return this.listCells((cell) => cell.provenance.sourceId === sourceId);
  }

  listCellsByWeek(bucket: number): Cell[] {
    return this.listCells((cell) => cell.validity.validFromMs !== undefined &&
      weekBucket(cell.validity.validFromMs) === bucket);
  }

  distinctTags(): string[] {
    return [...new Set([...this.cells.values()].flatMap((cell) => cell.tags))].sort();
  }

  // -------------------------------------------------------------------------------------------
  // Facets

  private setFacet(c: Coord, facet: Facet): void {
    let byId = this.facets.get(coordId(c));
    if (byId === undefined) this.facets.set(coordId(c), (byId = new Map()));
    byId.set(facet.id, facet);
  }

  getFacet(c: Coord, id: FacetId): Facet | undefined {
    return this.facets.get(coordId(c))?.get(id);
  }

  listFacets(c: Coord): Facet[] {
    return [...(this.facets.get(coordId(c))?.values() ?? [])].sort((a, b) => a.id - b.id);
  }

  /** Undefined when there is no cell (NotFound). */
  putFacet(c: Coord, input: FacetInput, nowMs: number): Facet | undefined {
    const cell = this.getCell(c);
    if (cell === undefined) return undefined;
    const facet: Facet = {
      id: input.id,
      derivedContent: input.derivedContent,
      derivationHash: new Uint8Array(input.derivationHash ?? sha256(cell.rawContent)),
      lastRotatedMs: input.lastRotatedMs ?? nowMs,
    };
    this.setFacet(c, facet);
    return facet;
  }

  /** The error updateFacet must throw, or the facet it writes. */
  updateFacet(c: Coord, id: FacetId, content: string, hash: Uint8Array, nowMs: number):
    Facet | 'NotFound' | 'FacetDerivationMismatch' {
    const cell = this.getCell(c);
    if (cell === undefined || this.getFacet(c, id) === undefined) return 'NotFound';
    if (Buffer.compare(Buffer.from(hash), Buffer.from(sha256(cell.rawContent))) !== 0) {
      return 'FacetDerivationMismatch';
    }
    const facet: Facet = { id, derivedContent: content, derivationHash: new Uint8Array(hash),
      lastRotatedMs: nowMs };
    this.setFacet(c, facet);
    return facet;
  }

  /** Appends the seam's line to facet 2 of the cell at `c` (facets.ts noteSeam). */
  private noteSeam(c: Coord, seam: Seam, nowMs: number): void {
    const cell = this.getCell(c) as Cell;
    const isA = sameCoord(seam.cellA, c);
    const other = coordId(isA ? seam.cellB : seam.cellA);
    const relation = seam.seamType === 'conflict' ? `conflict with ${other}`
      : isA ? `supersedes ${other}` : `superseded by ${other}`;
    const reason = seam.reason.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
    const line = `${seamId(seam)} ${relation}${reason === '' ? '' : `: ${reason}`}`;
    const before = this.getFacet(c, 2)?.derivedContent ?? '';
    this.setFacet(c, { id: 2, derivedContent: before === '' ? line : `${before}\n${line}`,
      derivationHash: sha256(cell.rawContent), lastRotatedMs: nowMs });
  }

  // -------------------------------------------------------------------------------------------
  // Edges

  /** Undefined when `from` is not a cell (NotFound). */
  putEdge(input: EdgeInput, nowMs: number): Edge | undefined {
    if (this.getCell(input.from) === undefined) return undefined;
    const k = edgeId(input.from, input.to, input.relationType);
    const edge: Edge = {
      from: { q: input.from.q, r: input.from.r },
      to: { q: input.to.q, r: input.to.r },
      relationType: input.relationType,
      weight: input.weight ?? 1,
      provenance: withProvenance(input.provenance, this.edges.get(k)?.provenance.createdAtMs,
        nowMs),
    };
    this.edges.set(k, edge);
    return edge;
  }

  deleteEdge(from: Coord, to: Coord, type: string): boolean {
    return this.edges.delete(edgeId(from, to, type));
  }

  getEdge(from: Coord, to: Coord, type: string): Edge | undefined {
    return this.edges.get(edgeId(from, to, type));
  }

  listEdges(from: Coord): Edge[] {
    return [...this.edges.values()].filter((e) => sameCoord(e.from, from)).sort(byEdgeKey);
  }

  // -------------------------------------------------------------------------------------------
  // Seams

  /**
   * The seam the engine must create for (type, a, b), without its id, or the error it must
   * throw. `commit` stores it under the engine's id.
   */
  seamDraft(type: SeamType, a: Coord, b: Coord, input: SeamInput | undefined, nowMs: number):
    Omit<Seam, 'id'> | 'InvalidArgument' | 'NotFound' {
    if (sameCoord(a, b)) return 'InvalidArgument';
    if (this.getCell(a) === undefined || this.getCell(b) === undefined) return 'NotFound';
    return {
      cellA: { q: a.q, r: a.r }, cellB: { q: b.q, r: b.r }, seamType: type,
      reason: input?.reason ?? '', confidenceDelta: input?.confidenceDelta ?? 0,
      detectedAtMs: nowMs, resolutionStatus: 'unresolved', resolutionNote: '',
    };
  }

  /** Records a seam the engine marked (see seamDraft) and notes it in both cells' facet 2. */
  addSeam(seam: Seam, nowMs: number): void {
    this.seams.set(seamId(seam), seam);
    const sources = [seam.cellA, seam.cellB]
      .map((c) => (this.getCell(c) as Cell).provenance.sourceId).filter((s) => s !== '');
    this.seamSources.set(seamId(seam), [...new Set(sources)]);
    this.noteSeam(seam.cellA, seam, nowMs);
    this.noteSeam(seam.cellB, seam, nowMs);
  }

  /** Undefined for an unknown id (NotFound). */
  resolveSeam(id: string, status: ResolutionStatus, note: string): Seam | undefined {
    const old = this.seams.get(id);
    if (old === undefined) return undefined;
    const seam = { ...old, resolutionStatus: status, resolutionNote: note };
    this.seams.set(id, seam);
    return seam;
  }

  getSeam(id: string): Seam | undefined {
    return this.seams.get(id);
  }

  listSeams(filter: (seam: Seam) => boolean = () => true): Seam[] {
    return [...this.seams.values()].filter(filter).sort(bySeamId);
  }

  seamsOfCell(c: Coord): Seam[] {
    return this.listSeams((s) => sameCoord(s.cellA, c) || sameCoord(s.cellB, c));
  }

  findSeams(center: Coord, radius: number, opts: FindSeamsOptions = {}): Seam[] {
    return this.listSeams((s) =>
      (hexDistance(s.cellA, center) <= radius || hexDistance(s.cellB, center) <= radius) &&
      (opts.unresolvedOnly !== true || s.resolutionStatus === 'unresolved') &&
      (opts.asOfMs === undefined || s.detectedAtMs <= opts.asOfMs));
  }

  listSeamsBySource(sourceId: string): Seam[] {
    return this.listSeams((s) => this.seamSources.get(seamId(s))?.includes(sourceId) === true);
  }

  /** Seams with a cell that no longer exists (the health check's warnings). */
  orphanedSeams(): number {
    return this.listSeams((s) => this.getCell(s.cellA) === undefined ||
      this.getCell(s.cellB) === undefined).length;
  }

  /** A copy that later changes to this model do not reach (records themselves are immutable). */
  snapshot(): RecordModel {
    const copy = new RecordModel();
    for (const [k, v] of this.cells) copy.cells.set(k, v);
    for (const [k, v] of this.facets) copy.facets.set(k, new Map(v));
    for (const [k, v] of this.edges) copy.edges.set(k, v);
    for (const [k, v] of this.seams) copy.seams.set(k, v);
    for (const [k, v] of this.seamSources) copy.seamSources.set(k, v);
    return copy;
  }
}
