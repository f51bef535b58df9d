/**
 * RPC metrics (SPEC §12.4): per-method call counts by status code and a latency histogram,
 * kept by the server for every call (HexxlaServer.run), served by AdminService.GetStatus and,
 * when `metricsListen` is configured, as Prometheus text on `GET /metrics`.
 *
 * Recording is a few Map lookups and additions per call: no allocation after a method's first
 * call. Latencies go into fixed buckets (Prometheus-style; the bounds are part of the output),
 * so memory stays bounded whatever the traffic. Nothing here holds a payload, token or path.
 */
import http from 'node:http';
import type { Logger } from './logging.js';
import type { DatabaseStats } from '../engine/database.js';
import { hexxlaError } from '../errors.js';

/** Upper bounds of the latency buckets, ms; a last, unbounded bucket (+Inf) follows. */
export const rpcLatencyBoundsMs: readonly number[] =
  [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 60_000];

/** One method's counters since the server started. */
export interface RpcMethodStats {
  /** `package.Service/Method`. */
  readonly method: string;
  readonly calls: number;
  /** Calls per gRPC status name ('OK', 'NOT_FOUND', …), sorted by name. */
  readonly codes: ReadonlyArray<{ readonly code: string; readonly count: number }>;
  readonly latencyMicrosSum: number;
  readonly latencyMicrosMax: number;
  /** Cumulative: entry i counts calls ≤ rpcLatencyBoundsMs[i]; the last entry = calls (+Inf). */
  readonly latencyBuckets: readonly number[];
}

interface MethodCounters {
  calls: number;
  readonly codes: Map<string, number>;
  micros: number;
  maxMicros: number;
  /** Per bucket, not cumulative (length bounds + 1). */
  readonly buckets: number[];
}

export class RpcMetrics {
  private readonly methods = new Map<string, MethodCounters>();

  /** Counts one finished call of `method` that ended with status `code` after `ms`. */
  record(method: string, code: string, ms: number): void {
    let m = this.methods.get(method);
    if (m === undefined) {
      m = { calls: 0, codes: new Map(), micros: 0, maxMicros: 0,
        buckets: new Array<number>(rpcLatencyBoundsMs.length + 1).fill(0) };
      this.methods.set(method, m);
    }
    const micros = Math.max(0, Math.round(ms * 1000));
    m.calls++;
    m.codes.set(code, (m.codes.get(code) ?? 0) + 1);
    m.micros += micros;
    m.maxMicros = Math.max(m.maxMicros, micros);
    let b = 0;
    while (b < rpcLatencyBoundsMs.length && ms > rpcLatencyBoundsMs[b]!) b++;
    m.buckets[b]!++;
  }

  /** Every method called so far, sorted by name. */
  snapshot(): RpcMethodStats[] {
    return [...this.methods].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([method, m]) => {
      let running = 0;
      return {
        method, calls: m.calls, latencyMicrosSum: m.micros, latencyMicrosMax: m.maxMicros,
        codes: [...m.codes].sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([code, count]) => ({ code, count })),
        latencyBuckets: m.buckets.map((n) => (running += n)),
      };
    });
  }
}

/** A label value in the text format: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function metric(out: string[], name: string, type: string, help: string,
  samples: ReadonlyArray<readonly [string, number]>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
}

/** The engine's counters in the Prometheus text format (version 0.0.4). */
function engineText(out: string[], s: DatabaseStats): void {
  const counter = (name: string, help: string, value: number): void =>
    metric(out, `hexxladb_${name}`, 'counter', help, [['', value]]);
  const gauge = (name: string, help: string, value: number): void =>
    metric(out, `hexxladb_${name}`, 'gauge', help, [['', value]]);
  gauge('commit_seq', 'Newest durable commit sequence.', Number(s.commitSeq));
  counter('commits_total', 'Commits since the database was opened.', s.commits);
  counter('wal_syncs_total', 'Log fsyncs of commit batches.', s.walSyncs);
  counter('wal_sync_seconds_total', 'Wall time of those fsyncs.', s.walSyncMicros / 1e6);
  counter('wal_written_bytes_total', 'Bytes of commit batches written to the log.',
    s.walBytesWritten);
  gauge('wal_bytes', 'Current size of the write-ahead log.', s.walBytes);
  gauge('group_commit_batch_max', 'Largest group-commit batch since open.', s.syncBatchMax);
  counter('checkpoints_total', 'Checkpoints since open.', s.checkpoints);
  counter('cache_hits_total', 'Page cache hits.', s.cacheHits);
  counter('cache_misses_total', 'Page cache misses.', s.cacheMisses);
  gauge('pages', 'Pages in the primary file.', s.pageCount);
  gauge('free_pages', 'Pages on the freelist.', s.freePages);
}

/** Everything in the Prometheus text format (version 0.0.4). */
export function prometheusText(stats: DatabaseStats, rpc: readonly RpcMethodStats[],
  inFlight: number): string {
  const out: string[] = [];
  engineText(out, stats);
  metric(out, 'hexxladb_rpc_in_flight', 'gauge', 'RPCs running now.', [['', inFlight]]);
  metric(out, 'hexxladb_rpc_calls_total', 'counter', 'Finished RPCs by method and status code.',
    rpc.flatMap((m) => m.codes.map(({ code, count }) =>
      [`{method="${label(m.method)}",code="${label(code)}"}`, count] as const)));
  const histogram: Array<readonly [string, number]> = [];
  for (const m of rpc) {
    const l = `method="${label(m.method)}"`;
    rpcLatencyBoundsMs.forEach((bound, i) =>
      histogram.push([`_bucket{${l},le="${bound / 1000}"}`, m.latencyBuckets[i]!]));
    histogram.push([`_bucket{${l},le="+Inf"}`, m.calls], [`_sum{${l}}`,
      m.latencyMicrosSum / 1e6], [`_count{${l}}`, m.calls]);
  }
  metric(out, 'hexxladb_rpc_duration_seconds', 'histogram', 'RPC latency by method.', histogram);
  return `${out.join('\n')}\n`;
}

/**
 * Serves `GET /metrics` on `listen` (host:port; port 0 picks one) with `render()`. No
 * authentication: the text holds counts and method names only; bind it to loopback or a
 * private network. Rejects with IoError naming the address when it cannot listen.
 */
export async function startMetricsServer(listen: string, render: () => string,
  logger: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    try {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        .end(render());
    } catch (err) {
      logger.error({ err }, 'metrics rendering failed');
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
    }
  });
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(hexxlaError('IoError',
      `cannot serve metrics on ${listen}: ${err.message}`, { listen }, err)));
    server.listen(Number(listen.slice(at + 1)), host, () => resolve());
  });
  return server;
}
