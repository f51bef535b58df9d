/**
 * `hexxladb compact SRC DEST`: offline compaction of the closed database SRC into the new file
 * DEST (SPEC §8). Progress on a terminal; exit 0 on success, 1 on failure, 2 on bad usage.
 */
import { compactFile } from '../../ops/compact.js';
import {
  exitOk, parseArgs, processIo, progressLine, reportError, usage,
} from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb compact SRC DEST ${credentialUsage}`;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, [...credentialOptions]);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const [src, dest, extra] = parsed.positional;
  if (src === undefined || dest === undefined || extra !== undefined) {
    return usage(io, 'compact needs SRC and DEST', usageText);
  }
  const credentials = credentialsOrExit(io, parsed.values, usageText);
  if (typeof credentials === 'number') return credentials;
  const progress = progressLine(io, 'compacting');
  try {
    const r = await compactFile(src, dest, { ...credentials, onProgress: progress.onProgress });
    progress.done();
    io.stdout(`compacted ${src} (${r.sourceBytes} bytes) into ${dest} (${r.bytes} bytes): ` +
      `${r.entries} entries at seq ${r.commitSeq}\n`);
    return exitOk;
  } catch (err) {
    progress.done();
    return reportError(io, err);
  }
}
