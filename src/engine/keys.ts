/**
 * Tree keys of every record family (SPEC §3, §5); docs/records.md has the full layouts, worked
 * examples and the reasoning.
 *
 * Layout: byte 0 is the family id, then the family's parts. Fixed-width parts: a coordinate is
 * its 16-byte `PackedCoord` (region 0), a facet id one byte, a seam id a 16-byte ULID, a week
 * bucket a u32 big-endian holding bucket + 2^31, a time or seq a u64 big-endian. Variable parts
 * (tags, source ids, relation types, labels, names) are a u16 big-endian byte length and then
 * their UTF-8 bytes.
 *
 *   0x00  raw user keys (raw-tx.ts); never used here
 *   0x10  cell           coord                          versioned
 *   0x11  facet          coord, facet id u8             versioned
 *   0x12  edge           from coord, to coord, type str versioned
 *   0x13  seam           seam id                        versioned
 *   0x14  seam-by-cells  low coord, high coord, seam id versioned
 *   0x15  seam-by-cell   coord, seam id                 versioned
 *   0x20  tag            tag str, coord                 versioned
 *   0x21  source         source id str, coord           versioned
 *   0x22  time           week bucket u32, coord         versioned
 *   0x23  seam-source    source id str, seam id         versioned
 *   0x24  seam-time      week bucket u32, seam id       versioned
 *   0x30  embedding      coord                          versioned
 *   0x40  timeline       commit time ms u64, seq u64    not versioned (MVCC bookkeeping)
 *   0x41  snapshot tag   label str                      not versioned (MVCC bookkeeping)
 *   0xF0  engine meta    name str                       not versioned
 *
 * Ids 0x10–0x3F are record families, stored under MVCC as versions: `withSeq` appends the 8-byte
 * inverted commit seq. Ids 0x40 and above are bookkeeping, never versioned. Unlisted ids are
 * free; a new family takes a new id and never reuses one.
 *
 * Prefix freedom: within a family every part is fixed width or length-prefixed, so a logical key
 * determines where each part ends and no logical key is a strict prefix of another of its family.
 * Hence the tree keys that start with a logical key are exactly its versions, and "newest version
 * ≤ S" is one seekGE(withSeq(logical, S)) followed by a check that the found key's logical part
 * equals the logical key.
 *
 * Order within a family is part by part: coordinates in packed (Z-order) order, strings by byte
 * length first and then by bytes (not alphabetically: sort in memory when that is needed), numbers
 * numerically, ULIDs in time order.
 *
 * Returned keys are fresh arrays owned by the caller. Encoders throw `InvalidArgument` (or
 * `InvalidCoordinate`); decoders take a logical key (for a versioned family, first `splitSeq`)
 * and throw `CorruptDatabase` for anything malformed, since keys come from the tree.
 */
import { comparePackedCoords, packCoord, packedCoordBytes, type Coord } from '../coord/index.js';
import { assert } from '../assert.js';
import { hexxlaError } from '../errors.js';
import { treeKeyBytesMax } from '../limits.js';
import { KeyReader, KeyWriter, keyString, stringLengthBytes } from './key-bytes.js';
import {
  checkCoord,
  checkFacetId,
  facetIdMax,
  indexStringBytesMax,
  snapshotLabelBytesMax,
  type FacetId,
} from './records.js';
import { ulidBytes, type Ulid } from './ulid.js';
import { weekBucketMax, weekBucketMin } from './week-bucket.js';

/** Family ids (byte 0 of every engine key). 0x00 belongs to raw user keys. */
export const keyFamilies = {
  cell: 0x10,
  facet: 0x11,
  edge: 0x12,
  seam: 0x13,
  seamByCells: 0x14,
  seamByCell: 0x15,
  tag: 0x20,
  source: 0x21,
  time: 0x22,
  seamSource: 0x23,
  seamTime: 0x24,
  embedding: 0x30,
  timeline: 0x40,
  snapshotTag: 0x41,
  meta: 0xf0,
} as const;
export type KeyFamily = keyof typeof keyFamilies;

/** Longest engine meta name in UTF-8 bytes. */
export const metaNameBytesMax = 128;
/** Bytes of the MVCC suffix: the inverted commit seq, u64 big-endian. */
export const seqSuffixBytes = 8;
/** Largest commit seq: 2^64 − 1 (seqs are u64 on disk). */
export const seqMax = 0xffff_ffff_ffff_ffffn;
/** Added to a week bucket to store it as a u32 whose order is the bucket order. */
export const weekBucketBias = 2 ** 31;

const coordBytes = packedCoordBytes;
const stringBytesMax = stringLengthBytes + indexStringBytesMax;

/** The longest logical key of each family (without the seq suffix). */
export const logicalKeyBytesMax: Readonly<Record<KeyFamily, number>> = {
  cell: 1 + coordBytes,
  facet: 1 + coordBytes + 1,
  edge: 1 + 2 * coordBytes + stringBytesMax,
  seam: 1 + ulidBytes,
  seamByCells: 1 + 2 * coordBytes + ulidBytes,
  seamByCell: 1 + coordBytes + ulidBytes,
  tag: 1 + stringBytesMax + coordBytes,
  source: 1 + stringBytesMax + coordBytes,
  time: 1 + 4 + coordBytes,
  seamSource: 1 + stringBytesMax + ulidBytes,
  seamTime: 1 + 4 + ulidBytes,
  embedding: 1 + coordBytes,
  timeline: 1 + 8 + 8,
  snapshotTag: 1 + stringLengthBytes + snapshotLabelBytesMax,
  meta: 1 + stringLengthBytes + metaNameBytesMax,
};

/** True when keys of the family with id `id` are stored as MVCC versions (ids 0x10 … 0x3F). */
export function isVersionedFamily(id: number): boolean {
  return id >= 0x10 && id <= 0x3f;
}

/** The one-byte prefix shared by every key of `family`. */
export function familyPrefix(family: KeyFamily): Uint8Array {
  return Uint8Array.of(keyFamilies[family]);
}

/**
 * The smallest key greater than every key that starts with `prefix` (an exclusive scan end):
 * `prefix` without its trailing 0xFF bytes, with the last remaining byte incremented. Undefined
 * when `prefix` is empty or all 0xFF (no such key exists: scan to the end). Fresh array.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = prefix.slice(0, end);
  out[end - 1] = (out[end - 1] ?? 0) + 1;
  return out;
}

// ---------------------------------------------------------------------------------------------
// MVCC suffix

/** Throws `InvalidArgument` unless `seq` is a bigint in 0 … 2^64 − 1. */
function checkSeq(seq: bigint): void {
  if (typeof seq !== 'bigint' || seq < 0n || seq > seqMax) {
    throw hexxlaError('InvalidArgument', 'commit seq must be a bigint in [0, 2^64 - 1]', {
      seq: String(seq),
    });
  }
}

/**
 * The tree key of the version of `logical` written at commit `seq`: `logical ‖ u64be(2^64 − 1 −
 * seq)`. Inverting the seq makes newer versions sort first, so `withSeq(logical, S)` is also the
 * seek key for "newest version ≤ S". Asserts that `logical` belongs to a versioned family;
 * throws `InvalidArgument` for a seq outside 0 … 2^64 − 1.
 */
export function withSeq(logical: Uint8Array, seq: bigint): Uint8Array {
  assert(logical instanceof Uint8Array && isVersionedFamily(logical[0] ?? 0), 'versioned key');
  assert(logical.length + seqSuffixBytes <= treeKeyBytesMax, 'versioned key too long');
  checkSeq(seq);
  return new KeyWriter(logical[0] ?? 0, logical.length + seqSuffixBytes)
    .raw(logical.subarray(1))
    .u64(seq, true)
    .done();
}

/** A versioned tree key split into its logical key and commit seq. */
export type SplitKey = { readonly logical: Uint8Array; readonly seq: bigint };

/**
 * Splits a versioned tree key into its logical key (a view into `treeKey`, not a copy) and its
 * commit seq. Throws `CorruptDatabase` when `treeKey` is not a versioned family's key or is too
 * short to carry a suffix.
 */
export function splitSeq(treeKey: Uint8Array): SplitKey {
  const family = treeKey instanceof Uint8Array ? (treeKey[0] ?? 0) : 0;
  if (!isVersionedFamily(family) || treeKey.length < 1 + seqSuffixBytes) {
    throw hexxlaError('CorruptDatabase', 'not a versioned tree key', {
      family,
      length: treeKey instanceof Uint8Array ? treeKey.length : -1,
    });
  }
  const at = treeKey.length - seqSuffixBytes;
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) {
    high = high * 256 + (treeKey[at + i] ?? 0);
    low = low * 256 + (treeKey[at + 4 + i] ?? 0);
  }
  const inverted = (BigInt(high) << 32n) | BigInt(low);
  return { logical: treeKey.subarray(0, at), seq: seqMax - inverted };
}

// ---------------------------------------------------------------------------------------------
// Shared parts

/** Throws `InvalidArgument` unless `bucket` is an integer in `weekBucketMin … weekBucketMax`. */
function checkBucket(bucket: number): void {
  if (!Number.isSafeInteger(bucket) || bucket < weekBucketMin || bucket > weekBucketMax) {
    throw hexxlaError('InvalidArgument', 'week bucket out of range', { bucket: String(bucket) });
  }
}

/** Reads a biased week bucket, rejecting values no valid time produces. */
function readBucket(reader: KeyReader, family: string): number {
  const bucket = reader.u32() - weekBucketBias;
  if (bucket < weekBucketMin || bucket > weekBucketMax) {
    throw hexxlaError('CorruptDatabase', `${family} key: week bucket out of range`, { bucket });
  }
  return bucket;
}

/** Keys of families laid out as (one coordinate). */
function coordOnlyKey(family: KeyFamily, c: Coord, what: string): Uint8Array {
  return new KeyWriter(keyFamilies[family], 1 + coordBytes).coord(c, what).done();
}

function decodeCoordOnly(key: Uint8Array, family: KeyFamily): Coord {
  const reader = new KeyReader(key, keyFamilies[family], family);
  const c = reader.coord();
  reader.end();
  return c;
}

/** Keys of families laid out as (string, fixed tail); `tail` omitted gives the prefix. */
function stringThenKey(
  family: KeyFamily,
  utf8: Uint8Array,
  tailBytes: number,
  writeTail?: (w: KeyWriter) => KeyWriter,
): Uint8Array {
  const length = 1 + stringLengthBytes + utf8.length + (writeTail === undefined ? 0 : tailBytes);
  const writer = new KeyWriter(keyFamilies[family], length).string(utf8);
  return (writeTail === undefined ? writer : writeTail(writer)).done();
}

// ---------------------------------------------------------------------------------------------
// Record families

/** Key of the cell at `c`: `0x10 ‖ coord`. Throws `InvalidCoordinate`. */
export function cellKey(c: Coord): Uint8Array {
  return coordOnlyKey('cell', c, 'coord');
}

/** The coordinate of a cell key. Throws `CorruptDatabase`. */
export function decodeCellKey(key: Uint8Array): Coord {
  return decodeCoordOnly(key, 'cell');
}

/** Key of facet `facetId` of the cell at `c`: `0x11 ‖ coord ‖ id u8`. */
export function facetKey(c: Coord, facetId: FacetId): Uint8Array {
  checkFacetId(facetId, 'facetId');
  return new KeyWriter(keyFamilies.facet, 1 + coordBytes + 1)
    .coord(c, 'coord')
    .u8(facetId)
    .done();
}

/** Prefix of all facets of the cell at `c`: `0x11 ‖ coord`. */
export function facetPrefix(c: Coord): Uint8Array {
  return coordOnlyKey('facet', c, 'coord');
}

/** The parts of a facet key. Throws `CorruptDatabase`. */
export function decodeFacetKey(key: Uint8Array): { coord: Coord; facetId: FacetId } {
  const reader = new KeyReader(key, keyFamilies.facet, 'facet');
  const coord = reader.coord();
  const facetId = reader.u8();
  reader.end();
  if (facetId > facetIdMax) {
    throw hexxlaError('CorruptDatabase', 'facet key: facet id out of range', { facetId });
  }
  return { coord, facetId: facetId as FacetId };
}

/** Key of the edge (from, to, type): `0x12 ‖ from ‖ to ‖ u16 n ‖ type`. */
export function edgeKey(from: Coord, to: Coord, relationType: string): Uint8Array {
  const type = keyString(relationType, 'relationType', indexStringBytesMax);
  const length = 1 + 2 * coordBytes + stringLengthBytes + type.length;
  return new KeyWriter(keyFamilies.edge, length)
    .coord(from, 'from')
    .coord(to, 'to')
    .string(type)
    .done();
}

/** Prefix of the out-edges of `from` (`0x12 ‖ from`), or of those from `from` to `to`. */
export function edgePrefix(from: Coord, to?: Coord): Uint8Array {
  if (to === undefined) return coordOnlyKey('edge', from, 'from');
  return new KeyWriter(keyFamilies.edge, 1 + 2 * coordBytes)
    .coord(from, 'from')
    .coord(to, 'to')
    .done();
}

/** The parts of an edge key. Throws `CorruptDatabase`. */
export function decodeEdgeKey(key: Uint8Array): { from: Coord; to: Coord; relationType: string } {
  const reader = new KeyReader(key, keyFamilies.edge, 'edge');
  const from = reader.coord();
  const to = reader.coord();
  const relationType = reader.string(indexStringBytesMax, 'relation type');
  reader.end();
  return { from, to, relationType };
}

/** Key of the seam `seamId`: `0x13 ‖ ulid`. Throws `InvalidArgument` for a malformed id. */
export function seamKey(seamId: Ulid): Uint8Array {
  return new KeyWriter(keyFamilies.seam, 1 + ulidBytes).ulid(seamId, 'seamId').done();
}

/** The seam id of a seam key (a fresh copy). Throws `CorruptDatabase`. */
export function decodeSeamKey(key: Uint8Array): Ulid {
  const reader = new KeyReader(key, keyFamilies.seam, 'seam');
  const id = reader.ulid();
  reader.end();
  return id;
}

/**
 * The canonical order of a cell pair: the one whose packed key is lower first (equal cells stay
 * as given). Throws `InvalidCoordinate`.
 */
export function canonicalCellPair(a: Coord, b: Coord): { low: Coord; high: Coord } {
  checkCoord(a, 'cellA');
  checkCoord(b, 'cellB');
  return comparePackedCoords(packCoord(a), packCoord(b)) <= 0
    ? { low: a, high: b }
    : { low: b, high: a };
}

/**
 * Key of the pair index entry of seam `seamId` between `a` and `b`, in either order:
 * `0x14 ‖ low ‖ high ‖ ulid` (see `canonicalCellPair`).
 */
export function seamByCellsKey(a: Coord, b: Coord, seamId: Ulid): Uint8Array {
  const { low, high } = canonicalCellPair(a, b);
  return new KeyWriter(keyFamilies.seamByCells, 1 + 2 * coordBytes + ulidBytes)
    .coord(low, 'cellA')
    .coord(high, 'cellB')
    .ulid(seamId, 'seamId')
    .done();
}

/** Prefix of the seams between `a` and `b` (either order): `0x14 ‖ low ‖ high`. */
export function seamByCellsPrefix(a: Coord, b: Coord): Uint8Array {
  const { low, high } = canonicalCellPair(a, b);
  return new KeyWriter(keyFamilies.seamByCells, 1 + 2 * coordBytes)
    .coord(low, 'cellA')
    .coord(high, 'cellB')
    .done();
}

/** The parts of a seam-by-cells key. Throws `CorruptDatabase` (also when low > high). */
export function decodeSeamByCellsKey(key: Uint8Array): { low: Coord; high: Coord; seamId: Ulid } {
  const reader = new KeyReader(key, keyFamilies.seamByCells, 'seamByCells');
  const low = reader.coord();
  const high = reader.coord();
  const seamId = reader.ulid();
  reader.end();
  if (comparePackedCoords(key.subarray(1, 17), key.subarray(17, 33)) > 0) {
    throw hexxlaError('CorruptDatabase', 'seamByCells key: cell pair not in canonical order');
  }
  return { low, high, seamId };
}

/**
 * Key of the entry "seam `seamId` touches the cell at `c`": `0x15 ‖ coord ‖ ulid`. A seam has one
 * entry for each of its two cells, so the seams of a cell (oldest first) are one prefix scan.
 */
export function seamByCellKey(c: Coord, seamId: Ulid): Uint8Array {
  return new KeyWriter(keyFamilies.seamByCell, 1 + coordBytes + ulidBytes)
    .coord(c, 'coord')
    .ulid(seamId, 'seamId')
    .done();
}

/** Prefix of the seams touching the cell at `c`: `0x15 ‖ coord`. */
export function seamByCellPrefix(c: Coord): Uint8Array {
  return coordOnlyKey('seamByCell', c, 'coord');
}

/** The parts of a seam-by-cell key. Throws `CorruptDatabase`. */
export function decodeSeamByCellKey(key: Uint8Array): { coord: Coord; seamId: Ulid } {
  const reader = new KeyReader(key, keyFamilies.seamByCell, 'seamByCell');
  const coord = reader.coord();
  const seamId = reader.ulid();
  reader.end();
  return { coord, seamId };
}

// ---------------------------------------------------------------------------------------------
// Secondary indexes

/** Tag index entry: `0x20 ‖ u16 n ‖ tag ‖ coord`. Throws `InvalidArgument` for a bad tag. */
export function tagIndexKey(tag: string, c: Coord): Uint8Array {
  const utf8 = keyString(tag, 'tag', indexStringBytesMax);
  return stringThenKey('tag', utf8, coordBytes, (w) => w.coord(c, 'coord'));
}

/** Prefix of every entry of `tag`: `0x20 ‖ u16 n ‖ tag`. */
export function tagIndexPrefix(tag: string): Uint8Array {
  return stringThenKey('tag', keyString(tag, 'tag', indexStringBytesMax), 0);
}

/** The parts of a tag index key. Throws `CorruptDatabase`. */
export function decodeTagIndexKey(key: Uint8Array): { tag: string; coord: Coord } {
  const reader = new KeyReader(key, keyFamilies.tag, 'tag');
  const tag = reader.string(indexStringBytesMax, 'tag');
  const coord = reader.coord();
  reader.end();
  return { tag, coord };
}

/** Source index entry: `0x21 ‖ u16 n ‖ source id ‖ coord`. */
export function sourceIndexKey(sourceId: string, c: Coord): Uint8Array {
  const utf8 = keyString(sourceId, 'sourceId', indexStringBytesMax);
  return stringThenKey('source', utf8, coordBytes, (w) => w.coord(c, 'coord'));
}

/** Prefix of every entry of `sourceId`: `0x21 ‖ u16 n ‖ source id`. */
export function sourceIndexPrefix(sourceId: string): Uint8Array {
  return stringThenKey('source', keyString(sourceId, 'sourceId', indexStringBytesMax), 0);
}

/** The parts of a source index key. Throws `CorruptDatabase`. */
export function decodeSourceIndexKey(key: Uint8Array): { sourceId: string; coord: Coord } {
  const reader = new KeyReader(key, keyFamilies.source, 'source');
  const sourceId = reader.string(indexStringBytesMax, 'source id');
  const coord = reader.coord();
  reader.end();
  return { sourceId, coord };
}

/** Validity week index entry: `0x22 ‖ u32(bucket + 2^31) ‖ coord` (see week-bucket.ts). */
export function timeIndexKey(bucket: number, c: Coord): Uint8Array {
  checkBucket(bucket);
  return new KeyWriter(keyFamilies.time, 1 + 4 + coordBytes)
    .u32(bucket + weekBucketBias)
    .coord(c, 'coord')
    .done();
}

/** Prefix of every entry of week `bucket`: `0x22 ‖ u32(bucket + 2^31)`. */
export function timeIndexPrefix(bucket: number): Uint8Array {
  checkBucket(bucket);
  return new KeyWriter(keyFamilies.time, 1 + 4).u32(bucket + weekBucketBias).done();
}

/** The parts of a week index key. Throws `CorruptDatabase`. */
export function decodeTimeIndexKey(key: Uint8Array): { bucket: number; coord: Coord } {
  const reader = new KeyReader(key, keyFamilies.time, 'time');
  const bucket = readBucket(reader, 'time');
  const coord = reader.coord();
  reader.end();
  return { bucket, coord };
}

/** Seam source index entry: `0x23 ‖ u16 n ‖ source id ‖ seam id`. */
export function seamSourceKey(sourceId: string, seamId: Ulid): Uint8Array {
  const utf8 = keyString(sourceId, 'sourceId', indexStringBytesMax);
  return stringThenKey('seamSource', utf8, ulidBytes, (w) => w.ulid(seamId, 'seamId'));
}

/** Prefix of every seam of `sourceId`: `0x23 ‖ u16 n ‖ source id`. */
export function seamSourcePrefix(sourceId: string): Uint8Array {
  return stringThenKey('seamSource', keyString(sourceId, 'sourceId', indexStringBytesMax), 0);
}

/** The parts of a seam source index key. Throws `CorruptDatabase`. */
export function decodeSeamSourceKey(key: Uint8Array): { sourceId: string; seamId: Ulid } {
  const reader = new KeyReader(key, keyFamilies.seamSource, 'seamSource');
  const sourceId = reader.string(indexStringBytesMax, 'source id');
  const seamId = reader.ulid();
  reader.end();
  return { sourceId, seamId };
}

/** Seam week index entry: `0x24 ‖ u32(bucket + 2^31) ‖ seam id`. */
export function seamTimeKey(bucket: number, seamId: Ulid): Uint8Array {
  checkBucket(bucket);
  return new KeyWriter(keyFamilies.seamTime, 1 + 4 + ulidBytes)
    .u32(bucket + weekBucketBias)
    .ulid(seamId, 'seamId')
    .done();
}

/** Prefix of every seam of week `bucket`: `0x24 ‖ u32(bucket + 2^31)`. */
export function seamTimePrefix(bucket: number): Uint8Array {
  checkBucket(bucket);
  return new KeyWriter(keyFamilies.seamTime, 1 + 4).u32(bucket + weekBucketBias).done();
}

/** The parts of a seam week index key. Throws `CorruptDatabase`. */
export function decodeSeamTimeKey(key: Uint8Array): { bucket: number; seamId: Ulid } {
  const reader = new KeyReader(key, keyFamilies.seamTime, 'seamTime');
  const bucket = readBucket(reader, 'seamTime');
  const seamId = reader.ulid();
  reader.end();
  return { bucket, seamId };
}

/** Key of the embedding of the cell at `c`: `0x30 ‖ coord`. */
export function embeddingKey(c: Coord): Uint8Array {
  return coordOnlyKey('embedding', c, 'coord');
}

/** The coordinate of an embedding key. Throws `CorruptDatabase`. */
export function decodeEmbeddingKey(key: Uint8Array): Coord {
  return decodeCoordOnly(key, 'embedding');
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping families (never versioned)

/**
 * Commit timeline entry: `0x40 ‖ u64 commit time ms ‖ u64 seq`. Time first, so "latest commit
 * at or before t" is one reverse scan ending at `prefixEnd(timelinePrefix(t))`; this needs commit
 * times that never decrease as seqs grow (clamp the clock to the previous commit's time).
 * Throws `InvalidArgument` for a time that is not a safe integer ≥ 0 or a bad seq.
 */
export function timelineKey(commitTimeMs: number, seq: bigint): Uint8Array {
  checkSeq(seq);
  return timelineWriter(commitTimeMs, 1 + 8 + 8).u64(seq).done();
}

/** Prefix of the timeline entries at `commitTimeMs`: `0x40 ‖ u64 time`. */
export function timelinePrefix(commitTimeMs: number): Uint8Array {
  return timelineWriter(commitTimeMs, 1 + 8).done();
}

function timelineWriter(commitTimeMs: number, length: number): KeyWriter {
  if (!Number.isSafeInteger(commitTimeMs) || commitTimeMs < 0) {
    throw hexxlaError('InvalidArgument', 'commit time must be a safe integer ms >= 0', {
      commitTimeMs: String(commitTimeMs),
    });
  }
  return new KeyWriter(keyFamilies.timeline, length).u64(BigInt(commitTimeMs));
}

/** The parts of a timeline key. Throws `CorruptDatabase`. */
export function decodeTimelineKey(key: Uint8Array): { commitTimeMs: number; seq: bigint } {
  const reader = new KeyReader(key, keyFamilies.timeline, 'timeline');
  const time = reader.u64();
  const seq = reader.u64();
  reader.end();
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw hexxlaError('CorruptDatabase', 'timeline key: commit time out of range');
  }
  return { commitTimeMs: Number(time), seq };
}

/** Snapshot tag key: `0x41 ‖ u16 n ‖ label`; labels have 1 … 200 UTF-8 bytes (SPEC §5). */
export function snapshotTagKey(label: string): Uint8Array {
  return stringThenKey('snapshotTag', keyString(label, 'label', snapshotLabelBytesMax), 0);
}

/** The label of a snapshot tag key. Throws `CorruptDatabase`. */
export function decodeSnapshotTagKey(key: Uint8Array): string {
  const reader = new KeyReader(key, keyFamilies.snapshotTag, 'snapshotTag');
  const label = reader.string(snapshotLabelBytesMax, 'label');
  reader.end();
  return label;
}

/** Engine meta key: `0xF0 ‖ u16 n ‖ name`; names have 1 … 128 UTF-8 bytes. */
export function metaKey(name: string): Uint8Array {
  return stringThenKey('meta', keyString(name, 'name', metaNameBytesMax), 0);
}

/** The name of an engine meta key. Throws `CorruptDatabase`. */
export function decodeMetaKey(key: Uint8Array): string {
  const reader = new KeyReader(key, keyFamilies.meta, 'meta');
  const name = reader.string(metaNameBytesMax, 'name');
  reader.end();
  return name;
}

// Every key fits the tree, versioned ones with their seq suffix; no family uses the raw byte.
for (const family of Object.keys(keyFamilies) as KeyFamily[]) {
  const id: number = keyFamilies[family];
  const suffix = isVersionedFamily(id) ? seqSuffixBytes : 0;
  assert(id !== 0x00, 'family 0x00 belongs to raw user keys');
  assert(logicalKeyBytesMax[family] + suffix <= treeKeyBytesMax, `${family} keys fit the tree`);
}
