/**
 * `hexxladb check PATH [--errors-max N]`: the offline health check (SPEC §11): the B+ tree
 * structural check with every value inflated, plus cells, seams and index consistency. Prints the
 * findings; exit 0 when no error was found (warnings allowed), 1 otherwise, 2 on bad usage.
 */
import {
  exitFailed, exitOk, parseArgs, processIo, reportError, usage,
} from '../../ops/command-io.js';
import type { CommandIo } from '../../ops/command-io.js';
import { checkFile } from '../../ops/inspect.js';
import { credentialOptions, credentialsOrExit, credentialUsage } from '../credentials.js';

const usageText = `hexxladb check PATH [--errors-max N] ${credentialUsage}`;

export async function run(args: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseArgs(args, ['errors-max', ...credentialOptions]);
  if (typeof parsed === 'string') return usage(io, parsed, usageText);
  const [path, extra] = parsed.positional;
  if (path === undefined || extra !== undefined) return usage(io, 'check needs PATH', usageText);
  const max = parsed.values.get('errors-max');
  const errorsMax = max === undefined ? undefined : Number(max);
  if (errorsMax !== undefined && (!Number.isSafeInteger(errorsMax) || errorsMax < 0)) {
    return usage(io, '--errors-max must be a non-negative integer', usageText);
  }
  const open = credentialsOrExit(io, parsed.values, usageText);
  if (typeof open === 'number') return open;
  try {
    const r = await checkFile(path, { open, ...(errorsMax === undefined ? {} : { errorsMax }) });
    for (const w of r.warnings) io.stdout(`warning: ${w}\n`);
    for (const e of r.errors) io.stderr(`error: ${e}\n`);
    const s = r.structure?.stats;
    io.stdout(`${r.ok ? 'OK' : 'FAILED'}: ${r.errorCount} errors, ${r.warnings.length} ` +
      `warnings; ${s?.entries ?? 0} entries in ${s?.pages ?? 0} pages, ${r.cellCount} cells, ` +
      `${r.seamCount} seams (${r.unresolvedSeams} unresolved, ${r.orphanedSeams} orphaned)\n`);
    return r.ok ? exitOk : exitFailed;
  } catch (err) {
    return reportError(io, err);
  }
}
