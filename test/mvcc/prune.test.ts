/**
 * Goal: pruning (SPEC §6) removes only history nobody protected can read, removes all of it
 * when called until it returns 0, stays bounded per call, resumes instead of rescanning, and the
 * retention, profile and scheduler surface behaves as documented.
 * Method (white-box where noted): versioned records are written through the RecordWriter of a
 * real `db.update` (reached through the transaction's context, because the public cells API is
 * being written in parallel) over three record families, with raw user keys beside them. The
 * model state is recorded at every commit seq; snapshots, snapshot tags and engine pins are taken
 * at random seqs. Then pruning runs in bounded passes with a random prune point (sometimes after
 * the head, which clamps) until it returns 0. Reads at every seq ≥ the prune point and at every
 * protected seq are compared with the model before and after a reopen. HEXXLA_SEED replays.
 * Properties: reads at s ≥ beforeSeq and at protected seqs are unchanged; the newest version of
 * every record stays; every pass removes ≤ maxDelete; after the final 0 no row is left that the
 * prune rule allows removing (checked against an independent re-derivation of the rule); the
 * versioned row count goes down; raw keys and bookkeeping are untouched; repeated small passes
 * scan O(rows) in total, not O(rows²); v1 databases throw MvccDisabled; bad input throws
 * InvalidArgument and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Database, ReadTx, WriteTx } from '../../src/index.js';
import { isHexxlaError } from '../../src/index.js';
import type { ReadCtx, WriteCtx } from '../../src/model/context.js';
import { PruneScheduler } from '../../src/mvcc/prune-scheduler.js';
import {
  VersionPruner, pruneDeleteMax, pruneProfiles, resolvePruneProfile,
} from '../../src/mvcc/prune.js';
import type { RecordReader, RecordWriter } from '../../src/mvcc/records.js';
import { splitSeq } from '../../src/engine/keys.js';
import type { StoreWriteTx } from '../../src/storage/tx.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmp = useTmpDb({ mvcc: true });
const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex');
type Model = Map<string, string>;

/** White-box: the record writer/reader inside a transaction (ctx is protected in WriteTx). */
const writerOf = (tx: WriteTx): RecordWriter => (tx as unknown as { ctx: WriteCtx }).ctx.records;
const readerOf = (tx: ReadTx): RecordReader => (tx as unknown as { ctx: ReadCtx }).ctx.records;

/** Fixed-length logical keys per family keep each family prefix-free, as real keys are. */
// Families the health check does not decode (embedding, edge, unassigned): these records are
// not real ones, and the harness health-checks cells, indexes and seams after every test.
const families = [{ id: 0x30, length: 17 }, { id: 0x12, length: 9 }, { id: 0x3f, length: 5 }];
function logicalKey(i: number): Uint8Array {
  const family = families[i % families.length]!;
  const k = new Uint8Array(family.length);
  k[0] = family.id;
  new DataView(k.buffer).setUint32(1, Math.imul(i, 2654435761) >>> 0);
  return k;
}

function readAll(db: Database, seq: bigint): Model {
  return db.viewAt(seq, (tx) => {
    const out: Model = new Map();
    const r = readerOf(tx);
    for (const f of families) {
      for (const [k, v] of r.scan(Uint8Array.of(f.id))) out.set(hex(k), hex(v));
    }
    return out;
  });
}

/** Every row of the versioned families, in tree order. */
function versionedRows(db: Database): Array<{ key: Uint8Array; value: Uint8Array }> {
  return db.storage.view((tx) => [...tx.range({ start: Uint8Array.of(0x10),
    end: Uint8Array.of(0x40) })].map(([key, value]) => ({ key, value })));
}

/** Rows of tree keys in [start, end) (raw keys, timeline, tags) as hex pairs. */
function rowsIn(db: Database, start: number, end: number): string[] {
  return db.storage.view((tx) => [...tx.range({ start: Uint8Array.of(start),
    end: Uint8Array.of(end) })].map(([k, v]) => `${hex(k)}=${hex(v)}`));
}
/** Raw user keys (0x00), the timeline (0x40) and snapshot tags (0x41): never pruned. */
const unversioned = (db: Database): string[][] =>
  [rowsIn(db, 0x00, 0x10), rowsIn(db, 0x40, 0x42)];

/** The model at `seq`: the state after the newest recorded commit ≤ seq. */
function modelAt(history: Map<bigint, Model>, seq: bigint): Model {
  let best = -1n;
  for (const s of history.keys()) if (s <= seq && s > best) best = s;
  return history.get(best)!;
}

interface Built {
  history: Map<bigint, Model>;
  protectedSeqs: bigint[];
}

/** Random history: puts and deletes, plus snapshots, tags and pins at random seqs. */
async function buildHistory(db: Database, rand: Prng, steps: number): Promise<Built> {
  const history = new Map<bigint, Model>([[db.commitSeq(), new Map()]]);
  let model: Model = new Map();
  for (let step = 0; step < steps; step++) {
    const next = new Map(model);
    await db.update((tx) => {
      const w = writerOf(tx);
      for (let op = 0; op < 1 + rand.int(5); op++) {
        const k = logicalKey(rand.int(30));
        if (rand.bool(0.3)) expect(w.delete(k)).toBe(next.delete(hex(k)));
        else {
          const v = rand.bytes(1 + rand.int(24));
          w.put(k, v);
          next.set(hex(k), hex(v));
        }
      }
      if (rand.bool(0.2)) tx.put(Uint8Array.of(7, rand.int(5)), rand.bytes(3)); // raw keys
    });
    model = next;
    history.set(db.commitSeq(), model);
    if (rand.bool(0.05)) db.snapshot();
    if (rand.bool(0.04)) await db.tagSnapshot(`t${step}`);
    // A first step of deletes of absent keys commits nothing: no seq to pin yet (HEXXLA_SEED=263,
    // round 3, printed seed 266, drew a pin there and failed on the generator's bound).
    const head = Number(db.commitSeq());
    if (rand.bool(0.04) && head > 0) db.pinSeq(BigInt(1 + rand.int(head)));
  }
  return { history, protectedSeqs: db.protectedSeqs() };
}

/**
 * Independent re-derivation of the prune rule over the rows left: a row that rule 1 or rule 2
 * (src/mvcc/prune.ts) still allows removing. Returns a description, or undefined.
 */
function removableLeft(db: Database, beforeSeq: bigint, prot: bigint[]): string | undefined {
  const chains = new Map<string, Array<{ seq: bigint; tomb: boolean }>>();
  for (const { key, value } of versionedRows(db)) {
    const { logical, seq } = splitSeq(key);
    const chain = chains.get(hex(logical)) ?? [];
    chain.push({ seq, tomb: value.length === 0 });
    chains.set(hex(logical), chain);
  }
  for (const [logical, chain] of chains) {
    for (let i = 1; i < chain.length; i++) {
      const v = chain[i]!.seq;
      const w = chain[i - 1]!.seq;
      if (w <= beforeSeq && !prot.some((p) => p >= v && p < w)) return `${logical}@${v}`;
    }
    const last = chain[chain.length - 1]!;
    if (last.tomb && last.seq <= beforeSeq) return `tombstone ${logical}@${last.seq}`;
  }
  return undefined;
}

/** Passes of random small bounds until one returns 0; each must respect its bound. */
async function pruneUntilDone(db: Database, beforeSeq: bigint, rand: Prng): Promise<number> {
  let total = 0;
  for (let calls = 0; calls < 10_000; calls++) {
    const maxDelete = 1 + rand.int(40);
    const removed = await db.pruneCellVersions(beforeSeq, maxDelete);
    expect(removed).toBeGreaterThanOrEqual(0);
    expect(removed).toBeLessThanOrEqual(maxDelete);
    if (removed === 0) return total;
    total += removed;
  }
  throw new Error('pruning did not converge');
}

function expectReadsKept(db: Database, history: Map<bigint, Model>, seqs: Iterable<bigint>) {
  for (const s of seqs) expect(readAll(db, s), `read at seq ${s}`).toEqual(modelAt(history, s));
}

describe('pruneCellVersions: randomized against a model', () => {
  for (let round = 0; round < 4; round++) {
    it(`keeps every protected read and removes the rest (round ${round})`, async () => {
      const seed = seedFromEnv(Date.now() % 1_000_000) + round;
      const rand = new Prng(seed);
      console.log(`prune model test seed ${seed} (HEXXLA_SEED replays)`);
      const t = await tmp.open();
      const { history, protectedSeqs } = await buildHistory(t.db, rand, 120);
      const dataHead = t.db.commitSeq();
      const rowsBefore = versionedRows(t.db);
      const newestBefore = new Map<string, string>();
      for (const { key } of rowsBefore) {
        const { logical } = splitSeq(key);
        if (!newestBefore.has(hex(logical))) newestBefore.set(hex(logical), hex(key));
      }
      const others = unversioned(t.db);
      // Sometimes after the head: clamped to the head.
      const asked = BigInt(1 + rand.int(Number(dataHead) + 5));
      console.log(`prune point ${asked}, data head ${dataHead}`);
      const beforeSeq = asked > dataHead ? dataHead : asked;
      const hadRemovable = removableLeft(t.db, beforeSeq, protectedSeqs) !== undefined;
      // The floor is capped at the newest commit that changed data (a tag commit may follow it).
      const timelineHead = t.db.seqAtTime(Number.MAX_SAFE_INTEGER);
      await pruneUntilDone(t.db, asked, rand);

      const kept = [...protectedSeqs];
      for (let s = beforeSeq; s <= t.db.commitSeq(); s++) kept.push(s);
      expectReadsKept(t.db, history, kept);
      expect(removableLeft(t.db, beforeSeq, protectedSeqs)).toBeUndefined();
      const rowsAfter = versionedRows(t.db);
      if (hadRemovable) expect(rowsAfter.length).toBeLessThan(rowsBefore.length);
      else expect(rowsAfter.length).toBe(rowsBefore.length);
      const after = new Set(rowsAfter.map((r) => hex(r.key)));
      const final = modelAt(history, dataHead);
      for (const [logical, key] of newestBefore) {
        if (final.has(logical)) expect(after.has(key), `newest version of ${logical}`).toBe(true);
      }
      expect(unversioned(t.db)).toEqual(others);

      await t.reopen();
      // Snapshots and pins died with the handle. The prune floor (the clamped beforeSeq once a
      // pass removed rows) survives the reopen: below it, their seqs are now refused; tags and
      // seqs at or after it still read exactly.
      const floor = t.db.pruneFloor();
      const capped = beforeSeq < timelineHead ? beforeSeq : timelineHead;
      expect(floor).toBe(hadRemovable ? capped : 0n);
      const tagSeqs = t.db.protectedSeqs();
      const exact = kept.filter((s) => s === 0n || s >= floor || tagSeqs.includes(s)); // 0: empty
      expectReadsKept(t.db, history, exact);
      for (const s of kept.filter((s) => !exact.includes(s))) {
        expect(() => readAll(t.db, s), `read at seq ${s}`).toThrow(
          expect.objectContaining({ code: 'ReadSeqPruned' }));
      }
      // Snapshots and pins died with the handle; tags persist. Pruning again frees what only
      // the snapshots and pins held, and still keeps the reads at tags and at ≥ beforeSeq.
      const tags = t.db.protectedSeqs();
      await pruneUntilDone(t.db, asked, rand);
      expect(removableLeft(t.db, beforeSeq, tags)).toBeUndefined();
      expectReadsKept(t.db, history, [...tags, ...kept.filter((s) => s >= beforeSeq)]);
    });
  }
});

describe('pruneCellVersions: rules on small histories', () => {
  const k = logicalKey(0);
  const put = (db: Database, v: number) => db.update((tx) => writerOf(tx).put(k, Uint8Array.of(v)));
  const del = (db: Database) => db.update((tx) => writerOf(tx).delete(k));
  const get = (db: Database, seq: bigint) =>
    db.viewAt(seq, (tx) => readerOf(tx).get(k)?.[0]);

  it('removes a deleted record entirely, unless a tag still sees it', async () => {
    const { db } = await tmp.open();
    await put(db, 1);
    await db.tagSnapshot('before-delete');
    await del(db);
    expect(await db.pruneCellVersions(db.commitSeq(), 100)).toBe(0);
    expect(versionedRows(db)).toHaveLength(2);
    expect(db.viewAtTag('before-delete', (tx) => readerOf(tx).get(k)?.[0])).toBe(1);
    await db.deleteSnapshotTag('before-delete');
    expect(await db.pruneCellVersions(db.commitSeq(), 100)).toBe(2);
    expect(versionedRows(db)).toHaveLength(0);
    expect(await db.pruneCellVersions(db.commitSeq(), 100)).toBe(0);
  });

  it('keeps what an open snapshot or a pin reads until released', async () => {
    const { db } = await tmp.open();
    await put(db, 1);
    const snap = db.snapshot();
    await put(db, 2);
    const unpin = db.pinSeq(db.commitSeq());
    await put(db, 3);
    await put(db, 4);
    expect(await db.pruneCellVersions(db.commitSeq(), 100)).toBe(1); // only the version 3
    expect(snap.view((tx) => readerOf(tx).get(k)?.[0])).toBe(1);
    snap.release();
    unpin();
    expect(await db.pruneCellVersions(db.commitSeq(), 100)).toBe(2);
    expect(get(db, db.commitSeq())).toBe(4);
    expect(versionedRows(db)).toHaveLength(1);
  });

  it('only prunes versions shadowed at or before beforeSeq; a future seq clamps', async () => {
    const { db } = await tmp.open();
    for (let v = 1; v <= 5; v++) await put(db, v); // seqs 1..5
    expect(await db.pruneCellVersions(3n, 100)).toBe(2); // versions 1 and 2
    expect([3n, 4n, 5n].map((s) => get(db, s))).toEqual([3, 4, 5]);
    expect(await db.pruneCellVersions(1000n, 100)).toBe(2);
    expect(get(db, db.commitSeq())).toBe(5);
    expect(await db.pruneCellVersions(0n, 100)).toBe(0);
  });

  it('a productive pass is a commit outside the timeline; an empty one commits nothing',
    async () => {
      const { db } = await tmp.open({ retainCommitsBehindHead: 1 });
      await put(db, 1);
      await put(db, 2);
      await put(db, 3);
      const head = db.commitSeq();
      expect(db.suggestedPruneBeforeSeq()).toBe(head - 1n);
      expect(await db.pruneCellVersions(head, 10)).toBe(2);
      expect(db.commitSeq()).toBe(head + 1n);
      // Prune commits change no data: time travel and the retention point ignore them, so
      // repeated passes cannot push the prune point forward by themselves.
      expect(db.seqAtTime(Date.now() + 1000)).toBe(head);
      expect(db.suggestedPruneBeforeSeq()).toBe(head - 1n);
      expect(await db.pruneCellVersions(head, 10)).toBe(0);
      expect(db.commitSeq()).toBe(head + 1n);
    });
});

describe('pruneCellVersions: bounded, resumable passes', () => {
  it('scans O(rows) in total across many small passes (resume cursor)', async () => {
    const { db } = await tmp.open();
    const keys = 600;
    for (let round = 0; round < 3; round++) {
      await db.update((tx) => {
        for (let i = 0; i < keys; i++) writerOf(tx).put(logicalKey(i), Uint8Array.of(round + 1));
      });
    }
    const rows = versionedRows(db).length;
    expect(rows).toBe(3 * keys);
    // White-box: a pruner on the same store whose transactions count the rows they scan.
    let scanned = 0;
    const pruner = new VersionPruner({
      update: (fn) => db.storage.update((w) => fn(countingTx(w, () => scanned++))),
      protectedSeqs: () => [],
    });
    let calls = 0;
    let removed = 0;
    for (let r = -1; r !== 0; calls++) {
      r = await pruner.prune(db.commitSeq(), 25);
      expect(r).toBeLessThanOrEqual(25);
      removed += r;
    }
    expect(removed).toBe(2 * keys);
    expect(calls).toBe(2 * keys / 25 + 1);
    // Without the cursor every call would rescan the pruned prefix: ~calls × rows / 2 ≫ this.
    expect(scanned).toBeLessThanOrEqual(rows + 2 * keys + calls * 2);
    expect(versionedRows(db)).toHaveLength(keys);
  });

  it('a call started mid-way wraps around and still finds what lies before its cursor',
    async () => {
      const { db } = await tmp.open();
      for (let v = 1; v <= 3; v++) {
        await db.update((tx) => {
          for (let i = 0; i < 50; i++) writerOf(tx).put(logicalKey(i), Uint8Array.of(v));
        });
      }
      expect(await db.pruneCellVersions(2n, 10)).toBe(10); // cursor now mid-range
      expect(await db.pruneCellVersions(db.commitSeq(), 1_000)).toBe(90);
      expect(await db.pruneCellVersions(db.commitSeq(), 1_000)).toBe(0);
      expect(versionedRows(db)).toHaveLength(50);
    });
});

/** A StoreWriteTx whose range() calls `onRow` for every row it yields. */
function countingTx(w: StoreWriteTx, onRow: () => void): StoreWriteTx {
  return new Proxy(w, {
    get(target, prop, receiver) {
      if (prop !== 'range') {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return function* (...args: Parameters<StoreWriteTx['range']>) {
        for (const entry of target.range(...args)) {
          onRow();
          yield entry;
        }
      };
    },
  });
}

describe('retention, profiles and the scheduler', () => {
  const expectCode = async (code: string, fn: () => unknown): Promise<void> => {
    let caught: unknown;
    try {
      await fn();
    } catch (err) {
      caught = err;
    }
    expect(isHexxlaError(caught), String(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
  };
  const overwrite = (db: Database, commits: number) => (async () => {
    for (let c = 0; c < commits; c++) {
      await db.update((tx) => writerOf(tx).put(logicalKey(c % 3), Uint8Array.of(c % 250 + 1)));
    }
  })();

  it('suggests max(0, head − retention), 0 when retention is 0', async () => {
    const t = await tmp.open({ retainCommitsBehindHead: 5 });
    expect(t.db.retainCommitsBehindHead()).toBe(5);
    expect(t.db.suggestedPruneBeforeSeq()).toBe(0n);
    await overwrite(t.db, 12);
    expect(t.db.suggestedPruneBeforeSeq()).toBe(7n);
    t.db.setRetainCommitsBehindHead(0);
    expect(t.db.suggestedPruneBeforeSeq()).toBe(0n);
    t.db.setRetainCommitsBehindHead(100);
    expect(t.db.suggestedPruneBeforeSeq()).toBe(0n);
    await expectCode('InvalidArgument', () => t.db.setRetainCommitsBehindHead(-1));
    await expectCode('InvalidArgument', () => t.db.setRetainCommitsBehindHead(1.5));
    expect(t.db.retainCommitsBehindHead()).toBe(100);
    await t.db.close();
    await expectCode('InvalidArgument', () => t.open({ retainCommitsBehindHead: -3 }));
    await t.open();
  });

  it('profiles have documented, ordered numbers; unknown ones are rejected', async () => {
    const { 'low-latency': low, balanced, 'long-history': long } = pruneProfiles;
    expect(low.retainCommitsBehindHead).toBeLessThan(balanced.retainCommitsBehindHead);
    expect(balanced.retainCommitsBehindHead).toBeLessThan(long.retainCommitsBehindHead);
    expect(low.maxDeletePerPass).toBeLessThan(balanced.maxDeletePerPass);
    for (const p of [low, balanced, long]) expect(resolvePruneProfile(p.name as never)).toBe(p);
    await expectCode('InvalidArgument', () => resolvePruneProfile('fast' as never));
    await expectCode('InvalidArgument', () => resolvePruneProfile({ ...low, maxDeletePerPass: 0 }));
    const { db } = await tmp.open();
    await expectCode('InvalidArgument', () => db.pruneByProfile('nope' as never));
  });

  it('pruneByProfile prunes before head − the profile retention', async () => {
    const { db } = await tmp.open();
    await overwrite(db, 150); // 3 keys, 50 versions each
    const rows = versionedRows(db).length;
    const before50 = readAll(db, 50n);
    let removed = 0;
    for (let r = -1; r !== 0;) removed += r = await db.pruneByProfile('low-latency');
    // Prune point 150 − 100 = 50 (prune commits do not move it): the versions of seqs 48–150
    // stay (those of 48 and 49 are still visible at 50), the 47 older ones go.
    expect(removed).toBe(47);
    expect(versionedRows(db).length).toBe(rows - removed);
    expect(readAll(db, 50n)).toEqual(before50);
    expect(await db.pruneByProfile('long-history')).toBe(0);
  });

  it('the scheduler runs one bounded pass per tick until idle', async () => {
    const { db } = await tmp.open();
    await overwrite(db, 60);
    const before = [55n, 58n, 60n].map((s) => readAll(db, s));
    const profile = { name: 'test', retainCommitsBehindHead: 5, maxDeletePerPass: 7,
      tickIntervalMs: 1 };
    const scheduler = new PruneScheduler(db, profile);
    let ticks = 0;
    let removed = 0;
    for (;;) {
      const r = await scheduler.tick();
      ticks++;
      expect(r.skipped).toBe(false);
      expect(r.removed).toBeLessThanOrEqual(7);
      removed += r.removed;
      if (r.idle) break;
      expect(ticks).toBeLessThan(100);
    }
    expect(ticks).toBeGreaterThan(2);
    expect(scheduler.stats()).toEqual({ ticks, skippedTicks: 0, removedTotal: removed,
      lastRemoved: 0 });
    expect([55n, 58n, 60n].map((s) => readAll(db, s))).toEqual(before);
    // A tick while one runs is skipped, not queued.
    await overwrite(db, 30);
    const [first, second] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(first.skipped).toBe(false);
    expect(first.removed).toBeGreaterThan(0);
    expect(second).toEqual({ removed: 0, skipped: true, idle: false });
    expect(() => new PruneScheduler(db, 'unknown' as never)).toThrow(/unknown prune profile/);
  });

  it('rejects bad arguments without changing anything', async () => {
    const { db } = await tmp.open();
    await overwrite(db, 4);
    const rows = versionedRows(db).length;
    for (const [seq, max] of [[-1n, 5], [3n, 0], [3n, 1.5], [3n, pruneDeleteMax + 1]] as const) {
      await expectCode('InvalidArgument', () => db.pruneCellVersions(seq, max));
    }
    await expectCode('InvalidArgument', () => db.pruneCellVersions(3 as never, 5));
    expect(versionedRows(db)).toHaveLength(rows);
  });

  it('a v1 database throws MvccDisabled for every prune call', async () => {
    const { db } = await tmp.open({ mvcc: false, retainCommitsBehindHead: 10 });
    await expectCode('MvccDisabled', () => db.pruneCellVersions(1n, 10));
    await expectCode('MvccDisabled', () => db.pruneByProfile('balanced'));
    await expectCode('MvccDisabled', () => db.suggestedPruneBeforeSeq());
    await expectCode('MvccDisabled', () => new PruneScheduler(db).tick());
    expect(db.retainCommitsBehindHead()).toBe(10); // a policy only; nothing to prune
  });
});
