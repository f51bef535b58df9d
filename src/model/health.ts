/**
 * The health check (SPEC §11): the B+ tree structural check plus the record-level invariants the
 * structure cannot see, over one snapshot (the head):
 * - counts: cells, seams, resolved / unresolved seams;
 * - orphaned seams (a seam whose cellA or cellB no longer exists): warnings, since seams outlive
 *   their cells by design, but operators want to know;
 * - secondary indexes (tag, source, validity week): every index entry points at a live cell that
 *   carries that tag / source / week (else "entry without record"), and every cell has each entry
 *   it should (else "record without index entry"); every seam has its cell-pair, per-cell and
 *   week entries;
 * - MVCC statistics on format v2.
 * Errors are capped (`errorsMax`); counts keep running past the cap. Everything runs in one
 * synchronous read, so the check blocks the event loop for a scan of the whole database: run it
 * offline (`hexxladb check`) or when a pause is acceptable.
 */
import { coordToString } from '../coord/index.js';
import { decodeCell, decodeSeam } from '../engine/codec.js';
import {
  cellKey, decodeSourceIndexKey, decodeTagIndexKey, decodeTimeIndexKey, familyPrefix,
  seamByCellKey, seamByCellsKey, seamTimeKey, sourceIndexKey, tagIndexKey, timeIndexKey,
  type KeyFamily,
} from '../engine/keys.js';
import type { Cell } from '../engine/records.js';
import { ulidToString } from '../engine/ulid.js';
import { weekBucket } from '../engine/week-bucket.js';
import { hexxlaError } from '../errors.js';
import type { RecordReader } from '../mvcc/records.js';
import type { CheckReport } from '../storage/check.js';
import { booleanOption } from '../storage/store-options.js';

export interface HealthOptions {
  /** Which checks run (default all). */
  readonly structure?: boolean;
  readonly indexes?: boolean;
  readonly seams?: boolean;
  /** Errors listed at most (default 100); `errorCount` counts all. */
  readonly errorsMax?: number;
}

export interface HealthReport {
  ok: boolean;
  errors: string[];
  errorCount: number;
  warnings: string[];
  cellCount: number;
  seamCount: number;
  resolvedSeams: number;
  unresolvedSeams: number;
  orphanedSeams: number;
  /** Index entries whose cell is missing or does not carry the indexed value. */
  indexEntriesWithoutRecord: number;
  /** Index entries a cell should have but lacks. */
  recordsWithoutIndexEntry: number;
  /** The B+ tree structural check, when it ran. */
  structure?: CheckReport;
}

class Findings {
  readonly report: HealthReport = {
    ok: true, errors: [], errorCount: 0, warnings: [], cellCount: 0, seamCount: 0,
    resolvedSeams: 0, unresolvedSeams: 0, orphanedSeams: 0, indexEntriesWithoutRecord: 0,
    recordsWithoutIndexEntry: 0,
  };

  constructor(private readonly errorsMax: number) {}

  error(message: string): void {
    this.report.ok = false;
    if (this.report.errorCount++ < this.errorsMax) this.report.errors.push(message);
  }

  warn(message: string): void {
    if (this.report.warnings.length < this.errorsMax) this.report.warnings.push(message);
  }
}

/** Runs the record-level checks on `records` (a reader at the head) and merges `structure`. */
export function healthCheck(records: RecordReader, structure: (() => CheckReport) | undefined,
  options: HealthOptions = {}): HealthReport {
  const errorsMax = options.errorsMax ?? 100;
  if (!Number.isSafeInteger(errorsMax) || errorsMax < 0) {
    throw hexxlaError('InvalidArgument', 'errorsMax must be a non-negative integer');
  }
  // Read by `!== false`: a string 'false' would run the check it was meant to turn off.
  for (const name of ['structure', 'indexes', 'seams'] as const) {
    booleanOption(name, options[name], true);
  }
  const f = new Findings(errorsMax);
  if (options.structure !== false && structure !== undefined) {
    const s = structure();
    f.report.structure = s;
    for (const e of s.errors) f.error(`structure: ${e}`);
    if (s.errorCount > s.errors.length) f.report.errorCount += s.errorCount - s.errors.length;
  }
  const checkIndexes = options.indexes !== false;
  checkCells(records, f, checkIndexes);
  if (checkIndexes) checkIndexEntries(records, f);
  if (options.seams !== false) checkSeams(records, f);
  return f.report;
}

function checkCells(records: RecordReader, f: Findings, checkIndexes: boolean): void {
  for (const [key, value] of records.scan(familyPrefix('cell'))) {
    f.report.cellCount++;
    if (!checkIndexes) continue;
    let cell: Cell;
    try {
      cell = decodeCell(value);
    } catch (err) {
      f.error(`cell ${hex(key)}: undecodable record: ${String(err)}`);
      continue;
    }
    const where = coordToString(cell.coord);
    const expect = (present: boolean, what: string): void => {
      if (present) return;
      f.report.recordsWithoutIndexEntry++;
      f.error(`cell ${where}: missing ${what} index entry`);
    };
    for (const tag of cell.tags) expect(records.has(tagIndexKey(tag, cell.coord)), `tag "${tag}"`);
    const source = cell.provenance.sourceId;
    if (source !== '') {
      expect(records.has(sourceIndexKey(source, cell.coord)), `source "${source}"`);
    }
    const from = cell.validity.validFromMs;
    if (from !== undefined) {
      expect(records.has(timeIndexKey(weekBucket(from), cell.coord)), 'validity week');
    }
  }
}

/** Calls `fn` with each decoded key of `family`; an undecodable key is an error, not a throw. */
function eachKey<T>(records: RecordReader, f: Findings, family: KeyFamily,
  decode: (key: Uint8Array) => T, fn: (decoded: T) => void): void {
  for (const [key] of records.scan(familyPrefix(family))) {
    let decoded: T;
    try {
      decoded = decode(key);
    } catch (err) {
      f.error(`${family} index key ${hex(key)}: undecodable: ${String(err)}`);
      continue;
    }
    fn(decoded);
  }
}

/** Index entries that do not match a live cell. */
function checkIndexEntries(records: RecordReader, f: Findings): void {
  const cellAt = (c: Parameters<typeof cellKey>[0]): Cell | undefined => {
    const v = records.get(cellKey(c));
    try {
      return v === undefined ? undefined : decodeCell(v);
    } catch {
      return undefined; // reported by checkCells
    }
  };
  const stale = (what: string): void => {
    f.report.indexEntriesWithoutRecord++;
    f.error(`${what} index entry without a matching cell`);
  };
  eachKey(records, f, 'tag', decodeTagIndexKey, ({ tag, coord }) => {
    if (cellAt(coord)?.tags.includes(tag) !== true) stale(`tag "${tag}" → ${coordToString(coord)}`);
  });
  eachKey(records, f, 'source', decodeSourceIndexKey, ({ sourceId, coord }) => {
    if (cellAt(coord)?.provenance.sourceId !== sourceId) {
      stale(`source "${sourceId}" → ${coordToString(coord)}`);
    }
  });
  eachKey(records, f, 'time', decodeTimeIndexKey, ({ bucket, coord }) => {
    const from = cellAt(coord)?.validity.validFromMs;
    if (from === undefined || weekBucket(from) !== bucket) {
      stale(`week ${bucket} → ${coordToString(coord)}`);
    }
  });
}

function checkSeams(records: RecordReader, f: Findings): void {
  for (const [key, value] of records.scan(familyPrefix('seam'))) {
    f.report.seamCount++;
    let seam;
    try {
      seam = decodeSeam(value);
    } catch (err) {
      f.error(`seam ${hex(key)}: undecodable record: ${String(err)}`);
      continue;
    }
    const where = ulidToString(seam.id);
    const indexed = [seamByCellsKey(seam.cellA, seam.cellB, seam.id),
      seamByCellKey(seam.cellA, seam.id), seamByCellKey(seam.cellB, seam.id),
      seamTimeKey(weekBucket(seam.detectedAtMs), seam.id)];
    if (!indexed.every((k) => records.has(k))) {
      f.report.recordsWithoutIndexEntry++;
      f.error(`seam ${where}: missing cell-pair, per-cell or week index entry`);
    }
    if (seam.resolutionStatus === 'unresolved') f.report.unresolvedSeams++;
    else f.report.resolvedSeams++;
    const missing = [seam.cellA, seam.cellB].filter((c) => !records.has(cellKey(c)));
    if (missing.length > 0) {
      f.report.orphanedSeams++;
      f.warn(`seam ${where}: cell ${missing.map(coordToString).join(' and ')} ` +
        'no longer exists (orphaned seam)');
    }
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
