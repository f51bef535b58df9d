/**
 * Backup leases (SPEC §9): "begin → the engine keeps the primary stable and reports which bytes
 * of which files form a consistent set → the operator copies → end", with a time-to-live so a
 * crashed backup client cannot block checkpoints forever.
 *
 * This module is the bookkeeping only (ids, TTL timers); Store decides what a lease protects
 * (src/storage/store.ts: no checkpoint writes the primary while any lease is held). Timers are
 * unref'd: a forgotten lease never keeps the process alive.
 */
import { randomBytes } from 'node:crypto';
import { hexxlaError } from '../errors.js';

/**
 * TTL bounds. Default one minute: long enough to copy a few GiB at disk speed; a longer copy
 * renews. Max one day: beyond that the log, which grows while checkpoints are held off, would be
 * the larger problem. (Candidates for limits.ts: backupLeaseTtlMsDefault/Max.)
 */
export const backupLeaseTtlMsDefault = 60_000;
export const backupLeaseTtlMsMax = 24 * 60 * 60 * 1000;

/** A byte range of one file: bytes [0, bytes) of `path`. */
export interface BackupLeaseFile {
  path: string;
  role: 'primary' | 'wal';
  bytes: number;
}

/** A held lease: copy exactly `files` (each from byte 0) to get a database at `commitSeq`. */
export interface BackupLease {
  id: string;
  commitSeq: bigint;
  files: BackupLeaseFile[];
  /** When the lease expires unless renewed or ended (ms since the epoch). */
  expiresAtMs: number;
}

export interface BackupLeaseOptions {
  /** Time to live in ms (default 60,000; 1 … 86,400,000). */
  ttlMs?: number;
}

/** Validates a TTL; InvalidArgument names the bound. */
export function checkLeaseTtl(ttlMs: number | undefined): number {
  const ttl = ttlMs ?? backupLeaseTtlMsDefault;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > backupLeaseTtlMsMax) {
    throw hexxlaError('InvalidArgument', `option ttlMs: must be an integer in [1, ` +
      `${backupLeaseTtlMsMax}]`, { option: 'ttlMs', value: String(ttlMs) });
  }
  return ttl;
}

interface Held {
  lease: BackupLease;
  timer: NodeJS.Timeout;
}

/** The leases of one store. */
export class LeaseTable {
  private readonly held = new Map<string, Held>();

  /** Called after the last lease went away (ended or expired). */
  constructor(private readonly onEmpty: () => void) {}

  get any(): boolean {
    return this.held.size > 0;
  }

  get count(): number {
    return this.held.size;
  }

  /** Registers a lease for `snapshot` living `ttlMs`; returns a copy the caller may keep. */
  begin(snapshot: Omit<BackupLease, 'id' | 'expiresAtMs'>, ttlMs: number): BackupLease {
    const id = randomBytes(8).toString('hex');
    const lease: BackupLease = { ...snapshot, id, expiresAtMs: Date.now() + ttlMs };
    this.held.set(id, { lease, timer: this.timer(id, ttlMs) });
    return { ...lease, files: lease.files.map((f) => ({ ...f })) };
  }

  /** Extends lease `id` to `ttlMs` from now; NotFound when it ended or expired. */
  renew(id: string, ttlMs: number): BackupLease {
    const h = this.held.get(id);
    if (h === undefined) throw leaseNotFound(id);
    clearTimeout(h.timer);
    h.timer = this.timer(id, ttlMs);
    h.lease.expiresAtMs = Date.now() + ttlMs;
    return { ...h.lease, files: h.lease.files.map((f) => ({ ...f })) };
  }

  /** Ends lease `id`; false when it was not held (already ended or expired). */
  end(id: string): boolean {
    const h = this.held.get(id);
    if (h === undefined) return false;
    clearTimeout(h.timer);
    this.held.delete(id);
    if (this.held.size === 0) this.onEmpty();
    return true;
  }

  /** Drops every lease without calling back (the store is closing or was replaced). */
  clear(): void {
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
  }

  private timer(id: string, ttlMs: number): NodeJS.Timeout {
    const t = setTimeout(() => this.end(id), ttlMs);
    t.unref();
    return t;
  }
}

function leaseNotFound(id: string): Error {
  return hexxlaError('NotFound', 'no such backup lease (ended or expired)', { lease: id });
}
