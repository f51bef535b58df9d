/**
 * Goal: validity week buckets (src/engine/week-bucket.ts) number UTC ISO weeks as documented:
 * bucket = ⌊(⌊t / 1 day⌋ + 3) / 7⌋, bucket 0 = 1970-W01 (Monday 1969-12-29).
 * Method: known dates (year boundaries, 53-week years, the epoch) checked by hand; a reference
 * ISO-week implementation built only on `Date`'s UTC getters (the textbook "Thursday of the same
 * week" rule) compared with `isoWeekOf` under fast-check over the whole `Date`-representable part
 * of the record time range; round trips between buckets and ISO labels.
 * Properties:
 * - known dates map to their ISO year-week (2024-12-30 → 2025-W01, 2021-01-03 → 2020-W53, …);
 * - isoWeekOf(t) equals the reference, and weekBucketOfIsoWeek(isoWeekOf(t)) = weekBucket(t);
 * - buckets never decrease with time, change exactly at Monday 00:00 UTC, and +7 days = +1;
 * - invalid times, weeks and years throw InvalidArgument.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordTimeMsMax, recordTimeMsMin } from '../../src/engine/records.js';
import {
  isoWeekOf,
  weekBucket,
  weekBucketMax,
  weekBucketMin,
  weekBucketOfIsoWeek,
} from '../../src/engine/week-bucket.js';
import { expectErrorCode, timeArb } from './helpers.js';

const dayMs = 86_400_000;

/** ISO year and week from Date's UTC getters: the ISO year is the year of the week's Thursday. */
function referenceIsoWeek(timeMs: number): { isoYear: number; isoWeek: number } {
  const midnight = new Date(timeMs);
  midnight.setUTCHours(0, 0, 0, 0);
  const dayOfWeek = midnight.getUTCDay() === 0 ? 7 : midnight.getUTCDay(); // Monday = 1
  const thursday = new Date(midnight.getTime() + (4 - dayOfWeek) * dayMs);
  const isoYear = thursday.getUTCFullYear();
  const january1 = new Date(0);
  january1.setUTCFullYear(isoYear, 0, 1);
  const isoWeek = Math.floor((thursday.getTime() - january1.getTime()) / dayMs / 7) + 1;
  return { isoYear, isoWeek };
}

const at = (iso: string): number => Date.parse(iso);

describe('week buckets', () => {
  it('maps known dates to their ISO weeks', () => {
    const cases: [string, number, number][] = [
      ['2024-12-30T00:00:00Z', 2025, 1],
      ['2024-12-29T23:59:59.999Z', 2024, 52],
      ['2021-01-03T12:00:00Z', 2020, 53],
      ['2021-01-04T00:00:00Z', 2021, 1],
      ['2026-12-31T00:00:00Z', 2026, 53],
      ['2027-01-01T00:00:00Z', 2026, 53],
      ['2008-12-29T00:00:00Z', 2009, 1],
      ['2010-01-03T00:00:00Z', 2009, 53],
      ['1970-01-01T00:00:00Z', 1970, 1],
      ['1969-12-29T00:00:00Z', 1970, 1],
      ['1969-12-28T23:59:59.999Z', 1969, 52],
      ['2000-02-29T00:00:00Z', 2000, 9],
    ];
    for (const [iso, isoYear, isoWeek] of cases) {
      expect(isoWeekOf(at(iso)), iso).toEqual({ isoYear, isoWeek });
      expect(weekBucketOfIsoWeek(isoYear, isoWeek), iso).toBe(weekBucket(at(iso)));
    }
    expect(weekBucket(0)).toBe(0);
    expect(weekBucket(at('1969-12-29T00:00:00Z'))).toBe(0);
    expect(weekBucket(at('1969-12-28T23:59:59.999Z'))).toBe(-1);
    expect(weekBucket(at('1970-01-05T00:00:00Z'))).toBe(1);
    expect(weekBucket(at('2024-12-30T00:00:00Z'))).toBe(2870);
  });

  it('agrees with a Date-based reference over the representable range', () => {
    const dateMsMax = 8.64e15; // Date's own limit
    const time = fc.oneof(
      fc.integer({ min: Math.max(recordTimeMsMin, -dateMsMax), max: recordTimeMsMax }),
      fc.integer({ min: at('1900-01-01T00:00:00Z'), max: at('2200-01-01T00:00:00Z') }),
    );
    fc.assert(fc.property(time, (t) => {
      const label = isoWeekOf(t);
      expect(label).toEqual(referenceIsoWeek(t));
      expect(weekBucketOfIsoWeek(label.isoYear, label.isoWeek)).toBe(weekBucket(t));
    }), { numRuns: 3000 });
  });

  it('is monotonic, changes at Monday 00:00 UTC and counts weeks', () => {
    fc.assert(fc.property(timeArb, timeArb, (a, b) => {
      if (a <= b) expect(weekBucket(a)).toBeLessThanOrEqual(weekBucket(b));
      const bucket = weekBucket(a);
      const monday = bucket * 7 * dayMs - 3 * dayMs;
      if (monday >= recordTimeMsMin && monday - 1 >= recordTimeMsMin) {
        expect(weekBucket(monday)).toBe(bucket);
        expect(weekBucket(monday - 1)).toBe(bucket - 1);
      }
      if (a + 7 * dayMs <= recordTimeMsMax) expect(weekBucket(a + 7 * dayMs)).toBe(bucket + 1);
    }));
    expect(weekBucket(recordTimeMsMin)).toBe(weekBucketMin);
    expect(weekBucket(recordTimeMsMax)).toBe(weekBucketMax);
    expect(weekBucketMax).toBeLessThan(2 ** 31);
    expect(weekBucketMin).toBeGreaterThanOrEqual(-(2 ** 31));
  });

  it('rejects invalid input with InvalidArgument', () => {
    for (const t of [Number.NaN, 0.5, recordTimeMsMax + 1, -recordTimeMsMax - 1, Infinity]) {
      expectErrorCode(() => weekBucket(t), 'InvalidArgument');
      expectErrorCode(() => isoWeekOf(t), 'InvalidArgument');
    }
    for (const [year, week] of [[2021, 53], [2020, 54], [2020, 0], [2020, 1.5], [1.5, 1],
      [Number.NaN, 1], [2_000_000, 1], [200_000, 1]]) {
      expectErrorCode(() => weekBucketOfIsoWeek(year ?? 0, week ?? 0), 'InvalidArgument');
    }
    expect(weekBucketOfIsoWeek(2020, 53)).toBe(weekBucketOfIsoWeek(2021, 1) - 1);
  });
});
