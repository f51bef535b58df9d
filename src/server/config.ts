/**
 * Server configuration (SPEC §12.3, §12.4): defaults that need no flags, an optional JSON file,
 * environment variables (HEXXLADB_*) and flags, merged in that order (later wins). Validated at
 * start: a bad value fails with InvalidArgument naming the setting and its bound.
 *
 * Tokens are secrets: they come from the file, HEXXLADB_TOKENS or a tokens file (never a flag,
 * which would show in `ps`), and are never logged or echoed in errors.
 */
import fs from 'node:fs';
import { subscribeBufferFramesDefault } from '../changelog/subscribe.js';
import { hexxlaError } from '../errors.js';
import { roles, type Role, type TokenEntry } from './auth.js';
import {
  concurrentStreamsDefault, messageBytesDefault, messageBytesMax, shutdownGraceMsDefault,
} from './limits.js';
import { logLevels, type LogLevel } from './logging.js';

/** TLS files (PEM). With `clientCaFile`, clients must present a certificate it signed (mTLS). */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
}

export interface ServerConfig {
  /** Primary file of the database; created (with its directory) when missing. */
  readonly databasePath: string;
  /**
   * The only directory where compaction, backup and verify RPCs read or write (SPEC §9:
   * destinations given over the network are confined to it). Created on first use.
   */
  readonly backupDir: string;
  /** host:port to listen on; port 0 picks a free port. */
  readonly listen: string;
  /** Create a new database with MVCC (format v2). Ignored for an existing file. */
  readonly mvcc: boolean;
  /**
   * Open the database with its changelog sidecar `<databasePath>-changelog` (SPEC §7), so that
   * ChangelogService (read, subscribe) works; default true. Off: every ChangelogService RPC
   * fails with FAILED_PRECONDITION (CHANGELOG_DISABLED) and commits skip the sidecar write.
   * Turning it on for an existing database starts the log at its current head (earlier commits
   * are not in it). Flag --changelog true|false, env HEXXLADB_CHANGELOG, file key "changelog".
   * A database handed to HexxlaServer.start keeps the setting it was opened with.
   */
  readonly changelog: boolean;
  /**
   * Commits a changelog subscriber may fall behind before it is cut off with
   * RESOURCE_EXHAUSTED (SUBSCRIBER_LAGGING, resumeSeq); bounds the memory a slow reader holds.
   * Default 1024, 1 … 1,000,000. Env HEXXLADB_CHANGELOG_BUFFER_FRAMES, file key
   * "changelogBufferFrames".
   */
  readonly changelogBufferFrames: number;
  /**
   * Encryption at rest (SPEC §4.4): a file holding the raw 32-byte key (32 bytes, or 64 hex
   * characters), or a file holding the passphrase (one trailing newline ignored); never both.
   * Files, not values, so secrets stay out of flags, environment dumps and config files. A new
   * database is created encrypted; an existing one must be opened with its credentials. Flags
   * --encryption-key-file / --passphrase-file, env HEXXLADB_ENCRYPTION_KEY_FILE /
   * HEXXLADB_PASSPHRASE_FILE, file keys "encryptionKeyFile" / "passphraseFile". After a
   * RotateEncryption RPC, point these at the new credentials before the next start.
   */
  readonly encryptionKeyFile?: string;
  readonly passphraseFile?: string;
  /** Bearer tokens; empty = no authorisation (loopback use only). */
  readonly tokens: readonly TokenEntry[];
  readonly tls?: TlsConfig;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly maxConcurrentStreams: number;
  /** How long a shutdown waits for in-flight calls before cancelling them. */
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  /** Serve grpc.reflection (default true). */
  readonly reflection: boolean;
  /**
   * host:port of a Prometheus text endpoint (`GET /metrics`: engine counters, RPC counts by
   * method and code, latency histograms; SPEC §12.4); absent = none. No authentication: bind
   * it to loopback or a private network. Flag --metrics-listen, env HEXXLADB_METRICS_LISTEN,
   * file key "metricsListen".
   */
  readonly metricsListen?: string;
}

export const defaultConfig: ServerConfig = {
  databasePath: './data/hexxladb.db',
  backupDir: './data/backups',
  listen: '127.0.0.1:50051',
  mvcc: true,
  changelog: true,
  changelogBufferFrames: subscribeBufferFramesDefault,
  tokens: [],
  maxReceiveMessageBytes: messageBytesDefault,
  maxSendMessageBytes: messageBytesDefault,
  maxConcurrentStreams: concurrentStreamsDefault,
  shutdownGraceMs: shutdownGraceMsDefault,
  logLevel: 'info',
  reflection: true,
};

/** Largest TCP port. */
const portMax = 65_535;

/** Largest changelogBufferFrames: a million queued commits is already a lot of memory. */
export const changelogBufferFramesMax = 1_000_000;

/** A partial configuration from one source. */
export type ConfigLayer = { -readonly [K in keyof ServerConfig]?: ServerConfig[K] };

function invalid(setting: string, message: string): never {
  throw hexxlaError('InvalidArgument', `config ${setting}: ${message}`, { setting });
}

function intIn(setting: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    invalid(setting, `must be an integer in [${min}, ${max}]`);
  }
  return n;
}

function boolOf(setting: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return invalid(setting, 'must be true or false');
}

/** Parses `role=token,role=token` (HEXXLADB_TOKENS) or lines `role token` (tokens file). */
export function parseTokens(text: string, setting: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const item = raw.trim();
    if (item === '' || item.startsWith('#')) continue;
    const match = /^(\w+)\s*[=\s]\s*(\S+)$/.exec(item);
    if (match === null || !(roles as readonly string[]).includes(match[1] ?? '')) {
      invalid(setting, `entries must be "role=token" with role one of ${roles.join(', ')}`);
    }
    out.push({ role: match[1] as Role, token: match[2] ?? '' });
  }
  return out;
}

/** The layer of HEXXLADB_* environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer: ConfigLayer = {};
  const get = (name: string): string | undefined => {
    const v = env[`HEXXLADB_${name}`];
    return v === undefined || v === '' ? undefined : v;
  };
  const db = get('DATABASE');
  if (db !== undefined) layer.databasePath = db;
  const backupDir = get('BACKUP_DIR');
  if (backupDir !== undefined) layer.backupDir = backupDir;
  const listen = get('LISTEN');
  if (listen !== undefined) layer.listen = listen;
  const metricsListen = get('METRICS_LISTEN');
  if (metricsListen !== undefined) layer.metricsListen = metricsListen;
  const mvcc = get('MVCC');
  if (mvcc !== undefined) layer.mvcc = boolOf('HEXXLADB_MVCC', mvcc);
  const changelog = get('CHANGELOG');
  if (changelog !== undefined) layer.changelog = boolOf('HEXXLADB_CHANGELOG', changelog);
  const frames = get('CHANGELOG_BUFFER_FRAMES');
  if (frames !== undefined) {
    layer.changelogBufferFrames = intIn('HEXXLADB_CHANGELOG_BUFFER_FRAMES', frames, 1,
      changelogBufferFramesMax);
  }
  const keyFile = get('ENCRYPTION_KEY_FILE');
  if (keyFile !== undefined) layer.encryptionKeyFile = keyFile;
  const passphraseFile = get('PASSPHRASE_FILE');
  if (passphraseFile !== undefined) layer.passphraseFile = passphraseFile;
  const tokens = get('TOKENS');
  if (tokens !== undefined) layer.tokens = parseTokens(tokens, 'HEXXLADB_TOKENS');
  const tokensFile = get('TOKENS_FILE');
  if (tokensFile !== undefined) layer.tokens = readTokensFile(tokensFile);
  const cert = get('TLS_CERT');
  const key = get('TLS_KEY');
  const ca = get('TLS_CLIENT_CA');
  if (cert !== undefined || key !== undefined) {
    layer.tls = { certFile: cert ?? '', keyFile: key ?? '', ...(ca === undefined ? {} : {
      clientCaFile: ca }) };
  }
  const level = get('LOG_LEVEL');
  if (level !== undefined) layer.logLevel = level as LogLevel;
  const grace = get('SHUTDOWN_GRACE_MS');
  if (grace !== undefined) layer.shutdownGraceMs = intIn('HEXXLADB_SHUTDOWN_GRACE_MS', grace, 0,
    3_600_000);
  return layer;
}

/** Reads a tokens file: one `role token` per line, # comments. */
export function readTokensFile(file: string): TokenEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return invalid('tokensFile', 'cannot be read');
  }
  return parseTokens(text, 'tokensFile');
}

/** The layer of a JSON config file (keys as in ServerConfig, plus `tokensFile`). */
export function configFromFile(file: string): ConfigLayer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return invalid('file', 'cannot be read or is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return invalid('file', 'must hold a JSON object');
  }
  const { tokensFile, ...rest } = parsed as ConfigLayer & { tokensFile?: unknown };
  const known = new Set([...Object.keys(defaultConfig), 'tls', 'encryptionKeyFile',
    'passphraseFile', 'metricsListen']);
  for (const key of Object.keys(rest)) if (!known.has(key)) invalid(key, 'unknown setting');
  const layer: ConfigLayer = { ...rest };
  if (typeof tokensFile === 'string') layer.tokens = readTokensFile(tokensFile);
  return layer;
}

/** Merges layers over the defaults and validates the result. */
export function resolveConfig(...layers: ConfigLayer[]): ServerConfig {
  const merged = Object.assign({}, defaultConfig, ...layers) as ServerConfig;
  if (typeof merged.databasePath !== 'string' || merged.databasePath === '') {
    invalid('databasePath', 'must be a non-empty path');
  }
  if (typeof merged.backupDir !== 'string' || merged.backupDir === '') {
    invalid('backupDir', 'must be a non-empty path');
  }
  checkListen('listen', merged.listen);
  if (merged.metricsListen !== undefined) checkListen('metricsListen', merged.metricsListen);
  if (!(logLevels as readonly string[]).includes(merged.logLevel)) {
    invalid('logLevel', `must be one of ${logLevels.join(', ')}`);
  }
  if (!Array.isArray(merged.tokens)) invalid('tokens', 'must be a list of {role, token}');
  if (merged.tls !== undefined && (typeof merged.tls !== 'object' || merged.tls === null ||
    !nonEmpty(merged.tls.certFile) || !nonEmpty(merged.tls.keyFile) ||
    (merged.tls.clientCaFile !== undefined && !nonEmpty(merged.tls.clientCaFile)))) {
    invalid('tls', 'needs both certFile and keyFile (paths), and clientCaFile a path if given');
  }
  if (merged.encryptionKeyFile !== undefined && merged.passphraseFile !== undefined) {
    invalid('encryptionKeyFile', 'give encryptionKeyFile or passphraseFile, not both');
  }
  return {
    ...merged,
    mvcc: boolOf('mvcc', merged.mvcc),
    changelog: boolOf('changelog', merged.changelog),
    changelogBufferFrames: intIn('changelogBufferFrames', merged.changelogBufferFrames, 1,
      changelogBufferFramesMax),
    reflection: boolOf('reflection', merged.reflection),
    maxReceiveMessageBytes: intIn('maxReceiveMessageBytes', merged.maxReceiveMessageBytes, 1024,
      messageBytesMax),
    maxSendMessageBytes: intIn('maxSendMessageBytes', merged.maxSendMessageBytes, 1024,
      messageBytesMax),
    maxConcurrentStreams: intIn('maxConcurrentStreams', merged.maxConcurrentStreams, 1, 10_000),
    shutdownGraceMs: intIn('shutdownGraceMs', merged.shutdownGraceMs, 0, 3_600_000),
  };
}

/** A host:port setting; InvalidArgument naming it otherwise. */
function checkListen(setting: string, value: unknown): void {
  if (typeof value !== 'string' || !/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(value)) {
    invalid(setting, 'must be host:port');
  }
  // Five digits pass the pattern up to 99999; grpc-js would throw a bare RangeError at bind,
  // after the database was already opened (and created).
  if (Number(value.slice(value.lastIndexOf(':') + 1)) > portMax) {
    invalid(setting, `port must be at most ${portMax}`);
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The contents of the TLS files of a configuration (PEM). */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | null;
}

/** Reads the TLS files; InvalidArgument naming the setting of a file that cannot be read. */
export function readTlsFiles(tls: TlsConfig): TlsFiles {
  const read = (setting: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch {
      return invalid(setting, 'cannot be read');
    }
  };
  return { cert: read('tls.certFile', tls.certFile), key: read('tls.keyFile', tls.keyFile),
    ca: tls.clientCaFile === undefined ? null : read('tls.clientCaFile', tls.clientCaFile) };
}

/** True when `listen` names a loopback host. */
export function isLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The credentials the configuration names, read from their files (see ServerConfig
 * encryptionKeyFile / passphraseFile); {} when none. InvalidArgument for an unreadable file or a
 * key that is not 32 bytes (raw or as 64 hex characters). The error never carries the secret.
 */
export function readCredentials(
  config: Pick<ServerConfig, 'encryptionKeyFile' | 'passphraseFile'>):
  { encryptionKey?: Uint8Array; passphrase?: string } {
  const read = (setting: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch {
      return invalid(setting, 'cannot be read');
    }
  };
  if (config.encryptionKeyFile !== undefined) {
    const raw = read('encryptionKeyFile', config.encryptionKeyFile);
    const text = raw.toString('latin1').trim();
    if (raw.length === 32) return { encryptionKey: new Uint8Array(raw) };
    if (/^[0-9a-fA-F]{64}$/.test(text)) {
      return { encryptionKey: new Uint8Array(Buffer.from(text, 'hex')) };
    }
    return invalid('encryptionKeyFile', 'must hold 32 bytes or 64 hex characters');
  }
  if (config.passphraseFile !== undefined) {
    const text = read('passphraseFile', config.passphraseFile).toString('utf8');
    return { passphrase: text.replace(/\r?\n$/, '') };
  }
  return {};
}
