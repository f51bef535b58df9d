/**
 * What the operation commands (src/cli/commands/*) share: their I/O seam, argument parsing,
 * progress drawing and error reporting. Kept apart from the commands so each command file is
 * only its own steps, and tests can run a command with captured output.
 */
import { isHexxlaError } from '../errors.js';
import type { CompactProgress } from './compact.js';

/** Where a command writes. `isTty`: stderr is a terminal, so progress is drawn in place. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
}

/** The process's own streams. */
export const processIo: CommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTty: process.stderr.isTTY === true,
};

/** Exit codes: 0 success, 1 the operation failed or found problems, 2 bad usage. */
export const exitOk = 0;
export const exitFailed = 1;
export const exitUsage = 2;

export interface ParsedArgs {
  positional: string[];
  /** `--name value` options. */
  values: Map<string, string>;
  /** `--name` switches. */
  switches: Set<string>;
}

/**
 * Parses `args`: `--x value` for names in `valueNames`, `--x` for the rest, everything else
 * positional. Returns a message for an option missing its value or an unknown option.
 */
export function parseArgs(args: readonly string[], valueNames: readonly string[],
  switchNames: readonly string[] = []): ParsedArgs | string {
  const parsed: ParsedArgs = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      parsed.positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (valueNames.includes(name)) {
      const value = args[++i];
      if (value === undefined) return `option --${name} needs a value`;
      parsed.values.set(name, value);
    } else if (switchNames.includes(name)) {
      parsed.switches.add(name);
    } else {
      return `unknown option ${arg}`;
    }
  }
  return parsed;
}

/** Prints usage and returns the usage exit code. */
export function usage(io: CommandIo, problem: string, text: string): number {
  io.stderr(`${problem}\nusage: ${text}\n`);
  return exitUsage;
}

/** Reports an error of an operation (typed code first) and returns the failure exit code. */
export function reportError(io: CommandIo, err: unknown): number {
  if (isHexxlaError(err)) {
    io.stderr(`error: ${err.code}: ${err.message}\n`);
  } else {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  return exitFailed;
}

/**
 * A progress callback drawing "label 42% (n/m entries)" in place on a terminal, redrawn only when
 * the whole percentage changes; silent when stderr is not a terminal. Call `done` at the end.
 */
export function progressLine(io: CommandIo, label: string):
  { onProgress: (p: CompactProgress) => void; done: () => void } {
  let shown = -1;
  let drawn = false;
  return {
    onProgress: (p) => {
      if (!io.isTty) return;
      const total = Math.max(p.entriesEstimated, 1);
      const percent = Math.min(100, Math.floor((p.entriesRead * 100) / total));
      if (percent === shown) return;
      shown = percent;
      drawn = true;
      io.stderr(`\r${label} ${percent}% (${p.entriesRead}/${p.entriesEstimated} entries)`);
    },
    done: () => {
      if (drawn) io.stderr('\n');
    },
  };
}

/** JSON with bigints as decimal strings (u64 values do not fit a JSON number). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2);
}
