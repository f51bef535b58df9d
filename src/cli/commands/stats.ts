/**
 * `hexxladb stats PATH`: prints the database's format, sizes, commit seq, counters and (format
 * v2) MVCC statistics as JSON (u64 values as decimal strings). Exit 0, 1 on failure, 2 on usage.
 */
import {
  exitOk, parseArgs, processIo, reportError, toJson, usage,
} from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { statsFile } from '../../ops/inspect.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb stats PATH ${credentialUsage}`;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, [...credentialOptions]);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const [path, extra] = parsed.positional;
  if (path === undefined || extra !== undefined) return usage(io, 'stats needs PATH', usageText);
  const open = credentialsOrExit(io, parsed.values, usageText);
  if (typeof open === 'number') return open;
  try {
    io.stdout(`${toJson(await statsFile(path, { open }))}\n`);
    return exitOk;
  } catch (err) {
    return reportError(io, err);
  }
}
