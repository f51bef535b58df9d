/**
 * HexxlaDB library entry point: open a database, run transactions on cells, facets, edges and
 * seams, travel in time (MVCC), handle typed errors. The gRPC server and the client SDK are
 * separate entry points.
 */
export { Database, Snapshot, open } from './engine/database.js';
export type { DatabaseStats, OpenOptions } from './engine/database.js';
export type { CheckOptions, CheckReport, CheckStats } from './storage/check.js';
export { ReadTx, WriteTx } from './engine/tx.js';
export type { Entry, RangeOptions, SeamListOptions } from './engine/tx.js';
export type {
  Cell, Edge, Facet, FacetId, Provenance, ResolutionStatus, Seam, SeamType, Validity,
} from './engine/records.js';
export {
  cellTagsMax, facetIds, indexStringBytesMax, resolutionStatuses, seamTypes,
  snapshotLabelBytesMax,
} from './engine/records.js';
export { ulidFromString, ulidTimeMs, ulidToString, type Ulid } from './engine/ulid.js';
export { isoWeekOf, weekBucket, weekBucketOfIsoWeek } from './engine/week-bucket.js';
export type {
  BatchPutOptions, BatchPutResult, CellInput, EdgeInput, FacetInput, FindSeamsOptions,
  ListOptions, RecordHooks, RingCell, SeamInput, WalkOptions,
} from './model/types.js';
export { cellTemplates, type TemplateOptions } from './model/templates.js';
export { contentHash } from './model/facets.js';
export { changeOps, type ChangeOp } from './model/context.js';
export type { MvccStats, SnapshotDiff } from './mvcc/diff.js';
export type { HealthOptions, HealthReport } from './model/health.js';
export {
  compactFile, type CompactFileOptions, type CompactOptions, type CompactProgress,
  type CompactResult,
} from './ops/compact.js';
export { backupFile, type BackupOptions, type BackupResult } from './ops/backup.js';
export { verifyBackup, type VerifyOptions, type VerifyReport } from './ops/verify.js';
export { restore, type RestoreOptions, type RestoreResult } from './ops/restore.js';
export type { BackupManifest } from './ops/manifest.js';
export { swapCompacted, type SwapOptions, type SwapResult } from './ops/swap.js';
export type { BackupLease, BackupLeaseFile, BackupLeaseOptions } from './storage/lease.js';
export {
  PruneScheduler, type PruneSchedulerStats, type PruneTickResult,
} from './mvcc/prune-scheduler.js';
export { pruneProfiles, type PruneProfile, type PruneProfileName } from './mvcc/prune.js';
export type { SnapshotTag } from './mvcc/snapshot-tags.js';
export { HexxlaError, errorCodes, isHexxlaError } from './errors.js';
export type { ErrorCode, ErrorContext } from './errors.js';
export type { FileSystem, StorageFile } from './storage/file.js';
export {
  rotateEncryption, type EncryptionCredentials, type RotateEncryptionOptions, type RotateProgress,
} from './storage/crypto/index.js';
export { nodeFileSystem } from './storage/file.js';
export * from './coord/index.js';
