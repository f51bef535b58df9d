#!/usr/bin/env node
/**
 * gen:check — fails when the committed generated code differs from what `buf generate` writes.
 *
 * Method: run `buf generate -o <temp dir>` from the repository root with the project's own
 * buf.gen.yaml, so every plugin `out` directory (gen/, later clients/<lang>/gen/) is written
 * under the temp dir and the working tree is never touched. Then compare each out directory
 * file by file, byte for byte, with the repository's copy. No git needed: works in a fresh clone,
 * a tarball or a dirty tree alike.
 *
 * Exit codes: 0 = up to date; 1 = differences (each file is named, with what to do);
 * 2 = buf itself failed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const templatePath = path.join(root, 'buf.gen.yaml');

/** The `out:` directories of the generation template (a plain scan: the file is simple YAML). */
function outDirs(templateText) {
  const dirs = [];
  for (const line of templateText.split('\n')) {
    const match = /^\s*(?:-\s+)?out:\s*["']?([^"'#\s]+)["']?\s*(?:#.*)?$/.exec(line);
    if (match?.[1]) dirs.push(path.normalize(match[1]));
  }
  return [...new Set(dirs)];
}

/** Relative paths of all files under `dir` (empty when `dir` does not exist), sorted. */
function listFiles(dir) {
  const result = [];
  const walk = (sub) => {
    const abs = path.join(dir, sub);
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else result.push(rel);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return result.sort();
}

function bufCommand() {
  const local = path.join(root, 'node_modules', '.bin', 'buf');
  return fs.existsSync(local) ? local : 'buf';
}

/** Compares one out directory; returns lines describing each differing file. */
function compareDir(outDir, tempRoot) {
  const expectedDir = path.join(tempRoot, outDir);
  const actualDir = path.join(root, outDir);
  const expected = new Set(listFiles(expectedDir));
  const actual = new Set(listFiles(actualDir));
  const problems = [];
  for (const rel of expected) {
    const shown = path.join(outDir, rel);
    if (!actual.has(rel)) {
      problems.push(`  missing: ${shown} (generated, but not in the repository)`);
      continue;
    }
    const a = fs.readFileSync(path.join(actualDir, rel));
    const b = fs.readFileSync(path.join(expectedDir, rel));
    if (!a.equals(b)) problems.push(`  differs: ${shown} (edited by hand or stale)`);
  }
  for (const rel of actual) {
    if (!expected.has(rel)) {
      problems.push(`  extra:   ${path.join(outDir, rel)} (not produced by buf generate)`);
    }
  }
  return problems;
}

function main() {
  const dirs = outDirs(fs.readFileSync(templatePath, 'utf8'));
  if (dirs.length === 0) {
    console.error('gen:check: no `out:` directory found in buf.gen.yaml');
    return 2;
  }
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxladb-gen-check-'));
  try {
    // cwd = repository root: buf resolves `local: node_modules/.bin/...` plugin paths and the
    // buf.yaml module paths relative to the directory it runs in.
    const run = spawnSync(bufCommand(), ['generate', '--template', templatePath, '-o', tempRoot], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (run.error || run.status !== 0) {
      const why = run.error ? run.error.message : `exit code ${run.status}`;
      console.error(`gen:check: buf generate failed (${why})`);
      return 2;
    }
    const problems = dirs.flatMap((dir) => compareDir(dir, tempRoot));
    if (problems.length > 0) {
      console.error('gen:check: generated code is out of date with proto/ and buf.gen.yaml:');
      for (const line of problems) console.error(line);
      console.error('Run `npm run generate` and commit the result.');
      return 1;
    }
    console.log(`gen:check: ${dirs.join(', ')} up to date`);
    return 0;
  } finally {
    fs.rmSync(tempRoot, { recursive: true, force: true });
  }
}

process.exitCode = main();
