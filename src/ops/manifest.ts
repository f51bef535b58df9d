/**
 * The backup manifest (`<dir>/manifest.json`, SPEC §9) and the checks shared by verify and
 * restore.
 *
 * Format (JSON, version 1):
 *   { "version": 1, "kind": "hexxladb-backup",
 *     "files": [{ "name": "memory.db", "role": "primary", "bytes": 8192, "sha256": "…" },
 *               { "name": "memory.db-wal", "role": "wal", "bytes": 1024, "sha256": "…" }],
 *     "commitSeq": "42", "commitTimeMs": "1700000000000",   (decimal strings: u64 in JSON)
 *     "pairId": "<32 hex>",            the primary's file id, which its WAL header repeats
 *     "formatVersion": 2, "pageSize": 4096,
 *     "encrypted": false,              optional; true: files sealed, opened with the source's key
 *     "createdAt": "2025-01-01T00:00:00.000Z", "source": "/data/memory.db" }
 * The manifest is written last (temp file, fsync, rename, directory fsync): a directory without
 * one is an incomplete backup. File names are plain names inside the backup directory (no
 * separators, no `..`), so a crafted manifest cannot make restore read or write elsewhere.
 *
 * Problems are returned as `BackupProblem`s ({reason, message}) so verify can list them all and
 * restore can refuse with the first one (`PreconditionFailed`, reason in the context).
 */
import { basename, join } from 'node:path';
import { hexxlaError } from '../errors.js';
import type { HexxlaError } from '../errors.js';
import type { FileSystem } from '../storage/file.js';
import { decodeHeaderSlot, headerSlotBytes, headerSlotOffsets } from '../storage/header.js';
import type { FileHeader } from '../storage/header.js';
import {
  decodeWalHeader, walFramesStart, walHeaderSlotBytes, walHeaderSlotOffsets,
} from '../storage/wal/wal-format.js';
import type { WalHeader } from '../storage/wal/wal-format.js';
import { digestFile, readWholeFile, toHex, withFile } from './files.js';

export const manifestName = 'manifest.json';
export const manifestVersion = 1;
/** A manifest larger than this is not one of ours (it lists two files). */
const manifestBytesMax = 64 * 1024;

export type BackupFileRole = 'primary' | 'wal';

export interface BackupFile {
  name: string;
  role: BackupFileRole;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  version: typeof manifestVersion;
  kind: 'hexxladb-backup';
  files: BackupFile[];
  /** Commit seq of the snapshot in the backup (decimal string). */
  commitSeq: string;
  commitTimeMs: string;
  /** The primary's file id (hex); the WAL header must carry the same id. */
  pairId: string;
  formatVersion: number;
  pageSize: number;
  /**
   * True when the backup is encrypted (its files are sealed; verify needs the source's key or
   * passphrase). Absent in manifests written before encryption existed: read it as false.
   */
  encrypted?: boolean;
  createdAt: string;
  source: string;
}

/** Why a backup set is unusable. */
export type BackupProblemReason =
  | 'manifest-missing' | 'manifest-invalid' | 'file-missing' | 'size-mismatch'
  | 'hash-mismatch' | 'pair-mismatch';

export interface BackupProblem {
  reason: BackupProblemReason;
  message: string;
}

/** The problem as the typed error restore throws. */
export function problemError(p: BackupProblem, dir: string): HexxlaError {
  return hexxlaError('PreconditionFailed', `backup refused: ${p.message}`,
    { path: dir, reason: p.reason });
}

/** Serialises a manifest (stable field order, trailing newline). */
export function encodeManifest(m: BackupManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(m, null, 2)}\n`);
}

const isPlainName = (name: unknown): name is string => typeof name === 'string' &&
  name.length > 0 && name === basename(name) && name !== '.' && name !== '..' &&
  !name.includes('/') && !name.includes('\\');

function validFile(f: unknown): f is BackupFile {
  const o = f as Partial<BackupFile> | null;
  return typeof o === 'object' && o !== null && isPlainName(o.name) &&
    (o.role === 'primary' || o.role === 'wal') && Number.isSafeInteger(o.bytes) &&
    (o.bytes ?? -1) >= 0 && typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256);
}

/** Why `m` is not a valid manifest, or null when it is. */
function manifestShapeError(m: Partial<BackupManifest> | null): string | null {
  if (typeof m !== 'object' || m === null) return 'not a JSON object';
  if (m.version !== manifestVersion || m.kind !== 'hexxladb-backup') {
    return `unknown manifest version or kind (${String(m.version)}, ${String(m.kind)})`;
  }
  if (!Array.isArray(m.files) || !m.files.every(validFile)) return 'bad file list';
  const roles = m.files.map((f) => f.role).sort().join(',');
  if (roles !== 'primary,wal') return 'the file list must name one primary and one wal';
  const primary = m.files.find((f) => f.role === 'primary')!;
  const wal = m.files.find((f) => f.role === 'wal')!;
  // The engine finds a log by name beside its primary.
  if (wal.name !== `${primary.name}-wal`) return 'the wal must be named <primary>-wal';
  if (typeof m.commitSeq !== 'string' || !/^\d{1,20}$/.test(m.commitSeq)) return 'bad commitSeq';
  if (typeof m.pairId !== 'string' || !/^[0-9a-f]{32}$/.test(m.pairId)) return 'bad pairId';
  return null;
}

/** Reads and validates `<dir>/manifest.json`; a problem when missing or malformed. */
export function loadManifest(fs: FileSystem, dir: string): BackupManifest | BackupProblem {
  const path = join(dir, manifestName);
  if (!fs.exists(path)) {
    return { reason: 'manifest-missing', message: `${manifestName} is missing (incomplete ` +
      'or not a backup)' };
  }
  const bytes = readWholeFile(fs, path);
  if (bytes.length > manifestBytesMax) {
    return { reason: 'manifest-invalid', message: `${manifestName} is too large` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { reason: 'manifest-invalid', message: `${manifestName} is not valid JSON` };
  }
  const why = manifestShapeError(parsed as Partial<BackupManifest>);
  if (why !== null) return { reason: 'manifest-invalid', message: `${manifestName}: ${why}` };
  return parsed as BackupManifest;
}

export function isProblem(x: BackupManifest | BackupProblem): x is BackupProblem {
  return 'reason' in x;
}

/** The manifest's entry for `role`. */
export function fileOf(m: BackupManifest, role: BackupFileRole): BackupFile {
  return m.files.find((f) => f.role === role)!;
}

/** Checks that every listed file exists with its size and SHA-256 (reads them all). */
export function checkFiles(fs: FileSystem, dir: string, m: BackupManifest): BackupProblem[] {
  const problems: BackupProblem[] = [];
  for (const f of m.files) {
    const path = join(dir, f.name);
    if (!fs.exists(path)) {
      problems.push({ reason: 'file-missing', message: `${f.name} is missing` });
      continue;
    }
    const d = digestFile(fs, path);
    if (d.bytes !== f.bytes) {
      problems.push({ reason: 'size-mismatch', message: `${f.name} has ${d.bytes} bytes, the ` +
        `manifest says ${f.bytes}` });
    } else if (d.sha256 !== f.sha256) {
      problems.push({ reason: 'hash-mismatch', message: `${f.name} does not match its SHA-256 ` +
        'in the manifest (changed or damaged)' });
    }
  }
  return problems;
}

/** The newest valid header of the primary at `path`, or null when neither slot is valid. */
export function readPrimaryHeader(fs: FileSystem, path: string): FileHeader | null {
  return withFile(fs, path, (f) => {
    const page0 = new Uint8Array(4096);
    f.read(page0, 0);
    let best: FileHeader | null = null;
    for (const at of headerSlotOffsets) {
      const h = decodeHeaderSlot(page0.subarray(at, at + headerSlotBytes));
      if (h !== null && (best === null || h.headerSeq > best.headerSeq)) best = h;
    }
    return best;
  });
}

function readWalHeader(fs: FileSystem, path: string): WalHeader | null {
  return withFile(fs, path, (f) => {
    const buf = new Uint8Array(walFramesStart);
    f.read(buf, 0);
    let best: WalHeader | null = null;
    for (const at of walHeaderSlotOffsets) {
      const h = decodeWalHeader(buf.subarray(at, at + walHeaderSlotBytes));
      if (h !== null && (best === null || h.generation > best.generation)) best = h;
    }
    return best;
  });
}

/**
 * Checks that the primary and WAL in `dir` belong together and to the manifest: the primary's
 * header names the manifest's pair id and commit seq, and the WAL's header names the same file
 * id and page size and starts at that seq. A WAL from another database or another instant fails.
 */
export function checkPair(fs: FileSystem, dir: string, m: BackupManifest): BackupProblem[] {
  const primaryName = fileOf(m, 'primary').name;
  const walName = fileOf(m, 'wal').name;
  const bad = (message: string): BackupProblem[] => [{ reason: 'pair-mismatch', message }];
  const primary = readPrimaryHeader(fs, join(dir, primaryName));
  if (primary === null) return bad(`${primaryName} has no valid header`);
  if (toHex(primary.fileId) !== m.pairId || String(primary.commitSeq) !== m.commitSeq) {
    return bad(`${primaryName} is not the primary the manifest describes (file id or seq)`);
  }
  const wal = readWalHeader(fs, join(dir, walName));
  if (wal === null) return bad(`${walName} has no valid log header`);
  if (toHex(wal.fileId) !== m.pairId || wal.pageSize !== primary.pageSize) {
    return bad(`${walName} belongs to another database (file id ${toHex(wal.fileId)})`);
  }
  if (wal.baseSeq !== primary.commitSeq) {
    return bad(`${walName} starts at seq ${wal.baseSeq}, the primary holds ${primary.commitSeq}: ` +
      'the files come from different instants');
  }
  return [];
}
