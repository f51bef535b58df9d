/**
 * HexxlaDB TypeScript SDK (package subpath "./client"): a client for the gRPC service with the
 * library's method names, record shapes and typed errors (SPEC §12.5). It ships without the
 * engine: it imports only the generated code, errors.ts and the coord module. docs/client.md
 * describes usage, the type mapping and the retry and subscription semantics.
 */
export {
  HexxlaClient, type BackupResult, type BackupToOptions, type ChangelogPage, type ClientOptions,
  type HealthCheckResult, type PruneProfileName, type RpcMethodStatus, type ServerStatus,
  type VerifyBackupResult,
} from './client.js';
export type {
  BackupLease, BackupLeaseFile, BackupLeaseOptions, CompactProgress, CompactResult,
  NewCredentials, RotateEncryptionResult,
} from './admin-client.js';
export type { ListOptions, ReadOptions, WriteOptions } from './record-client.js';
export type {
  Mutation, MutationResult, Precondition, WriteBatch, WriteBatchResult,
} from './batch.js';
export { Listing, type Page } from './listing.js';
export type { CallOptions, ConnectOptions, TlsOptions } from './transport.js';
export type { RetryPolicy } from './retry.js';
export type { SubscribeOptions } from './subscribe.js';
export {
  codeOfReason, errorFromStatus, reasonOfCode, RpcError,
} from './error-from-status.js';
export { ulidFromString, ulidToString } from '../types/ulid-text.js';
export * from './types.js';
export { HexxlaError, errorCodes, isHexxlaError } from '../errors.js';
export type { ErrorCode, ErrorContext } from '../errors.js';
