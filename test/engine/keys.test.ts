/**
 * Goal: the tree-key families of src/engine/keys.ts have the documented layouts
 * (docs/records.md), round-trip, sort as documented, are prefix-free, and support MVCC
 * "newest version ≤ S" with one seek.
 * Method: white-box (the engine does not use these modules yet, so there is no public surface to
 * go through). Every family is described once by a spec: an arbitrary of its parts, its encoder
 * and decoder, and an order model (coordinates as packed bytes, strings as (byte length, bytes),
 * numbers as numbers). fast-check drives round trips, order and prefix properties from each
 * spec, with a tiny-domain arbitrary so that equal parts and prefix-related strings ('a', 'ab')
 * meet often; a few keys are checked byte for byte against the worked examples of the docs.
 * MVCC is checked against a model: a sorted array of versioned keys searched by lower bound.
 * Properties:
 * - decode(encode(parts)) = parts for every family; encode(decode(k)) = k for every key a decoder
 *   accepts (mutated keys included), and malformed keys throw CorruptDatabase only;
 * - byte order of keys of one family = order of the model tuples;
 * - no logical key is a strict prefix of another of its family;
 * - every key lies in [prefix, prefixEnd(prefix)) exactly when it shares the prefix's parts, and
 *   prefixEnd is the smallest key above every key with that prefix;
 * - versions of one logical key sort newest first; seekGE(withSeq(L, S)) lands on L's newest
 *   version ≤ S, or on a key of another logical key when L has none; splitSeq inverts withSeq;
 * - keys at their longest fit the tree with the seq suffix, and invalid input throws
 *   InvalidArgument / InvalidCoordinate (AssertionError for an unversioned key given to withSeq).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/assert.js';
import { coord, packCoord, type Coord } from '../../src/coord/index.js';
import {
  canonicalCellPair,
  cellKey,
  decodeCellKey,
  decodeEdgeKey,
  decodeEmbeddingKey,
  decodeFacetKey,
  decodeMetaKey,
  decodeSeamByCellKey,
  decodeSeamByCellsKey,
  decodeSeamKey,
  decodeSeamSourceKey,
  decodeSeamTimeKey,
  decodeSnapshotTagKey,
  decodeSourceIndexKey,
  decodeTagIndexKey,
  decodeTimeIndexKey,
  decodeTimelineKey,
  edgeKey,
  edgePrefix,
  embeddingKey,
  facetKey,
  facetPrefix,
  familyPrefix,
  isVersionedFamily,
  keyFamilies,
  logicalKeyBytesMax,
  metaKey,
  prefixEnd,
  seamByCellKey,
  seamByCellPrefix,
  seamByCellsKey,
  seamByCellsPrefix,
  seamKey,
  seamSourceKey,
  seamSourcePrefix,
  seamTimeKey,
  seamTimePrefix,
  seqMax,
  seqSuffixBytes,
  snapshotTagKey,
  sourceIndexKey,
  sourceIndexPrefix,
  splitSeq,
  tagIndexKey,
  tagIndexPrefix,
  timeIndexKey,
  timeIndexPrefix,
  timelineKey,
  timelinePrefix,
  withSeq,
  type KeyFamily,
} from '../../src/engine/keys.js';
import { type FacetId } from '../../src/engine/records.js';
import { weekBucketMax, weekBucketMin } from '../../src/engine/week-bucket.js';
import { treeKeyBytesMax } from '../../src/limits.js';
import { boundedCoordArb } from '../coord/helpers.js';
import {
  compareBytes,
  coordArb,
  expectErrorCode,
  hex,
  keyStringArb,
  seqArb,
  startsWith,
  thrownCode,
  ulidArb,
  utf8,
} from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Family specs

type ModelPart = number | bigint | Uint8Array;

interface FamilySpec<T> {
  readonly name: KeyFamily;
  readonly arb: fc.Arbitrary<T>;
  /** Few distinct values, so that equal parts and prefix-related strings meet often. */
  readonly smallArb: fc.Arbitrary<T>;
  readonly encode: (value: T) => Uint8Array;
  readonly decode: (key: Uint8Array) => T;
  readonly model: (value: T) => ModelPart[];
  /** Scan prefixes: the prefix of a value, and whether another value falls under it. */
  readonly prefixes: readonly { of: (v: T) => Uint8Array; covers: (p: T, v: T) => boolean }[];
}

type AnySpec = FamilySpec<unknown>;
const defineFamily = <T>(spec: FamilySpec<T>): AnySpec => spec as unknown as AnySpec;

const str = (s: string): ModelPart[] => [utf8(s).length, utf8(s)];
const coordsEqual = (a: Coord, b: Coord): boolean => a.q === b.q && a.r === b.r;
const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => compareBytes(a, b) === 0;

const tagArb = keyStringArb(128);
const smallString = fc.constantFrom('a', 'ab', 'abc', 'b', 'é');
const smallCoord = boundedCoordArb(1);
const smallUlid = fc.constantFrom(new Uint8Array(16), new Uint8Array(16).fill(1));
const facetIdArb = fc.integer({ min: 0, max: 5 }).map((n) => n as FacetId);
const bucketArb = fc.oneof(
  fc.integer({ min: weekBucketMin, max: weekBucketMax }),
  fc.constantFrom(weekBucketMin, weekBucketMax, -1, 0, 1),
);
const canonical = ([a, b]: [Coord, Coord]): { low: Coord; high: Coord } => canonicalCellPair(a, b);

const coordSpec = (name: 'cell' | 'embedding', encode: (c: Coord) => Uint8Array,
  decode: (k: Uint8Array) => Coord): AnySpec =>
  defineFamily<Coord>({
    name, arb: coordArb, smallArb: smallCoord, encode, decode,
    model: (c) => [packCoord(c)], prefixes: [],
  });

type Facet = { coord: Coord; facetId: FacetId };
type EdgeParts = { from: Coord; to: Coord; relationType: string };
type Pair = { low: Coord; high: Coord; seamId: Uint8Array };
type Touching = { coord: Coord; seamId: Uint8Array };
type Tagged = { tag: string; coord: Coord };
type Sourced = { sourceId: string; coord: Coord };
type Bucketed = { bucket: number; coord: Coord };
type SeamSourced = { sourceId: string; seamId: Uint8Array };
type SeamBucketed = { bucket: number; seamId: Uint8Array };
type Timeline = { commitTimeMs: number; seq: bigint };

const specs: readonly AnySpec[] = [
  coordSpec('cell', cellKey, decodeCellKey),
  defineFamily<Facet>({
    name: 'facet',
    arb: fc.record({ coord: coordArb, facetId: facetIdArb }),
    smallArb: fc.record({ coord: smallCoord, facetId: fc.constantFrom<FacetId>(0, 5) }),
    encode: (v) => facetKey(v.coord, v.facetId),
    decode: decodeFacetKey,
    model: (v) => [packCoord(v.coord), v.facetId],
    prefixes: [{
      of: (v) => facetPrefix(v.coord), covers: (p, v) => coordsEqual(p.coord, v.coord),
    }],
  }),
  defineFamily<EdgeParts>({
    name: 'edge',
    arb: fc.record({ from: coordArb, to: coordArb, relationType: tagArb }),
    smallArb: fc.record({ from: smallCoord, to: smallCoord, relationType: smallString }),
    encode: (v) => edgeKey(v.from, v.to, v.relationType),
    decode: decodeEdgeKey,
    model: (v) => [packCoord(v.from), packCoord(v.to), ...str(v.relationType)],
    prefixes: [
      { of: (v) => edgePrefix(v.from), covers: (p, v) => coordsEqual(p.from, v.from) },
      {
        of: (v) => edgePrefix(v.from, v.to),
        covers: (p, v) => coordsEqual(p.from, v.from) && coordsEqual(p.to, v.to),
      },
    ],
  }),
  defineFamily<Uint8Array>({
    name: 'seam', arb: ulidArb, smallArb: smallUlid, encode: seamKey, decode: decodeSeamKey,
    model: (id) => [id], prefixes: [],
  }),
  defineFamily<Pair>({
    name: 'seamByCells',
    arb: fc.record({ pair: fc.tuple(coordArb, coordArb), seamId: ulidArb })
      .map(({ pair, seamId }) => ({ ...canonical(pair), seamId })),
    smallArb: fc.record({ pair: fc.tuple(smallCoord, smallCoord), seamId: smallUlid })
      .map(({ pair, seamId }) => ({ ...canonical(pair), seamId })),
    encode: (v) => seamByCellsKey(v.low, v.high, v.seamId),
    decode: decodeSeamByCellsKey,
    model: (v) => [packCoord(v.low), packCoord(v.high), v.seamId],
    prefixes: [{
      of: (v) => seamByCellsPrefix(v.low, v.high),
      covers: (p, v) => coordsEqual(p.low, v.low) && coordsEqual(p.high, v.high),
    }],
  }),
  defineFamily<Touching>({
    name: 'seamByCell',
    arb: fc.record({ coord: coordArb, seamId: ulidArb }),
    smallArb: fc.record({ coord: smallCoord, seamId: smallUlid }),
    encode: (v) => seamByCellKey(v.coord, v.seamId),
    decode: decodeSeamByCellKey,
    model: (v) => [packCoord(v.coord), v.seamId],
    prefixes: [{
      of: (v) => seamByCellPrefix(v.coord), covers: (p, v) => coordsEqual(p.coord, v.coord),
    }],
  }),
  defineFamily<Tagged>({
    name: 'tag',
    arb: fc.record({ tag: tagArb, coord: coordArb }),
    smallArb: fc.record({ tag: smallString, coord: smallCoord }),
    encode: (v) => tagIndexKey(v.tag, v.coord),
    decode: decodeTagIndexKey,
    model: (v) => [...str(v.tag), packCoord(v.coord)],
    prefixes: [{ of: (v) => tagIndexPrefix(v.tag), covers: (p, v) => p.tag === v.tag }],
  }),
  defineFamily<Sourced>({
    name: 'source',
    arb: fc.record({ sourceId: tagArb, coord: coordArb }),
    smallArb: fc.record({ sourceId: smallString, coord: smallCoord }),
    encode: (v) => sourceIndexKey(v.sourceId, v.coord),
    decode: decodeSourceIndexKey,
    model: (v) => [...str(v.sourceId), packCoord(v.coord)],
    prefixes: [{
      of: (v) => sourceIndexPrefix(v.sourceId), covers: (p, v) => p.sourceId === v.sourceId,
    }],
  }),
  defineFamily<Bucketed>({
    name: 'time',
    arb: fc.record({ bucket: bucketArb, coord: coordArb }),
    smallArb: fc.record({ bucket: fc.integer({ min: -1, max: 1 }), coord: smallCoord }),
    encode: (v) => timeIndexKey(v.bucket, v.coord),
    decode: decodeTimeIndexKey,
    model: (v) => [v.bucket, packCoord(v.coord)],
    prefixes: [{ of: (v) => timeIndexPrefix(v.bucket), covers: (p, v) => p.bucket === v.bucket }],
  }),
  defineFamily<SeamSourced>({
    name: 'seamSource',
    arb: fc.record({ sourceId: tagArb, seamId: ulidArb }),
    smallArb: fc.record({ sourceId: smallString, seamId: smallUlid }),
    encode: (v) => seamSourceKey(v.sourceId, v.seamId),
    decode: decodeSeamSourceKey,
    model: (v) => [...str(v.sourceId), v.seamId],
    prefixes: [{
      of: (v) => seamSourcePrefix(v.sourceId), covers: (p, v) => p.sourceId === v.sourceId,
    }],
  }),
  defineFamily<SeamBucketed>({
    name: 'seamTime',
    arb: fc.record({ bucket: bucketArb, seamId: ulidArb }),
    smallArb: fc.record({ bucket: fc.integer({ min: -1, max: 1 }), seamId: smallUlid }),
    encode: (v) => seamTimeKey(v.bucket, v.seamId),
    decode: decodeSeamTimeKey,
    model: (v) => [v.bucket, v.seamId],
    prefixes: [{ of: (v) => seamTimePrefix(v.bucket), covers: (p, v) => p.bucket === v.bucket }],
  }),
  coordSpec('embedding', embeddingKey, decodeEmbeddingKey),
  defineFamily<Timeline>({
    name: 'timeline',
    arb: fc.record({ commitTimeMs: fc.maxSafeNat(), seq: seqArb }),
    smallArb: fc.record({
      commitTimeMs: fc.integer({ min: 0, max: 2 }), seq: fc.bigInt({ min: 0n, max: 2n }),
    }),
    encode: (v) => timelineKey(v.commitTimeMs, v.seq),
    decode: decodeTimelineKey,
    model: (v) => [v.commitTimeMs, v.seq],
    prefixes: [{
      of: (v) => timelinePrefix(v.commitTimeMs),
      covers: (p, v) => p.commitTimeMs === v.commitTimeMs,
    }],
  }),
  defineFamily<string>({
    name: 'snapshotTag', arb: keyStringArb(200), smallArb: smallString,
    encode: snapshotTagKey, decode: decodeSnapshotTagKey, model: str, prefixes: [],
  }),
  defineFamily<string>({
    name: 'meta', arb: tagArb, smallArb: smallString,
    encode: metaKey, decode: decodeMetaKey, model: str, prefixes: [],
  }),
];

function compareModel(a: readonly ModelPart[], b: readonly ModelPart[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    let d = 0;
    if (x instanceof Uint8Array && y instanceof Uint8Array) d = compareBytes(x, y);
    else if (x !== undefined && y !== undefined) d = x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Properties of every family

describe('key families', () => {
  it('covers every family and uses distinct, documented ids', () => {
    expect(specs.map((s) => s.name).sort()).toEqual(Object.keys(keyFamilies).sort());
    const ids = Object.values(keyFamilies) as number[];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(0x00);
    expect(keyFamilies).toEqual({
      cell: 0x10, facet: 0x11, edge: 0x12, seam: 0x13, seamByCells: 0x14, seamByCell: 0x15,
      tag: 0x20, source: 0x21, time: 0x22, seamSource: 0x23, seamTime: 0x24, embedding: 0x30,
      timeline: 0x40, snapshotTag: 0x41, meta: 0xf0,
    });
    for (const [name, id] of Object.entries(keyFamilies)) {
      const versioned = !['timeline', 'snapshotTag', 'meta'].includes(name);
      expect(isVersionedFamily(id), name).toBe(versioned);
      expect([...familyPrefix(name as KeyFamily)]).toEqual([id]);
    }
  });

  describe.each(specs.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
    it('round-trips and starts with the family byte', () => {
      fc.assert(fc.property(spec.arb, (value) => {
        const key = spec.encode(value);
        expect(key[0]).toBe(keyFamilies[spec.name]);
        expect(key.length).toBeLessThanOrEqual(logicalKeyBytesMax[spec.name]);
        expect(spec.decode(key)).toEqual(value);
      }));
    });

    it('sorts by its parts as documented', () => {
      const pair = fc.oneof(fc.tuple(spec.arb, spec.arb), fc.tuple(spec.smallArb, spec.smallArb));
      fc.assert(fc.property(pair, ([a, b]) => {
        const byKey = Math.sign(compareBytes(spec.encode(a), spec.encode(b)));
        expect(byKey).toBe(Math.sign(compareModel(spec.model(a), spec.model(b))));
      }), { numRuns: 300 });
    });

    it('is prefix-free', () => {
      const values = [...fc.sample(spec.smallArb, 60), ...fc.sample(spec.arb, 60)];
      const keys = values.map((v) => spec.encode(v));
      for (const a of keys) {
        for (const b of keys) {
          if (startsWith(b, a)) expect(hex(b)).toBe(hex(a));
        }
      }
    });

    it('keeps exactly the covered keys within [prefix, prefixEnd)', () => {
      if (spec.prefixes.length === 0) return;
      const pair = fc.oneof(fc.tuple(spec.arb, spec.arb), fc.tuple(spec.smallArb, spec.smallArb));
      fc.assert(fc.property(pair, ([p, v]) => {
        for (const { of, covers } of spec.prefixes) {
          const start = of(p);
          const end = prefixEnd(start);
          const key = spec.encode(v);
          const inside = compareBytes(key, start) >= 0 && (end === undefined ||
            compareBytes(key, end) < 0);
          expect(inside).toBe(covers(p, v));
          expect(startsWith(key, start)).toBe(covers(p, v));
        }
      }), { numRuns: 300 });
    });

    it('decodes mutated keys canonically or throws CorruptDatabase', () => {
      const mutation = fc.record({
        at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }),
        kind: fc.constantFrom('set', 'truncate', 'append', 'insert'),
      });
      fc.assert(fc.property(spec.arb, mutation, (value, m) => {
        const key = [...spec.encode(value)];
        const at = m.at % key.length;
        if (m.kind === 'set') key[at] = m.byte;
        if (m.kind === 'truncate') key.length = at;
        if (m.kind === 'append') key.push(m.byte);
        if (m.kind === 'insert') key.splice(at, 0, m.byte);
        const bytes = Uint8Array.from(key);
        let decoded: unknown;
        const code = thrownCode(() => (decoded = spec.decode(bytes)));
        if (code === 'none') expect(hex(spec.encode(decoded))).toBe(hex(bytes));
        else expect(code).toBe('CorruptDatabase');
      }), { numRuns: 400 });
    });

    it('rejects keys of other families', () => {
      const other = spec.name === 'cell' ? metaKey('x') : cellKey(coord(0, 0));
      expectErrorCode(() => spec.decode(other), 'CorruptDatabase');
      expectErrorCode(() => spec.decode(new Uint8Array(0)), 'CorruptDatabase');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Layout details

describe('key layouts', () => {
  it('matches the worked examples of docs/records.md', () => {
    const c = coord(1, -2);
    expect(hex(cellKey(c))).toBe('10' + '0000000000000000' + '000000000000000e');
    expect(hex(tagIndexKey('fact', c))).toBe(
      '20' + '0004' + '66616374' + '0000000000000000' + '000000000000000e');
    expect(hex(withSeq(cellKey(c), 5n))).toBe(
      '10' + '0000000000000000' + '000000000000000e' + 'fffffffffffffffa');
    expect(hex(facetKey(c, 2))).toBe('11' + '0000000000000000000000000000000e' + '02');
    expect(hex(timeIndexKey(2870, c))).toBe('22' + '80000b36' + '0000000000000000000000000000000e');
    expect(hex(timelineKey(1, 2n))).toBe('40' + '0000000000000001' + '0000000000000002');
    expect(hex(seamByCellKey(c, new Uint8Array(16).fill(0xab)))).toBe(
      '15' + '0000000000000000000000000000000e' + 'ab'.repeat(16));
  });

  it('reaches but never exceeds the documented maxima, seq suffix included', () => {
    const c = coord(-(2 ** 31), 2 ** 31 - 1);
    const s128 = 'x'.repeat(128);
    const longest: Record<KeyFamily, Uint8Array> = {
      cell: cellKey(c), facet: facetKey(c, 5), edge: edgeKey(c, c, s128),
      seam: seamKey(new Uint8Array(16)), seamByCells: seamByCellsKey(c, c, new Uint8Array(16)),
      seamByCell: seamByCellKey(c, new Uint8Array(16)),
      tag: tagIndexKey(s128, c), source: sourceIndexKey(s128, c),
      time: timeIndexKey(0, c), seamSource: seamSourceKey(s128, new Uint8Array(16)),
      seamTime: seamTimeKey(0, new Uint8Array(16)), embedding: embeddingKey(c),
      timeline: timelineKey(0, 0n), snapshotTag: snapshotTagKey('y'.repeat(200)),
      meta: metaKey(s128),
    };
    for (const [name, key] of Object.entries(longest) as [KeyFamily, Uint8Array][]) {
      expect(key.length, name).toBe(logicalKeyBytesMax[name]);
      const suffix = isVersionedFamily(keyFamilies[name]) ? seqSuffixBytes : 0;
      expect(key.length + suffix, name).toBeLessThanOrEqual(treeKeyBytesMax);
      if (suffix > 0) expect(withSeq(key, seqMax).length).toBeLessThanOrEqual(treeKeyBytesMax);
    }
  });

  it('orders seam pairs canonically whatever the argument order', () => {
    fc.assert(fc.property(coordArb, coordArb, ulidArb, (a, b, id) => {
      expect(hex(seamByCellsKey(a, b, id))).toBe(hex(seamByCellsKey(b, a, id)));
      expect(hex(seamByCellsPrefix(a, b))).toBe(hex(seamByCellsPrefix(b, a)));
      const { low, high } = decodeSeamByCellsKey(seamByCellsKey(a, b, id));
      expect(compareBytes(packCoord(low), packCoord(high))).toBeLessThanOrEqual(0);
    }));
  });

  it('computes prefixEnd as the smallest key above every key with the prefix', () => {
    const bytes = fc.uint8Array({ maxLength: 6 }).map((b) => b.map((x) => (x > 250 ? 255 : x)));
    fc.assert(fc.property(bytes, bytes, (prefix, key) => {
      const end = prefixEnd(prefix);
      const inside = compareBytes(key, prefix) >= 0 && (end === undefined ||
        compareBytes(key, end) < 0);
      expect(inside).toBe(startsWith(key, prefix));
      if (end !== undefined) expect(startsWith(end, prefix)).toBe(false);
    }), { numRuns: 2000 });
    expect(prefixEnd(Uint8Array.of(0x20, 0xff, 0xff))).toEqual(Uint8Array.of(0x21));
    expect(prefixEnd(Uint8Array.of(0xff, 0xff))).toBeUndefined();
    expect(prefixEnd(new Uint8Array(0))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// MVCC suffix

/** Index of the first key ≥ `target` in the sorted `keys` (seekGE). */
function lowerBound(keys: readonly Uint8Array[], target: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareBytes(keys[mid] ?? new Uint8Array(0), target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe('MVCC versions', () => {
  const logicalArb = fc.oneof(
    smallCoord.map(cellKey),
    fc.tuple(smallString, smallCoord).map(([t, c]) => tagIndexKey(t, c)),
    fc.tuple(smallCoord, smallCoord, smallString).map(([a, b, t]) => edgeKey(a, b, t)),
  );

  it('appends the inverted seq and splits it back', () => {
    fc.assert(fc.property(logicalArb, seqArb, (logical, seq) => {
      const key = withSeq(logical, seq);
      expect(hex(key)).toBe(hex(logical) + (2n ** 64n - 1n - seq).toString(16).padStart(16, '0'));
      const split = splitSeq(key);
      expect(split.seq).toBe(seq);
      expect(hex(split.logical)).toBe(hex(logical));
    }));
  });

  it('sorts the versions of one logical key newest first', () => {
    fc.assert(fc.property(logicalArb, seqArb, seqArb, (logical, s1, s2) => {
      const order = Math.sign(compareBytes(withSeq(logical, s1), withSeq(logical, s2)));
      expect(order).toBe(s1 === s2 ? 0 : s1 > s2 ? -1 : 1);
    }));
  });

  it('finds the newest version ≤ S with one seek (sorted-array model)', () => {
    const versions = fc.array(fc.tuple(logicalArb, fc.bigInt({ min: 0n, max: 20n })), {
      maxLength: 40,
    });
    const queries = fc.array(fc.tuple(logicalArb, fc.bigInt({ min: 0n, max: 22n })), {
      minLength: 1, maxLength: 20,
    });
    fc.assert(fc.property(versions, queries, (written, asked) => {
      const tree = written.map(([l, s]) => withSeq(l, s)).sort(compareBytes);
      for (const [logical, readSeq] of asked) {
        const seqs = written.filter(([l]) => bytesEqual(l, logical)).map(([, s]) => s);
        const visible = seqs.filter((s) => s <= readSeq);
        const expected =
          visible.length === 0 ? undefined : visible.reduce((a, b) => (a > b ? a : b));
        const found = tree[lowerBound(tree, withSeq(logical, readSeq))];
        const hit = found === undefined ? undefined : splitSeq(found);
        if (expected === undefined) {
          expect(hit !== undefined && bytesEqual(hit.logical, logical)).toBe(false);
        } else {
          expect(hit && hex(hit.logical)).toBe(hex(logical));
          expect(hit?.seq).toBe(expected);
        }
      }
    }), { numRuns: 300 });
  });

  it('keeps all versions of a logical key inside [logical, prefixEnd(logical))', () => {
    fc.assert(fc.property(logicalArb, logicalArb, seqArb, (a, b, seq) => {
      const key = withSeq(b, seq);
      const end = prefixEnd(a);
      const inside = compareBytes(key, a) >= 0 && (end === undefined || compareBytes(key, end) < 0);
      expect(inside).toBe(bytesEqual(a, b));
    }), { numRuns: 500 });
  });

  it('rejects bad seqs, unversioned families and malformed tree keys', () => {
    const logical = cellKey(coord(0, 0));
    for (const seq of [-1n, 2n ** 64n, 1 as unknown as bigint]) {
      expectErrorCode(() => withSeq(logical, seq), 'InvalidArgument');
      expectErrorCode(() => timelineKey(0, seq), 'InvalidArgument');
    }
    for (const key of [metaKey('m'), snapshotTagKey('t'), timelineKey(0, 0n)]) {
      expect(() => withSeq(key, 1n)).toThrow(AssertionError);
      expectErrorCode(() => splitSeq(key), 'CorruptDatabase');
    }
    expect(() => withSeq(new Uint8Array(0), 1n)).toThrow(AssertionError);
    for (const key of [new Uint8Array(0), Uint8Array.of(0x10, 1, 2), Uint8Array.of(0x00, 1)]) {
      expectErrorCode(() => splitSeq(key), 'CorruptDatabase');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Invalid input

describe('invalid key input', () => {
  const c = coord(0, 0);
  const id = new Uint8Array(16);

  it('rejects bad strings with InvalidArgument', () => {
    const bad = ['', 'x'.repeat(129), '€'.repeat(43), '\ud800', 'a\udc00b', 7 as unknown as string];
    for (const s of bad) {
      expectErrorCode(() => tagIndexKey(s, c), 'InvalidArgument');
      expectErrorCode(() => tagIndexPrefix(s), 'InvalidArgument');
      expectErrorCode(() => sourceIndexKey(s, c), 'InvalidArgument');
      expectErrorCode(() => sourceIndexPrefix(s), 'InvalidArgument');
      expectErrorCode(() => edgeKey(c, c, s), 'InvalidArgument');
      expectErrorCode(() => seamSourceKey(s, id), 'InvalidArgument');
      expectErrorCode(() => seamSourcePrefix(s), 'InvalidArgument');
      expectErrorCode(() => metaKey(s), 'InvalidArgument');
    }
    expect(tagIndexKey('€'.repeat(42), c).length).toBe(1 + 2 + 126 + 16);
    expect(tagIndexKey('\u{10348}'.repeat(32), c).length).toBe(1 + 2 + 128 + 16);
    expect(snapshotTagKey('y'.repeat(200)).length).toBe(203);
    for (const label of ['', 'y'.repeat(201), '\udfff']) {
      expectErrorCode(() => snapshotTagKey(label), 'InvalidArgument');
    }
  });

  it('rejects bad coordinates with InvalidCoordinate', () => {
    const bad = [{ q: 0.5, r: 0 }, { q: 2 ** 31, r: 0 }, { q: 0, r: Number.NaN }, null,
      undefined] as unknown as Coord[];
    for (const b of bad) {
      expectErrorCode(() => cellKey(b), 'InvalidCoordinate');
      expectErrorCode(() => facetKey(b, 0), 'InvalidCoordinate');
      expectErrorCode(() => facetPrefix(b), 'InvalidCoordinate');
      expectErrorCode(() => edgeKey(c, b, 'rel'), 'InvalidCoordinate');
      expectErrorCode(() => edgePrefix(b), 'InvalidCoordinate');
      // edgePrefix(c, undefined) is the prefix of all out-edges of c, not an error.
      if (b !== undefined) expectErrorCode(() => edgePrefix(c, b), 'InvalidCoordinate');
      expectErrorCode(() => seamByCellsKey(c, b, id), 'InvalidCoordinate');
      expectErrorCode(() => seamByCellsPrefix(b, c), 'InvalidCoordinate');
      expectErrorCode(() => seamByCellKey(b, id), 'InvalidCoordinate');
      expectErrorCode(() => seamByCellPrefix(b), 'InvalidCoordinate');
      expectErrorCode(() => tagIndexKey('t', b), 'InvalidCoordinate');
      expectErrorCode(() => sourceIndexKey('s', b), 'InvalidCoordinate');
      expectErrorCode(() => timeIndexKey(0, b), 'InvalidCoordinate');
      expectErrorCode(() => embeddingKey(b), 'InvalidCoordinate');
    }
  });

  it('rejects bad facet ids, seam ids, buckets and commit times with InvalidArgument', () => {
    for (const f of [-1, 6, 1.5, Number.NaN]) {
      expectErrorCode(() => facetKey(c, f as FacetId), 'InvalidArgument');
    }
    for (const bad of [new Uint8Array(15), new Uint8Array(17), 'x' as unknown as Uint8Array]) {
      expectErrorCode(() => seamKey(bad), 'InvalidArgument');
      expectErrorCode(() => seamByCellsKey(c, c, bad), 'InvalidArgument');
      expectErrorCode(() => seamByCellKey(c, bad), 'InvalidArgument');
      expectErrorCode(() => seamSourceKey('s', bad), 'InvalidArgument');
      expectErrorCode(() => seamTimeKey(0, bad), 'InvalidArgument');
    }
    for (const b of [weekBucketMin - 1, weekBucketMax + 1, 0.5, Number.NaN]) {
      expectErrorCode(() => timeIndexKey(b, c), 'InvalidArgument');
      expectErrorCode(() => timeIndexPrefix(b), 'InvalidArgument');
      expectErrorCode(() => seamTimeKey(b, id), 'InvalidArgument');
      expectErrorCode(() => seamTimePrefix(b), 'InvalidArgument');
    }
    for (const t of [-1, 0.5, 2 ** 53, Number.NaN]) {
      expectErrorCode(() => timelineKey(t, 0n), 'InvalidArgument');
      expectErrorCode(() => timelinePrefix(t), 'InvalidArgument');
    }
  });
});

describe('malformed stored keys', () => {
  const c = coord(3, 4);

  it('throws CorruptDatabase for specific damage', () => {
    const region = cellKey(c);
    region[1] = 1; // a non-zero region id
    expectErrorCode(() => decodeCellKey(region), 'CorruptDatabase');
    const facet = facetKey(c, 5);
    facet[17] = 6;
    expectErrorCode(() => decodeFacetKey(facet), 'CorruptDatabase');
    const emptyTag = Uint8Array.of(0x20, 0, 0, ...packCoord(c));
    expectErrorCode(() => decodeTagIndexKey(emptyTag), 'CorruptDatabase');
    const badUtf8 = Uint8Array.of(0x20, 0, 1, 0xff, ...packCoord(c));
    expectErrorCode(() => decodeTagIndexKey(badUtf8), 'CorruptDatabase');
    const swapped =
      Uint8Array.of(0x14, ...packCoord(coord(5, 5)), ...packCoord(c), ...new Uint8Array(16));
    expectErrorCode(() => decodeSeamByCellsKey(swapped), 'CorruptDatabase');
    const touching = seamByCellKey(c, new Uint8Array(16));
    expectErrorCode(() => decodeSeamByCellKey(touching.subarray(0, 32)), 'CorruptDatabase');
    expectErrorCode(() => decodeSeamByCellKey(Uint8Array.of(...touching, 0)), 'CorruptDatabase');
    const farBucket = timeIndexKey(0, c);
    farBucket[1] = 0xff;
    expectErrorCode(() => decodeTimeIndexKey(farBucket), 'CorruptDatabase');
    const farTime = timelineKey(0, 0n);
    farTime[1] = 0xff;
    expectErrorCode(() => decodeTimelineKey(farTime), 'CorruptDatabase');
  });
});
