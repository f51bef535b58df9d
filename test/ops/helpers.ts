/**
 * Helpers of the operations tests (white-box: they drive the storage layer directly).
 *
 * Why white-box: the MVCC record API of Database (timeline, tags, cells) is being implemented in
 * parallel, so MVCC databases are built here at the store level, writing versions through the
 * same RecordWriter the engine uses (`logical ‖ inverted seq` keys, empty value = tombstone) and
 * timeline entries with the engine's key layout. Reads "as of seq" use RecordReader, the code
 * Database.viewAt runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { encodeCell } from '../../src/engine/codec.js';
import { cellKey, familyPrefix, timelineKey } from '../../src/engine/keys.js';
import { RecordReader, RecordWriter } from '../../src/mvcc/records.js';
import { checkStore } from '../../src/storage/check.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import type { CommandIo } from '../../src/ops/command-io.js';
import type { StoreOptions } from '../../src/storage/store-options.js';
import type { CopySource } from '../../src/ops/compact.js';

/** Deterministic bytes: `n` bytes seeded by `seed` (compressible when `text`). */
export { seededBytes as bytesOf } from '../fault/prng.js';

/** A fresh real directory under the OS temp dir; removed by `cleanup`. */
export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hexxla-ops-${tag}-`));
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * Registers an afterEach that removes every directory the returned factory made during the
 * test; the factory is `tempDir` with that bookkeeping.
 */
export function useTempDirs(): (tag: string) => string {
  const dirs: string[] = [];
  afterEach(() => cleanup(...dirs.splice(0)));
  return (tag) => {
    const d = tempDir(tag);
    dirs.push(d);
    return d;
  };
}

/** A store plus the CopySource view compaction takes (with a pin registry like Database's). */
export interface MvccHandle {
  store: Store;
  source: CopySource;
  pins: Set<bigint>;
}

export async function openMvccStore(file: string, options: StoreOptions = {}): Promise<MvccHandle> {
  const store = await openStore(file, { mvcc: true, ...options });
  const pins = new Set<bigint>();
  const source: CopySource = {
    storage: store,
    pinSeq: (seq) => {
      pins.add(seq);
      return () => pins.delete(seq);
    },
  };
  return { store, source, pins };
}

/** Cell logical key number `i` (coordinates along a line). */
export function cellLogical(i: number): Uint8Array {
  return cellKey({ q: i, r: -i });
}

/**
 * The encoded cell number `i` whose content is `content` (as text, so the health check decodes
 * it): no tags, source or validity, so it needs no index entries.
 */
export function cellValue(i: number, content: Uint8Array): Uint8Array {
  return encodeCell({
    coord: { q: i, r: -i }, rawContent: Buffer.from(content).toString('base64'), tags: [],
    provenance: { sourceId: '', confidence: 1, createdAtMs: 1, updatedAtMs: 1 },
    validity: {}, activeFacetId: 0,
  });
}

/**
 * One MVCC commit: puts (a cell whose content derives from value) or deletes (null) cell
 * versions, a timeline entry, and raw keys.
 * Returns the commit's seq.
 */
export async function mvccCommit(store: Store, cells: ReadonlyMap<number, Uint8Array | null>,
  raw: ReadonlyMap<string, Uint8Array> = new Map()): Promise<bigint> {
  return store.update((tx) => {
    const w = new RecordWriter(tx, true);
    for (const [i, value] of cells) {
      if (value === null) w.delete(cellLogical(i));
      else w.put(cellLogical(i), cellValue(i, value));
    }
    for (const [k, v] of raw) tx.put(Uint8Array.of(0, ...Buffer.from(k)), v);
    tx.put(timelineKey(1_700_000_000_000 + Number(w.writeSeq), w.writeSeq), Uint8Array.of(1));
    return w.writeSeq;
  });
}

/** Every live cell at `seq`, as hex key → hex value (what viewAt(seq) would list). */
export function cellsAt(store: Store, seq: bigint): Map<string, string> {
  return store.view((tx) => {
    const out = new Map<string, string>();
    for (const [k, v] of new RecordReader(tx, true, seq).scan(familyPrefix('cell'))) {
      out.set(Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex'));
    }
    return out;
  });
}

/** Every tree entry as [hex key, hex value], optionally filtered. */
export function treeEntries(store: Store,
  keep: (key: Uint8Array) => boolean = () => true): [string, string][] {
  return store.view((tx) => {
    const out: [string, string][] = [];
    for (const [k, v] of tx.range()) {
      if (keep(k)) out.push([Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]);
    }
    return out;
  });
}

/** Structural check with values inflated; returns the error lines (empty when fine). */
export function checkErrors(store: Store): string[] {
  return checkStore(store, { verifyValues: true }).errors;
}

export function fileBytes(file: string): number {
  return fs.statSync(file).size;
}

/** A CommandIo that captures what a command prints (`out`, `err`); `isTty` as given. */
export function captured(isTty = false): CommandIo & { out: string; err: string } {
  const io = {
    out: '', err: '', isTty,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  };
  return io;
}
