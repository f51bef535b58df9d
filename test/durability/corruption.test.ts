/**
 * Goal: damage that a crash can explain (a torn log tail) is repaired silently; any other damage
 * is refused with CorruptDatabase, never turned into wrong data, silent loss of a commit that was
 * provably durable, or an untyped exception (SPEC §4.2, ARCHITECTURE §3).
 *
 * Method: build databases on a FaultyFileSystem with the numbered commit workload
 * (commit-workload.ts), take a crash image, then damage a copy of it per case: truncate or
 * overwrite the log tail, flip single bits of the log (every header byte of every frame, payload
 * and padding samples, both header slots, the stale area behind the last frame), flip bits in
 * checkpointed primary pages, damage the newest primary header slot, swap the logs of two
 * databases, pair a primary with a log from a later instant. White-box: fs-images.ts decodes the
 * log (wal-format.ts) to know the frame each damaged byte belongs to and which commits a later
 * commit frame's `syncedThrough` proves durable; this file decodes primary header slots
 * (header.ts) to find the newest one.
 *
 * Properties:
 * - torn tail: the database opens with exactly the commits whose commit frame lies wholly before
 *   the cut (all acknowledged ones included), whatever follows the cut (nothing, zeros, garbage);
 * - log bit flips: open either fails with CorruptDatabase or yields the model state after k
 *   commits with k ≥ every commit a later commit frame proves synced; a flip inside a proven
 *   frame is CorruptDatabase; a flip in an unproven (last-batch) frame drops exactly that commit
 *   and later ones; a flip in padding or stale bytes changes nothing;
 * - primary page flips: every read (scan, get) either returns the model's bytes or throws
 *   CorruptDatabase; check() reports the damage instead of throwing;
 * - a damaged newest primary header slot falls back to the older slot when the log still covers
 *   the gap, and is CorruptDatabase when the log was already reset past it; both: Corrupt;
 * - a damaged newest log header slot falls back to the older one when its generation holds no
 *   frame, and is CorruptDatabase when it holds durable commits (even if the older generation
 *   has the same base seq);
 * - a log from another database, or whose base seq is newer than the primary: CorruptDatabase.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { decodeHeaderSlot, headerSlotBytes, headerSlotOffsets } from '../../src/storage/header.js';
import {
  walFramesStart, walHeaderSlotBytes, walHeaderSlotOffsets,
} from '../../src/storage/wal/wal-format.js';
import { FaultyFileSystem } from '../fault/faulty-fs.js';
import { armThrow, disarmFailpoints } from '../fault/failpoints.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import {
  CommitDriver, lastCommit, modelPrefixes, readState, stateDiff,
} from './commit-workload.js';
import {
  codeOf, copyImage, provenSeq, replaceFile, tryOpen, walLayout,
} from './fs-images.js';
import type { WalCommit, WalLayout } from './fs-images.js';

const seed = seedFromEnv(77001);
const dir = '/db';
const dbPath = `${dir}/c.db`;
const walPath = `${dbPath}-wal`;
const bigLog = { walCheckpointBytes: 64 * 1024 * 1024 };
const prefixes = modelPrefixes(seed, 80);

function newFs(): FaultyFileSystem {
  const fs = new FaultyFileSystem({ seed });
  fs.mkdirp(dir);
  fs.flushAll();
  return fs;
}

/** The commit number a state holds, after checking it equals the model prefix. */
function expectPrefix(db: Database, what: string): number {
  const state = db.view(readState);
  const k = lastCommit(state);
  expect(stateDiff(state, prefixes[k]!), `${what}: state after ${k} commits`).toBeNull();
  return k;
}

/** Opens `fs`, expecting success, and returns the commit number after checking the state. */
async function openPrefix(fs: FaultyFileSystem, what: string): Promise<number> {
  const outcome = await tryOpen(dbPath, { fs, ...bigLog });
  if (outcome.db === undefined) throw new Error(`${what}: open failed: ${String(outcome.error)}`);
  const k = expectPrefix(outcome.db, what);
  expect(outcome.db.check({ verifyValues: true }).errors, `${what}: check()`).toEqual([]);
  await outcome.db.close();
  return k;
}

async function expectCorrupt(fs: FaultyFileSystem, what: string): Promise<void> {
  const outcome = await tryOpen(dbPath, { fs, ...bigLog });
  await outcome.db?.close();
  expect(outcome.db === undefined ? codeOf(outcome.error) : 'opened', what)
    .toBe('CorruptDatabase');
}

describe(`torn log tail (HEXXLA_SEED=${seed})`, () => {
  /** 5 acknowledged commits, then a group of 4 written but cut before its fsync. */
  async function unsyncedGroupImage() {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    const db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 5; i++) await driver.commit(db);
    fs.crashAtSync(1, { when: 'before' });
    const group = await Promise.allSettled(Array.from({ length: 4 }, () => driver.commit(db)));
    expect(group.every((r) => r.status === 'rejected')).toBe(true);
    expect(fs.state).toBe('frozen');
    const syncedBytes = fs.readDurable(walPath)!.length;
    const image = fs.crash({ mode: 'keep-all' });
    return { image, layout: walLayout(image.readFile(walPath)), syncedBytes, driver };
  }

  it('opens with every commit whose commit frame precedes the cut', async () => {
    const { image, layout, syncedBytes, driver } = await unsyncedGroupImage();
    expect(driver.acked).toBe(5);
    expect(layout.commits.map((c) => Number(c.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(layout.commits[4]!.end).toBe(syncedBytes);
    const wal = image.readFile(walPath);
    const rng = new Prng(seed);
    const cuts = new Set<number>();
    for (let at = syncedBytes; at <= layout.end; at += 150 + rng.int(200)) cuts.add(at);
    for (const f of layout.frames.filter((fr) => fr.start >= syncedBytes)) {
      for (const d of [-1, 0, 1, 9, 40]) cuts.add(Math.min(layout.end, f.end + d));
    }
    cuts.add(layout.end);
    let previous = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      const tails: Array<[string, Uint8Array]> = [
        ['truncated', new Uint8Array(0)],
        ['zeros', new Uint8Array(wal.length - cut)],
        ['garbage', new Prng(cut).bytes(wal.length - cut)],
      ];
      for (const [tailKind, tail] of tails) {
        const copy = copyImage(image, dir);
        const torn = new Uint8Array(cut + tail.length);
        torn.set(wal.subarray(0, cut), 0);
        torn.set(tail, cut);
        replaceFile(copy, walPath, torn);
        // Complete: the padded frame fits in the file and its checksummed bytes are intact (what
        // follows the cut may happen to equal them: zero high bytes of a commit payload).
        const complete = (c: WalCommit) => torn.length >= c.end &&
          Buffer.from(torn.subarray(0, c.sealedEnd)).equals(wal.subarray(0, c.sealedEnd));
        const expected = layout.commits.filter(complete).length;
        const k = await openPrefix(copy, `cut at ${cut} (${tailKind} after it)`);
        expect(k, `cut at ${cut} (${tailKind})`).toBe(expected);
        expect(k).toBeGreaterThanOrEqual(5);
        if (tailKind === 'truncated') {
          expect(k, 'a longer surviving log never holds fewer commits').toBeGreaterThanOrEqual(
            previous);
          previous = k;
        }
      }
    }
    expect(previous).toBe(9);
  });
});

/** The place of a WAL byte and what damaging it may lead to. */
type Expect = { kind: 'corrupt' } | { kind: 'exactly'; k: number } | { kind: 'atLeast'; k: number };

function expectationAt(layout: WalLayout, position: number, total: number): Expect {
  const proven = Number(provenSeq(layout));
  const activeSlot = walHeaderSlotOffsets[layout.slot]!;
  if (position >= activeSlot && position < activeSlot + walHeaderSlotBytes) {
    return { kind: 'atLeast', k: proven };
  }
  const frame = layout.frames.find((f) => position >= f.start && position < f.end);
  if (frame === undefined || position >= frame.sealedEnd) return { kind: 'exactly', k: total };
  if (Number(frame.seq) <= proven) return { kind: 'corrupt' };
  return { kind: 'exactly', k: Number(frame.seq) - 1 };
}

/** Positions to damage: header slots, frame headers, payload and padding samples, stale bytes. */
function flipPositions(layout: WalLayout, walBytes: number, rng: Prng): number[] {
  const out = new Set<number>();
  for (const at of walHeaderSlotOffsets) {
    for (let i = 0; i < walHeaderSlotBytes; i++) out.add(at + i);
  }
  for (const f of layout.frames) {
    for (let i = f.start; i < f.start + 32; i++) out.add(i);
    for (let i = 0; i < 3; i++) out.add(f.start + 32 + rng.int(f.sealedEnd - f.start - 32));
    for (let i = f.sealedEnd; i < f.end; i++) out.add(i);
  }
  for (let i = 0; i < 40 && walBytes > layout.end; i++) {
    out.add(layout.end + rng.int(walBytes - layout.end));
  }
  out.add(walFramesStart - 1);
  return [...out].sort((a, b) => a - b);
}

async function flipCase(
  image: FaultyFileSystem, position: number, bit: number, want: Expect,
): Promise<string> {
  const copy = copyImage(image, dir);
  copy.flipBit(walPath, position, bit);
  const what = `seed ${seed}: WAL bit ${bit} of byte ${position} (expect ${JSON.stringify(want)})`;
  const outcome = await tryOpen(dbPath, { fs: copy, ...bigLog });
  if (outcome.db === undefined) {
    expect(codeOf(outcome.error), what).toBe('CorruptDatabase');
    expect(want.kind, `${what}: refused although the damage is harmless`).not.toBe('exactly');
    return 'corrupt';
  }
  const k = expectPrefix(outcome.db, what);
  expect(outcome.db.check().errors, what).toEqual([]);
  await outcome.db.close();
  if (want.kind === 'corrupt') throw new Error(`${what}: opened with ${k} commits`);
  if (want.kind === 'exactly') expect(k, what).toBe(want.k);
  else expect(k, what).toBeGreaterThanOrEqual(want.k);
  return 'opened';
}

async function runWalFlips(image: FaultyFileSystem, total: number) {
  const wal = image.readFile(walPath);
  const layout = walLayout(wal);
  expect(layout.commits.length).toBeGreaterThanOrEqual(3);
  expect(Number(provenSeq(layout))).toBeGreaterThan(Number(layout.header.baseSeq));
  const rng = new Prng(seed + 1);
  const tally = new Map<string, number>();
  for (const position of flipPositions(layout, wal.length, rng)) {
    const result = await flipCase(image, position, rng.int(8),
      expectationAt(layout, position, total));
    tally.set(result, (tally.get(result) ?? 0) + 1);
  }
  expect(tally.get('corrupt') ?? 0).toBeGreaterThan(0);
  return tally;
}

describe(`bit flips in the log of a crashed database (HEXXLA_SEED=${seed})`, () => {
  it('after close and reopen (two log generations with the same base seq)', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    await (await open(dbPath, { fs, ...bigLog })).close();
    const db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 8; i++) await driver.commit(db);
    await driver.group(db, 3);
    const image = fs.crash({ mode: 'drop' });
    await runWalFlips(image, driver.acked);
  }, 120_000);

  it('after checkpoints (stale frames of older generations behind the last one)', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    // A long generation, checkpointed; the next, shorter one overwrites only its start.
    const db = await open(dbPath, { fs, walCheckpointBytes: 256 * 1024 });
    while (db.stats().walBytes < 200_000) await driver.commit(db);
    await db.checkpoint();
    for (let i = 0; i < 5; i++) await driver.commit(db);
    await driver.group(db, 2);
    const image = fs.crash({ mode: 'drop' });
    const wal = image.readFile(walPath);
    expect(wal.length).toBeGreaterThan(walLayout(wal).end);
    await runWalFlips(image, driver.acked);
  }, 120_000);
});

describe('damaged log header slots', () => {
  /** The active log header slot after: create, close, reopen, `commits` commits, power loss. */
  async function reopenedImage(commits: number) {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    await (await open(dbPath, { fs, ...bigLog })).close();
    const db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < commits; i++) await driver.commit(db);
    const image = fs.crash({ mode: 'drop' });
    return { image, slot: walLayout(image.readFile(walPath)).slot };
  }

  // Regression (found by the flip sweep below): the older slot held a generation with the same
  // base seq (the reset at the second open had nothing to recover), so recovery fell back to it,
  // found no frame with its salt and opened an empty database: two acknowledged commits lost.
  it('refuses a damaged newest slot whose generation holds durable commits', async () => {
    const { image, slot } = await reopenedImage(2);
    image.flipBit(walPath, walHeaderSlotOffsets[slot]!, 0);
    await expectCorrupt(image, 'newest log header slot damaged');
  });

  it('falls back to the older slot when the newest generation holds no frame', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    const db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 4; i++) await driver.commit(db);
    await db.close();
    const image = fs.crash({ mode: 'drop' });
    const { slot } = walLayout(image.readFile(walPath));
    for (let i = 0; i < walHeaderSlotBytes; i += 5) {
      const copy = copyImage(image, dir);
      copy.flipBit(walPath, walHeaderSlotOffsets[slot]! + i, i % 8);
      expect(await openPrefix(copy, `newest log slot byte ${i} damaged`)).toBe(4);
    }
  });
});

describe(`bit flips in checkpointed primary pages (HEXXLA_SEED=${seed})`, () => {
  it('never returns wrong bytes: reads throw CorruptDatabase or return the model', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    const db = await open(dbPath, { fs, walCheckpointBytes: 64 * 1024 });
    for (let i = 0; i < 40; i++) await driver.commit(db);
    await db.close();
    const pageSize = 4096;
    const pages = fs.readFile(dbPath).length / pageSize;
    const model = prefixes[40]!;
    const rng = new Prng(seed + 2);
    const tally = { detected: 0, harmless: 0, openRefused: 0 };
    for (let page = 1; page < pages; page++) {
      for (const offset of [rng.int(16), 16 + rng.int(64), 80 + rng.int(pageSize - 80)]) {
        const copy = copyImage(fs, dir);
        copy.flipBit(dbPath, page * pageSize + offset, rng.int(8));
        const what = `seed ${seed}: page ${page} byte ${offset}`;
        const outcome = await tryOpen(dbPath, { fs: copy, ...bigLog });
        if (outcome.db === undefined) {
          expect(codeOf(outcome.error), what).toBe('CorruptDatabase');
          tally.openRefused++;
          continue;
        }
        const damaged = readsMatchOrCorrupt(outcome.db, model, what);
        const report = outcome.db.check({ verifyValues: true });
        if (damaged) expect(report.ok, `${what}: check() must report it`).toBe(false);
        if (damaged) tally.detected++;
        else tally.harmless++;
        await outcome.db.close();
      }
    }
    expect(tally.detected).toBeGreaterThan(pages);
  }, 120_000);
});

/** Full scan and every get: model bytes or CorruptDatabase. Returns true if any read failed. */
function readsMatchOrCorrupt(db: Database, model: Map<string, Uint8Array>, what: string) {
  let failed = false;
  const attempt = (fn: () => void, where: string): void => {
    try {
      fn();
    } catch (err) {
      expect(codeOf(err), `${what}: ${where}`).toBe('CorruptDatabase');
      failed = true;
    }
  };
  attempt(() => {
    expect(stateDiff(db.view(readState), model), `${what}: scan`).toBeNull();
  }, 'scan');
  const enc = new TextEncoder();
  for (const [key, value] of model) {
    attempt(() => {
      const got = db.view((tx) => tx.get(enc.encode(key)));
      expect(got === undefined ? undefined : Buffer.from(got).equals(value), `${what}: ${key}`)
        .toBe(true);
    }, `get ${key}`);
  }
  return failed;
}

/** Slot index of the newest valid primary header slot. */
function newestHeaderSlot(primary: Uint8Array): number {
  const seqs = headerSlotOffsets.map((at) =>
    decodeHeaderSlot(primary.subarray(at, at + headerSlotBytes))?.headerSeq ?? -1n);
  return seqs[0]! > seqs[1]! ? 0 : 1;
}

function damageSlot(fs: FaultyFileSystem, slot: number, rng: Prng): void {
  fs.flipBit(dbPath, headerSlotOffsets[slot]! + rng.int(headerSlotBytes), rng.int(8));
}

describe('damaged primary header slots', () => {
  it('falls back to the older slot while the log still covers it', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    const db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 4; i++) await driver.commit(db);
    await db.checkpoint();
    for (let i = 0; i < 4; i++) await driver.commit(db);
    // The next checkpoint writes its header, then fails before the log reset.
    armThrow('wal-reset-before-header');
    try {
      await expect(db.checkpoint()).rejects.toMatchObject({ code: 'DatabasePoisoned' });
    } finally {
      disarmFailpoints();
    }
    const image = fs.crash({ mode: 'drop' });
    const newest = newestHeaderSlot(image.readFile(dbPath));
    for (let i = 0; i < 20; i++) {
      const copy = copyImage(image, dir);
      damageSlot(copy, newest, new Prng(seed + i));
      expect(await openPrefix(copy, `newest slot damaged (${i})`)).toBe(8);
    }
    expect(await openPrefix(copyImage(image, dir), 'undamaged')).toBe(8);
  });

  it('is CorruptDatabase when the log was already reset past the older slot', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    const db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 4; i++) await driver.commit(db);
    await db.checkpoint();
    for (let i = 0; i < 4; i++) await driver.commit(db);
    await db.checkpoint();
    await driver.commit(db);
    const image = fs.crash({ mode: 'drop' });
    const newest = newestHeaderSlot(image.readFile(dbPath));
    for (let i = 0; i < 20; i++) {
      const copy = copyImage(image, dir);
      damageSlot(copy, newest, new Prng(seed + i));
      await expectCorrupt(copy, `newest slot damaged after the reset (${i})`);
    }
    const both = copyImage(image, dir);
    damageSlot(both, 0, new Prng(1));
    damageSlot(both, 1, new Prng(2));
    await expectCorrupt(both, 'both slots damaged');
  });
});

describe('mismatched primary and log', () => {
  async function twoDatabases(close: boolean) {
    const fs = newFs();
    for (const name of ['c.db', 'other.db']) {
      const driver = new CommitDriver(seed);
      const db = await open(`${dir}/${name}`, { fs, ...bigLog });
      for (let i = 0; i < 3; i++) await driver.commit(db);
      if (close) await db.close();
    }
    return fs.crash({ mode: 'drop' });
  }

  for (const close of [false, true]) {
    it(`refuses the log of another database (${close ? 'clean' : 'crashed'})`, async () => {
      const image = await twoDatabases(close);
      const mine = image.readFile(walPath);
      const theirs = image.readFile(`${dir}/other.db-wal`);
      replaceFile(image, walPath, theirs);
      replaceFile(image, `${dir}/other.db-wal`, mine);
      await expectCorrupt(image, 'log swapped');
      const outcome = await tryOpen(`${dir}/other.db`, { fs: image, ...bigLog });
      await outcome.db?.close();
      expect(codeOf(outcome.error)).toBe('CorruptDatabase');
    });
  }

  it('refuses a log whose base seq is newer than the primary', async () => {
    const fs = newFs();
    const driver = new CommitDriver(seed);
    let db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 3; i++) await driver.commit(db);
    await db.close();
    const oldPrimary = fs.readFile(dbPath);
    db = await open(dbPath, { fs, ...bigLog });
    for (let i = 0; i < 3; i++) await driver.commit(db);
    await db.checkpoint();
    await driver.commit(db);
    const image = fs.crash({ mode: 'drop' });
    expect(await openPrefix(copyImage(image, dir), 'as written')).toBe(7);
    replaceFile(image, dbPath, oldPrimary);
    await expectCorrupt(image, 'primary from an earlier instant');
  });
});
