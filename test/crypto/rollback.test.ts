/**
 * Goal: in an encrypted database an old copy of a page, put back at its own place in the primary
 * under the same key, is detected (SPEC §4.4; src/storage/page-versions.ts), and files from
 * before the page-version map still work.
 *
 * Properties checked:
 * - every page a commit rewrote, rolled back alone to its image from before that commit, is
 *   detected when read (CorruptDatabase or a check error naming the tag): the data leaf, the
 *   page-version leaf and the map's root each;
 * - random workloads (puts, overwrites, deletes, big values in overflow chains, freelist reuse)
 *   over several checkpoints: any single page rolled back to any earlier image is either
 *   detected or, when the database never reads it (a free page), changes nothing: the newest
 *   data or an error, never old data;
 * - the map keeps its invariants across checkpoints and reopen (the structural check walks it);
 * - the header's commit state cannot be edited without the key: a changed root page, page
 *   count, freelist or commit seq with a fixed-up checksum fails the header MAC;
 * - a file from before the map (fixture, header without flag bit 2) opens, reads and writes;
 *   compacting it yields a file with the map.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { decodeHeaderSlot, headerFlagPageVersions } from '../../src/storage/header.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { mulberry32 } from '../fault/prng.js';
import { keyA, noise, primaryGeometry } from './helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function key(i: number): Uint8Array {
  return enc.encode(`key-${String(i).padStart(5, '0')}`);
}

function value(i: number, round: number, bytes = 120): Uint8Array {
  return noise(i * 7919 + round, bytes);
}

type Contents = Map<string, string>;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Everything the database returns, or the error that stopped it. */
async function readAll(fs: MemoryFileSystem, path: string): Promise<Contents | string> {
  let db: Database | null = null;
  try {
    db = await open(path, { fs, encryptionKey: keyA, create: false });
    const d = db;
    const out: Contents = new Map();
    d.view((tx) => {
      for (const [k, v] of tx.range()) out.set(dec.decode(k), hex(v));
    });
    const report = d.check({ verifyValues: true });
    return report.ok ? out : `check: ${report.errors[0] ?? ''}`;
  } catch (err) {
    return String((err as { code?: unknown }).code ?? err);
  } finally {
    await db?.close().catch(() => undefined);
  }
}

function detected(result: Contents | string): boolean {
  return result === 'CorruptDatabase' ||
    (typeof result === 'string' && result.includes('authentication tag'));
}

/** A copy of `image` with page `pageNo` taken from `old`. */
function withOldPage(image: Uint8Array, old: Uint8Array, pageNo: number): Uint8Array {
  const { pageSize } = primaryGeometry(image);
  const out = image.slice();
  out.set(old.subarray(pageNo * pageSize, (pageNo + 1) * pageSize), pageNo * pageSize);
  return out;
}

function changedPages(a: Uint8Array, b: Uint8Array): number[] {
  const { pageSize } = primaryGeometry(b);
  const pages: number[] = [];
  const n = Math.min(a.length, b.length) / pageSize;
  for (let p = 1; p < n; p++) {
    const x = a.subarray(p * pageSize, (p + 1) * pageSize);
    const y = b.subarray(p * pageSize, (p + 1) * pageSize);
    if (!x.every((byte, i) => byte === y[i])) pages.push(p);
  }
  return pages;
}

async function memoryDb(): Promise<{ fs: MemoryFileSystem; path: string; db: Database }> {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/d');
  const path = '/d/enc.db';
  return { fs, path, db: await open(path, { fs, encryptionKey: keyA }) };
}

/** Runs `rolled` on a scratch file system holding `primary` (and no log). */
async function readImage(primary: Uint8Array, path: string): Promise<Contents | string> {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/d');
  fs.writeFile(path, primary);
  return readAll(fs, path);
}

describe('an old copy of a page at its own place', () => {
  it('is detected for the leaf, the version leaf and the map root of a commit', async () => {
    const { fs, path, db } = await memoryDb();
    await db.update((tx) => {
      for (let i = 0; i < 400; i++) tx.put(key(i), value(i, 0));
    });
    await db.close();
    const before = fs.readFile(path);
    const db2 = await open(path, { fs, encryptionKey: keyA });
    await db2.update((tx) => tx.put(key(0), value(0, 1))); // same size: the leaf in place
    await db2.close();
    const after = fs.readFile(path);
    const newest = await readImage(after, path);
    expect(typeof newest).not.toBe('string');
    const changed = changedPages(before, after);
    // The key's leaf, the version leaf covering it, and page 1 (the map root); nothing freed.
    expect(changed).toContain(1);
    expect(changed.length).toBeGreaterThanOrEqual(3);
    for (const pageNo of changed) {
      const result = await readImage(withOldPage(after, before, pageNo), path);
      expect(detected(result), `page ${pageNo} rolled back: ${String(result)}`).toBe(true);
    }
  });

  it('is detected or harmless for any page and any earlier image (random workloads)', async () => {
    const seed = Number(process.env.HEXXLA_SEED ?? Date.now() % 1e9);
    console.info(`rollback test: seed ${seed} (replay with HEXXLA_SEED=${seed})`);
    const rnd = mulberry32(seed);
    const { fs, path, db } = await memoryDb();
    let live: Database = db;
    const images: Uint8Array[] = [];
    let round = 1;
    for (let cycle = 0; cycle < 6; cycle++) {
      for (let c = 0; c < 4; c++, round++) {
        await live.update((tx) => {
          for (let n = 0; n < 60; n++) {
            const i = Math.floor(rnd() * 300);
            if (rnd() < 0.2) tx.delete(key(i));
            else tx.put(key(i), value(i, round, rnd() < 0.1 ? 2000 + Math.floor(rnd() * 3000)
              : 60 + Math.floor(rnd() * 120)));
          }
        });
      }
      await live.close(); // checkpoint: the primary holds every commit
      images.push(fs.readFile(path));
      live = await open(path, { fs, encryptionKey: keyA });
    }
    await live.close();
    const newest = images[images.length - 1]!;
    const expected = await readImage(newest, path);
    expect(typeof expected).not.toBe('string');
    let detections = 0;
    for (let trial = 0; trial < 40; trial++) {
      const old = images[Math.floor(rnd() * (images.length - 1))]!;
      const changed = changedPages(old, newest);
      if (changed.length === 0) continue;
      const pageNo = changed[Math.floor(rnd() * changed.length)]!;
      const result = await readImage(withOldPage(newest, old, pageNo), path);
      if (detected(result)) detections++;
      else expect(result, `page ${pageNo} rolled back, seed ${seed}`).toEqual(expected);
    }
    expect(detections).toBeGreaterThan(10);
  });
});

describe('the header', () => {
  it('fails its MAC when a commit-state field is edited and the checksum fixed up', async () => {
    const { fs, path, db } = await memoryDb();
    await db.update((tx) => {
      for (let i = 0; i < 400; i++) tx.put(key(i), value(i, 0));
    });
    await db.close();
    const image = fs.readFile(path);
    const slots = [0, 2048].map((at) => decodeHeaderSlot(image.subarray(at, at + 256)));
    const newest = slots[0]!.headerSeq > (slots[1]?.headerSeq ?? -1n) ? 0 : 2048;
    expect(typeof await readImage(image, path)).not.toBe('string');
    // rootPage (68), pageCount (72), freelistCount (80), commitSeq (52)
    for (const offset of [68, 72, 80, 52]) {
      const edited = image.slice();
      const dv = new DataView(edited.buffer, newest, 256);
      dv.setUint32(offset, dv.getUint32(offset, true) - 1, true);
      dv.setUint32(252, crc32(edited.subarray(newest, newest + 252)), true);
      expect(decodeHeaderSlot(edited.subarray(newest, newest + 256))).not.toBeNull();
      const result = await readImage(edited, path);
      expect(result, `header offset ${offset}`).toBe('CorruptDatabase');
    }
  });
});

describe('files from before the page-version map', () => {
  const fixture = new URL('../fixtures/encrypted-unversioned/', import.meta.url);
  const fixtureKey = new Uint8Array(32).fill(0x5a);

  function fixtureFs(): MemoryFileSystem {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    fs.writeFile('/d/old.db', new Uint8Array(readFileSync(new URL('db', fixture))));
    fs.writeFile('/d/old.db-wal', new Uint8Array(readFileSync(new URL('db-wal', fixture))));
    return fs;
  }

  function flags(image: Uint8Array): number {
    return decodeHeaderSlot(image.subarray(0, 256))!.flags;
  }

  it('open, read, write and reopen; compaction adds the map', async () => {
    const fs = fixtureFs();
    expect(flags(fs.readFile('/d/old.db')) & headerFlagPageVersions).toBe(0);
    const db = await open('/d/old.db', { fs, encryptionKey: fixtureKey });
    db.view((tx) => {
      for (let i = 0; i < 100; i++) {
        const got = tx.get(enc.encode(`key-${i}`));
        expect(got === undefined ? undefined : dec.decode(got), `key-${i}`)
          .toBe(i % 3 === 0 ? undefined : `value-${i}-round-2`);
      }
    });
    await db.update((tx) => tx.put(enc.encode('new'), enc.encode('after the map')));
    await db.close();
    const again = await open('/d/old.db', { fs, encryptionKey: fixtureKey });
    expect(dec.decode(again.view((tx) => tx.get(enc.encode('new')))!)).toBe('after the map');
    expect(again.check({ verifyValues: true }).errors).toEqual([]);
    await again.compact('/d/new.db', { fs });
    await again.close();
    expect(flags(fs.readFile('/d/new.db')) & headerFlagPageVersions).not.toBe(0);
    const compacted = await open('/d/new.db', { fs, encryptionKey: fixtureKey });
    expect(dec.decode(compacted.view((tx) => tx.get(enc.encode('key-1')))!))
      .toBe('value-1-round-2');
    await compacted.update((tx) => tx.put(enc.encode('key-1'), enc.encode('x')));
    expect(compacted.check().errors).toEqual([]);
    await compacted.close();
  });
});
