/**
 * Goal: a real process killed with SIGKILL at any moment (between syscalls, inside group commit,
 * in the middle of a checkpoint or a log reset, during recovery) loses no acknowledged commit and
 * leaves a database that opens, holds no partial commit and passes check() (SPEC §4.2).
 *
 * Method: one on-disk database in a temp dir lives through ROUNDS rounds. Each round spawns
 * test/crash/fixtures/writer.ts (node --import tsx, like test/fault/failpoints.test.ts), which
 * recovers the database, then commits the numbered workload of test/durability/commit-workload.ts
 * (single commits and concurrent groups, 64 KiB checkpoint threshold, so checkpoints and log
 * resets happen every few dozen commits) and prints "ack <k>" after each `db.update` resolved.
 * The parent kills it with SIGKILL after a seeded random delay, or arms a failpoint through
 * HEXXLA_FAILPOINTS that makes the child SIGKILL itself at its n-th hit: 'wal-after-sync' (a
 * durable batch not yet acknowledged), 'checkpoint-before-header' (pages copied, header not
 * written; also hit by the checkpoint that open runs after recovery), 'wal-reset-after-header'
 * (new log generation, frames of the old one still in the file). The state carries over: the
 * next child recovers what the killed one left. After each round the parent opens a copy of the
 * two files (every fifth round the files themselves, closing cleanly) and checks them.
 *
 * Properties after every kill: the database opens; `meta` says k with k ≥ every acknowledged
 * commit and k ≥ the k of the previous round; the whole state equals the model after exactly k
 * commits (no partial commit, no lost or resurrected key); check({ verifyValues }) is clean.
 * Seeded: prints its seed; HEXXLA_SEED=<n> replays the same workload, kill modes and delays
 * (kill timing itself stays subject to scheduling).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { CommitModel, lastCommit, readState, stateDiff } from '../durability/commit-workload.js';
import { failpointsEnvName } from '../fault/failpoints.js';
import { Prng, seedFromEnv } from '../fault/prng.js';

const seed = seedFromEnv(Math.floor(Math.random() * 2 ** 31));
const rounds = 50;
/** Live data stays around this many commits (commit k deletes the keys of commit k − window). */
const window = 40;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const writer = path.join(here, 'fixtures', 'writer.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-sigkill-'));
const dbPath = path.join(tmp, 'crash.db');

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** How a round ends the child. */
type Kill = { kind: 'timer'; delayMs: number } | { kind: 'failpoint'; spec: string };

function chooseKill(rng: Prng): Kill {
  const r = rng.next();
  if (r < 0.6) return { kind: 'timer', delayMs: rng.int(250) };
  if (r < 0.75) return { kind: 'failpoint', spec: `wal-after-sync=kill@${1 + rng.int(60)}` };
  if (r < 0.9) {
    return { kind: 'failpoint', spec: `checkpoint-before-header=kill@${1 + rng.int(4)}` };
  }
  return { kind: 'failpoint', spec: `wal-reset-after-header=kill@${1 + rng.int(4)}` };
}

interface RoundResult {
  /** Who sent the SIGKILL: the parent's delay timer, its fallback, or the child itself. */
  killedBy: 'timer' | 'fallback' | 'self';
  acked: number;
  ready: number | null;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs one child until it dies; kills it by timer (timer rounds) or after `waitMsMax`. */
function runChild(kill: Kill, roundSeed: number): Promise<RoundResult> {
  const waitMsMax = 4_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath,
      ['--import', 'tsx', writer, dbPath, String(seed), String(window), String(roundSeed)], {
        cwd: root,
        env: { ...process.env, [failpointsEnvName]: kill.kind === 'failpoint' ? kill.spec : '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const result: RoundResult = { killedBy: 'self', acked: 0, ready: null, signal: null,
      code: null, stderr: '' };
    const timers: NodeJS.Timeout[] = [];
    const killNow = (by: 'timer' | 'fallback') => () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      result.killedBy = by;
      child.kill('SIGKILL');
    };
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'ack') result.acked = Math.max(result.acked, Number(n));
        if (word === 'ready' && result.ready === null) {
          result.ready = Number(n);
          if (kill.kind === 'timer') timers.push(setTimeout(killNow('timer'), kill.delayMs));
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      result.stderr += chunk;
    });
    timers.push(setTimeout(killNow('fallback'), waitMsMax));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ ...result, code, signal });
    });
  });
}

/** Copies the primary and its log as they are now into a fresh directory; returns the path. */
function snapshot(round: number): string {
  const dir = fs.mkdtempSync(path.join(tmp, `verify-${round}-`));
  for (const name of ['crash.db', 'crash.db-wal']) {
    const from = path.join(tmp, name);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(dir, name));
  }
  return path.join(dir, 'crash.db');
}

/** Opens `file`, checks it against the model and returns the commit number it holds. */
async function verify(file: string, model: CommitModel, min: number, what: string) {
  const db = await open(file, { walCheckpointBytes: 64 * 1024, create: false });
  try {
    const state = db.view(readState);
    const k = lastCommit(state);
    expect(k, `${what}: acknowledged commits present`).toBeGreaterThanOrEqual(min);
    expect(stateDiff(state, model.advanceTo(k)), `${what}: state after ${k} commits`).toBeNull();
    const report = db.check({ verifyValues: true });
    expect(report.errors, `${what}: check()`).toEqual([]);
    return k;
  } finally {
    await db.close();
  }
}

describe(`SIGKILL during durable commits (HEXXLA_SEED=${seed})`, () => {
  it(`loses nothing acknowledged over ${rounds} kills`, async () => {
    console.info(`sigkill: HEXXLA_SEED=${seed}`);
    const rng = new Prng(seed);
    const model = new CommitModel(seed, window);
    const tally = { timer: 0, failpoint: 0, selfKilled: 0, diedInOpen: 0, commits: 0,
      childMs: 0, verifyMs: 0 };
    let k = 0;
    for (let round = 0; round < rounds; round++) {
      const kill = chooseKill(rng);
      const started = Date.now();
      const result = await runChild(kill, rng.int(2 ** 31));
      const killed = Date.now();
      const what = `seed ${seed}, round ${round}, ${JSON.stringify(kill)}`;
      expect(result.stderr, `${what}: child stderr`).toBe('');
      expect(result.signal, `${what}: child must die by SIGKILL (code ${result.code})`)
        .toBe('SIGKILL');
      if (result.ready !== null) expect(result.ready, `${what}: child resumed at`).toBe(k);
      else tally.diedInOpen++;
      const min = Math.max(k, result.acked);
      const inPlace = round % 5 === 4;
      const next = await verify(inPlace ? dbPath : snapshot(round), model, min, what);
      tally.commits += next - k;
      tally.childMs += killed - started;
      tally.verifyMs += Date.now() - killed;
      k = next;
      tally[kill.kind]++;
      if (result.killedBy === 'self') tally.selfKilled++;
    }
    console.info(`sigkill: ${rounds} rounds, ${tally.commits} commits, ` +
      `${tally.timer} timer kills, ${tally.failpoint} failpoint rounds ` +
      `(${tally.selfKilled} killed at the failpoint, ${tally.diedInOpen} during open); ` +
      `${tally.childMs} ms in children, ` +
      `${tally.verifyMs} ms verifying`);
    expect(tally.commits).toBeGreaterThan(rounds);
    expect(tally.selfKilled).toBeGreaterThan(0);
  }, 150_000);
});
