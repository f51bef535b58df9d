/**
 * Shared pieces of the service handlers: the dependencies every handler gets, the typed
 * handler map of a service, and the write helper that computes a write's ResponseHeader.
 */
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { hexxlaError } from '../../errors.js';
import type { Database, WriteTx } from '../../index.js';
import type { CallContext, ServiceHandlers } from '../grpc-adapter.js';
import { headerAt, type Header } from '../snapshot.js';
import type { RpcMetrics } from '../metrics.js';

/** What the handlers of one server share. */
export interface HandlerDeps {
  readonly db: Database;
  /** Server start time (ms), for uptime. */
  readonly startedAtMs: number;
  /** The server's version string. */
  readonly version: string;
  /** Absolute backup directory (compaction, backup, verify). */
  readonly backupDir: string;
  /**
   * Byte budget of one page or stream chunk: a quarter of the configured send bound, so that a
   * response never exceeds it (the estimates are rough).
   */
  readonly pageBytes: number;
  /** RPC counters of the server (GetStatus). */
  readonly rpcMetrics: RpcMetrics;
  /** Calls running now (GetStatus). */
  readonly rpcInFlight: () => number;
}

/** The handler map of a generated service. */
export type HandlersOf<S> = S extends GenService<infer M extends GenServiceMethods>
  ? ServiceHandlers<M> : never;

/** Throws Cancelled when the call was cancelled (checked before starting work). */
export function checkLive(ctx: CallContext): void {
  if (ctx.signal.aborted) throw hexxlaError('Cancelled', 'the call was cancelled');
}

/**
 * Runs `fn` in one write transaction. The header's commit_seq is the seq of the commit when
 * `wrote(value)` says something was written, else the head the transaction saw (an update that
 * changes nothing makes no commit, so its would-be seq names no snapshot).
 */
export async function write<T>(db: Database, ctx: CallContext, fn: (tx: WriteTx) => T,
  wrote: (value: T) => boolean = () => true): Promise<{ value: T; header: Header }> {
  checkLive(ctx);
  let writeSeq = 0n;
  const value = await db.update((tx) => {
    writeSeq = tx.readSeq;
    return fn(tx);
  });
  return { value, header: headerAt(db, wrote(value) ? writeSeq : writeSeq - 1n) };
}

/** Throws InvalidArgument unless `n` ≤ `max` (names the bound). */
export function checkMax(n: number, max: number, what: string): void {
  if (n > max) {
    throw hexxlaError('InvalidArgument', `${what} must be at most ${max}`,
      { field: what, limit: max });
  }
}
