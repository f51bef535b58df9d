/**
 * Strict UTF-8 for keys and record values: strings must be well-formed (no lone surrogates,
 * which `TextEncoder` would silently turn into U+FFFD), and decoding is fatal on any malformed
 * byte sequence (overlong forms, encoded surrogates, truncated sequences). A leading U+FEFF is
 * kept as data (`ignoreBOM`), so encode and decode are exact inverses on well-formed strings.
 */
import { hexxlaError } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** With the `u` flag a surrogate pair is one code point, so this matches lone surrogates only. */
const loneSurrogate = /\p{Cs}/u;

/** True when `text` is a string without lone surrogates (ES2024 `isWellFormed`). */
export function isWellFormedString(text: unknown): text is string {
  return typeof text === 'string' && !loneSurrogate.test(text);
}

/**
 * The UTF-8 bytes of `text` (a fresh array). Throws `InvalidArgument` naming `what` when `text`
 * is not a well-formed string.
 */
export function encodeUtf8(text: string, what: string): Uint8Array {
  if (!isWellFormedString(text)) {
    throw hexxlaError('InvalidArgument', `${what} must be a well-formed string`);
  }
  return encoder.encode(text);
}

/** Decodes `bytes` as strict UTF-8, or returns undefined when they are not well-formed. */
export function tryDecodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The UTF-8 byte length of the well-formed string `text`, without encoding it (a lone surrogate,
 * which callers reject separately, counts as the 3 bytes of U+FFFD).
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
