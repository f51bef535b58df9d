/**
 * `hexxladb backup --to DIR PATH`: backup of the database at PATH into DIR (SPEC §9), local path
 * mode: the file is opened directly, so the database must not be open elsewhere (the hot backup
 * of a running database goes through the service). Writes the copy, its log and manifest.json.
 * Exit 0 on success, 1 on failure, 2 on bad usage.
 */
import { backupFile } from '../../ops/backup.js';
import {
  exitOk, parseArgs, processIo, progressLine, reportError, usage,
} from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb backup --to DIR PATH ${credentialUsage}`;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, ['to', ...credentialOptions]);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const dir = parsed.values.get('to');
  const [path, extra] = parsed.positional;
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
