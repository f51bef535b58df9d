/**
 * Changelog types (SPEC §7) shared by the library and the client SDK (see ./records.ts): the
 * stable op codes and what a changelog read returns.
 */

/**
 * Stable changelog op codes (SPEC §7): add codes, never renumber. The changelog sidecar stores
 * them as one byte, the proto's ChangeOp enum uses the same numbers.
 */
export const changeOps = {
  putCell: 1,
  putSeam: 2,
  resolveSeam: 3,
  putFacet: 4,
  putEdge: 5,
  deleteCell: 6,
  deleteEdge: 7,
  putEmbedding: 8,
  deleteEmbedding: 9,
  tagSnapshot: 10,
  deleteSnapshotTag: 11,
} as const;
export type ChangeOp = keyof typeof changeOps;

/** One logical mutation as the changelog returns it. */
export interface ChangelogEntry {
  readonly seq: bigint;
  readonly timeMs: number;
  readonly op: ChangeOp;
  /** Record family id (the key's first byte). */
  readonly family: number;
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
}

/** A commit's entries. */
export interface ChangelogFrame {
  readonly seq: bigint;
  readonly timeMs: number;
  readonly entries: readonly ChangelogEntry[];
}

/** Filter of readChangelogFiltered. */
export interface ChangelogFilter {
  readonly ops?: readonly ChangeOp[];
  readonly keyPrefix?: Uint8Array;
  /** At most this many entries (default: all). */
  readonly limit?: number;
}
