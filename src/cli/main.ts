#!/usr/bin/env node
/**
 * The `hexxladb` command line (SPEC §12.6). One file per command under commands/ (as cmd/bbolt);
 * this file only dispatches. `serve` runs the gRPC server; the others work on local paths.
 */
import { isHexxlaError } from '../errors.js';
import { run as backup } from './commands/backup.js';
import { run as check } from './commands/check.js';
import { run as compact } from './commands/compact.js';
import { run as restore } from './commands/restore.js';
import { serve, serveUsage } from './commands/serve.js';
import { run as stats } from './commands/stats.js';
import { run as verify } from './commands/verify.js';

const usage = `Usage: hexxladb <command> [options]

Commands:
  serve                     run the gRPC server (hexxladb serve --help for options)
  backup --to DIR --server HOST:PORT [--token-file FILE] [--tls | --tls-ca-file FILE]
                            hot backup of a running server into DIR (admin token)
  backup --to DIR PATH      back up a closed database into DIR
  restore --from DIR --to PATH [--force]
                            restore a backup (refuses incomplete or mismatched sets)
  verify DIR                verify a backup (files, pairing, read probes, health check)
  compact SRC DEST          compact a closed database into a new file
  check PATH                health check of a closed database (exit 1 on errors)
  stats PATH                file statistics of a closed database

An encrypted database: give backup, restore, verify, compact, check and stats
--encryption-key-file FILE (32 bytes or 64 hex characters) or --passphrase-file FILE.`;

/** Commands with the shared `run(args)` shape (src/ops/command-io.ts). */
const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve, backup, restore, verify, compact, check, stats,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(rest[0] === 'serve' ? serveUsage : usage);
    return command === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (run === undefined) {
    console.error(`hexxladb: unknown command "${command}"\n\n${usage}`);
    return 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  // Typed errors (bad config, a database that does not open) get their message, not a stack.
  if (isHexxlaError(err)) console.error(`hexxladb: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
