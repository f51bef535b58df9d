/**
 * AdminService backup leases (SPEC §9): BeginBackupLease, RenewBackupLease, EndBackupLease over
 * Database.beginBackupLease / renewBackupLease / endBackupLease.
 *
 * What a remote client gets: each file as a path relative to the database directory, never the
 * server's absolute path (that would leak the server's directory layout, and a remote copier
 * cannot use it anyway: it reaches the files through its own view of that directory, a mount, a
 * sidecar or ssh). A file outside the database directory cannot be named that way, so it fails
 * the call (Internal-style IoError) instead of leaking a path.
 *
 * TTL: absent = the engine's default; above the maximum it is capped (the proto says so), zero
 * or negative is INVALID_ARGUMENT. A lease outlives the call and the connection that took it:
 * it ends by EndBackupLease or when its TTL runs out, so a crashed copier never blocks
 * checkpoints for longer than the TTL.
 */
import path from 'node:path';
import type { Duration } from '@bufbuild/protobuf/wkt';
import {
  AdminService, BackupFileRole,
} from '../../../gen/hexxladb/v1/admin_service_pb.js';
import { hexxlaError } from '../../errors.js';
import type { BackupLease, Database } from '../../index.js';
import { backupLeaseTtlMsMax } from '../../storage/lease.js';
import { requiredRole } from '../auth.js';
import { msOut } from '../convert.js';
import { headerAt } from '../snapshot.js';
import { checkLive, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof AdminService>;

/** Lease ids are short engine-made hex strings; anything far longer is not one. */
const leaseIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The TTL in ms of a request's `ttl`; undefined = the engine's default. */
export function ttlMsIn(ttl: Duration | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  const { seconds, nanos } = ttl;
  if (seconds < 0n || nanos < 0 || nanos > 999_999_999 || (seconds === 0n && nanos === 0)) {
    throw hexxlaError('InvalidArgument', 'ttl must be a positive duration', { field: 'ttl' });
  }
  // Capped in bigint first: a huge `seconds` must not lose precision on the way to a number.
  if (seconds >= BigInt(backupLeaseTtlMsMax / 1000)) return backupLeaseTtlMsMax;
  return Math.min(backupLeaseTtlMsMax, Number(seconds) * 1000 + Math.ceil(nanos / 1e6));
}

function leaseIdIn(id: string): string {
  if (!leaseIdPattern.test(id)) {
    throw hexxlaError('InvalidArgument', 'lease_id must be 1-64 characters of [A-Za-z0-9_-]',
      { field: 'lease_id' });
  }
  return id;
}

/** `file` relative to the database directory, '/'-separated; IoError if it is outside. */
export function relativeToDb(db: Database, file: string): string {
  const rel = path.relative(path.dirname(path.resolve(db.path)), path.resolve(file));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    // The message names no path: the point is not to reveal the server's layout.
    throw hexxlaError('IoError', 'a backup lease file lies outside the database directory');
  }
  return rel.split(path.sep).join('/');
}

const roles: Record<string, BackupFileRole> = {
  primary: BackupFileRole.PRIMARY,
  wal: BackupFileRole.WAL,
};

function filesOut(db: Database, lease: BackupLease) {
  return lease.files.map((f) => ({
    name: relativeToDb(db, f.path), sizeBytes: BigInt(f.bytes),
    role: roles[f.role] ?? BackupFileRole.UNSPECIFIED,
  }));
}

/**
 * RenewBackupLease is registered only when the authoriser asks the admin role for it: a method
 * missing from auth.ts's admin list would be callable with a read token, and renewing a lease
 * holds off checkpoints. Absent, grpc-js answers UNIMPLEMENTED, which is safe.
 */
const renewIsAdmin = requiredRole('AdminService', 'RenewBackupLease') === 'admin';

export function leaseHandlers({ db }: HandlerDeps): Handlers {
  const handlers: Handlers = {
    async beginBackupLease(req, ctx) {
      checkLive(ctx);
      const ttlMs = ttlMsIn(req.ttl);
      const lease = await db.beginBackupLease(ttlMs === undefined ? {} : { ttlMs });
      try {
        return { header: headerAt(db, lease.commitSeq), leaseId: lease.id,
          files: filesOut(db, lease), expiresAt: msOut(lease.expiresAtMs) };
      } catch (err) {
        db.endBackupLease(lease.id); // nobody can end a lease whose id was never sent
        throw err;
      }
    },
    async endBackupLease(req, ctx) {
      checkLive(ctx);
      const ended = db.endBackupLease(leaseIdIn(req.leaseId));
      return { header: headerAt(db, db.commitSeq()), ended };
    },
  };
  if (renewIsAdmin) {
    handlers.renewBackupLease = async (req, ctx) => {
      checkLive(ctx);
      const ttlMs = ttlMsIn(req.ttl);
      const lease = db.renewBackupLease(leaseIdIn(req.leaseId),
        ttlMs === undefined ? {} : { ttlMs });
      return { header: headerAt(db, db.commitSeq()), expiresAt: msOut(lease.expiresAtMs) };
    };
  }
  return handlers;
}
