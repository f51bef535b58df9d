/**
 * ULIDs: 128-bit, time-ordered identifiers (seam ids, SPEC §3.4). docs/records.md "ULID".
 *
 * Byte layout (16 bytes, big-endian, so byte order = time order):
 *
 *   bytes 0…5   timestamp, u48 big-endian: milliseconds since 1970-01-01T00:00:00Z
 *   bytes 6…15  80 random bits
 *
 * Monotonicity: a `UlidGenerator` never returns an id less than or equal to its previous one.
 * When the requested time is not after the previous id's time (same millisecond, or a clock that
 * stepped back) it reuses the previous timestamp and adds 1 to the previous 80-bit random part.
 * If that increment overflows (2^80 ids in one millisecond, or an unlucky all-ones draw) the
 * timestamp moves on by 1 ms and the random part is drawn afresh, rather than failing as the
 * reference implementation does: an id slightly in the future is harmless, a failed commit is not.
 *
 * Text form: 26 characters of Crockford base32 (`0123456789ABCDEFGHJKMNPQRSTVWXYZ`), most
 * significant first; 26 × 5 = 130 bits, so the two top bits are zero and the first character is
 * `0`…`7`. Parsing accepts either case and rejects I, L, O, U, other characters, other lengths
 * and a first character above `7` with `InvalidArgument`. Formatting writes upper case, so
 * `ulidFromString(ulidToString(id))` equals `id` and the string order equals the byte order.
 */
import { randomBytes } from 'node:crypto';
import { hexxlaError } from '../errors.js';
import { assertUlid, ulidBytes, type Ulid } from '../types/ulid-text.js';

// The text form and the shape check are shared with the client SDK (src/types/ulid-text.ts).
export {
  assertUlid, ulidBytes, ulidFromString, ulidStringLength, ulidToString, type Ulid,
} from '../types/ulid-text.js';


/** Largest timestamp a ULID holds: 2^48 − 1 ms (the year 10889). */
export const ulidTimeMsMax = 2 ** 48 - 1;

/** Width of the timestamp part in bytes. */
const timeBytes = 6;

/** A source of random bytes: returns at least `n` fresh random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** The default random source: `node:crypto` `randomBytes` (a CSPRNG). */
export const cryptoRandom: RandomSource = (n) => randomBytes(n);

/** Throws `InvalidArgument` unless `timeMs` is an integer in 0 … `ulidTimeMsMax`. */
function assertUlidTime(timeMs: number): void {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0 || timeMs > ulidTimeMsMax) {
    throw hexxlaError('InvalidArgument', 'ULID time must be an integer ms in [0, 2^48 - 1]', {
      timeMs: String(timeMs),
    });
  }
}

/** Writes `timeMs` (validated) as u48 big-endian into `out[0…5]`. */
function writeTime(out: Uint8Array, timeMs: number): void {
  // 2^48 exceeds the 32-bit range of bit operators: split into a 16-bit high and 32-bit low part.
  const high = Math.floor(timeMs / 2 ** 32);
  const low = timeMs - high * 2 ** 32;
  out[0] = high >>> 8;
  out[1] = high;
  out[2] = low >>> 24;
  out[3] = low >>> 16;
  out[4] = low >>> 8;
  out[5] = low;
}

/** The timestamp (ms since the epoch) of `id`. Throws `InvalidArgument` for a malformed id. */
export function ulidTimeMs(id: Ulid): number {
  assertUlid(id);
  let time = 0;
  for (let i = 0; i < timeBytes; i++) time = time * 256 + (id[i] ?? 0);
  return time;
}

/**
 * Adds 1 to the 80-bit random part of `id` in place. Returns false (and leaves all zeros) when
 * the random part was all ones and wrapped around.
 */
function incrementRandom(id: Uint8Array): boolean {
  for (let i = ulidBytes - 1; i >= timeBytes; i--) {
    const byte = id[i] ?? 0;
    if (byte !== 0xff) {
      id[i] = byte + 1;
      return true;
    }
    id[i] = 0;
  }
  return false;
}

/**
 * Makes strictly increasing ULIDs. One instance per id space; the engine uses one per database
 * process, `newUlid` uses a module-wide one. Not thread-safe across workers (Node runs one
 * thread per isolate, so a generator is never shared between threads).
 */
export class UlidGenerator {
  private last: Uint8Array | undefined;
  private lastTimeMs = -1;

  /** `random` supplies the 80 random bits of each new millisecond (default: node:crypto). */
  constructor(private readonly random: RandomSource = cryptoRandom) {}

  /**
   * A new ULID for `timeMs` (default `Date.now()`), strictly greater than every earlier id of
   * this generator (see the module comment). The result is a fresh array owned by the caller.
   * `random` overrides the generator's source for this call. Throws `InvalidArgument` for a time
   * outside 0 … 2^48 − 1, or when the monotonic timestamp would pass 2^48 − 1.
   */
  next(timeMs: number = Date.now(), random: RandomSource = this.random): Ulid {
    assertUlidTime(timeMs);
    const id = new Uint8Array(ulidBytes);
    if (this.last !== undefined && timeMs <= this.lastTimeMs) {
      id.set(this.last);
      if (incrementRandom(id)) return this.remember(id, this.lastTimeMs);
      timeMs = this.lastTimeMs + 1;
      assertUlidTime(timeMs);
    }
    const bits = random(ulidBytes - timeBytes);
    if (!(bits instanceof Uint8Array) || bits.length < ulidBytes - timeBytes) {
      throw hexxlaError('InvalidArgument', 'the random source returned too few bytes');
    }
    writeTime(id, timeMs);
    id.set(bits.subarray(0, ulidBytes - timeBytes), timeBytes);
    return this.remember(id, timeMs);
  }

  private remember(id: Uint8Array, timeMs: number): Ulid {
    this.last = id.slice();
    this.lastTimeMs = timeMs;
    return id;
  }
}

const defaultGenerator = new UlidGenerator();

/**
 * A new ULID for `timeMs` (default `Date.now()`) from the module-wide monotonic generator, with
 * 80 random bits from `random` (default `node:crypto` `randomBytes`). Fresh array, owned by the
 * caller. Throws `InvalidArgument` for a time outside 0 … 2^48 − 1.
 */
export function newUlid(timeMs: number = Date.now(), random: RandomSource = cryptoRandom): Ulid {
  return defaultGenerator.next(timeMs, random);
}
