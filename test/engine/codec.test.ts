/**
 * Goal: the record codec (src/engine/codec.ts) round-trips every record type exactly, writes the
 * documented layout (docs/records.md), validates what it encodes, and turns every damaged value
 * into CorruptDatabase (UnsupportedFormat for a newer version byte), never another exception.
 * Method: white-box (nothing in the engine uses the codec yet). fast-check arbitraries cover
 * every field's range and edges (any Unicode text, empty and maximum strings, 0 and 64 tags,
 * times at ±(2^52 − 1), −0, tiny and huge doubles, optional fields present and absent). Damage
 * is every strict prefix, appended bytes, random bit flips and random bodies behind a valid
 * header; hand-built byte strings pin specific faults (overlong varints, unknown flag bits, enum
 * values, out-of-range numbers, malformed UTF-8). One cell is checked byte for byte.
 * Properties:
 * - decode(encode(r)) = r for cells, facets, edges, seams and tombstones, and the value starts
 *   with version 1 and the type id;
 * - canonical form: whenever decode(b) succeeds, encode(decode(b)) = b;
 * - every strict prefix and every extension of a valid value throws CorruptDatabase; any other
 *   damage throws CorruptDatabase or UnsupportedFormat (version byte above 1) or decodes
 *   canonically;
 * - typed decoders reject other record types with CorruptDatabase;
 * - invalid records throw InvalidArgument (InvalidCoordinate for coordinates) on encode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coord, type Coord } from '../../src/coord/index.js';
import {
  codecVersion,
  decodeCell,
  decodeEdge,
  decodeFacet,
  decodeRecord,
  decodeSeam,
  encodeCell,
  encodeEdge,
  encodeFacet,
  encodeSeam,
  encodeTombstone,
  isTombstone,
  recordTypeOf,
  recordTypes,
  type RecordType,
} from '../../src/engine/codec.js';
import {
  cellTagsMax,
  recordTimeMsMax,
  resolutionStatuses,
  seamTypes,
  type Cell,
  type Edge,
  type Facet,
  type FacetId,
  type Provenance,
  type Seam,
  type Validity,
} from '../../src/engine/records.js';
import {
  coordArb,
  expectErrorCode,
  hex,
  keyStringArb,
  textArb,
  thrownCode,
  timeArb,
  ulidArb,
} from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Arbitraries

const facetIdArb = fc.integer({ min: 0, max: 5 }).map((n) => n as FacetId);
const finiteArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE),
);
const confidenceArb = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0, -0, 1, 0.5, Number.MIN_VALUE),
);
const bigTextArb = fc.oneof(
  { weight: 4, arbitrary: textArb },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'x'.repeat(5000), '\u{1F600}'.repeat(300), '\uFEFFbom', '\0'),
  },
);
const tagsArb = fc.oneof(
  { weight: 5, arbitrary: fc.uniqueArray(keyStringArb(128), { maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: cellTagsMax }, (_, i) => `t${i}`)) },
);
const provenanceArb: fc.Arbitrary<Provenance> = fc.record({
  sourceId: fc.oneof(fc.constant(''), keyStringArb(128)),
  confidence: confidenceArb,
  createdAtMs: timeArb,
  updatedAtMs: timeArb,
});
const optionalTime = fc.option(timeArb, { nil: undefined });
const validityArb: fc.Arbitrary<Validity> = fc.tuple(optionalTime, optionalTime).map(([a, b]) => {
  const [from, to] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
  return { ...(from === undefined ? {} : { validFromMs: from }),
    ...(to === undefined ? {} : { validToMs: to }) };
});
const cellArb: fc.Arbitrary<Cell> = fc.record(
  {
    coord: coordArb,
    rawContent: bigTextArb,
    tags: tagsArb,
    provenance: provenanceArb,
    validity: validityArb,
    clusterHint: coordArb,
    activeFacetId: facetIdArb,
  },
  { requiredKeys: ['coord', 'rawContent', 'tags', 'provenance', 'validity', 'activeFacetId'] },
);
const facetArb: fc.Arbitrary<Facet> = fc.record({
  id: facetIdArb,
  derivedContent: bigTextArb,
  derivationHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  lastRotatedMs: timeArb,
});
const edgeArb: fc.Arbitrary<Edge> = fc.record({
  from: coordArb,
  to: coordArb,
  relationType: keyStringArb(128),
  weight: finiteArb,
  provenance: provenanceArb,
});
const seamArb: fc.Arbitrary<Seam> = fc.record({
  id: ulidArb,
  cellA: coordArb,
  cellB: coordArb,
  seamType: fc.constantFrom(...seamTypes),
  reason: textArb,
  confidenceDelta: finiteArb,
  detectedAtMs: timeArb,
  resolutionStatus: fc.constantFrom(...resolutionStatuses),
  resolutionNote: textArb,
});

interface Kind {
  readonly type: RecordType;
  readonly arb: fc.Arbitrary<unknown>;
  readonly encode: (record: never) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => unknown;
}

const kinds: readonly Kind[] = [
  { type: 'cell', arb: cellArb, encode: encodeCell, decode: decodeCell },
  { type: 'facet', arb: facetArb, encode: encodeFacet, decode: decodeFacet },
  { type: 'edge', arb: edgeArb, encode: encodeEdge, decode: decodeEdge },
  { type: 'seam', arb: seamArb, encode: encodeSeam, decode: decodeSeam },
  {
    type: 'tombstone', arb: fc.constant(undefined), encode: encodeTombstone,
    decode: () => undefined,
  },
];
const encodeAny = (kind: Kind, record: unknown): Uint8Array =>
  (kind.encode as (r: unknown) => Uint8Array)(record);
const valueArb = fc.oneof(...kinds.map((k) => k.arb.map((r) => encodeAny(k, r))));

/** Re-encodes a decoded value of any type (for the canonical-form property). */
function reencode(bytes: Uint8Array): Uint8Array {
  const record = decodeRecord(bytes);
  switch (record.type) {
    case 'cell': return encodeCell(record.cell);
    case 'facet': return encodeFacet(record.facet);
    case 'edge': return encodeEdge(record.edge);
    case 'seam': return encodeSeam(record.seam);
    case 'tombstone': return encodeTombstone();
  }
}

/** Damaged bytes decode canonically or fail with CorruptDatabase / UnsupportedFormat only. */
function expectCorruptOrCanonical(bytes: Uint8Array): void {
  let again: Uint8Array | undefined;
  const code = thrownCode(() => (again = reencode(bytes)));
  if (code === 'none') expect(hex(again ?? new Uint8Array(0))).toBe(hex(bytes));
  else if (code === 'UnsupportedFormat') expect(bytes[0]).toBeGreaterThan(codecVersion);
  else expect(code).toBe('CorruptDatabase');
}

// ---------------------------------------------------------------------------------------------
// Round trips and layout

describe('record codec round trips', () => {
  describe.each(kinds.map((k) => [k.type, k] as const))('%s', (type, kind) => {
    it('round-trips exactly and writes the header', () => {
      fc.assert(fc.property(kind.arb, (record) => {
        const bytes = encodeAny(kind, record);
        expect([bytes[0], bytes[1]]).toEqual([1, recordTypes[type]]);
        expect(recordTypeOf(bytes)).toBe(type);
        expect(isTombstone(bytes)).toBe(type === 'tombstone');
        const decoded = decodeRecord(bytes);
        expect(decoded.type).toBe(type);
        if (type !== 'tombstone') {
          expect(kind.decode(bytes)).toEqual(record);
          expect((decoded as Record<string, unknown>)[type]).toEqual(record);
        }
        expect(hex(reencode(bytes))).toBe(hex(bytes));
      }), { numRuns: 200 });
    });

    it('is rejected by the decoders of the other types', () => {
      const bytes = encodeAny(kind, fc.sample(kind.arb, 1)[0]);
      for (const other of kinds) {
        if (other.type === type || other.type === 'tombstone') continue;
        expectErrorCode(() => other.decode(bytes), 'CorruptDatabase');
      }
    });
  });

  it('writes the documented bytes for the example cell', () => {
    const cell: Cell = {
      coord: coord(1, -2), rawContent: 'hello', tags: ['a', 'b'],
      provenance: { sourceId: 's', confidence: 0.5, createdAtMs: 1_700_000_000_000,
        updatedAtMs: 1_700_000_000_001 },
      validity: { validFromMs: 0 }, activeFacetId: 0,
    };
    expect(hex(encodeCell(cell))).toBe([
      '01', '01', '01', '02', '03', '00', '05', '68656c6c6f', '02', '0161', '0162', '0173',
      '000000000000e03f', '80a0abfef962', '82a0abfef962', '00',
    ].join(''));
    expect(hex(encodeTombstone())).toBe('0105');
    const negative = { ...cell, validity: { validFromMs: -1, validToMs: recordTimeMsMax } };
    expect(hex(encodeCell(negative)).slice(-18)).toBe('01' + 'feffffffffffff0f');
  });
});

// ---------------------------------------------------------------------------------------------
// Damage

describe('record codec damage', () => {
  it('throws CorruptDatabase for every strict prefix and every extension', () => {
    fc.assert(fc.property(valueArb, fc.uint8Array({ minLength: 1, maxLength: 3 }), (b, extra) => {
      for (let n = 0; n < b.length; n++) {
        expectErrorCode(() => decodeRecord(b.subarray(0, n)), 'CorruptDatabase');
      }
      expectErrorCode(() => decodeRecord(Uint8Array.of(...b, ...extra)), 'CorruptDatabase');
    }), { numRuns: 150 });
  });

  it('decodes bit-flipped values canonically or throws CorruptDatabase / UnsupportedFormat', () => {
    const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), {
      minLength: 1, maxLength: 4,
    });
    fc.assert(fc.property(valueArb, flips, (bytes, where) => {
      const damaged = bytes.slice();
      for (const [at, bit] of where) {
        const i = at % damaged.length;
        damaged[i] = (damaged[i] ?? 0) ^ (1 << bit);
      }
      expectCorruptOrCanonical(damaged);
    }), { numRuns: 2000 });
  });

  it('survives random bodies behind a valid header', () => {
    const header = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 7 }));
    const body = fc.uint8Array({ maxLength: 80 });
    fc.assert(fc.property(header, body, ([version, type], rest) => {
      expectCorruptOrCanonical(Uint8Array.of(version, type, ...rest));
    }), { numRuns: 3000 });
  });

  it('throws the right code for hand-made faults', () => {
    const cell = encodeCell({
      coord: coord(0, 0), rawContent: '', tags: [], activeFacetId: 0, validity: {},
      provenance: { sourceId: '', confidence: 1, createdAtMs: 0, updatedAtMs: 0 },
    });
    // cell layout here: 01 01 flags q r facet len(raw) count(tags) len(source) f64×8 t t
    const at = (i: number, v: number): Uint8Array => Uint8Array.from(cell, (b, j) => (j === i ?
      v : b));
    expectErrorCode(() => decodeRecord(new Uint8Array(0)), 'CorruptDatabase');
    expectErrorCode(() => decodeRecord(Uint8Array.of(1)), 'CorruptDatabase');
    expectErrorCode(() => decodeRecord(at(0, 0)), 'CorruptDatabase');
    expectErrorCode(() => decodeRecord(at(0, 2)), 'UnsupportedFormat');
    expectErrorCode(() => decodeRecord(at(0, 255)), 'UnsupportedFormat');
    expectErrorCode(() => decodeRecord(at(1, 0)), 'CorruptDatabase');
    expectErrorCode(() => decodeRecord(at(1, 6)), 'CorruptDatabase');
    expectErrorCode(() => decodeRecord(at(2, 8)), 'CorruptDatabase'); // unknown flag bit
    expectErrorCode(() => decodeRecord(at(5, 6)), 'CorruptDatabase'); // facet id 6
    expectErrorCode(() => decodeRecord(at(7, 65)), 'CorruptDatabase'); // 65 tags
    expectErrorCode(() => decodeRecord(at(16, 0x40)), 'CorruptDatabase'); // confidence 2
    expect(decodeCell(cell).provenance.confidence).toBe(1);
    // Overlong varint (q = 0 written as 80 00) and a varint of 9 bytes.
    const overlong = Uint8Array.of(...cell.subarray(0, 3), 0x80, 0x00, ...cell.subarray(4));
    expectErrorCode(() => decodeRecord(overlong), 'CorruptDatabase');
    const long = Uint8Array.of(...cell.subarray(0, 3), ...new Array(8).fill(0x80), 1,
      ...cell.subarray(4));
    expectErrorCode(() => decodeRecord(long), 'CorruptDatabase');
    // q = 2^31 (zigzag 2^32), outside int32.
    const farQ = Uint8Array.of(...cell.subarray(0, 3), 0x80, 0x80, 0x80, 0x80, 0x10,
      ...cell.subarray(4));
    expectErrorCode(() => decodeRecord(farQ), 'CorruptDatabase');
    // rawContent of one byte 0xff (not UTF-8).
    const badUtf8 = Uint8Array.of(...cell.subarray(0, 6), 1, 0xff, ...cell.subarray(7));
    expectErrorCode(() => decodeRecord(badUtf8), 'CorruptDatabase');
    // createdAt = zigzag 2^53 − 1, i.e. −2^52: a safe varint but beyond the record time range.
    const farTime = Uint8Array.of(...cell.subarray(0, 17), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0x0f, 0x00);
    expect(cell.length).toBe(19);
    expectErrorCode(() => decodeRecord(farTime), 'CorruptDatabase');
  });

  it('rejects stored seams with unknown enums and stored cells with an inverted window', () => {
    const seam = encodeSeam({
      id: new Uint8Array(16), cellA: coord(0, 0), cellB: coord(0, 0), seamType: 'supersedes',
      reason: '', confidenceDelta: 0, detectedAtMs: 0, resolutionStatus: 'archived',
      resolutionNote: '',
    });
    // 01 04, id ×16, q r q r (one byte each), then seamType at 22 and resolutionStatus at 23.
    expect([seam[22], seam[23]]).toEqual([1, 3]);
    const withByte = (i: number, v: number): Uint8Array => Uint8Array.from(seam, (b, j) =>
      (j === i ? v : b));
    expectErrorCode(() => decodeRecord(withByte(22, 2)), 'CorruptDatabase');
    expectErrorCode(() => decodeRecord(withByte(23, 4)), 'CorruptDatabase');
    const inverted = encodeCell({
      coord: coord(0, 0), rawContent: '', tags: [], activeFacetId: 0,
      provenance: { sourceId: '', confidence: 1, createdAtMs: 0, updatedAtMs: 0 },
      validity: { validFromMs: 1, validToMs: 2 },
    });
    inverted[inverted.length - 1] = 0; // validTo 0 < validFrom 1 (zigzag 4 → 0)
    expectErrorCode(() => decodeRecord(inverted), 'CorruptDatabase');
  });
});

// ---------------------------------------------------------------------------------------------
// Invalid input

describe('record codec input validation', () => {
  const c = coord(0, 0);
  const provenance: Provenance = { sourceId: 's', confidence: 0.5, createdAtMs: 0, updatedAtMs: 0 };
  const cell: Cell = {
    coord: c, rawContent: 'x', tags: ['t'], provenance, validity: {}, activeFacetId: 0,
  };
  const facet: Facet = { id: 1, derivedContent: 'd', derivationHash: new Uint8Array(32),
    lastRotatedMs: 0 };
  const edge: Edge = { from: c, to: c, relationType: 'supports', weight: 1, provenance };
  const seam: Seam = {
    id: new Uint8Array(16), cellA: c, cellB: c, seamType: 'conflict', reason: '',
    confidenceDelta: 0, detectedAtMs: 0, resolutionStatus: 'unresolved', resolutionNote: '',
  };
  const bad = <T>(record: T, patch: Record<string, unknown>): T => ({ ...record, ...patch });
  const badCoords = [{ q: 0.5, r: 0 }, { q: 0, r: 2 ** 31 }, null, 'x'] as unknown as Coord[];
  const badTimes = [0.5, Number.NaN, recordTimeMsMax + 1, -recordTimeMsMax - 1, '1', undefined];

  it('accepts the valid baselines', () => {
    expect(decodeCell(encodeCell(cell))).toEqual(cell);
    expect(decodeFacet(encodeFacet(facet))).toEqual(facet);
    expect(decodeEdge(encodeEdge(edge))).toEqual(edge);
    expect(decodeSeam(encodeSeam(seam))).toEqual(seam);
  });

  it('rejects bad cells', () => {
    const badProvenance = [
      { confidence: -0.1 }, { confidence: 1.1 }, { confidence: Number.NaN }, { confidence: '1' },
      { sourceId: 'x'.repeat(129) }, { sourceId: '\ud800' }, { sourceId: 3 },
      ...badTimes.map((t) => ({ createdAtMs: t })), ...badTimes.map((t) => ({ updatedAtMs: t })),
    ];
    for (const p of badProvenance) {
      expectErrorCode(() => encodeCell(bad(cell, { provenance: { ...provenance, ...p } })),
        'InvalidArgument');
    }
    const badFields: Record<string, unknown>[] = [
      { activeFacetId: 6 }, { activeFacetId: -1 }, { activeFacetId: 1.5 },
      { rawContent: 'a\udc00' },
      { rawContent: undefined }, { tags: [''] }, { tags: ['a', 'a'] }, { tags: ['x'.repeat(129)] },
      { tags: Array.from({ length: cellTagsMax + 1 }, (_, i) => `t${i}`) }, { tags: 'a' },
      { tags: [1] }, { validity: { validFromMs: 2, validToMs: 1 } }, { validity: undefined },
      { provenance: undefined }, ...badTimes.filter((t) => t !== undefined)
        .map((t) => ({ validity: { validFromMs: t } })),
    ];
    for (const patch of badFields) {
      expectErrorCode(() => encodeCell(bad(cell, patch)), 'InvalidArgument');
    }
    for (const b of badCoords) {
      expectErrorCode(() => encodeCell(bad(cell, { coord: b })), 'InvalidCoordinate');
      expectErrorCode(() => encodeCell(bad(cell, { clusterHint: b })), 'InvalidCoordinate');
    }
    expectErrorCode(() => encodeCell(null as unknown as Cell), 'InvalidArgument');
  });

  it('rejects bad facets, edges and seams', () => {
    const facetPatches = [
      { id: 6 }, { id: -1 }, { derivationHash: new Uint8Array(31) }, { derivationHash: 'h' },
      { derivedContent: '\ud800' }, ...badTimes.map((t) => ({ lastRotatedMs: t })),
    ];
    for (const p of facetPatches) {
      expectErrorCode(() => encodeFacet(bad(facet, p)), 'InvalidArgument');
    }
    const edgePatches = [
      { weight: Number.NaN }, { weight: Infinity }, { weight: -Infinity }, { weight: '1' },
      { relationType: '' }, { relationType: 'x'.repeat(129) },
      { provenance: { ...provenance, confidence: 2 } },
    ];
    for (const p of edgePatches) expectErrorCode(() => encodeEdge(bad(edge, p)), 'InvalidArgument');
    for (const b of badCoords) {
      expectErrorCode(() => encodeEdge(bad(edge, { from: b })), 'InvalidCoordinate');
      expectErrorCode(() => encodeEdge(bad(edge, { to: b })), 'InvalidCoordinate');
      expectErrorCode(() => encodeSeam(bad(seam, { cellA: b })), 'InvalidCoordinate');
      expectErrorCode(() => encodeSeam(bad(seam, { cellB: b })), 'InvalidCoordinate');
    }
    const seamPatches = [
      { id: new Uint8Array(15) }, { seamType: 'merge' }, { resolutionStatus: 'open' },
      { confidenceDelta: Number.NaN }, { confidenceDelta: Infinity }, { reason: '\udfff' },
      { resolutionNote: 5 }, ...badTimes.map((t) => ({ detectedAtMs: t })),
    ];
    for (const p of seamPatches) expectErrorCode(() => encodeSeam(bad(seam, p)), 'InvalidArgument');
  });
});
