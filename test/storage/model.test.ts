/**
 * Goal: the raw byte-key store behaves exactly like an ordered Map under long random workloads,
 * across page sizes, reopens, log checkpoints and rolled-back transactions, and its on-disk
 * structure stays valid throughout.
 * Method: model-based simulation. A seeded Prng drives batches of update transactions of random
 * put / delete / get / range operations (keys from a small space with prefix relations and from a
 * large space of 1…256 random bytes; values from 0 bytes to ~3 × page size: empty, short,
 * compressible, half-compressible and random, so inline, deflated and overflow values all occur),
 * applied both to the database and to a `Map` reference model (with an undo log for rollbacks).
 * Some transactions throw midway; some batches issue several updates concurrently; the database
 * is reopened every few batches, alternately by close + open and by opening a lossless copy of
 * the files (recovery from the log), with random cache budgets and checkpoint thresholds. Runs
 * for page sizes 4096, 8192, 16384 and 65536 on the memory file system, and a shorter run on a
 * real temp directory. The seed is printed once per test; set HEXXLA_SEED to replay.
 * Properties checked:
 *   - every get inside a transaction (read-your-writes) and in views equals the model;
 *   - range scans (forward / reverse, random start, end and limit, in views and inside updates)
 *     return exactly the model's entries in order;
 *   - a transaction that throws leaves no trace (model and database unchanged, seq unchanged);
 *   - concurrent updates all land, in call order;
 *   - after every batch `db.check()` reports no error; a full scan equals the model after every
 *     reopen and at the end; the final check also inflates every compressed value.
 */
import { describe, expect, it } from 'vitest';
import type { Database, RangeOptions, ReadTx, WriteTx } from '../../src/index.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import type { TmpBackend, TmpDb } from '../harness/tmp-db.js';
import { useTmpDb } from '../harness/tmp-db.js';

const dbs = useTmpDb();
/** HEXXLA_MODEL_SCALE=k runs k times the batches (a soak run; the default fits the CI budget). */
const scale = Number(process.env['HEXXLA_MODEL_SCALE'] ?? '1');
/** HEXXLA_MODEL_DEBUG=1 prints the tree shape at each phase change. */
const debug = process.env['HEXXLA_MODEL_DEBUG'] === '1';
const baseSeed = seedFromEnv(Math.floor(Math.random() * 2 ** 32));

/** Latin-1 string of a key: JS string order equals bytewise key order. */
const keyId = (key: Uint8Array): string => Buffer.from(key).toString('latin1');
const keyOf = (id: string): Uint8Array => new Uint8Array(Buffer.from(id, 'latin1'));
const hex = (u: Uint8Array): string => Buffer.from(u.subarray(0, 16)).toString('hex') +
  (u.length > 16 ? `…(${u.length})` : '');

/** First index of `ids` (sorted) whose id is ≥ `id`. */
function lowerBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The reference: an ordered map (sorted key list kept alongside) with an undo log. */
class Model {
  readonly map = new Map<string, Uint8Array>();
  private sorted: string[] | null = null;
  private undo: [string, Uint8Array | undefined][] | null = null;

  begin(): void {
    this.undo = [];
  }

  commit(): void {
    this.undo = null;
  }

  rollback(): void {
    const undo = this.undo ?? [];
    for (let i = undo.length - 1; i >= 0; i--) {
      const [id, old] = undo[i]!;
      if (old === undefined) this.map.delete(id);
      else this.map.set(id, old);
    }
    this.undo = null;
    this.sorted = null;
  }

  put(id: string, value: Uint8Array): void {
    this.undo?.push([id, this.map.get(id)]);
    if (!this.map.has(id) && this.sorted !== null) {
      this.sorted.splice(lowerBound(this.sorted, id), 0, id);
    }
    this.map.set(id, value);
  }

  delete(id: string): boolean {
    const old = this.map.get(id);
    if (old === undefined) return false;
    this.undo?.push([id, old]);
    this.map.delete(id);
    this.sorted?.splice(lowerBound(this.sorted, id), 1);
    return true;
  }

  /** Keys in order (owned by the model: do not change). */
  keys(): string[] {
    this.sorted ??= [...this.map.keys()].sort();
    return this.sorted;
  }

  /** The keys a range scan must return, in scan order. */
  range(opts: RangeOptions): string[] {
    const ids = this.keys();
    const from = opts.start === undefined ? 0 : lowerBound(ids, keyId(opts.start));
    const to = opts.end === undefined ? ids.length : lowerBound(ids, keyId(opts.end));
    let out = ids.slice(from, Math.max(from, to));
    if (opts.reverse === true) out = out.reverse();
    return opts.limit === undefined ? out : out.slice(0, opts.limit);
  }
}

/** Per-run knobs, scaled so the whole file stays within its CI budget. */
interface RunPlan {
  pageSize: number;
  backend: TmpBackend;
  batches: number;
  /** Grow / churn / shrink cycles over the batches. */
  cycles: number;
  opsPerTxMax: number;
  reopenEvery: number;
}

/** Generates keys, values and options from one Prng. */
class Workload {
  readonly maxValueBytes: number;
  /** Grow (mostly puts of small values), churn (mixed), shrink (mostly deletes). */
  phase: 'grow' | 'churn' | 'shrink' = 'grow';
  /** Random keys are mostly 128…256 bytes (low fanout, deep trees) instead of 1…16. */
  longKeys = false;
  private readonly smallKeys: Uint8Array[] = [];

  constructor(
    readonly prng: Prng,
    readonly plan: RunPlan,
  ) {
    this.maxValueBytes = Math.min(1_048_576, Math.max(8192, 3 * plan.pageSize + 1024));
    // A small space: 1-byte keys, their 2- and 3-byte extensions (prefix pairs), a few long ones.
    for (let a = 0; a < 8; a++) {
      this.smallKeys.push(Uint8Array.of(a * 37));
      for (let c = 0; c < 6; c++) this.smallKeys.push(Uint8Array.of(a * 37, c * 51));
      this.smallKeys.push(Uint8Array.of(a * 37, 0, 0));
      this.smallKeys.push(new Uint8Array(256).fill(a * 37));
    }
  }

  /**
   * A key: from the small space, from the model's keys (`existing` is the chance of that), or
   * random (1…16 bytes, sometimes up to 256).
   */
  key(model: Model, existing = 0.25): Uint8Array {
    const r = this.prng.next();
    const ids = model.keys();
    if (r < existing && ids.length > 0) return keyOf(ids[this.prng.int(ids.length)]!);
    if (r < existing + 0.3) return this.smallKeys[this.prng.int(this.smallKeys.length)]!;
    if (this.longKeys && this.prng.bool(0.7)) {
      // A shared 100-byte prefix: separators must compare deep into the key.
      const key = this.randomBytes(128 + this.prng.int(129));
      key.fill(0x42, 0, 100);
      return key;
    }
    const length = this.prng.bool(0.8) ? 1 + this.prng.int(16) : 1 + this.prng.int(256);
    return this.randomBytes(length);
  }

  /**
   * A value: empty, short, medium, about a page, or up to 3 pages (overflow); random,
   * compressible, or random with a compressible tail. Small sizes dominate while growing, so the
   * tree gets deep.
   */
  value(): Uint8Array {
    const { prng } = this;
    const page = this.plan.pageSize;
    const r = this.phase === 'grow' ? prng.next() * 0.8 : prng.next();
    let size: number;
    if (r < 0.08) size = 0;
    else if (r < 0.45) size = 1 + prng.int(63);
    else if (r < 0.7) size = 64 + prng.int(1000);
    else if (r < 0.9) size = 1000 + prng.int(page);
    else size = page + prng.int(2 * page);
    size = Math.min(size, this.maxValueBytes);
    const c = prng.next();
    if (c < 0.4) return this.randomBytes(size);
    if (c < 0.7) return this.pattern(size);
    const out = this.randomBytes(size);
    out.fill(c < 0.85 ? 0 : 0x61, Math.floor(size * prng.next()));
    return out;
  }

  /** Repeats a short random motif: compresses well. */
  private pattern(size: number): Uint8Array {
    const motif = this.randomBytes(1 + this.prng.int(24));
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i += motif.length) out.set(motif.subarray(0, size - i), i);
    return out;
  }

  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const x = Math.floor(this.prng.next() * 4294967296);
      out[i] = x;
      out[i + 1] = x >>> 8;
      out[i + 2] = x >>> 16;
      out[i + 3] = x >>> 24;
    }
    return out;
  }

  rangeOptions(model: Model): RangeOptions {
    const { prng } = this;
    const opts: RangeOptions = {};
    if (prng.bool(0.6)) opts.start = this.key(model);
    if (prng.bool(0.6)) opts.end = this.key(model);
    if (prng.bool(0.5)) opts.reverse = true;
    if (prng.bool(0.7)) opts.limit = prng.int(25);
    return opts;
  }
}

/** Thrown on purpose in the middle of a transaction. */
class Abort extends Error {}

/** Short description of the last operations, for failure messages. */
class Trace {
  private readonly lines: string[] = [];
  constructor(readonly seed: number) {}

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 30) this.lines.shift();
  }

  toString(): string {
    return `seed ${this.seed} (replay: HEXXLA_SEED=${baseSeed}); last operations:\n  ` +
      this.lines.join('\n  ');
  }
}

function expectRange(tx: ReadTx, model: Model, opts: RangeOptions, trace: Trace): void {
  const got = [...tx.range(opts)];
  const want = model.range(opts);
  const show = (o: RangeOptions): string => JSON.stringify({ ...o,
    start: o.start && hex(o.start), end: o.end && hex(o.end) });
  expect(got.map(([k]) => keyId(k)), `range ${show(opts)}\n${trace}`).toEqual(want);
  for (const [k, v] of got) {
    const expected = model.map.get(keyId(k))!;
    if (Buffer.compare(v, expected) !== 0) {
      expect(hex(v), `range value of ${hex(k)}\n${trace}`).toBe(hex(expected));
    }
  }
}

function expectGet(tx: ReadTx, model: Model, key: Uint8Array, trace: Trace): void {
  const got = tx.get(key);
  const want = model.map.get(keyId(key));
  if (got === undefined || want === undefined || Buffer.compare(got, want) !== 0) {
    expect(got && hex(got), `get ${hex(key)}\n${trace}`).toBe(want && hex(want));
    expect(got?.length).toBe(want?.length);
  }
  expect(tx.has(key)).toBe(want !== undefined);
}

/** Chance of put and of delete in each phase; the rest are reads. */
const phaseMix = { grow: [0.75, 0.8], churn: [0.5, 0.72], shrink: [0.1, 0.75] } as const;

/** One random operation inside an update, mirrored on the model. */
function randomOp(tx: WriteTx, model: Model, w: Workload, trace: Trace): void {
  const r = w.prng.next();
  const [putMax, deleteMax] = phaseMix[w.phase];
  if (r < putMax) {
    const key = w.key(model, 0.15);
    const value = w.value();
    trace.add(`put ${hex(key)} (${value.length} bytes)`);
    tx.put(key, value);
    model.put(keyId(key), value);
  } else if (r < deleteMax) {
    const key = w.key(model, w.phase === 'shrink' ? 0.9 : 0.4);
    trace.add(`delete ${hex(key)}`);
    expect(tx.delete(key), `delete ${hex(key)}\n${trace}`).toBe(model.delete(keyId(key)));
  } else if (r < deleteMax + (1 - deleteMax) * 0.6) {
    const key = w.key(model, 0.5);
    trace.add(`get ${hex(key)}`);
    expectGet(tx, model, key, trace);
  } else if (r < deleteMax + (1 - deleteMax) * 0.88) {
    const opts = w.rangeOptions(model);
    trace.add('range in update');
    expectRange(tx, model, opts, trace);
  } else {
    mutateWhileScanning(tx, model, w, trace);
  }
}

/**
 * The key a live scan must return next: the first model key after `last` (before it in reverse)
 * within [lo, hi), or undefined.
 */
function nextAfter(model: Model, last: string | null, opts: RangeOptions): string | undefined {
  const ids = model.keys();
  const lo = opts.start === undefined ? '' : keyId(opts.start);
  const hi = opts.end === undefined ? null : keyId(opts.end);
  if (opts.reverse === true) {
    const bound = last ?? hi;
    const id = ids[(bound === null ? ids.length : lowerBound(ids, bound)) - 1];
    return id !== undefined && id >= lo ? id : undefined;
  }
  let i = lowerBound(ids, last ?? lo);
  if (last !== null && ids[i] === last) i++;
  const id = ids[i];
  return id !== undefined && (hi === null || id < hi) ? id : undefined;
}

/**
 * Scans a range while writing: deletes the entry just returned (mostly, when shrinking), puts
 * random keys (ahead of or behind the cursor) and deletes random ones. Every returned entry must be
 * the model's next key after the previous one as the data stands at that moment.
 */
function mutateWhileScanning(tx: WriteTx, model: Model, w: Workload, trace: Trace): void {
  const shrink = w.phase === 'shrink';
  const opts = { ...w.rangeOptions(model), limit: 1 + w.prng.int(shrink ? 200 : 40) };
  trace.add(`scan with writes (reverse ${opts.reverse === true}, limit ${opts.limit})`);
  let last: string | null = null;
  let n = 0;
  for (const [k, v] of tx.range(opts)) {
    const id = keyId(k);
    const want = nextAfter(model, last, opts);
    if (id !== want) {
      const full = (u: Uint8Array): string => Buffer.from(u).toString('hex');
      expect(full(k), `scan step ${n}\n${trace}`).toBe(want && full(keyOf(want)));
    }
    expect(Buffer.compare(v, model.map.get(id)!), `scan value ${hex(k)}\n${trace}`).toBe(0);
    last = id;
    n++;
    const r = w.prng.next();
    if (r < (shrink ? 0.8 : 0.35)) {
      trace.add(`  delete current ${hex(k)}`);
      expect(tx.delete(k)).toBe(true);
      model.delete(id);
    } else if (r < 0.9) {
      const key = w.key(model, 0);
      const value = w.value();
      trace.add(`  put ${hex(key)} (${value.length} bytes)`);
      tx.put(key, value);
      model.put(keyId(key), value);
    } else {
      const key = w.key(model, 0.9);
      trace.add(`  delete ${hex(key)}`);
      expect(tx.delete(key)).toBe(model.delete(keyId(key)));
    }
  }
  if (n < opts.limit) {
    expect(nextAfter(model, last, opts), `scan ended early\n${trace}`).toBeUndefined();
  }
}

/**
 * Runs one update of random operations; maybe throws midway (then nothing must remain). Pushes
 * `index` to `order` when its callback runs. Resolves true when the transaction was aborted.
 */
async function runUpdate(db: Database, model: Model, w: Workload, trace: Trace,
  { index, order }: { index: number; order: number[] }): Promise<boolean> {
  const ops = 1 + w.prng.int(w.plan.opsPerTxMax);
  const abortAt = w.prng.bool(0.08) ? w.prng.int(ops) : -1;
  const body = (tx: WriteTx): void => {
    order.push(index);
    model.begin();
    try {
      for (let i = 0; i < ops; i++) {
        if (i === abortAt) throw new Abort(`abort at op ${i}`);
        randomOp(tx, model, w, trace);
      }
    } catch (err) {
      model.rollback();
      throw err;
    }
    model.commit();
  };
  try {
    await db.update(body);
    return false;
  } catch (err) {
    if (!(err instanceof Abort)) throw err;
    trace.add('(transaction aborted and rolled back)');
    return true;
  }
}

/** One batch: a single update, or several issued together (they share fsyncs). */
async function runBatch(db: Database, model: Model, w: Workload, trace: Trace): Promise<void> {
  const seqBefore = db.commitSeq();
  const order: number[] = [];
  if (!w.prng.bool(0.2)) {
    const aborted = await runUpdate(db, model, w, trace, { index: 0, order });
    if (aborted) expect(db.commitSeq(), `aborted tx committed\n${trace}`).toBe(seqBefore);
    return;
  }
  const n = 2 + w.prng.int(4);
  trace.add(`${n} concurrent updates`);
  const aborted = await Promise.all(Array.from({ length: n },
    (_, index) => runUpdate(db, model, w, trace, { index, order })));
  expect(order, `callbacks ran out of call order\n${trace}`).toEqual([...order].sort());
  expect(order.length).toBe(n);
  const landed = BigInt(aborted.filter((a) => !a).length);
  expect(db.commitSeq() - seqBefore).toBeLessThanOrEqual(landed);
}

function verifySample(db: Database, model: Model, w: Workload, trace: Trace): void {
  db.view((tx) => {
    for (let i = 0; i < 8; i++) expectGet(tx, model, w.key(model), trace);
    if (w.prng.bool(0.5)) expectRange(tx, model, w.rangeOptions(model), trace);
  });
}

function verifyAll(db: Database, model: Model, trace: Trace, verifyValues = false): void {
  db.view((tx) => {
    expectRange(tx, model, {}, trace);
    expectRange(tx, model, { reverse: true }, trace);
  });
  const report = db.check({ verifyValues });
  expect(report.errors, `check\n${trace}`).toEqual([]);
  expect(report.stats.entries).toBe(model.map.size);
}

/** Reopens by close + open or by recovering a lossless copy; random cache and log knobs. */
async function reopen(tmp: TmpDb, w: Workload, trace: Trace, n: number): Promise<Database> {
  if (n % 2 === 1) {
    trace.add('snapshot reopen (recovery from the log)');
    return tmp.snapshotReopen();
  }
  const cacheBytes = w.prng.bool(0.5) ? 0 : 8 * 1024 * 1024;
  const walCheckpointBytes = w.prng.bool(0.5) ? 64 * 1024 : 16 * 1024 * 1024;
  trace.add(`reopen cacheBytes=${cacheBytes} walCheckpointBytes=${walCheckpointBytes}`);
  return tmp.reopen({ cacheBytes, walCheckpointBytes });
}

/** Cycles of grow (40 %), churn (30 %), shrink (30 %); odd cycles use long keys. */
function phaseOf(plan: RunPlan, batch: number): { phase: Workload['phase']; longKeys: boolean } {
  const cycle = plan.batches / plan.cycles;
  const at = (batch % cycle) / cycle;
  return {
    phase: at < 0.4 ? 'grow' : at < 0.7 ? 'churn' : 'shrink',
    longKeys: Math.floor(batch / cycle) % 2 === 1,
  };
}

async function simulate(plan: RunPlan): Promise<void> {
  const seed = (baseSeed ^ Math.imul(plan.pageSize + (plan.backend === 'disk' ? 1 : 0),
    0x9e3779b1)) >>> 0;
  console.log(`model test pageSize=${plan.pageSize} backend=${plan.backend}: seed ${seed} ` +
    `(replay the file with HEXXLA_SEED=${baseSeed})`);
  const prng = new Prng(seed);
  const trace = new Trace(seed);
  const w = new Workload(prng, plan);
  const tmp = await dbs.open({ backend: plan.backend, pageSize: plan.pageSize,
    maxValueBytes: w.maxValueBytes, walCheckpointBytes: 64 * 1024 });
  let db = tmp.db;
  const model = new Model();
  let reopens = 0;
  for (let batch = 0; batch < plan.batches; batch++) {
    ({ phase: w.phase, longKeys: w.longKeys } = phaseOf(plan, batch));
    trace.add(`-- batch ${batch} (${w.phase})`);
    await runBatch(db, model, w, trace);
    const report = db.check();
    expect(report.errors, `check after batch ${batch}\n${trace}`).toEqual([]);
    if (debug && phaseOf(plan, batch + 1).phase !== w.phase) {
      console.log(w.phase, batch, JSON.stringify(report.stats));
    }
    verifySample(db, model, w, trace);
    if ((batch + 1) % plan.reopenEvery === 0) {
      db = await reopen(tmp, w, trace, reopens++);
      verifyAll(db, model, trace);
    }
  }
  verifyAll(db, model, trace, true);
  expect(db.pageSize()).toBe(plan.pageSize);
}

describe('model-based simulation of the raw key-value store', () => {
  const plans: RunPlan[] = [
    { pageSize: 4096, backend: 'memory', batches: 660, cycles: 3, opsPerTxMax: 50,
      reopenEvery: 50 },
    { pageSize: 8192, backend: 'memory', batches: 440, cycles: 2, opsPerTxMax: 50,
      reopenEvery: 45 },
    { pageSize: 16_384, backend: 'memory', batches: 320, cycles: 2, opsPerTxMax: 50,
      reopenEvery: 40 },
    { pageSize: 65_536, backend: 'memory', batches: 240, cycles: 2, opsPerTxMax: 40,
      reopenEvery: 30 },
    { pageSize: 4096, backend: 'disk', batches: 200, cycles: 2, opsPerTxMax: 30,
      reopenEvery: 40 },
  ];
  for (const base of plans) {
    const plan = { ...base, batches: Math.round(base.batches * scale),
      cycles: Math.max(1, Math.round(base.cycles * scale)) };
    it(`matches a Map model (pageSize ${plan.pageSize}, ${plan.backend})`, async () => {
      await simulate(plan);
    });
  }

  it('reuses a freelist spanning several trunk pages without growing the file', async () => {
    const plan: RunPlan = { pageSize: 4096, backend: 'memory', batches: 0, cycles: 1,
      opsPerTxMax: 0, reopenEvery: 0 };
    const seed = (baseSeed ^ 0x5bd1e995) >>> 0;
    console.log(`model test freelist: seed ${seed} (replay the file with HEXXLA_SEED=${baseSeed})`);
    const w = new Workload(new Prng(seed), plan);
    const trace = new Trace(seed);
    const tmp = await dbs.open({ pageSize: 4096, maxValueBytes: w.maxValueBytes });
    const model = new Model();
    const putMany = (db: Database, from: number, to: number): Promise<void> => db.update((tx) => {
      for (let i = from; i < to; i++) {
        const key = Uint8Array.of(i >> 8, i & 255);
        const value = w.randomBytes(2 * 4080 + 1 + w.prng.int(4080)); // 3 overflow pages
        tx.put(key, value);
        model.put(keyId(key), value);
      }
    });
    await putMany(tmp.db, 0, 800);
    await tmp.db.update((tx) => {
      for (const id of [...model.keys()]) {
        tx.delete(keyOf(id));
        model.delete(id);
      }
    });
    let report = tmp.db.check();
    expect(report.errors).toEqual([]);
    expect(report.stats.freelistTrunkPages).toBeGreaterThanOrEqual(3);
    expect(report.stats.freePages).toBeGreaterThanOrEqual(2400);
    // Trunk pages extend the file; after that, reuse must not grow it.
    const pagesAfterDelete = report.stats.pages;
    let db = await tmp.snapshotReopen();
    for (let round = 0; round < 4; round++) {
      await putMany(db, round * 150, (round + 1) * 150);
      await db.update((tx) => {
        for (let i = round * 150; i < (round + 1) * 150; i += 3) {
          tx.delete(Uint8Array.of(i >> 8, i & 255));
          model.delete(keyId(Uint8Array.of(i >> 8, i & 255)));
        }
      });
      report = db.check();
      expect(report.errors).toEqual([]);
      expect(report.stats.pages).toBe(pagesAfterDelete);
      db = await tmp.reopen();
      verifyAll(db, model, trace);
    }
    verifyAll(db, model, trace, true);
  });
});

describe('edge workloads against the model', () => {
  /** Keys of 256 bytes that differ only in their last two bytes: long, deep separators. */
  const longKey = (i: number): Uint8Array => {
    const key = new Uint8Array(256).fill(0x55);
    key[254] = i >> 8;
    key[255] = i & 255;
    return key;
  };
  const orders: Record<string, (n: number) => number[]> = {
    ascending: (n) => Array.from({ length: n }, (_, i) => i),
    descending: (n) => Array.from({ length: n }, (_, i) => n - 1 - i),
    'middle out': (n) => Array.from({ length: n }, (_, i) =>
      (i % 2 === 0 ? n / 2 + i / 2 : n / 2 - (i + 1) / 2)),
  };

  for (const pageSize of [4096, 65_536]) {
    it.each(Object.keys(orders))(`inserts and deletes maximal entries in %s order (${pageSize})`,
      async (orderName) => {
        const order = orders[orderName]!;
        const tmp = await dbs.open({ pageSize, maxValueBytes: 65_536 });
        const w = new Workload(new Prng(pageSize), { pageSize, backend: 'memory', batches: 0,
          cycles: 1, opsPerTxMax: 0, reopenEvery: 0 });
        const trace = new Trace(pageSize);
        const inlineMax = tmp.db.storage.inlineMax;
        const model = new Model();
        const n = pageSize === 4096 ? 240 : 120;
        const ids = order(n);
        for (let from = 0; from < n; from += 12) {
          await tmp.db.update((tx) => {
            for (const i of ids.slice(from, from + 12)) {
              // Maximal inline values, with a tiny one now and then to skew the split points.
              const value = w.randomBytes(i % 5 === 0 ? 1 : inlineMax);
              tx.put(longKey(i), value);
              model.put(keyId(longKey(i)), value);
            }
          });
          expect(tmp.db.check().errors).toEqual([]);
        }
        verifyAll(tmp.db, model, trace);
        // Fanout with 263-byte branch entries: 15 at 4 KiB (depth 3), 249 at 64 KiB (depth 2).
        expect(tmp.db.check().stats.treeDepth).toBeGreaterThanOrEqual(pageSize === 4096 ? 3 : 2);
        const deletes = [...order(n)].reverse();
        for (let from = 0; from < n; from += 12) {
          await tmp.db.update((tx) => {
            for (const i of deletes.slice(from, from + 12)) {
              expect(tx.delete(longKey(i))).toBe(true);
              model.delete(keyId(longKey(i)));
            }
          });
          expect(tmp.db.check().errors).toEqual([]);
        }
        verifyAll(await tmp.reopen(), model, trace, true);
        expect(tmp.db.check().stats).toMatchObject({ treeDepth: 0, entries: 0 });
      });
  }
});
