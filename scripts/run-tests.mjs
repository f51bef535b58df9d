#!/usr/bin/env node
/**
 * `npm test`: runs `vitest run` with its default reporter on the terminal and a JSON reporter
 * into .vitest-report.json, then prints one closing line that CI reads:
 *
 *   N passed, N failed            (or "N passed, N failed, N skipped" when tests were skipped)
 *
 * Extra arguments are forwarded to vitest (`npm test -- test/tidy.test.ts -t name`).
 * "failed" counts failed tests plus test files that failed on their own (did not load, a hook
 * threw). Exit code: vitest's own; non-zero also when the JSON report is missing or unreadable,
 * or reports a failure that vitest's exit code did not reflect.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportPath = path.join(root, '.vitest-report.json');
const vitestBin = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');

/** Runs vitest; returns its exit code (1 when it could not start or died by a signal). */
function runVitest(extraArgs) {
  const args = [
    vitestBin,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportPath}`,
    ...extraArgs,
  ];
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (run.error) {
    console.error(`run-tests: could not start vitest: ${run.error.message}`);
    return 1;
  }
  if (run.status === null) {
    console.error(`run-tests: vitest was killed by ${run.signal ?? 'a signal'}`);
    return 1;
  }
  return run.status;
}

/** Reads the counts from vitest's JSON report (Jest-compatible shape); null when unusable. */
function readCounts() {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
  } catch (error) {
    console.error(`run-tests: no usable JSON report at ${reportPath}: ${error.message}`);
    return null;
  }
  const count = (key) => (Number.isSafeInteger(report[key]) ? report[key] : 0);
  // A test file that failed without a failing test (it did not load, or a hook threw) counts as
  // one failure, so the summary never says "0 failed" for a failed run.
  const files = Array.isArray(report.testResults) ? report.testResults : [];
  const brokenFiles = files.filter(
    (file) =>
      file?.status === 'failed' &&
      !(file.assertionResults ?? []).some((test) => test?.status === 'failed'),
  ).length;
  return {
    passed: count('numPassedTests'),
    failed: count('numFailedTests') + brokenFiles,
    skipped: count('numPendingTests') + count('numTodoTests'),
    success: report.success === true,
  };
}

function main() {
  fs.rmSync(reportPath, { force: true });
  const code = runVitest(process.argv.slice(2));
  const counts = readCounts();
  if (counts === null) {
    // No made-up summary line: without a report nothing is known about the tests.
    return code === 0 ? 1 : code;
  }
  let line = `${counts.passed} passed, ${counts.failed} failed`;
  if (counts.skipped > 0) line += `, ${counts.skipped} skipped`;
  console.log(line);
  if (code === 0 && (counts.failed > 0 || !counts.success)) return 1;
  return code;
}

process.exitCode = main();
