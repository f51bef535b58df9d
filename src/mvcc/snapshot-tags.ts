/** Snapshot tags (family 0x41): names for commit seqs (SPEC §5). */
import { hexxlaError } from '../errors.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export interface SnapshotTag {
  readonly label: string;
  readonly seq: bigint;
}
export function putSnapshotTag(_w: StoreWriteTx, _label: string, _seq: bigint): void { todo(); }
export function getSnapshotTag(_tx: StoreReadTx | StoreWriteTx,
  _label: string): bigint | undefined {
  return todo();
}
export function listSnapshotTags(_tx: StoreReadTx | StoreWriteTx): SnapshotTag[] { return todo(); }
export function deleteSnapshotTag(_w: StoreWriteTx, _label: string): boolean { return todo(); }
