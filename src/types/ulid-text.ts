/**
 * ULID text form (SPEC §3.4 seam ids): 16 bytes ↔ 26 characters of Crockford base32, shared by
 * the library (src/engine/ulid.ts, which also makes ULIDs) and the client SDK. The layout and the
 * parsing rules are in src/engine/ulid.ts's header and docs/records.md "ULID".
 */
import { hexxlaError } from '../errors.js';
import type { Ulid } from './records.js';

export type { Ulid };
/** Width of a ULID in bytes. */
export const ulidBytes = 16;
/** Length of a ULID's text form. */
export const ulidStringLength = 26;

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Crockford character code → 5-bit value, or −1; both cases are accepted. */
const crockfordValues: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < crockford.length; i++) {
    table[crockford.charCodeAt(i)] = i;
    table[crockford.toLowerCase().charCodeAt(i)] = i;
  }
  return table;
})();

/** Throws `InvalidArgument` unless `id` is a `Uint8Array` of exactly 16 bytes. */
export function assertUlid(id: Ulid, what = 'ULID'): void {
  if (!(id instanceof Uint8Array) || id.length !== ulidBytes) {
    throw hexxlaError('InvalidArgument', `${what} must be a 16-byte Uint8Array`, {
      length: id instanceof Uint8Array ? id.length : -1,
    });
  }
}

/** The 26-character upper-case Crockford base32 form of `id`. Throws `InvalidArgument`. */
export function ulidToString(id: Ulid): string {
  assertUlid(id);
  let text = '';
  // 130 output bits = 2 zero bits + 128 data bits; `bits` counts the pending low bits of `acc`.
  let acc = 0;
  let bits = 2;
  for (const byte of id) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += crockford[(acc >>> bits) & 31] ?? '';
    }
    acc &= (1 << bits) - 1;
  }
  return text;
}

/**
 * Parses a 26-character Crockford base32 ULID (either case) into a new 16-byte array.
 * Throws `InvalidArgument` for any other length, a character outside the alphabet (I, L, O, U
 * included) or a value above 2^128 − 1 (first character above `7`).
 */
export function ulidFromString(text: string): Ulid {
  const bad = (reason: string): Error =>
    hexxlaError('InvalidArgument', `not a ULID: ${reason}`, { text: String(text).slice(0, 64) });
  if (typeof text !== 'string' || text.length !== ulidStringLength) throw bad('length');
  const id = new Uint8Array(ulidBytes);
  let acc = 0;
  let bits = -2; // the first two bits of the 130 are padding and must be zero
  let out = 0;
  for (let i = 0; i < ulidStringLength; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (crockfordValues[code] ?? -1) : -1;
    if (value < 0) throw bad('character outside Crockford base32');
    if (i === 0 && value > 7) throw bad('value above 2^128 - 1');
    acc = ((acc << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      id[out++] = acc >>> bits;
    }
  }
  return id;
}
