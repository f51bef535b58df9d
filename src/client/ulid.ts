/**
 * ULID text form for seam ids: 16 bytes ↔ 26 characters of Crockford base32 (the encoding of
 * src/engine/ulid.ts, which the SDK may not import; test/behaviour compares the two).
 * 130 output bits = 2 zero padding bits + 128 data bits, most significant first.
 */
import { hexxlaError } from '../errors.js';
import type { Ulid } from './types.js';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ulidStringLength = 26;
const ulidBytes = 16;

/** 16 bytes → 26 characters. InvalidArgument for any other length. */
export function ulidToString(id: Ulid): string {
  if (!(id instanceof Uint8Array) || id.length !== ulidBytes) {
    throw hexxlaError('InvalidArgument', 'a seam id must be a 16-byte ULID');
  }
  let text = '';
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

/** 26 characters (either case) → 16 bytes. InvalidArgument for anything else. */
export function ulidFromString(text: string): Ulid {
  const bad = (): never => {
    throw hexxlaError('InvalidArgument', 'not a ULID', { text: String(text).slice(0, 64) });
  };
  if (typeof text !== 'string' || text.length !== ulidStringLength) bad();
  const id = new Uint8Array(ulidBytes);
  let acc = 0;
  let bits = -2; // the two padding bits must be zero: the first character is at most '7'
  let out = 0;
  for (let i = 0; i < ulidStringLength; i++) {
    const value = crockford.indexOf(text.charAt(i).toUpperCase());
    if (value < 0 || (i === 0 && value > 7)) bad();
    acc = ((acc << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      id[out++] = acc >>> bits;
    }
  }
  return id;
}
