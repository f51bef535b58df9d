/**
 * A tiny seeded pseudo-random generator for fault injection and simulation.
 *
 * mulberry32: 32 bits of state, period 2^32, good enough statistics for choosing which unsynced
 * write survives a simulated crash. It is not cryptographic. Every fault decision in test/fault is
 * drawn from a `Prng` built from an explicit seed, so a failing run replays from its printed seed.
 */

/** Returns the mulberry32 generator for `seed`: each call yields a float in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator with the few draws the fault tools need. Not shared between instances. */
export class Prng {
  private readonly nextFloat: () => number;

  /** `seed` is taken modulo 2^32; the same seed always yields the same sequence. */
  constructor(readonly seed: number) {
    this.nextFloat = mulberry32(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextFloat();
  }

  /** An integer in [0, maxExclusive); `maxExclusive` must be a positive safe integer. */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`Prng.int: bad bound ${maxExclusive}`);
    }
    return Math.floor(this.nextFloat() * maxExclusive);
  }

  /** True with probability `probability` (default one half). */
  bool(probability = 0.5): boolean {
    return this.nextFloat() < probability;
  }

  /** `length` fresh random bytes (a new array owned by the caller). */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/**
 * Reads a seed from the environment variable `name` (default HEXXLA_SEED), else returns
 * `fallback`. Throws when the variable is set but is not an integer, so a typo cannot silently
 * run a different seed.
 */
export function seedFromEnv(fallback: number, name = 'HEXXLA_SEED'): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`${name}=${raw} is not an integer seed`);
  return seed;
}

/**
 * Deterministic bytes (xorshift32): `n` bytes seeded by `seed` (seed 0 acts as 1). Incompressible
 * unless `text` (then letters a…f, which DEFLATE shrinks).
 */
export function seededBytes(seed: number, n: number, text = false): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = text ? 97 + (x % 6) : x & 0xff;
  }
  return out;
}
