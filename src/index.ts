/**
 * HexxlaDB library entry point: open a database, run transactions, handle typed errors.
 * The gRPC server and the client SDK are separate entry points.
 */
export { Database, open } from './engine/database.js';
export type { DatabaseStats, OpenOptions } from './engine/database.js';
export type { CheckOptions, CheckReport, CheckStats } from './storage/check.js';
export { ReadTx, WriteTx } from './engine/raw-tx.js';
export type { Entry, RangeOptions } from './engine/raw-tx.js';
export { HexxlaError, errorCodes, isHexxlaError } from './errors.js';
export type { ErrorCode, ErrorContext } from './errors.js';
export type { FileSystem, StorageFile } from './storage/file.js';
export { nodeFileSystem } from './storage/file.js';
export * from './coord/index.js';
