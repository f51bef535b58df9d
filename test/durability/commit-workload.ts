/**
 * A deterministic commit workload whose partial application is detectable, shared by the
 * durability tests (test/durability) and the SIGKILL crash test (test/crash).
 *
 * Commit number k (1, 2, 3 …) is a pure function of (workload seed, k):
 * - `meta` := k (so a scan tells which commit was the last one applied);
 * - `c/<k>/<i>` for i < n_k: n_k fresh keys, each value carrying "k:i:n_k" and a payload of
 *   10 bytes … 7 KiB (incompressible or repetitive, so inline, deflated and overflow values all
 *   occur);
 * - overwrites of a few of 32 shared slots `s/<slot>` (value carries k);
 * - sometimes the deletion of every `c/` key of an earlier commit, and of a shared slot;
 * - with a `window` W > 0, also the deletion of every `c/` key of commit k − W, which bounds the
 *   live data of long runs (the crash test) to about W commits.
 * The state after exactly k commits is therefore computable (`CommitModel`), and a database whose
 * `meta` says k must equal it key for key: a commit applied in part, or an acknowledged commit
 * missing, shows up as a difference.
 *
 * Commits must be applied in number order; `CommitDriver` hands out numbers inside the
 * (synchronous) update callback, which runs in commit-seq order, and counts acknowledgements.
 */
import { Buffer } from 'node:buffer';
import type { Database, ReadTx, WriteTx } from '../../src/index.js';
import { Prng } from '../fault/prng.js';

/** One change of a commit. */
export type CommitOp =
  | { kind: 'put'; key: string; value: Uint8Array }
  | { kind: 'delete'; key: string };

export const metaKey = 'meta';
const slotCount = 32;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Seed of commit k of a workload: independent streams per commit. */
function commitRng(seed: number, k: number): Prng {
  return new Prng((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(k, 0x85ebca6b)) >>> 0);
}

function dataKey(k: number, i: number): string {
  return `c/${String(k).padStart(8, '0')}/${String(i).padStart(3, '0')}`;
}

function payloadBytes(rng: Prng): number {
  const r = rng.next();
  if (r < 0.55) return 10 + rng.int(190);
  if (r < 0.85) return 300 + rng.int(1200);
  return 2000 + rng.int(5000);
}

function payload(rng: Prng, length: number): Uint8Array {
  if (rng.bool(0.7)) return rng.bytes(length);
  const unit = rng.bytes(1 + rng.int(8));
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = unit[i % unit.length] ?? 0;
  return out;
}

function tagged(tag: string, body: Uint8Array): Uint8Array {
  const head = enc.encode(`${tag}|`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Number of fresh keys of commit k (deterministic). */
function freshCount(seed: number, k: number): number {
  const rng = commitRng(seed, k);
  return rng.bool(0.15) ? 12 + rng.int(20) : 1 + rng.int(6);
}

/** The keys commit k creates (used when a later commit deletes them). */
function freshKeys(seed: number, k: number): string[] {
  const n = freshCount(seed, k);
  return Array.from({ length: n }, (_, i) => dataKey(k, i));
}

/** The changes of commit k of the workload (`seed`, `window`), in order. */
export function commitOps(seed: number, k: number, window = 0): CommitOp[] {
  const n = freshCount(seed, k);
  const rng = commitRng(seed, k + 0x10000);
  const ops: CommitOp[] = [];
  for (let i = 0; i < n; i++) {
    ops.push({ kind: 'put', key: dataKey(k, i),
      value: tagged(`${k}:${i}:${n}`, payload(rng, payloadBytes(rng))) });
  }
  for (let j = rng.int(4); j > 0; j--) {
    ops.push({ kind: 'put', key: `s/${rng.int(slotCount)}`,
      value: tagged(`slot:${k}`, payload(rng, 8 + rng.int(600))) });
  }
  if (k > 3 && rng.bool(0.35)) {
    const victim = k - 1 - rng.int(Math.min(k - 1, 10));
    for (const key of freshKeys(seed, victim)) ops.push({ kind: 'delete', key });
  }
  if (rng.bool(0.2)) ops.push({ kind: 'delete', key: `s/${rng.int(slotCount)}` });
  if (window > 0 && k > window) {
    for (const key of freshKeys(seed, k - window)) ops.push({ kind: 'delete', key });
  }
  ops.push({ kind: 'put', key: metaKey, value: enc.encode(String(k)) });
  return ops;
}

/** Applies commit k inside an update callback. */
export function applyCommit(tx: WriteTx, seed: number, k: number, window = 0): void {
  for (const op of commitOps(seed, k, window)) {
    if (op.kind === 'put') tx.put(enc.encode(op.key), op.value);
    else tx.delete(enc.encode(op.key));
  }
}

/** Every key of the raw namespace with its value (string keys; values are copies). */
export function readState(tx: ReadTx): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [key, value] of tx.range()) out.set(dec.decode(key), value);
  return out;
}

/** The commit number stored in `meta` of a state (0 for an empty database). */
export function lastCommit(state: Map<string, Uint8Array>): number {
  return metaCommit(state.get(metaKey));
}

/** The commit number in the database's `meta` key, read without a full scan. */
export function readLastCommit(db: Database): number {
  return metaCommit(db.view((tx) => tx.get(enc.encode(metaKey))));
}

function metaCommit(meta: Uint8Array | undefined): number {
  if (meta === undefined) return 0;
  const k = Number(dec.decode(meta));
  if (!Number.isSafeInteger(k) || k < 1) throw new Error(`meta holds '${dec.decode(meta)}'`);
  return k;
}

/** The reference state after exactly k commits, advanced incrementally (k only grows). */
export class CommitModel {
  private readonly state = new Map<string, Uint8Array>();
  private k = 0;

  constructor(
    readonly seed: number,
    readonly window = 0,
  ) {}

  get commits(): number {
    return this.k;
  }

  /** Applies commits up to k (k must not be below the current count). */
  advanceTo(k: number): Map<string, Uint8Array> {
    if (k < this.k) throw new Error(`CommitModel: cannot go back from ${this.k} to ${k}`);
    while (this.k < k) {
      this.k++;
      for (const op of commitOps(this.seed, this.k, this.window)) {
        if (op.kind === 'put') this.state.set(op.key, op.value);
        else this.state.delete(op.key);
      }
    }
    return this.state;
  }
}

/** The model states after 0 … maxK commits (for tests that need any prefix). */
export function modelPrefixes(seed: number, maxK: number): Map<string, Uint8Array>[] {
  const model = new CommitModel(seed);
  const out: Map<string, Uint8Array>[] = [];
  for (let k = 0; k <= maxK; k++) out.push(new Map(model.advanceTo(k)));
  return out;
}

/**
 * Describes the first difference between an observed state and a model state, or returns null
 * when they are equal (same keys, same bytes).
 */
export function stateDiff(
  actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>,
): string | null {
  for (const [key, value] of expected) {
    const got = actual.get(key);
    if (got === undefined) return `missing key ${key}`;
    if (!Buffer.from(got).equals(value)) return `wrong value under ${key}`;
  }
  for (const key of actual.keys()) {
    if (!expected.has(key)) return `unexpected key ${key}`;
  }
  return null;
}

/**
 * Issues numbered commits on a database and counts acknowledgements. Numbers are taken inside
 * the update callback (callbacks run one at a time in commit order), so concurrent updates get
 * consecutive numbers in seq order. After a rejected commit call `resync()`: a write or fsync
 * failure rejects every queued commit, so the next number follows the last durable one.
 */
export class CommitDriver {
  /** Highest commit number whose update resolved. */
  acked: number;
  /** Highest number handed to a callback. */
  issued: number;

  constructor(
    readonly seed: number,
    start = 0,
    readonly window = 0,
  ) {
    this.acked = start;
    this.issued = start;
  }

  /** One durable commit; resolves with its number. */
  async commit(db: Database): Promise<number> {
    let k = 0;
    await db.update((tx) => {
      k = this.issued + 1;
      applyCommit(tx, this.seed, k, this.window);
      this.issued = k;
    });
    this.acked = Math.max(this.acked, k);
    return k;
  }

  /** `count` concurrent commits (they share fsyncs); resolves when all are durable. */
  async group(db: Database, count: number): Promise<number[]> {
    return Promise.all(Array.from({ length: count }, () => this.commit(db)));
  }

  /** After a failure: continue numbering after the last acknowledged commit. */
  resync(): void {
    this.issued = this.acked;
  }
}
