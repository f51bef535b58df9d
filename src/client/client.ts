/**
 * `HexxlaClient`: the TypeScript SDK's one client object (SPEC §12.5). The record methods are
 * in record-client.ts; this file adds connecting, MVCC (stats, snapshot tags, diff, prune), the
 * changelog (read and subscribe) and administration (status, checkpoint, health check, hot
 * backup, verify); compaction, backup leases and key rotation are in admin-client.ts. Usage and
 * the type mapping: docs/client.md.
 *
 * Lifetime: `connect` opens one channel; `close` ends it. A client is safe to share: calls are
 * independent and may run concurrently (they multiplex on one HTTP/2 connection).
 */
import nodeFs from 'node:fs';
import path from 'node:path';
import { AdminService } from '../../gen/hexxladb/v1/admin_service_pb.js';
import { ChangelogService } from '../../gen/hexxladb/v1/changelog_service_pb.js';
import {
  DiffChange, MvccService, PruneProfile,
} from '../../gen/hexxladb/v1/mvcc_service_pb.js';
import { hexxlaError } from '../errors.js';
import { coordIn } from './convert.js';
import { AdminClient } from './admin-client.js';
import type { ListOptions, WriteOptions } from './record-client.js';
import { changeOpOut, entryIn, subscribeChangelog, type SubscribeOptions } from './subscribe.js';
import { Transport, type CallOptions, type ConnectOptions } from './transport.js';
import type {
  ChangelogEntry, ChangelogFilter, ChangelogFrame, MvccStats, SnapshotDiff, SnapshotTag,
} from './types.js';

const mvcc = MvccService.method;
const admin = AdminService.method;
const changelog = ChangelogService.method;

/** Options of `connect`. */
export interface ClientOptions extends ConnectOptions {
  /** Wait at most this long for the first connection (default 5000 ms); 0 = do not wait. */
  readonly connectTimeoutMs?: number;
}

/** Retention profiles of pruneByProfile (the library's PruneProfileName). */
export type PruneProfileName = 'low-latency' | 'balanced' | 'long-history';

const profiles: Record<PruneProfileName, PruneProfile> = {
  'low-latency': PruneProfile.LOW_LATENCY,
  balanced: PruneProfile.BALANCED,
  'long-history': PruneProfile.LONG_HISTORY,
};

/** One page of the changelog. */
export interface ChangelogPage {
  /** Entries in commit order; a page may end inside a commit (see nextEntryOffset). */
  readonly entries: ChangelogEntry[];
  /** Pass as `seq` to read the next page … */
  readonly nextSinceSeq: bigint;
  /** … with this as `entryOffset`: entries of the commit after nextSinceSeq already returned. */
  readonly nextEntryOffset: number;
  /** True when more entries follow (read the next page). */
  readonly more: boolean;
  /** The head when the page was read. */
  readonly headSeq: bigint;
}

/** Where a changelog page starts: after `seq`, skipping `entryOffset` entries (a prior page). */
export interface ChangelogPageOptions extends CallOptions {
  readonly limit?: number;
  readonly entryOffset?: number;
}

function changelogPage(res: { events: Parameters<typeof entryIn>[0][]; nextSinceSeq: bigint;
  nextEntryOffset: number; more: boolean; header?: { headSeq: bigint } }): ChangelogPage {
  return { entries: res.events.map(entryIn), nextSinceSeq: res.nextSinceSeq,
    nextEntryOffset: res.nextEntryOffset, more: res.more, headSeq: res.header?.headSeq ?? 0n };
}

/** GetStatus: settings and counters of the served database (the library's stats()). */
export interface ServerStatus {
  readonly commitSeq: bigint;
  readonly mvcc: boolean;
  readonly pageSizeBytes: number;
  readonly maxValueBytes: number;
  readonly pageCount: number;
  readonly freePages: number;
  readonly walBytes: number;
  /** Log bytes of commit batches since the server opened the database (across checkpoints). */
  readonly walBytesWritten: number;
  readonly commits: number;
  readonly walSyncs: number;
  /** Wall time of the walSyncs fsyncs, µs (÷ walSyncs = mean fsync latency). */
  readonly walSyncMicros: number;
  readonly syncBatchMax: number;
  readonly checkpoints: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly serverVersion: string;
  readonly uptimeMs: number;
  /** Per method called since the server started: counts by status code, latency histogram. */
  readonly rpcMethods: readonly RpcMethodStatus[];
  /** Calls running on the server now, the status call included. */
  readonly rpcInFlight: number;
  /** Upper bounds (ms) of the buckets of every `latencyBuckets`; a last unbounded one follows. */
  readonly rpcLatencyBoundsMs: readonly number[];
}

/** One method's calls since the server started (ServerStatus.rpcMethods). */
export interface RpcMethodStatus {
  /** `package.Service/Method`, e.g. `hexxladb.v1.CellService/GetCell`. */
  readonly method: string;
  readonly calls: number;
  /** Calls per gRPC status name ('OK', 'NOT_FOUND', …). */
  readonly codes: Readonly<Record<string, number>>;
  readonly latencyMicrosSum: number;
  readonly latencyMicrosMax: number;
  /** Cumulative: entry i counts calls ≤ rpcLatencyBoundsMs[i]; the last one equals calls. */
  readonly latencyBuckets: readonly number[];
}

/** HealthCheck: the structural check's report (the library's CheckReport, flattened). */
export interface HealthCheckResult {
  readonly ok: boolean;
  readonly commitSeq: bigint;
  readonly errorCount: number;
  readonly errors: string[];
  readonly warnings: string[];
  readonly pages: number;
  readonly treeDepth: number;
  readonly entries: number;
  readonly freePages: number;
  /** The record checks of SPEC §11 (absent with `structureOnly`). */
  readonly records?: {
    readonly cells: number;
    readonly seams: number;
    readonly resolvedSeams: number;
    readonly unresolvedSeams: number;
    /** Seams naming a cell that is gone (warnings). */
    readonly orphanedSeams: number;
    /** Index entries whose cell is missing or lacks the value (errors). */
    readonly indexEntriesWithoutRecord: number;
    /** Index entries a cell should have but lacks (errors). */
    readonly recordsWithoutIndexEntry: number;
  };
}

/** Options of backupTo. */
export interface BackupToOptions extends CallOptions {
  /**
   * Called after each streamed item: bytes written so far and the total the manifest (the
   * first item) announces, its own bytes included.
   */
  readonly onProgress?: (p: { bytes: number; totalBytes: number }) => void;
}

/** What a streamed backup wrote. */
export interface BackupResult {
  readonly commitSeq: bigint;
  readonly dir: string;
  readonly files: string[];
  readonly bytes: number;
}

/** VerifyBackup's report. */
export interface VerifyBackupResult {
  readonly ok: boolean;
  readonly backupSeq: bigint;
  readonly errors: string[];
}

const num = (v: bigint): number => Number(v);

export class HexxlaClient extends AdminClient {
  private constructor(transport: Transport) {
    super(transport);
  }

  /**
   * Connects to `address` (host:port). Waits for the connection unless connectTimeoutMs is 0;
   * fails with RpcError UNAVAILABLE when it cannot connect in time, InvalidArgument for bad
   * options.
   */
  static async connect(address: string, options: ClientOptions = {}): Promise<HexxlaClient> {
    const transport = new Transport(address, options);
    const waitMs = options.connectTimeoutMs ?? 5000;
    if (waitMs > 0) {
      try {
        await transport.waitForReady(waitMs);
      } catch (err) {
        transport.close();
        throw err;
      }
    }
    return new HexxlaClient(transport);
  }

  /** The address connected to. */
  get address(): string {
    return this.transport.address;
  }

  /** Closes the channel. */
  close(): void {
    this.transport.close();
  }

  /** The newest durable commit seq (Database.commitSeq). */
  async commitSeq(options: CallOptions = {}): Promise<bigint> {
    return (await this.status(options)).commitSeq;
  }

  /** Head seq, live cells and versioned rows (Database.statsMVCC). MvccDisabled on v1. */
  async statsMVCC(options: CallOptions = {}): Promise<MvccStats> {
    const res = await this.transport.unary(mvcc.getMvccStats, {}, options, true);
    return { headSeq: res.headSeq, cellCount: num(res.cellCount),
      versionedRows: num(res.versionedRowCount) };
  }

  /** Names the head seq; returns it (Database.tagSnapshot). */
  async tagSnapshot(label: string, options: WriteOptions = {}): Promise<bigint> {
    const res = await this.transport.unary(mvcc.tagSnapshot, { label }, options);
    this.served(res.header, options);
    return res.seq;
  }

  /** The seq a tag names; SnapshotTagNotFound when none (Database.snapshotTag). */
  async snapshotTag(label: string, options: CallOptions = {}): Promise<bigint> {
    return (await this.transport.unary(mvcc.getSnapshotTag, { label }, options, true)).seq;
  }

  /** Every tag, sorted by label (Database.listSnapshotTags). */
  listSnapshotTags(options: ListOptions = {}): Promise<SnapshotTag[]> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(mvcc.listSnapshotTags, { page }, options, true);
      return { ...res, items: res.tags.map((t) => ({ label: t.label, seq: t.seq })) };
    }).toArray();
  }

  /** Deletes a tag; false when there was none (Database.deleteSnapshotTag). */
  async deleteSnapshotTag(label: string, options: WriteOptions = {}): Promise<boolean> {
    const res = await this.transport.unary(mvcc.deleteSnapshotTag, { label }, options);
    this.served(res.header, options);
    return res.deleted;
  }

  /** Cells added, modified and removed from seq `a` to seq `b` (Database.snapshotDiff). */
  async snapshotDiff(a: bigint, b: bigint, options: CallOptions = {}): Promise<SnapshotDiff> {
    const diff = { fromSeq: a, toSeq: b, added: [], modified: [], removed: [] } as
      { fromSeq: bigint; toSeq: bigint } & Pick<SnapshotDiff, 'added' | 'modified' | 'removed'>;
    const groups = { [DiffChange.ADDED]: diff.added, [DiffChange.MODIFIED]: diff.modified,
      [DiffChange.REMOVED]: diff.removed } as Partial<Record<DiffChange, SnapshotDiff['added']>>;
    for await (const m of this.transport.stream(mvcc.diffSnapshots, { fromSeq: a, toSeq: b },
      options, { idempotent: true })) {
      for (const e of m.entries) groups[e.change]?.push(coordIn(e.coord));
    }
    return diff;
  }

  /** The retention policy's prune point; 0n = none (Database.suggestedPruneBeforeSeq). */
  async suggestedPruneBeforeSeq(options: CallOptions = {}): Promise<bigint> {
    return (await this.transport.unary(mvcc.getSuggestedPrune, {}, options, true)).beforeSeq;
  }

  /** One bounded prune pass; returns rows removed (Database.pruneCellVersions). Admin role. */
  async pruneCellVersions(beforeSeq: bigint, maxDelete: number,
    options: WriteOptions = {}): Promise<number> {
    const res = await this.transport.unary(mvcc.pruneCellVersions, { beforeSeq, maxDelete },
      options);
    this.served(res.header, options);
    return num(res.removed);
  }

  /** One bounded prune pass of a profile (Database.pruneByProfile). Admin role. */
  async pruneByProfile(profile: PruneProfileName = 'balanced',
    options: WriteOptions = {}): Promise<number> {
    const value = profiles[profile];
    if (value === undefined) {
      throw hexxlaError('InvalidArgument', 'unknown prune profile', { profile: String(profile) });
    }
    const res = await this.transport.unary(mvcc.pruneByProfile, { profile: value }, options);
    this.served(res.header, options);
    return num(res.removed);
  }

  /** One page of changelog entries after `seq` (Database.readChangelogSince). */
  async readChangelogSince(seq: bigint, options: ChangelogPageOptions = {}):
    Promise<ChangelogPage> {
    const res = await this.transport.unary(changelog.readChangelogSince, { sinceSeq: seq,
      pageSize: options.limit ?? 0, entryOffset: options.entryOffset ?? 0 }, options, true);
    return changelogPage(res);
  }

  /** Like readChangelogSince, keeping entries whose op and key prefix match. */
  async readChangelogFiltered(seq: bigint, filter: ChangelogFilter = {},
    options: ChangelogPageOptions = {}): Promise<ChangelogPage> {
    const res = await this.transport.unary(changelog.readChangelogFiltered, {
      sinceSeq: seq, pageSize: filter.limit ?? 0, ops: (filter.ops ?? []).map(changeOpOut),
      keyPrefix: filter.keyPrefix ?? new Uint8Array(0), entryOffset: options.entryOffset ?? 0 },
      options, true);
    return changelogPage(res);
  }

  /**
   * Commits after `fromSeq`, then live ones, one frame per commit, each exactly once, resuming
   * after disconnects and slow-reader cut-offs (subscribe.ts). Database.subscribeChangelog.
   */
  subscribeChangelog(fromSeq: bigint, options: SubscribeOptions = {}):
    AsyncGenerator<ChangelogFrame> {
    return subscribeChangelog(this.transport, fromSeq, options);
  }

  /** Settings and counters of the database (Database.stats and friends). */
  async status(options: CallOptions = {}): Promise<ServerStatus> {
    const r = await this.transport.unary(admin.getStatus, {}, options, true);
    const up = r.uptime;
    return {
      commitSeq: r.header?.commitSeq ?? 0n, mvcc: r.mvcc, pageSizeBytes: r.pageSizeBytes,
      maxValueBytes: r.maxValueBytes, pageCount: num(r.pageCount), freePages: num(r.freePages),
      walBytes: num(r.walBytes), walBytesWritten: num(r.walBytesWritten),
      commits: num(r.commits), walSyncs: num(r.walSyncs), walSyncMicros: num(r.walSyncMicros),
      syncBatchMax: num(r.syncBatchMax), checkpoints: num(r.checkpoints),
      cacheHits: num(r.cacheHits), cacheMisses: num(r.cacheMisses),
      serverVersion: r.serverVersion,
      uptimeMs: up === undefined ? 0 : num(up.seconds) * 1000 + Math.floor(up.nanos / 1e6),
      rpcMethods: r.rpcMethods.map((m) => ({ method: m.method, calls: num(m.calls),
        codes: Object.fromEntries(m.codes.map((c) => [c.code, num(c.count)])),
        latencyMicrosSum: num(m.latencyMicrosSum), latencyMicrosMax: num(m.latencyMicrosMax),
        latencyBuckets: m.latencyBuckets.map(num) })),
      rpcInFlight: r.rpcInFlight,
      rpcLatencyBoundsMs: r.rpcLatencyBoundsMs,
    };
  }

  /** Copies the WAL into the primary file (Database.checkpoint). Admin role. */
  async checkpoint(options: WriteOptions = {}): Promise<void> {
    const res = await this.transport.unary(admin.checkpoint, {}, options);
    this.served(res.header, options);
  }

  /**
   * The health check (Database.healthCheck: the structural check plus the record checks), or
   * with `structureOnly` the structural check alone (Database.check). Findings are reported,
   * not thrown.
   */
  async healthCheck(opts: { errorsMax?: number; verifyValues?: boolean;
    structureOnly?: boolean } = {}, options: CallOptions = {}): Promise<HealthCheckResult> {
    const r = await this.transport.unary(admin.healthCheck, { errorsMax: opts.errorsMax ?? 0,
      verifyValues: opts.verifyValues ?? false, structureOnly: opts.structureOnly ?? false },
    options, true);
    return { ok: r.ok, commitSeq: r.header?.commitSeq ?? 0n, errorCount: num(r.errorCount),
      errors: r.errors, warnings: r.warnings, pages: num(r.pages), treeDepth: r.treeDepth,
      entries: num(r.entries), freePages: num(r.freePages),
      ...(r.recordsChecked ? { records: { cells: num(r.cells), seams: num(r.seams),
        resolvedSeams: num(r.resolvedSeams), unresolvedSeams: num(r.unresolvedSeams),
        orphanedSeams: num(r.orphanedSeams),
        indexEntriesWithoutRecord: num(r.indexEntriesWithoutRecord),
        recordsWithoutIndexEntry: num(r.recordsWithoutIndexEntry) } } : {}) };
  }

  /**
   * Streams a consistent hot backup into the local directory `dir` (created; must be empty or
   * absent): manifest.json plus every file, each chunk written at its offset and the files
   * fsynced. The result restores with `hexxladb restore` and verifies with verifyBackup.
   * Admin role. While it streams, the server keeps serving writes.
   */
  async backupTo(dir: string, options: BackupToOptions = {}): Promise<BackupResult> {
    nodeFs.mkdirSync(dir, { recursive: true });
    if (nodeFs.readdirSync(dir).length > 0) {
      throw hexxlaError('PreconditionFailed', 'the backup directory is not empty', { dir });
    }
    const files = new Map<string, number>();
    let commitSeq = 0n;
    let bytes = 0;
    let totalBytes = 0;
    try {
      for await (const m of this.transport.stream(admin.backup, {}, options,
        { idempotent: true })) {
        commitSeq = m.header?.commitSeq ?? commitSeq;
        bytes += writeBackupItem(dir, m.item, files);
        if (m.item.case === 'manifestJson') totalBytes = manifestBytes(m.item.value);
        options.onProgress?.({ bytes, totalBytes });
      }
      for (const fd of files.values()) nodeFs.fsyncSync(fd);
    } finally {
      for (const fd of files.values()) nodeFs.closeSync(fd);
    }
    syncDir(dir); // the new directory entries survive a crash too
    if (!nodeFs.existsSync(path.join(dir, 'manifest.json'))) {
      throw hexxlaError('IoError', 'the backup stream ended without a manifest', { dir });
    }
    return { commitSeq, dir, files: [...files.keys()], bytes };
  }

  /** Verifies a backup inside the server's backup directory. Admin role. */
  async verifyBackup(directoryName: string,
    options: CallOptions = {}): Promise<VerifyBackupResult> {
    const r = await this.transport.unary(admin.verifyBackup, { directoryName }, options, true);
    return { ok: r.ok, backupSeq: r.backupSeq, errors: r.errors };
  }
}

function syncDir(dir: string): void {
  const fd = nodeFs.openSync(dir, 'r');
  try {
    nodeFs.fsyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
}

/** Plain file names only: a name from the server must not escape `dir`. */
const backupNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Writes one backup message; returns the bytes written. `files` maps names to open fds. */
/** The bytes a backup will stream: the manifest's file sizes plus the manifest itself. */
function manifestBytes(json: string): number {
  try {
    const files = (JSON.parse(json) as { files?: Array<{ bytes?: unknown }> }).files ?? [];
    let total = Buffer.byteLength(json);
    for (const f of files) if (typeof f.bytes === 'number') total += f.bytes;
    return total;
  } catch {
    return 0; // progress only: the backup itself does not depend on it
  }
}

function writeBackupItem(dir: string, item: { case: 'manifestJson'; value: string } |
  { case: 'chunk'; value: { fileName: string; offset: bigint; data: Uint8Array } } |
  { case: undefined; value?: undefined }, files: Map<string, number>): number {
  if (item.case === 'manifestJson') {
    const p = path.join(dir, 'manifest.json');
    nodeFs.writeFileSync(p, item.value);
    const fd = nodeFs.openSync(p, 'r');
    files.set('manifest.json', fd);
    return Buffer.byteLength(item.value);
  }
  if (item.case !== 'chunk') return 0;
  const { fileName, offset, data } = item.value;
  if (!backupNamePattern.test(fileName) || fileName === 'manifest.json') {
    throw hexxlaError('InvalidArgument', 'the server sent an unsafe backup file name',
      { fileName: fileName.slice(0, 64) });
  }
  let fd = files.get(fileName);
  if (fd === undefined) {
    fd = nodeFs.openSync(path.join(dir, fileName), 'wx');
    files.set(fileName, fd);
  }
  nodeFs.writeSync(fd, data, 0, data.length, Number(offset));
  return data.length;
}
