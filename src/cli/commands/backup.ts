/**
 * `hexxladb backup --to DIR` (SPEC §9, §12.6), in two modes:
 * - `--server HOST:PORT`: a hot backup of a running server through its AdminService.Backup
 *   stream (the SDK's backupTo): writes go on while it streams; admin role, so pass
 *   `--token-file` when the server checks tokens, `--tls-ca-file` (or `--tls` for the system
 *   roots) when it serves TLS.
 * - `PATH`: the database file at PATH opened directly, so it must not be open elsewhere.
 * Either way DIR receives the copy, its log and manifest.json.
 * Exit 0 on success, 1 on failure, 2 on bad usage.
 */
import fs from 'node:fs';
import { HexxlaClient } from '../../client/index.js';
import { backupFile } from '../../ops/backup.js';
import {
  exitOk, parseArgs, processIo, progressLine, reportError, usage,
} from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb backup --to DIR PATH ${credentialUsage}
   or: hexxladb backup --to DIR --server HOST:PORT [--token-file FILE]
         [--tls | --tls-ca-file FILE]`;

const serverOptions = ['server', 'token-file', 'tls-ca-file'] as const;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, ['to', ...credentialOptions, ...serverOptions], ['tls']);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const dir = parsed.values.get('to');
  const server = parsed.values.get('server');
  const [path, extra] = parsed.positional;
  if (server !== undefined) {
    if (dir === undefined || path !== undefined) {
      return usage(io, 'backup --server needs --to DIR and no database PATH', usageText);
    }
    if (credentialOptions.some((o) => parsed.values.has(o))) {
      return usage(io, 'the server holds the keys: no credential options with --server',
        usageText);
    }
    return backupFromServer(io, server, dir, parsed.values, parsed.switches.has('tls'));
  }
  if (serverOptions.some((o) => parsed.values.has(o)) || parsed.switches.has('tls')) {
    return usage(io, '--token-file, --tls and --tls-ca-file need --server', usageText);
  }
  if (dir === undefined || path === undefined || extra !== undefined) {
    return usage(io, 'backup needs --to DIR and the database PATH', usageText);
  }
  const credentials = credentialsOrExit(io, parsed.values, usageText);
  if (typeof credentials === 'number') return credentials;
  const progress = progressLine(io, 'backing up');
  try {
    const r = await backupFile(path, dir, { ...credentials, onProgress: progress.onProgress });
    progress.done();
    const bytes = r.manifest.files.reduce((n, f) => n + f.bytes, 0);
    io.stdout(`backup of ${path} written to ${dir}: seq ${r.manifest.commitSeq}, ${bytes} ` +
      `bytes, pair id ${r.manifest.pairId}\n`);
    return exitOk;
  } catch (err) {
    progress.done();
    return reportError(io, err);
  }
}

/** The hot backup of a running server into `dir` (see the file comment). */
async function backupFromServer(io: CommandIo, server: string, dir: string,
  values: ReadonlyMap<string, string>, systemRoots: boolean): Promise<number> {
  let client: HexxlaClient | null = null;
  try {
    const tokenFile = values.get('token-file');
    const caFile = values.get('tls-ca-file');
    // Files, not values: a token on the command line would show in `ps` and shell history.
    const token = tokenFile === undefined ? undefined : fs.readFileSync(tokenFile, 'utf8').trim();
    const tls = caFile !== undefined ? { rootCerts: fs.readFileSync(caFile) } : systemRoots;
    client = await HexxlaClient.connect(server, { ...(token === undefined ? {} : { token }),
      ...(tls === false ? {} : { tls }) });
    let shown = -1;
    const r = await client.backupTo(dir, { onProgress: ({ bytes, totalBytes }) => {
      if (!io.isTty || totalBytes === 0) return;
      const percent = Math.min(100, Math.floor((bytes * 100) / totalBytes));
      if (percent === shown) return;
      shown = percent;
      io.stderr(`\rbacking up ${percent}% (${bytes}/${totalBytes} bytes)`);
    } });
    if (shown >= 0) io.stderr('\n');
    io.stdout(`hot backup of ${server} written to ${dir}: seq ${r.commitSeq}, ${r.bytes} ` +
      `bytes, ${r.files.length} files\n`);
    return exitOk;
  } catch (err) {
    return reportError(io, err);
  } finally {
    client?.close();
  }
}
