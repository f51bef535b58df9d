/**
 * The small interface the behaviour suite is written against, and its two implementations:
 * the in-process engine (src/index.ts) and the SDK talking to a live server (src/client).
 *
 * Both adapters are thin on purpose: the SDK's record shapes are the library's, which the type
 * assertions at the end of this file check at compile time (each pair mutually assignable), so
 * the adapters only bridge sync vs async, snapshot selection and listings vs arrays. The SDK
 * adapter lists with a page size of 2 so every listing of more than two items crosses pages.
 */
import type * as lib from '../../src/index.js';
import { type Database } from '../../src/index.js';
import type * as sdk from '../../src/client/index.js';
import type { HexxlaClient } from '../../src/client/index.js';

type Cell = lib.Cell;
type Coord = lib.Coord;

/** The snapshot selector both sides understand. */
export type At = sdk.ReadAt;

export interface BehaviourStore {
  putCell(input: lib.CellInput): Promise<Cell>;
  getCell(c: Coord, at?: At): Promise<Cell | undefined>;
  deleteCell(c: Coord): Promise<boolean>;
  listCells(at?: At): Promise<Cell[]>;
  listCellsByTag(tag: string): Promise<Cell[]>;
  listCellsBySource(sourceId: string): Promise<Cell[]>;
  distinctTags(): Promise<string[]>;
  putFacet(c: Coord, input: lib.FacetInput): Promise<lib.Facet>;
  updateFacet(c: Coord, id: lib.FacetId, content: string, hash: Uint8Array): Promise<lib.Facet>;
  getFacet(c: Coord, id: lib.FacetId): Promise<lib.Facet | undefined>;
  listFacets(c: Coord): Promise<lib.Facet[]>;
  putEdge(input: lib.EdgeInput): Promise<lib.Edge>;
  linkCells(from: Coord, to: Coord, relationType: string, weight?: number): Promise<lib.Edge>;
  getEdge(from: Coord, to: Coord, relationType: string): Promise<lib.Edge | undefined>;
  listEdges(from: Coord): Promise<lib.Edge[]>;
  deleteEdge(from: Coord, to: Coord, relationType: string): Promise<boolean>;
  markConflict(a: Coord, b: Coord, input?: lib.SeamInput): Promise<lib.Seam>;
  markSupersedes(newer: Coord, older: Coord, input?: lib.SeamInput): Promise<lib.Seam>;
  resolveSeam(id: lib.Ulid, status: lib.ResolutionStatus, note?: string): Promise<lib.Seam>;
  getSeam(id: lib.Ulid): Promise<lib.Seam | undefined>;
  seamsOfCell(c: Coord): Promise<lib.Seam[]>;
  findSeams(center: Coord, radius: number, opts?: lib.FindSeamsOptions): Promise<lib.Seam[]>;
  walkRing(center: Coord, radius: number, opts?: lib.WalkOptions): Promise<lib.RingCell[]>;
  loadContext(center: Coord, maxRadius: number, maxCells: number): Promise<Cell[]>;
  commitSeq(): Promise<bigint>;
  tagSnapshot(label: string): Promise<bigint>;
  snapshotTag(label: string): Promise<bigint>;
  snapshotDiff(a: bigint, b: bigint): Promise<lib.SnapshotDiff>;
  statsMVCC(): Promise<lib.MvccStats>;
}

/** Runs a read at the selected snapshot of the engine. */
function viewAt<T>(db: Database, at: At | undefined, fn: (tx: lib.ReadTx) => T): T {
  if (at === undefined) return db.view(fn);
  if ('seq' in at) return db.viewAt(at.seq, fn);
  if ('tag' in at) return db.viewAtTag(at.tag, fn);
  return db.viewAtTime(at.asOfMs, fn);
}

/** The in-process engine: reads in db.view, each write its own db.update. */
export function engineStore(db: Database): BehaviourStore {
  const read = async <T>(fn: (tx: lib.ReadTx) => T, at?: At): Promise<T> => viewAt(db, at, fn);
  const write = <T>(fn: (tx: lib.WriteTx) => T): Promise<T> => db.update(fn);
  return {
    putCell: (input) => db.putCell(input),
    getCell: (c, at) => read((tx) => tx.getCell(c), at),
    deleteCell: (c) => db.deleteCell(c),
    listCells: (at) => read((tx) => tx.listCells(), at),
    listCellsByTag: (tag) => read((tx) => tx.listCellsByTag(tag)),
    listCellsBySource: (s) => read((tx) => tx.listCellsBySource(s)),
    distinctTags: () => read((tx) => tx.distinctTags()),
    putFacet: (c, input) => write((tx) => tx.putFacet(c, input)),
    updateFacet: (c, id, content, hash) => write((tx) => tx.updateFacet(c, id, content, hash)),
    getFacet: (c, id) => read((tx) => tx.getFacet(c, id)),
    listFacets: (c) => read((tx) => tx.listFacets(c)),
    putEdge: (input) => write((tx) => tx.putEdge(input)),
    linkCells: (from, to, type, weight) => write((tx) => tx.linkCells(from, to, type, weight)),
    getEdge: (from, to, type) => read((tx) => tx.getEdge(from, to, type)),
    listEdges: (from) => read((tx) => tx.listEdges(from)),
    deleteEdge: (from, to, type) => write((tx) => tx.deleteEdge(from, to, type)),
    markConflict: (a, b, input) => write((tx) => tx.markConflict(a, b, input)),
    markSupersedes: (n, o, input) => write((tx) => tx.markSupersedes(n, o, input)),
    resolveSeam: (id, status, note) => write((tx) => tx.resolveSeam(id, status, note)),
    getSeam: (id) => read((tx) => tx.getSeam(id)),
    seamsOfCell: (c) => read((tx) => tx.seamsOfCell(c)),
    findSeams: (center, radius, opts) => read((tx) => tx.findSeams(center, radius, opts)),
    walkRing: (center, radius, opts) => read((tx) => tx.walkRing(center, radius, opts)),
    loadContext: (center, r, n) => read((tx) => tx.loadContext(center, r, n)),
    commitSeq: async () => db.commitSeq(),
    tagSnapshot: (label) => db.tagSnapshot(label),
    snapshotTag: async (label) => db.snapshotTag(label),
    snapshotDiff: async (a, b) => db.snapshotDiff(a, b),
    statsMVCC: async () => db.statsMVCC(),
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The SDK over a live server. */
export function clientStore(client: HexxlaClient): BehaviourStore {
  const pageSize = 2;
  const at = (selector: At | undefined): sdk.ReadOptions =>
    (selector === undefined ? {} : { at: selector });
  return {
    putCell: (input) => client.putCell(input),
    getCell: (c, sel) => client.getCell(c, at(sel)),
    deleteCell: (c) => client.deleteCell(c),
    listCells: (sel) => client.listCells({ ...at(sel), pageSize }).toArray(),
    listCellsByTag: (tag) => client.listCellsByTag(tag, { pageSize }).toArray(),
    listCellsBySource: (s) => client.listCellsBySource(s, { pageSize }).toArray(),
    distinctTags: () => client.distinctTags({ pageSize }),
    putFacet: (c, input) => client.putFacet(c, input),
    updateFacet: (c, id, content, hash) => client.updateFacet(c, id, content, hash),
    getFacet: (c, id) => client.getFacet(c, id),
    listFacets: (c) => client.listFacets(c),
    putEdge: (input) => client.putEdge(input),
    linkCells: (from, to, type, weight) => client.linkCells(from, to, type, weight),
    getEdge: (from, to, type) => client.getEdge(from, to, type),
    listEdges: (from) => client.listEdges(from, { pageSize }).toArray(),
    deleteEdge: (from, to, type) => client.deleteEdge(from, to, type),
    markConflict: (a, b, input) => client.markConflict(a, b, input),
    markSupersedes: (n, o, input) => client.markSupersedes(n, o, input),
    resolveSeam: (id, status, note) => client.resolveSeam(id, status, note),
    getSeam: (id) => client.getSeam(id),
    seamsOfCell: (c) => client.seamsOfCell(c, { pageSize }).toArray(),
    findSeams: (center, radius, opts) =>
      client.findSeams(center, radius, { ...opts, pageSize }).toArray(),
    walkRing: (center, radius, opts) => collect(client.walkRing(center, radius, opts)),
    loadContext: (center, r, n) => client.loadContext(center, r, n),
    commitSeq: () => client.commitSeq(),
    tagSnapshot: (label) => client.tagSnapshot(label),
    snapshotTag: (label) => client.snapshotTag(label),
    snapshotDiff: (a, b) => client.snapshotDiff(a, b),
    statsMVCC: () => client.statsMVCC(),
  };
}

// Compile-time proof that the SDK's shapes are the library's: each pair is mutually assignable.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Pairs = [
  Same<lib.Cell, sdk.Cell>, Same<lib.Facet, sdk.Facet>, Same<lib.Edge, sdk.Edge>,
  Same<lib.Seam, sdk.Seam>, Same<lib.Provenance, sdk.Provenance>,
  Same<lib.Validity, sdk.Validity>, Same<lib.CellInput, sdk.CellInput>,
  Same<lib.FacetInput, sdk.FacetInput>, Same<lib.EdgeInput, sdk.EdgeInput>,
  Same<lib.SeamInput, sdk.SeamInput>, Same<lib.WalkOptions, sdk.WalkOptions>,
  Same<lib.RingCell, sdk.RingCell>, Same<lib.FindSeamsOptions, sdk.FindSeamsOptions>,
  Same<lib.MvccStats, sdk.MvccStats>, Same<lib.SnapshotDiff, sdk.SnapshotDiff>,
  Same<lib.SnapshotTag, sdk.SnapshotTag>, Same<lib.Coord, sdk.Coord>,
  Same<lib.ResolutionStatus, sdk.ResolutionStatus>, Same<lib.SeamType, sdk.SeamType>,
  Same<lib.FacetId, sdk.FacetId>, Same<lib.ChangeOp, sdk.ChangeOp>,
];
export const shapesMatch: Pairs = [
  true, true, true, true, true, true, true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true,
];
