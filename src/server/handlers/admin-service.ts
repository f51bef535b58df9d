/**
 * AdminService handlers (SPEC §9, §11, §12.4): status, checkpoint, health check (db.check, the
 * structural check, for now). The long operations (Compact, Backup, VerifyBackup), the backup
 * leases and RotateEncryption are in admin-ops.ts, admin-lease.ts and admin-rotate.ts.
 * Checkpoint answers FAILED_PRECONDITION while a backup lease is held (the engine refuses).
 */
import { readFileSync } from 'node:fs';
import type { AdminService } from '../../../gen/hexxladb/v1/admin_service_pb.js';
import type { CheckReport } from '../../index.js';
import { healthCheckErrorsMax } from '../limits.js';
import { rpcLatencyBoundsMs } from '../metrics.js';
import { headerAt } from '../snapshot.js';
import { checkLive, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof AdminService>;

export function adminHandlers(
  { db, startedAtMs, version, rpcMetrics, rpcInFlight }: HandlerDeps): Handlers {
  return {
    async getStatus(_req, ctx) {
      checkLive(ctx);
      const s = db.stats();
      const uptimeMs = Math.max(0, Date.now() - startedAtMs);
      return {
        header: headerAt(db, s.commitSeq),
        mvcc: db.mvcc,
        pageSizeBytes: db.pageSize(),
        maxValueBytes: db.maxValueBytes(),
        pageCount: BigInt(s.pageCount),
        freePages: BigInt(s.freePages),
        walBytes: BigInt(s.walBytes),
        commits: BigInt(s.commits),
        walSyncs: BigInt(s.walSyncs),
        syncBatchMax: BigInt(s.syncBatchMax),
        checkpoints: BigInt(s.checkpoints),
        cacheHits: BigInt(s.cacheHits),
        cacheMisses: BigInt(s.cacheMisses),
        serverVersion: version,
        uptime: { seconds: BigInt(Math.floor(uptimeMs / 1000)), nanos: (uptimeMs % 1000) * 1e6 },
        walBytesWritten: BigInt(s.walBytesWritten),
        walSyncMicros: BigInt(s.walSyncMicros),
        rpcMethods: rpcMetrics.snapshot().map((m) => ({ method: m.method, calls: BigInt(m.calls),
          codes: m.codes.map((c) => ({ code: c.code, count: BigInt(c.count) })),
          latencyMicrosSum: BigInt(m.latencyMicrosSum),
          latencyMicrosMax: BigInt(m.latencyMicrosMax),
          latencyBuckets: m.latencyBuckets.map((n) => BigInt(n)) })),
        rpcInFlight: rpcInFlight(),
        rpcLatencyBoundsMs: [...rpcLatencyBoundsMs],
      };
    },
    async checkpoint(_req, ctx) {
      checkLive(ctx);
      await db.checkpoint();
      return { header: headerAt(db, db.commitSeq()) };
    },
    async healthCheck(req, ctx) {
      checkLive(ctx);
      const errorsMax = Math.min(req.errorsMax === 0 ? 100 : req.errorsMax, healthCheckErrorsMax);
      const options = { errorsMax, verifyValues: req.verifyValues };
      if (req.structureOnly) {
        const report = db.check(options);
        return { ...structureOut(report), header: headerAt(db, report.commitSeq),
          ok: report.ok, errorCount: BigInt(report.errorCount), errors: report.errors,
          warnings: report.warnings };
      }
      // The head the scan reads (it is synchronous: no commit lands during it).
      const seq = db.commitSeq();
      const report = db.healthCheck(options);
      return {
        ...(report.structure === undefined ? {} : structureOut(report.structure)),
        header: headerAt(db, seq), ok: report.ok, errorCount: BigInt(report.errorCount),
        errors: report.errors, warnings: report.warnings, recordsChecked: true,
        cells: BigInt(report.cellCount), seams: BigInt(report.seamCount),
        resolvedSeams: BigInt(report.resolvedSeams),
        unresolvedSeams: BigInt(report.unresolvedSeams),
        orphanedSeams: BigInt(report.orphanedSeams),
        indexEntriesWithoutRecord: BigInt(report.indexEntriesWithoutRecord),
        recordsWithoutIndexEntry: BigInt(report.recordsWithoutIndexEntry),
      };
    },
  };
}

/** The tree figures of a structural check, as HealthCheckResponse fields. */
function structureOut(report: CheckReport): { pages: bigint; treeDepth: number;
  entries: bigint; freePages: bigint } {
  return { pages: BigInt(report.stats.pages), treeDepth: report.stats.treeDepth,
    entries: BigInt(report.stats.entries), freePages: BigInt(report.stats.freePages) };
}

/** The package version, read once from package.json (for GetStatus). */
export function packageVersion(): string {
  try {
    const url = new URL('../../../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
