/**
 * `hexxladb serve` (SPEC §12.6): runs the gRPC server until SIGTERM or SIGINT.
 *
 * Configuration: defaults (./data/hexxladb.db, 127.0.0.1:50051), then the JSON file named by
 * --config or HEXXLADB_CONFIG, then HEXXLADB_* environment variables, then flags. On the first
 * SIGTERM/SIGINT the server drains (grace period) and closes the database cleanly; a second
 * signal exits at once (the WAL makes that safe: the next open recovers).
 */
import { parseArgs } from 'node:util';
import {
  configFromEnv, configFromFile, HexxlaServer, readTokensFile, resolveConfig,
  type ConfigLayer, type LogLevel, type ServerConfig,
} from '../../server/index.js';

export const serveUsage = `Usage: hexxladb serve [options]

Options (flags override HEXXLADB_* environment variables, which override the config file):
  -d, --database PATH        database file (HEXXLADB_DATABASE; default ./data/hexxladb.db)
  -l, --listen HOST:PORT     address (HEXXLADB_LISTEN; default 127.0.0.1:50051)
      --metrics-listen HOST:PORT
                             serve Prometheus text on GET /metrics, no auth
                             (HEXXLADB_METRICS_LISTEN; default none)
      --backup-dir DIR       the only directory compaction/backup RPCs may use
                             (HEXXLADB_BACKUP_DIR; default ./data/backups)
  -c, --config FILE          JSON config file (HEXXLADB_CONFIG)
      --mvcc true|false      MVCC for a new database (HEXXLADB_MVCC; default true)
      --changelog true|false keep the changelog sidecar, for the ChangelogService
                             (HEXXLADB_CHANGELOG; default true)
      --changelog-buffer-frames N
                             commits a slow subscriber may lag before it is cut off
                             (HEXXLADB_CHANGELOG_BUFFER_FRAMES; default 1024)
      --encryption-key-file FILE
                             raw 32-byte key (or 64 hex characters) for encryption at rest
                             (HEXXLADB_ENCRYPTION_KEY_FILE)
      --passphrase-file FILE passphrase for encryption at rest (HEXXLADB_PASSPHRASE_FILE)
      --tokens-file FILE     bearer tokens, one "role token" per line (HEXXLADB_TOKENS_FILE;
                             or HEXXLADB_TOKENS="read=...,admin=..."); roles: read, write, admin
      --tls-cert FILE        TLS certificate chain, PEM (HEXXLADB_TLS_CERT)
      --tls-key FILE         TLS private key, PEM (HEXXLADB_TLS_KEY)
      --tls-client-ca FILE   require client certificates signed by this CA (HEXXLADB_TLS_CLIENT_CA)
      --max-message-bytes N  receive and send message bound (default 16 MiB)
      --shutdown-grace-ms N  wait for in-flight calls on shutdown (default 10000)
      --log-level LEVEL      fatal, error, warn, info, debug, trace, silent (default info)
      --no-reflection        do not serve grpc.reflection
  -h, --help                 show this help`;

const options = {
  database: { type: 'string', short: 'd' },
  listen: { type: 'string', short: 'l' },
  'metrics-listen': { type: 'string' },
  'backup-dir': { type: 'string' },
  config: { type: 'string', short: 'c' },
  mvcc: { type: 'string' },
  changelog: { type: 'string' },
  'changelog-buffer-frames': { type: 'string' },
  'tokens-file': { type: 'string' },
  'encryption-key-file': { type: 'string' },
  'passphrase-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'shutdown-grace-ms': { type: 'string' },
  'log-level': { type: 'string' },
  'no-reflection': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

function flagsLayer(v: Flags): ConfigLayer {
  const layer: ConfigLayer = {};
  if (v.database !== undefined) layer.databasePath = v.database;
  if (v.listen !== undefined) layer.listen = v.listen;
  if (v['metrics-listen'] !== undefined) layer.metricsListen = v['metrics-listen'];
  if (v['backup-dir'] !== undefined) layer.backupDir = v['backup-dir'];
  if (v.mvcc !== undefined) layer.mvcc = v.mvcc as unknown as boolean; // validated by resolve
  if (v.changelog !== undefined) layer.changelog = v.changelog as unknown as boolean;
  const frames = v['changelog-buffer-frames'];
  if (frames !== undefined) layer.changelogBufferFrames = Number(frames);
  if (v['tokens-file'] !== undefined) layer.tokens = readTokensFile(v['tokens-file']);
  const keyFile = v['encryption-key-file'];
  if (keyFile !== undefined) layer.encryptionKeyFile = keyFile;
  if (v['passphrase-file'] !== undefined) layer.passphraseFile = v['passphrase-file'];
  if (v['tls-cert'] !== undefined || v['tls-key'] !== undefined) {
    layer.tls = { certFile: v['tls-cert'] ?? '', keyFile: v['tls-key'] ?? '',
      ...(v['tls-client-ca'] === undefined ? {} : { clientCaFile: v['tls-client-ca'] }) };
  }
  const bytes = v['max-message-bytes'];
  if (bytes !== undefined) {
    layer.maxReceiveMessageBytes = Number(bytes);
    layer.maxSendMessageBytes = Number(bytes);
  }
  const grace = v['shutdown-grace-ms'];
  if (grace !== undefined) layer.shutdownGraceMs = Number(grace);
  if (v['log-level'] !== undefined) layer.logLevel = v['log-level'] as LogLevel;
  if (v['no-reflection'] === true) layer.reflection = false;
  return layer;
}

/** Builds the configuration of `serve` from argv and the environment. */
export function serveConfig(args: string[], env: NodeJS.ProcessEnv): ServerConfig | 'help' {
  const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
  if (values.help === true) return 'help';
  const file = values.config ?? env['HEXXLADB_CONFIG'];
  const fileLayer = file === undefined || file === '' ? {} : configFromFile(file);
  return resolveConfig(fileLayer, configFromEnv(env), flagsLayer(values));
}

/** True for node:util parseArgs's own errors (unknown flag, stray positional, …). */
function isUsageError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Runs `serve`; resolves with the exit code once the server has stopped. */
export async function serve(args: string[]): Promise<number> {
  let config: ServerConfig | 'help';
  try {
    config = serveConfig(args, process.env);
  } catch (err) {
    if (!isUsageError(err)) throw err;
    console.error(`hexxladb serve: ${err.message}\n\n${serveUsage}`);
    return 2; // bad usage, as every other command
  }
  if (config === 'help') {
    console.log(serveUsage);
    return 0;
  }
  const server = await HexxlaServer.start({ config });
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        server.logger.warn({ signal }, 'second signal: exiting without draining');
        resolve(130);
        return;
      }
      server.logger.info({ signal }, 'signal received');
      server.shutdown().then(() => resolve(0), (err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
