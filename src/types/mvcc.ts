/** MVCC result types (SPEC §5), shared by the library and the client SDK (see ./records.ts). */
import type { Coord } from '../coord/index.js';

/** Cells added, modified and removed between two commit seqs. */
export interface SnapshotDiff {
  readonly fromSeq: bigint;
  readonly toSeq: bigint;
  readonly added: Coord[];
  readonly modified: Coord[];
  readonly removed: Coord[];
}

export interface MvccStats {
  readonly headSeq: bigint;
  /** Live cells at head. */
  readonly cellCount: number;
  /** Versioned rows of every record family (all versions and tombstones). */
  readonly versionedRows: number;
}

/** A snapshot tag: a name for a commit seq. */
export interface SnapshotTag {
  readonly label: string;
  readonly seq: bigint;
}
