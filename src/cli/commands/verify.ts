/**
 * `hexxladb verify DIR`: the backup drill (SPEC §9): checks the manifest, sizes, hashes and
 * pairing, opens a scratch copy and runs the read probes and the health check. Prints the
 * findings; exit 0 when the backup is good, 1 when not, 2 on bad usage.
 */
import {
  exitFailed, exitOk, parseArgs, processIo, usage,
} from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { verifyBackup } from '../../ops/verify.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb verify DIR ${credentialUsage}`;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, [...credentialOptions]);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const [dir, extra] = parsed.positional;
  if (dir === undefined || extra !== undefined) return usage(io, 'verify needs DIR', usageText);
  const credentials = credentialsOrExit(io, parsed.values, usageText);
  if (typeof credentials === 'number') return credentials;
  const report = await verifyBackup(dir, credentials);
  if (!report.ok) {
    io.stderr(`backup ${dir} FAILED verification:\n`);
    for (const e of report.errors) io.stderr(`  ${e}\n`);
    return exitFailed;
  }
  const h = report.health;
  const mvcc = report.mvcc === undefined ? '' : `, ${report.mvcc.versionedRows} version rows`;
  io.stdout(`backup ${dir} OK: seq ${report.commitSeq}, ${report.structure?.stats.entries} ` +
    `entries, ${h?.cellCount ?? 0} cells, ${h?.seamCount ?? 0} seams${mvcc}\n`);
  return exitOk;
}
