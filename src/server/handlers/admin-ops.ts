/**
 * AdminService long operations on the engine's src/ops: Compact (streamed, coalesced progress),
 * Backup (a hot backup streamed as manifest + chunks) and VerifyBackup (SPEC §8, §9).
 *
 * Confinement (SPEC §9): a client names a destination by a bare name, never a path; the server
 * joins it to its configured backup directory. Names are 1–128 characters of [A-Za-z0-9._-]
 * not starting with '.', so no separator, '..' or absolute path can escape the directory.
 * Work stops when the call is cancelled: the engine's copy takes the call's AbortSignal and
 * removes its partial output.
 *
 * Backup: the engine writes a consistent backup (compacted copy at seq S, paired WAL header,
 * manifest) into a fresh hidden directory inside the backup directory, then the files are
 * streamed in 1 MiB chunks and the directory is removed, whatever the outcome.
 *
 * Compact with swap: the live database is compacted in place (Database.compact with swap: the
 * copy goes next to the primary, then replaces it atomically; writers wait, readers continue).
 * The backup directory is not involved, so destination_name must be empty. The temporary name
 * is unique per call (`<primary>.swap-<random>`): the engine removes a stale copy only under its
 * own default name, which Database.compact cannot be asked for, and a fixed explicit name left
 * by a crash would refuse every later swap. A server that opens its database removes such
 * leftovers at start (removeStaleSwapCopies).
 *
 * The backup lease and RotateEncryption handlers live in admin-lease.ts and admin-rotate.ts and
 * are served through adminOpsHandlers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import nodeFs from 'node:fs';
import path from 'node:path';
import type { AdminService } from '../../../gen/hexxladb/v1/admin_service_pb.js';
import { hexxlaError } from '../../errors.js';
import { backupTo } from '../../ops/backup.js';
import { compactDatabase, type CompactProgress, type CompactResult } from '../../ops/compact.js';
import { manifestName } from '../../ops/manifest.js';
import { verifyBackup } from '../../ops/verify.js';
import { nodeFileSystem, type Database } from '../../index.js';
import { headerAt } from '../snapshot.js';
import { leaseHandlers } from './admin-lease.js';
import { rotateHandlers } from './admin-rotate.js';
import { checkLive, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof AdminService>;

/**
 * Most bytes per streamed backup chunk: well under the 16 MiB default message bound. A smaller
 * configured bound lowers it to the server's page budget (HandlerDeps.pageBytes).
 */
export const backupChunkBytes = 1024 * 1024;

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The absolute path of `name` inside `backupDir`; InvalidArgument for anything else. */
export function confinedPath(backupDir: string, name: string, field: string): string {
  if (!namePattern.test(name)) {
    throw hexxlaError('InvalidArgument', `${field} must be 1-128 characters of ` +
      '[A-Za-z0-9._-] not starting with "."', { field });
  }
  try {
    nodeFs.mkdirSync(backupDir, { recursive: true });
  } catch (err) {
    // A configuration problem the operator must fix (a file in its place, no permission): not
    // INTERNAL. The errno says which; the path stays in the server log, not in the message.
    const errno = (err as { code?: unknown }).code;
    throw hexxlaError('PreconditionFailed', `the server's backup directory cannot be created ` +
      `(${typeof errno === 'string' ? errno : 'error'}); see the server configuration`,
    { path: backupDir }, err);
  }
  return path.join(backupDir, name);
}

function progressOut(p: CompactProgress) {
  return {
    entriesRead: BigInt(p.entriesRead), entriesCopied: BigInt(p.entriesCopied),
    entriesEstimated: BigInt(p.entriesEstimated), bytesWritten: BigInt(p.bytesWritten),
  };
}

/**
 * Runs a compaction and yields its progress, coalesced: while the reader is slow only the newest
 * progress is kept, so memory stays constant. Ends with the result.
 */
async function* compactWithProgress(run: (onProgress: (p: CompactProgress) => void) =>
  Promise<CompactResult>): AsyncGenerator<CompactProgress | CompactResult> {
  let latest: CompactProgress | null = null;
  let wake: (() => void) | null = null;
  let outcome: { result: CompactResult } | { error: unknown } | null = null;
  const task = run((p) => {
    latest = { ...p };
    wake?.();
  }).then((result) => { outcome = { result }; }, (error: unknown) => { outcome = { error }; })
    .finally(() => wake?.());
  try {
    for (;;) {
      if (latest !== null) {
        const p: CompactProgress = latest;
        latest = null;
        yield p;
        continue;
      }
      const done = outcome as { result: CompactResult } | { error: unknown } | null;
      if (done !== null) {
        if ('error' in done) throw done.error;
        yield done.result;
        return;
      }
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = null;
    }
  } finally {
    await task; // the signal has stopped it if the reader went away
  }
}

/** Streams one file of a backup directory in chunks of at most `chunkBytes`. */
function* fileChunks(dir: string, name: string,
  chunkBytes: number): Generator<{ offset: number; data: Uint8Array }> {
  const file = nodeFileSystem.open(path.join(dir, name));
  try {
    const size = file.size();
    for (let offset = 0; offset === 0 || offset < size; offset += chunkBytes) {
      const data = new Uint8Array(Math.min(chunkBytes, size - offset));
      file.read(data, offset);
      yield { offset, data };
    }
  } finally {
    file.close();
  }
}

/**
 * The key or passphrase the live database is open with (the current one after a rotation), {}
 * when it is plain. Backups of an encrypted database inherit its keys (src/ops/backup.ts), so
 * VerifyBackup opens them with these; the secret goes no further than the verifier.
 */
function liveCredentials(db: Database): { encryptionKey?: Uint8Array; passphrase?: string } {
  const { encryptionKey, passphrase } = db.storage.reopenOptions();
  if (encryptionKey !== undefined) return { encryptionKey };
  return passphrase === undefined ? {} : { passphrase };
}

/** Where a Compact writes and how: a confined copy, or an in-place swap. */
function compactRun(db: Database, backupDir: string, req: { destinationName: string;
  swap: boolean }, signal: AbortSignal): (onProgress: (p: CompactProgress) => void) =>
  Promise<CompactResult> {
  if (!req.swap) {
    const dest = confinedPath(backupDir, req.destinationName, 'destination_name');
    return (onProgress) => compactDatabase(db, dest, { signal, onProgress, fs: nodeFileSystem });
  }
  if (req.destinationName !== '') {
    throw hexxlaError('InvalidArgument', 'destination_name must be empty with swap: the ' +
      'database is compacted in place', { field: 'destination_name' });
  }
  const tmp = `${path.resolve(db.path)}.swap-${randomBytes(6).toString('hex')}`;
  return (onProgress) => db.compact(tmp, { swap: true, signal, onProgress });
}

/**
 * Removes the temporary copies (`<primary>.swap-<12 hex>`, compactRun) that swaps cut short by
 * a crash left next to the primary. Only for a server that opened the database itself: it
 * holds the database lock and has not started serving, so no swap of it can be running.
 * Returns the paths removed.
 */
export function removeStaleSwapCopies(dbPath: string): string[] {
  const primary = path.resolve(dbPath);
  const dir = path.dirname(primary);
  const prefix = `${path.basename(primary)}.swap-`;
  const removed: string[] = [];
  for (const name of nodeFs.readdirSync(dir)) {
    if (!name.startsWith(prefix) || !/^[0-9a-f]{12}$/.test(name.slice(prefix.length))) continue;
    nodeFs.rmSync(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

export function adminOpsHandlers(deps: HandlerDeps): Handlers {
  const { db, backupDir } = deps;
  const chunkBytes = Math.max(1, Math.min(backupChunkBytes, deps.pageBytes));
  return {
    ...leaseHandlers(deps),
    ...rotateHandlers(deps),
    async *compact(req, ctx) {
      checkLive(ctx);
      const steps = compactWithProgress(compactRun(db, backupDir, req, ctx.signal));
      for await (const step of steps) {
        if (!('path' in step)) {
          yield progressOut(step);
          continue;
        }
        yield {
          header: headerAt(db, step.commitSeq), done: true, swapped: req.swap,
          entriesRead: BigInt(step.entries + step.entriesSkipped),
          entriesCopied: BigInt(step.entries), entriesEstimated: BigInt(step.entries),
          destinationBytes: BigInt(step.bytes), sourceBytes: BigInt(step.sourceBytes),
        };
      }
    },
    async *backup(_req, ctx) {
      checkLive(ctx);
      const dir = confinedPath(backupDir, `streaming-${randomUUID()}`, 'backup');
      try {
        const result = await backupTo(db, dir, { signal: ctx.signal, fs: nodeFileSystem });
        const header = headerAt(db, BigInt(result.manifest.commitSeq));
        const manifestJson = nodeFs.readFileSync(path.join(dir, manifestName), 'utf8');
        yield { header, item: { case: 'manifestJson', value: manifestJson } };
        for (const f of result.manifest.files) {
          for (const chunk of fileChunks(dir, f.name, chunkBytes)) {
            checkLive(ctx);
            yield { header, item: { case: 'chunk', value: { fileName: f.name,
              offset: BigInt(chunk.offset), data: chunk.data } } };
          }
        }
      } finally {
        nodeFs.rmSync(dir, { recursive: true, force: true });
      }
    },
    async verifyBackup(req, ctx) {
      checkLive(ctx);
      const dir = confinedPath(backupDir, req.directoryName, 'directory_name');
      const report = await verifyBackup(dir, { fs: nodeFileSystem, ...liveCredentials(db) });
      return {
        header: headerAt(db, db.commitSeq()),
        ok: report.ok,
        backupSeq: report.manifest === null ? 0n : BigInt(report.manifest.commitSeq),
        errors: report.errors.map((e) => e.split(backupDir).join('<backup-dir>')),
      };
    },
  };
}
