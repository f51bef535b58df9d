/**
 * Goal: a packed leaf changed in place (LeafNode.putPacked, the write path of every committed
 * leaf) encodes to exactly the bytes the array form gives for the same entries, leaves the page it
 * was cloned from untouched, and refuses (changing nothing) an entry that does not fit.
 * Method: seeded random puts (inserts at the start, middle and end, replacements growing and
 * shrinking, inline, deflated and overflow value kinds) applied to a packed clone and to sorted
 * key/value arrays; after each put both are encoded with encodePage and compared byte for byte,
 * and the packed node is decoded again and compared entry by entry. splitPacked at every cut of
 * such pages yields the two halves of the entries, each encoding like its array form.
 * valueOffset (the point read's search over a per-leaf index of key words) finds every entry of
 * leaves whose keys share long prefixes, tie on the indexed bytes or are prefixes of each other,
 * finds no absent key, and follows in-place changes made after its index was built.
 */
import { describe, expect, it } from 'vitest';
import {
  LeafNode, StoredValue, decodePage, encodePage, valueKindInline, valueKindInlineDeflate,
  valueKindOverflow, valueKindOverflowDeflate,
} from '../../src/storage/page.js';
import { Prng } from '../fault/prng.js';

const usable = 4096;

function encode(node: LeafNode): Uint8Array {
  const out = new Uint8Array(usable);
  encodePage(node, 7, out, new DataView(out.buffer), 0, usable);
  return out;
}

function randomValue(rng: Prng): StoredValue {
  const kind = rng.int(4);
  if (kind === valueKindOverflow || kind === valueKindOverflowDeflate) {
    const len = 700 + rng.int(5000);
    const rawLen = kind === valueKindOverflow ? len : len + rng.int(100);
    return new StoredValue(kind, new Uint8Array(0), rawLen, len, 1 + rng.int(1000));
  }
  const data = new Uint8Array(rng.int(120)).map(() => rng.int(256));
  const rawLen = kind === valueKindInline ? data.length : data.length + rng.int(300);
  return new StoredValue(kind === valueKindInline ? valueKindInline : valueKindInlineDeflate,
    data, rawLen, data.length, 0);
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

describe('LeafNode.putPacked', () => {
  it('gives the bytes of the array form and never changes the page it was cloned from', () => {
    const rng = new Prng(20261124);
    for (let round = 0; round < 12; round++) {
      const keys: Uint8Array[] = [];
      const vals: StoredValue[] = [];
      let packed = LeafNode.packed(new Uint8Array(usable), null, new Uint16Array(0), 16);
      for (let step = 0; step < 60; step++) {
        const reuse = keys.length > 0 && rng.int(3) === 0;
        const key = reuse ? keys[rng.int(keys.length)]!.slice()
          : new Uint8Array(1 + rng.int(24)).map(() => rng.int(4) * 60);
        const val = randomValue(rng);
        const before = encode(packed);
        const clone = packed.clone();
        const result = clone.putPacked(key, val, usable);
        expect(encode(packed)).toEqual(before);
        let i = keys.findIndex((k) => compareKeys(k, key) >= 0);
        if (i < 0) i = keys.length;
        const found = i < keys.length && compareKeys(keys[i]!, key) === 0;
        if (result === null) {
          expect(encode(clone)).toEqual(before);
          continue;
        }
        if (found) {
          expect(result?.kind).toBe(vals[i]!.kind);
          expect(result?.storedLen).toBe(vals[i]!.storedLen);
          vals[i] = val;
        } else {
          expect(result).toBeUndefined();
          keys.splice(i, 0, key);
          vals.splice(i, 0, val);
        }
        const arrays = new LeafNode(keys.slice(), vals.slice(), clone.bytes);
        const image = encode(clone);
        expect(image).toEqual(encode(arrays));
        const decoded = decodePage(image, 7, usable, 'test') as LeafNode;
        expect(decoded.keys).toEqual(keys);
        expect(decoded.vals.map((v) => [v.kind, v.storedLen, v.rawLen, v.firstPage]))
          .toEqual(vals.map((v) => [v.kind, v.storedLen, v.rawLen, v.firstPage]));
        packed = clone;
      }
    }
  });

  it('splits into the two halves of the entries at any cut', () => {
    const rng = new Prng(7);
    const keys: Uint8Array[] = [];
    const vals: StoredValue[] = [];
    let packed = LeafNode.packed(new Uint8Array(usable), null, new Uint16Array(0), 16);
    for (let k = 0; k < 24; k++) {
      const key = Uint8Array.of(k * 3, rng.int(256));
      const val = randomValue(rng);
      const next = packed.clone();
      if (next.putPacked(key, val, usable) === null) break;
      keys.push(key);
      vals.push(val);
      packed = next;
    }
    for (let cut = 0; cut <= keys.length; cut++) {
      const left = packed.clone();
      const right = left.splitPacked(cut);
      expect(encode(left)).toEqual(encode(new LeafNode(keys.slice(0, cut), vals.slice(0, cut),
        left.bytes)));
      expect(encode(right)).toEqual(encode(new LeafNode(keys.slice(cut), vals.slice(cut),
        right.bytes)));
      if (cut < keys.length) expect(right.packedKey(0)).toEqual(keys[cut]);
    }
  });
});

describe('LeafNode.valueOffset', () => {
  function randomKey(rng: Prng, prefix: Uint8Array): Uint8Array {
    const tail = new Uint8Array(rng.int(9)).map(() => [0, 1, 128, 255][rng.int(4)]!);
    const key = new Uint8Array(rng.int(prefix.length + 1) + tail.length);
    key.set(prefix.subarray(0, key.length - tail.length));
    key.set(tail, key.length - tail.length);
    return key.length === 0 ? Uint8Array.of(0) : key;
  }

  it('finds every entry and nothing else, before and after in-place puts', () => {
    const rng = new Prng(424242);
    for (let round = 0; round < 40; round++) {
      const prefix = new Uint8Array(rng.int(12)).map(() => rng.int(256));
      const keys: Uint8Array[] = [];
      let node = LeafNode.packed(new Uint8Array(usable), null, new Uint16Array(0), 16);
      for (let step = 0; step < 80; step++) {
        const key = randomKey(rng, prefix);
        const val = new StoredValue(valueKindInline, Uint8Array.of(step), 1, 1, 0);
        // Every other put goes to a node whose index was built: it must see the change.
        const next = rng.int(2) === 0 ? node.clone() : node;
        if (next.putPacked(key, val, usable) === null) break;
        if (!keys.some((k) => compareKeys(k, key) === 0)) keys.push(key);
        keys.sort(compareKeys);
        node = next;
        for (let i = 0; i < keys.length; i++) {
          expect(node.valueOffset(keys[i]!)).toBe(node.valueOffsetAt(i));
        }
        const probe = randomKey(rng, prefix);
        const at = keys.findIndex((k) => compareKeys(k, probe) === 0);
        expect(node.valueOffset(probe)).toBe(at < 0 ? -1 : node.valueOffsetAt(at));
      }
    }
  });
});
