/**
 * Bearer-token authorisation with three roles (SPEC §12.3).
 *
 * Roles are ordered: admin ⊇ write ⊇ read. Each method needs one role (`requiredRole`): reads
 * need read, record writes need write, maintenance (prune, compaction, backup, rotation,
 * checkpoint) needs admin. With no tokens configured authorisation is off (the default, for
 * loopback use); the server warns when it listens elsewhere without tokens.
 *
 * Tokens are compared in constant time: each candidate is hashed with SHA-256 and compared with
 * timingSafeEqual against every configured token, without an early exit, so neither the length
 * nor the prefix of a token leaks through timing. Tokens are never logged or put in errors.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { hexxlaError } from '../errors.js';
import { plainServiceError } from './error-map.js';
import { authorizationKey } from './metadata.js';

export const roles = ['read', 'write', 'admin'] as const;
export type Role = (typeof roles)[number];

/** One configured token. */
export interface TokenEntry {
  readonly token: string;
  readonly role: Role;
}

/** Shortest accepted token: 16 characters (≥ 80 bits of entropy for base32 tokens). */
export const tokenLengthMin = 16;

const rank: Record<Role, number> = { read: 0, write: 1, admin: 2 };

/** Methods that need more than read, by full method name `Service/Method`. */
const writeMethods = new Set([
  'CellService/PutCell', 'CellService/DeleteCell', 'CellService/BatchPutCells',
  'CellService/PutFacet', 'CellService/UpdateFacet', 'CellService/PutEdge',
  'CellService/LinkCells', 'CellService/DeleteEdge', 'CellService/MarkSeamConflict',
  'CellService/MarkSeamSupersedes', 'CellService/ResolveSeam', 'CellService/WriteBatch',
  'MvccService/TagSnapshot', 'MvccService/DeleteSnapshotTag',
]);
const adminMethods = new Set([
  'MvccService/PruneCellVersions', 'MvccService/PruneByProfile',
  'AdminService/Checkpoint', 'AdminService/Compact', 'AdminService/BeginBackupLease',
  'AdminService/RenewBackupLease', 'AdminService/EndBackupLease', 'AdminService/Backup',
  'AdminService/VerifyBackup',
  'AdminService/RotateEncryption',
]);

/** The role a method needs; `serviceName` is the short name (CellService). */
export function requiredRole(serviceName: string, methodName: string): Role {
  const key = `${serviceName}/${methodName}`;
  if (adminMethods.has(key)) return 'admin';
  if (writeMethods.has(key)) return 'write';
  return 'read';
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Checks tokens and roles. */
export class Authorizer {
  private readonly entries: { hash: Buffer; role: Role }[];

  constructor(tokens: readonly TokenEntry[]) {
    for (const t of tokens) {
      if (!(roles as readonly string[]).includes(t.role)) {
        throw hexxlaError('InvalidArgument', `token role must be one of ${roles.join(', ')}`);
      }
      if (typeof t.token !== 'string' || t.token.length < tokenLengthMin) {
        throw hexxlaError('InvalidArgument',
          `tokens must have at least ${tokenLengthMin} characters`);
      }
    }
    this.entries = tokens.map((t) => ({ hash: digest(t.token), role: t.role }));
  }

  /** True when tokens are configured. */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The role of a token, or undefined. Constant time in the token's content. */
  roleOf(token: string): Role | undefined {
    const candidate = digest(token);
    let found: Role | undefined;
    for (const entry of this.entries) {
      // No early exit: every entry is compared whatever matched before.
      if (timingSafeEqual(candidate, entry.hash) && found === undefined) found = entry.role;
    }
    return found;
  }

  /**
   * Throws a grpc ServiceError (UNAUTHENTICATED / PERMISSION_DENIED) unless the call's
   * metadata carries a token whose role covers `needed`. Returns the caller's role ('admin'
   * when authorisation is off).
   */
  authorize(metadata: grpc.Metadata, needed: Role): Role {
    if (!this.enabled) return 'admin';
    const values = metadata.get(authorizationKey);
    const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    const role = match?.[1] === undefined ? undefined : this.roleOf(match[1]);
    if (role === undefined) {
      throw plainServiceError(grpc.status.UNAUTHENTICATED, 'missing or unknown bearer token');
    }
    if (rank[role] < rank[needed]) {
      throw plainServiceError(grpc.status.PERMISSION_DENIED,
        `this call needs the ${needed} role`);
    }
    return role;
  }
}
