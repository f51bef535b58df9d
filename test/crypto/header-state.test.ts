/**
 * Goal (docs/format.md "Page versions", header MAC): an encrypted database does not return data
 * from an older state when only the clear header was edited.
 *
 * The page-version map authenticates every page from the header's commit seq down, but a freed
 * page keeps its last image and the map keeps naming that image's version (freeing does not
 * rewrite a page). Without the header MAC, a header whose rootPage names the tree root of an
 * earlier commit opened every page of that old tree with a valid tag: reads returned 200+
 * deleted keys and only check() noticed. The header of a file with page versions carries an
 * HMAC, so the forged slot fails at open.
 *
 * Method: 400 keys (a branch root over leaves), checkpoint; delete all but one (the tree
 * collapses into one leaf, the old root and leaves are freed but keep their images); then
 * rewrite the newest header slot's rootPage with the old one and a valid CRC.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { crc32 } from 'node:zlib';
import { decodeHeaderSlot, headerSlotOffsets } from '../../src/storage/header.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { keyA } from './helpers.js';

const enc = new TextEncoder();
const path = '/d/forged.db';

function key(i: number): Uint8Array {
  return enc.encode(`key-${String(i).padStart(5, '0')}`);
}

/** The newest valid header slot of a primary image and its offset. */
function newestSlot(image: Uint8Array) {
  const slots = headerSlotOffsets.map((at) =>
    ({ at, h: decodeHeaderSlot(image.subarray(at, at + 256)) }));
  const valid = slots.filter((s) => s.h !== null);
  return valid.sort((a, b) => Number(b.h!.headerSeq - a.h!.headerSeq))[0]!;
}

describe('a forged clear header on an encrypted database', () => {
  it('an earlier tree root named by the header is refused', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    let db = await open(path, { fs, encryptionKey: keyA });
    await db.update((tx) => {
      for (let i = 0; i < 400; i++) tx.put(key(i), new Uint8Array(100).fill(i & 255));
    });
    await db.close();
    const oldRoot = newestSlot(fs.readFile(path)).h!.rootPage;
    db = await open(path, { fs, encryptionKey: keyA });
    await db.update((tx) => {
      for (let i = 1; i < 400; i++) tx.delete(key(i));
    });
    await db.close();
    const image = fs.readFile(path);
    const slot = newestSlot(image);
    expect(slot.h!.rootPage).not.toBe(oldRoot);
    const dv = new DataView(image.buffer, slot.at, 256);
    dv.setUint32(68, oldRoot, true); // rootPage
    dv.setUint32(252, crc32(image.subarray(slot.at, slot.at + 252)), true);
    expect(decodeHeaderSlot(image.subarray(slot.at, slot.at + 256))!.rootPage).toBe(oldRoot);
    fs.writeFile(path, image);
    let seen: number | string;
    try {
      db = await open(path, { fs, encryptionKey: keyA });
      seen = db.view((tx) => [...tx.range()].length);
      await db.close();
    } catch (err) {
      seen = String((err as { code?: unknown }).code);
    }
    // Without the header MAC: 200+ deleted keys came back without an error.
    expect(seen, `read ${seen}`).toBe('CorruptDatabase');
  });
});
