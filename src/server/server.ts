/**
 * The HexxlaDB gRPC server (SPEC §12): one database behind CellService, MvccService,
 * ChangelogService and AdminService, plus grpc.health.v1 and reflection.
 *
 * Every call of the hexxladb services runs through `runCall`: request id, authorisation by role,
 * an AbortSignal tied to cancellation / deadline / forced shutdown, error mapping (error-map.ts)
 * and one log line. Lifetime: `HexxlaServer.start` opens the database (unless one is given),
 * binds and marks health SERVING; `shutdown` marks NOT_SERVING, stops accepting, waits for
 * in-flight calls up to the grace period, cancels the rest, then closes the database (which
 * waits for in-flight commits and checkpoints the WAL) when the server opened it.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { DescMethod } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  AdminService, file_hexxladb_v1_admin_service,
} from '../../gen/hexxladb/v1/admin_service_pb.js';
import {
  CellService, file_hexxladb_v1_cell_service,
} from '../../gen/hexxladb/v1/cell_service_pb.js';
import {
  ChangelogService, file_hexxladb_v1_changelog_service,
} from '../../gen/hexxladb/v1/changelog_service_pb.js';
import {
  MvccService, file_hexxladb_v1_mvcc_service,
} from '../../gen/hexxladb/v1/mvcc_service_pb.js';
import { hexxlaError } from '../errors.js';
import { open, type Database } from '../index.js';
import { Authorizer, requiredRole } from './auth.js';
import {
  isLoopback, readCredentials, readTlsFiles, type ServerConfig, type TlsFiles,
} from './config.js';
import { toServiceError } from './error-map.js';
import { adaptService, type CallContext, type CallHooks } from './grpc-adapter.js';
import { adminHandlers, packageVersion } from './handlers/admin-service.js';
import { adminOpsHandlers, removeStaleSwapCopies } from './handlers/admin-ops.js';
import {
  batchPutHandlers, cellHandlers, cellListHandlers, edgeHandlers, facetHandlers,
} from './handlers/cell-records.js';
import { changelogHandlers } from './handlers/changelog-service.js';
import type { HandlerDeps } from './handlers/common.js';
import { mvccHandlers } from './handlers/mvcc-service.js';
import { ringHandlers, seamHandlers, seamListHandlers } from './handlers/seams.js';
import { writeBatchHandlers } from './handlers/write-batch.js';
import { createLogger, type Logger } from './logging.js';
import { prometheusText, RpcMetrics, startMetricsServer } from './metrics.js';
import { newRequestId, requestIdKey, requestIdPattern } from './metadata.js';
import { addReflection, Health } from './reflection.js';

/** How to start a server. */
export interface StartOptions {
  readonly config: ServerConfig;
  /** Serve this open database (the caller keeps ownership) instead of opening databasePath. */
  readonly db?: Database;
  /** Logger (default: pino JSON on stdout at config.logLevel). */
  readonly logger?: Logger;
}

/** What start() checks and reads before it opens the database. */
interface Prepared {
  readonly authorizer: Authorizer;
  readonly tls: TlsFiles | null;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

function deadlineMs(call: AnyCall): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : Infinity;
}

function requestIdOf(metadata: grpc.Metadata): string {
  const given = metadata.get(requestIdKey)[0];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : newRequestId();
}

export class HexxlaServer implements CallHooks {
  private readonly grpcServer: grpc.Server;
  private readonly inflight = new Set<AbortController>();
  /** Per-method call counts and latencies (GetStatus, the Prometheus endpoint). */
  private readonly metrics = new RpcMetrics();
  private metricsServer: http.Server | null = null;
  /**
   * Calls that never end on their own (changelog subscriptions): a shutdown ends them at once,
   * with UNAVAILABLE, so it need not wait out its grace period and clients reconnect.
   */
  private readonly followers = new Set<AbortController>();
  private readonly authorizer: Authorizer;
  private readonly health: Health;
  private stopping: Promise<void> | null = null;
  private boundPort = 0;
  private readonly redact: string[];
  /** Names of the methods registered per service (unregistered ones answer UNIMPLEMENTED). */
  readonly registered: Record<string, readonly string[]> = {};

  private constructor(
    readonly config: ServerConfig,
    readonly db: Database,
    private readonly ownsDb: boolean,
    readonly logger: Logger,
    private readonly prepared: Prepared,
  ) {
    this.authorizer = prepared.authorizer;
    this.redact = [path.dirname(path.resolve(db.path))];
    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
      'grpc.max_send_message_length': config.maxSendMessageBytes,
      'grpc.max_concurrent_streams': config.maxConcurrentStreams,
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    });
    const services = [CellService, MvccService, ChangelogService, AdminService]
      .map((s) => s.typeName);
    this.health = new Health(services);
    this.registerServices();
    this.health.addTo(this.grpcServer);
    if (config.reflection) {
      addReflection(this.grpcServer, [file_hexxladb_v1_cell_service,
        file_hexxladb_v1_mvcc_service, file_hexxladb_v1_changelog_service,
        file_hexxladb_v1_admin_service], services);
    }
  }

  /** Opens the database (unless given), binds the port and starts serving. */
  static async start(options: StartOptions): Promise<HexxlaServer> {
    const { config } = options;
    const logger = options.logger ?? createLogger(config.logLevel);
    // Tokens and TLS files first: a bad one must not leave a newly created database behind.
    const prepared: Prepared = { authorizer: new Authorizer(config.tokens),
      tls: config.tls === undefined ? null : readTlsFiles(config.tls) };
    let db = options.db;
    if (db === undefined) {
      fs.mkdirSync(path.dirname(path.resolve(config.databasePath)), { recursive: true });
      db = await open(config.databasePath, { mvcc: config.mvcc, changelog: config.changelog,
        ...readCredentials(config) });
      for (const removed of removeStaleSwapCopies(config.databasePath)) {
        logger.warn({ removed: path.basename(removed) }, 'removed the copy of a swap cut short');
      }
    }
    let server: HexxlaServer | undefined;
    try {
      server = new HexxlaServer(config, db, options.db === undefined, logger, prepared);
      await server.bind();
      await server.serveMetrics();
      return server;
    } catch (err) {
      // A bad address: stop what this call started, close what it opened, then report.
      server?.grpcServer.forceShutdown();
      if (options.db === undefined) await db.close();
      throw err;
    }
  }

  /** Calls running now (for shutdown tests and status). */
  get inflightCalls(): number {
    return this.inflight.size;
  }

  /** The port bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** The port of the Prometheus endpoint (config metricsListen), or null without one. */
  get metricsPort(): number | null {
    const address = this.metricsServer?.address();
    return address !== undefined && address !== null && typeof address === 'object'
      ? address.port : null;
  }

  /** Starts the Prometheus text endpoint when config.metricsListen is set. */
  private async serveMetrics(): Promise<void> {
    const listen = this.config.metricsListen;
    if (listen === undefined) return;
    this.metricsServer = await startMetricsServer(listen, () => prometheusText(this.db.stats(),
      this.metrics.snapshot(), this.inflight.size), this.logger);
    if (!isLoopback(listen)) {
      this.logger.warn({ metricsListen: listen }, 'metrics served beyond loopback (no auth)');
    }
  }

  private registerServices(): void {
    // A quarter of the send bound per read page or backup chunk: the size estimate is rough.
    const pageBytes = Math.floor(this.config.maxSendMessageBytes / 4);
    const deps: HandlerDeps = { db: this.db, startedAtMs: Date.now(), version: packageVersion(),
      backupDir: path.resolve(this.config.backupDir), pageBytes, rpcMetrics: this.metrics,
      rpcInFlight: () => this.inflight.size };
    const cell = adaptService(CellService, {
      ...cellHandlers(deps), ...cellListHandlers(deps), ...batchPutHandlers(deps),
      ...facetHandlers(deps), ...edgeHandlers(deps), ...seamHandlers(deps),
      ...seamListHandlers(deps), ...ringHandlers(deps), ...writeBatchHandlers(deps),
    }, this);
    const mvcc = adaptService(MvccService, mvccHandlers(deps), this);
    const changelog = adaptService(ChangelogService, changelogHandlers(deps, {
      bufferFrames: this.config.changelogBufferFrames, pageBytes,
    }), this);
    const admin = adaptService(AdminService,
      { ...adminHandlers(deps), ...adminOpsHandlers(deps) }, this);
    for (const [name, s] of [['CellService', cell], ['MvccService', mvcc],
      ['ChangelogService', changelog], ['AdminService', admin]] as const) {
      this.grpcServer.addService(s.definition, s.implementation);
      this.registered[name] = s.registered;
    }
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.prepared.tls;
    if (tls === null) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(tls.ca,
      [{ private_key: tls.key, cert_chain: tls.cert }], tls.ca !== null);
  }

  private async bind(): Promise<void> {
    const { listen } = this.config;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.grpcServer.bindAsync(listen, this.credentials(), (err, port) => {
        if (err === null) resolve(port);
        // A typed error names the address: the CLI prints its message, not a grpc-js stack.
        else reject(hexxlaError('IoError', `cannot listen on ${listen}: ${err.message}`,
          { listen }, err));
      });
    });
    this.health.set(true);
    if (!this.authorizer.enabled && !isLoopback(listen)) {
      this.logger.warn({ listen }, 'listening beyond loopback without bearer tokens');
    }
    this.logger.info({ listen, port: this.boundPort, tls: this.config.tls !== undefined,
      auth: this.authorizer.enabled, mvcc: this.db.mvcc }, 'hexxladb server started');
  }

  /** CallHooks: runs one call (see the module comment). Never rejects. */
  run(method: DescMethod, call: AnyCall, work: (ctx: CallContext) => Promise<void>,
    respond: (err: grpc.ServiceError | null) => void): void {
    const started = performance.now();
    const requestId = requestIdOf(call.metadata);
    const controller = new AbortController();
    let deadlineHit = false;
    const onCancel = (): void => controller.abort();
    call.on('cancelled', onCancel);
    const remaining = deadlineMs(call) - Date.now();
    const timer = remaining === Infinity ? undefined : setTimeout(() => {
      deadlineHit = true;
      controller.abort();
    }, Math.max(0, remaining));
    this.inflight.add(controller);
    if (method.name === 'SubscribeChangelog') this.followers.add(controller);
    const echo = new grpc.Metadata();
    echo.set(requestIdKey, requestId);
    call.sendMetadata(echo);
    const finish = (err: grpc.ServiceError | null, role: string | undefined): void => {
      clearTimeout(timer);
      call.off('cancelled', onCancel);
      this.inflight.delete(controller);
      this.followers.delete(controller);
      respond(err);
      const ms = performance.now() - started;
      const code = grpc.status[err?.code ?? grpc.status.OK];
      this.metrics.record(`${method.parent.typeName}/${method.name}`, code, ms);
      if (!this.logger.isLevelEnabled('info')) return;
      this.logger.info({ reqId: requestId, method: `${method.parent.name}/${method.name}`,
        code, ms: Math.round(ms), role }, 'rpc');
    };
    let role: string | undefined;
    void (async () => {
      try {
        role = this.authorizer.authorize(call.metadata,
          requiredRole(method.parent.name, method.name));
        await work({ signal: controller.signal, metadata: call.metadata, requestId });
        finish(null, role);
      } catch (err) {
        finish(this.mapError(err, requestId, deadlineHit), role);
      }
    })();
  }

  private mapError(err: unknown, requestId: string, deadlineHit: boolean): grpc.ServiceError {
    const { serviceError, isUnexpected } = toServiceError(err,
      { redact: this.redact, deadlineExceeded: deadlineHit });
    if (isUnexpected) {
      // The only place the original (stack, paths) goes: the log, never the wire.
      this.logger.error({ reqId: requestId, err }, 'unexpected error in a call');
    }
    return serviceError;
  }

  /**
   * Stops the server: NOT_SERVING, no new calls, in-flight calls get `graceMs` (default the
   * configured grace) to finish, then are cancelled; then the database is closed if this
   * server opened it. Idempotent: later calls return the same promise.
   */
  shutdown(graceMs = this.config.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.stop(graceMs);
    return this.stopping;
  }

  private async stop(graceMs: number): Promise<void> {
    this.health.set(false);
    this.health.endWatches();
    this.logger.info({ inflight: this.inflight.size, graceMs }, 'shutting down');
    const drained = new Promise<boolean>((resolve) =>
      this.grpcServer.tryShutdown(() => resolve(true)));
    const closing = hexxlaError('DatabaseClosed', 'the server is shutting down');
    for (const c of this.followers) c.abort(closing);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const clean = await Promise.race([drained, expired]);
    clearTimeout(timer);
    if (!clean) {
      this.logger.warn({ inflight: this.inflight.size }, 'grace period over: cancelling calls');
      for (const c of this.inflight) c.abort();
      this.grpcServer.forceShutdown();
    }
    const metrics = this.metricsServer;
    if (metrics !== null) {
      metrics.closeAllConnections();
      await new Promise<void>((resolve) => metrics.close(() => resolve()));
    }
    if (this.ownsDb) await this.db.close();
    this.logger.info('hexxladb server stopped');
  }
}
