/**
 * Validity week buckets (SPEC §3.1): the UTC ISO week of a time, as one monotonic integer.
 *
 * ISO weeks run Monday to Sunday without gaps, so numbering them needs no calendar at all:
 *
 *   day    = ⌊timeMs / 86,400,000⌋            (UTC days since 1970-01-01, negative before)
 *   bucket = ⌊(day + 3) / 7⌋                  (weeks since Monday 1969-12-29)
 *
 * 1970-01-01 was a Thursday, so the ISO week that contains it, 1970-W01, began on Monday
 * 1969-12-29 (day −3) and is bucket 0; 1970-W02 is bucket 1, 1969-W52 is bucket −1. The ISO year
 * and week number are only labels of a bucket: the week's Thursday (day = 7 · bucket) lies in the
 * ISO year, and the week number is 1 + ⌊(Thursday − 1 January of that year) / 7⌋. For example
 * Monday 2024-12-30 is in 2025-W01, because that week's Thursday is 2025-01-02.
 *
 * Buckets are signed (times before 1969-12-29 are negative). Within the record time range
 * (±(2^52 − 1) ms) they lie in about ±7.45 million, so `keys.ts` stores them as a u32 with the
 * sign bit flipped (bucket + 2^31), which keeps key order equal to time order.
 */
import { hexxlaError } from '../errors.js';
import { checkTimeMs, recordTimeMsMax, recordTimeMsMin } from './records.js';

const dayMs = 86_400_000;

/** ⌊a / b⌋ for integers, exact for safe integers (no floating-point division rounding). */
function floorDiv(a: number, b: number): number {
  const remainder = ((a % b) + b) % b;
  return (a - remainder) / b;
}

/** Days since 1970-01-01 of the proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The proleptic Gregorian year of the day `days` since 1970-01-01 (Hinnant's civil_from_days). */
function civilYear(days: number): number {
  const z = days + 719_468;
  const era = floorDiv(z, 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const year = yearOfEra + era * 400;
  return monthFromMarch >= 10 ? year + 1 : year; // January and February belong to the next year
}

/** Bucket of a day number. */
function bucketOfDay(day: number): number {
  return floorDiv(day + 3, 7);
}

/**
 * The week bucket of `timeMs` (see the module comment). Throws `InvalidArgument` unless `timeMs`
 * is an integer within ±(2^52 − 1).
 */
export function weekBucket(timeMs: number): number {
  checkTimeMs(timeMs, 'timeMs');
  return bucketOfDay(floorDiv(timeMs, dayMs));
}

/** Smallest bucket of a valid record time. */
export const weekBucketMin = weekBucket(recordTimeMsMin);
/** Largest bucket of a valid record time. */
export const weekBucketMax = weekBucket(recordTimeMsMax);

/** An ISO 8601 week label: the ISO year and the week number 1 … 53. */
export type IsoWeek = { readonly isoYear: number; readonly isoWeek: number };

/** The ISO year and week of the UTC day of `timeMs`. Throws `InvalidArgument` as `weekBucket`. */
export function isoWeekOf(timeMs: number): IsoWeek {
  const thursday = weekBucket(timeMs) * 7;
  const isoYear = civilYear(thursday);
  const isoWeek = floorDiv(thursday - daysFromCivil(isoYear, 1, 1), 7) + 1;
  return { isoYear, isoWeek };
}

/** Bucket of week 1 of `isoYear`: the week that contains 4 January. */
function firstWeekBucket(isoYear: number): number {
  return bucketOfDay(daysFromCivil(isoYear, 1, 4));
}

/**
 * The bucket of ISO week `isoWeek` of `isoYear` (the inverse of `isoWeekOf`). Throws
 * `InvalidArgument` unless the year is an integer, the week exists in that year (1 … 52 or 53)
 * and the bucket lies within `weekBucketMin … weekBucketMax`.
 */
export function weekBucketOfIsoWeek(isoYear: number, isoWeek: number): number {
  const bad = (): Error =>
    hexxlaError('InvalidArgument', 'no such ISO week in the supported range', {
      isoYear: String(isoYear),
      isoWeek: String(isoWeek),
    });
  if (!Number.isSafeInteger(isoYear) || Math.abs(isoYear) > 1_000_000) throw bad();
  const first = firstWeekBucket(isoYear);
  const weeks = firstWeekBucket(isoYear + 1) - first;
  if (!Number.isInteger(isoWeek) || isoWeek < 1 || isoWeek > weeks) throw bad();
  const bucket = first + isoWeek - 1;
  if (bucket < weekBucketMin || bucket > weekBucketMax) throw bad();
  return bucket;
}
