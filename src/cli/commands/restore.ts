/**
 * `hexxladb restore --from DIR --to PATH [--force]`: puts the backup in DIR back as the database
 * PATH (SPEC §9), refusing incomplete or mismatched sets and an existing database unless
 * --force. Stop the application first. Exit 0 on success, 1 when refused or failed, 2 on usage.
 */
import { exitOk, parseArgs, processIo, reportError, usage } from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { restore } from '../../ops/restore.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb restore --from DIR --to PATH [--force] ${credentialUsage}`;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, ['from', 'to', ...credentialOptions], ['force']);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const from = parsed.values.get('from');
  const to = parsed.values.get('to');
  if (from === undefined || to === undefined || parsed.positional.length > 0) {
    return usage(io, 'restore needs --from DIR and --to PATH', usageText);
  }
  const credentials = credentialsOrExit(io, parsed.values, usageText);
  if (typeof credentials === 'number') return credentials;
  try {
    const r = await restore(from, to, { ...credentials, force: parsed.switches.has('force') });
    io.stdout(`restored ${from} to ${r.path}: seq ${r.commitSeq}, pair id ${r.pairId}\n`);
    return exitOk;
  } catch (err) {
    return reportError(io, err);
  }
}
