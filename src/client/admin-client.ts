/**
 * The SDK's backup-lease, in-place compaction and key-rotation methods (AdminService; admin
 * role), between RecordClient and HexxlaClient. Names and shapes follow the library's
 * Database methods (beginBackupLease, renewBackupLease, endBackupLease, rotateEncryption);
 * compactInPlace is Database.compact with swap.
 *
 * Lease files are paths relative to the database directory on the server (the server never
 * sends its absolute paths): resolve them against your own view of that directory.
 * None of these calls is retried: each changes server state.
 */
import { AdminService, BackupFileRole } from '../../gen/hexxladb/v1/admin_service_pb.js';
import { timestampMs, type Duration, type Timestamp } from '@bufbuild/protobuf/wkt';
import { hexxlaError } from '../errors.js';
import { RecordClient, type WriteOptions } from './record-client.js';
import type { CallOptions } from './transport.js';

const admin = AdminService.method;
const num = (v: bigint): number => Number(v);

/** Progress and result of Compact. */
export interface CompactProgress {
  readonly entriesRead: number;
  readonly entriesCopied: number;
  readonly entriesEstimated: number;
  readonly bytesWritten: number;
}
export interface CompactResult extends CompactProgress {
  readonly commitSeq: bigint;
  readonly destinationBytes: number;
  readonly sourceBytes: number;
  /** True when the compacted file replaced the live database (compactInPlace). */
  readonly swapped: boolean;
}

/** One file of a backup lease: copy bytes [0, bytes) of `path`. */
export interface BackupLeaseFile {
  /** Relative to the server's database directory, '/'-separated. */
  readonly path: string;
  readonly role: 'primary' | 'wal';
  readonly bytes: number;
}

/** A held lease (the library's BackupLease, with relative paths). */
export interface BackupLease {
  readonly id: string;
  readonly commitSeq: bigint;
  readonly files: readonly BackupLeaseFile[];
  /** When the lease expires unless renewed or ended (ms since the epoch). */
  readonly expiresAtMs: number;
}

/** Options of beginBackupLease / renewBackupLease (the library's BackupLeaseOptions). */
export interface BackupLeaseOptions {
  /** Time to live in ms (default: the server's, 60 s; capped at its maximum, one day). */
  readonly ttlMs?: number;
}

/** New credentials of rotateEncryption: a raw 32-byte key or a passphrase. */
export type NewCredentials =
  | { readonly encryptionKey: Uint8Array; readonly passphrase?: undefined }
  | { readonly passphrase: string; readonly encryptionKey?: undefined };

/** Result of rotateEncryption (the library's RotateEncryptionResult). */
export interface RotateEncryptionResult {
  readonly pages: number;
  readonly bytes: number;
}

const rawKeyBytes = 32;

function ttlOut(ttlMs: number | undefined): Duration | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw hexxlaError('InvalidArgument', 'ttlMs must be a positive integer number of ms',
      { field: 'ttlMs' });
  }
  return { seconds: BigInt(Math.floor(ttlMs / 1000)), nanos: (ttlMs % 1000) * 1e6 } as Duration;
}

const expiresIn = (ts: Timestamp | undefined): number => (ts === undefined ? 0 : timestampMs(ts));

const roleOf = (role: BackupFileRole): 'primary' | 'wal' =>
  (role === BackupFileRole.WAL ? 'wal' : 'primary');

/** The wire fields of new credentials; InvalidArgument (naming no secret) when malformed. */
function credentialsOut(c: NewCredentials): { newEncryptionKey: Uint8Array;
  newPassphrase: string } {
  const key = c.encryptionKey;
  const passphrase = c.passphrase;
  if ((key === undefined) === (passphrase === undefined)) {
    throw hexxlaError('InvalidArgument', 'give encryptionKey or passphrase, not both',
      { field: 'encryptionKey' });
  }
  if (key !== undefined) {
    if (!(key instanceof Uint8Array) || key.length !== rawKeyBytes) {
      throw hexxlaError('InvalidArgument', `encryptionKey must be exactly ${rawKeyBytes} bytes`,
        { field: 'encryptionKey' });
    }
    return { newEncryptionKey: key, newPassphrase: '' };
  }
  if (typeof passphrase !== 'string' || passphrase === '') {
    throw hexxlaError('InvalidArgument', 'passphrase must be a non-empty string',
      { field: 'passphrase' });
  }
  return { newEncryptionKey: new Uint8Array(0), newPassphrase: passphrase };
}

export class AdminClient extends RecordClient {
  /**
   * Compacts into `destinationName` inside the server's backup directory, reporting progress
   * (coalesced by the server). Admin role. Not retried: it writes a file.
   */
  compact(destinationName: string, opts: { onProgress?: (p: CompactProgress) => void } = {},
    options: CallOptions = {}): Promise<CompactResult> {
    return this.compactCall(destinationName, false, opts, options);
  }

  /**
   * Compacts the served database in place (Database.compact with swap): the compacted file
   * replaces the live one atomically; writers wait for the copy, readers continue.
   * PreconditionFailed while a backup lease is held; a changelog restarts empty.
   */
  compactInPlace(opts: { onProgress?: (p: CompactProgress) => void } = {},
    options: CallOptions = {}): Promise<CompactResult> {
    return this.compactCall('', true, opts, options);
  }

  private async compactCall(destinationName: string, swap: boolean,
    opts: { onProgress?: (p: CompactProgress) => void }, options: CallOptions):
    Promise<CompactResult> {
    for await (const m of this.transport.stream(admin.compact, { destinationName, swap },
      options)) {
      const p = { entriesRead: num(m.entriesRead), entriesCopied: num(m.entriesCopied),
        entriesEstimated: num(m.entriesEstimated), bytesWritten: num(m.bytesWritten) };
      if (m.done) {
        return { ...p, commitSeq: m.header?.commitSeq ?? 0n, swapped: m.swapped,
          destinationBytes: num(m.destinationBytes), sourceBytes: num(m.sourceBytes) };
      }
      opts.onProgress?.(p);
    }
    throw hexxlaError('IoError', 'the compaction stream ended without a result');
  }

  /**
   * Begins a backup lease (Database.beginBackupLease): the server keeps the primary stable (no
   * checkpoint) until the lease ends or expires; copying each file's first `bytes` bytes gives a
   * database at `commitSeq`. Admin role.
   */
  async beginBackupLease(opts: BackupLeaseOptions = {}, options: WriteOptions = {}):
    Promise<BackupLease> {
    const ttl = ttlOut(opts.ttlMs);
    const res = await this.transport.unary(admin.beginBackupLease,
      ttl === undefined ? {} : { ttl }, options);
    this.served(res.header, options);
    const files = res.files.map((f) => ({ path: f.name, role: roleOf(f.role),
      bytes: num(f.sizeBytes) }));
    return { id: res.leaseId, commitSeq: res.header?.commitSeq ?? 0n, files,
      expiresAtMs: expiresIn(res.expiresAt) };
  }

  /** Extends a lease's TTL from now; returns the new expiry (ms). NotFound once it is gone. */
  async renewBackupLease(id: string, opts: BackupLeaseOptions = {},
    options: WriteOptions = {}): Promise<number> {
    const ttl = ttlOut(opts.ttlMs);
    const res = await this.transport.unary(admin.renewBackupLease,
      ttl === undefined ? { leaseId: id } : { leaseId: id, ttl }, options);
    this.served(res.header, options);
    return expiresIn(res.expiresAt);
  }

  /**
   * Ends a lease; false when it was not held any more (it expired: a copy taken under it may be
   * torn). Database.endBackupLease.
   */
  async endBackupLease(id: string, options: WriteOptions = {}): Promise<boolean> {
    const res = await this.transport.unary(admin.endBackupLease, { leaseId: id }, options);
    this.served(res.header, options);
    return res.ended;
  }

  /**
   * Re-encrypts the served database under new credentials (Database.rotateEncryption), online.
   * Runs to completion on the server even if this call is cancelled or times out, so give it a
   * generous deadline. `discardChangelog` is required when the server keeps a changelog.
   * Admin role. The server must be given the new credentials before its next start.
   */
  async rotateEncryption(newCredentials: NewCredentials, opts: { discardChangelog?: boolean } =
  {}, options: WriteOptions = {}): Promise<RotateEncryptionResult> {
    const res = await this.transport.unary(admin.rotateEncryption,
      { ...credentialsOut(newCredentials), discardChangelog: opts.discardChangelog ?? false },
      options);
    this.served(res.header, options);
    return { pages: num(res.pages), bytes: num(res.bytes) };
  }
}
