/**
 * A small seeded pseudo-random generator for reproducible simulation: shuffles, train/test splits,
 * federated partitions, synthetic data and weight initialisation in tests.
 *
 * NOT FOR PRIVACY NOISE. Its output is predictable from the seed by design. Differential-privacy
 * noise, Poisson sampling for DP-SGD, key material and anything else whose secrecy a privacy
 * argument relies on must come from `node:crypto`.
 *
 * The generator is xoshiro128** (Blackman and Vigna), 32-bit state words so it runs on plain JS
 * numbers, seeded through splitmix32 so that nearby seeds (0, 1, 2, ...) give unrelated streams.
 */

/** A seeded random stream. Same seed, same sequence of calls: same values, on every platform. */
export interface Rng {
  /** A uniform float in [0, 1) with 53 random bits. */
  next(): number;
  /** A uniform 32-bit unsigned integer. */
  uint32(): number;
  /** A uniform integer in [0, n), without modulo bias; `n` a positive integer. */
  int(n: number): number;
  /** Fisher–Yates shuffle in place; returns the same array for chaining. */
  shuffle<A extends MutableArrayLike>(array: A): A;
  /** A standard normal variate (Box–Muller). */
  normal(): number;
  /** A Gamma(shape, 1) variate (Marsaglia–Tsang; shape < 1 by the U^(1/shape) boost). */
  gamma(shape: number): number;
}

/** Anything indexable and writable: plain arrays and typed arrays alike. */
export interface MutableArrayLike {
  length: number;
  [index: number]: unknown;
}

const TWO_POW_32 = 4294967296;

function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a generator from an integer seed (any safe integer, negative included; both 32-bit
 * halves are mixed in, so seeds above 2^32 are distinct streams too).
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`createRng: seed must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  const mix = splitmix32(lo ^ Math.imul(hi, 0x85ebca6b));
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix();
  // The all-zero state is the one fixed point of xoshiro; splitmix32 essentially never yields it.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const uint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  const next = (): number => {
    const a = uint32() >>> 5; // 27 bits
    const b = uint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    if (n > TWO_POW_32) return Math.floor(next() * n);
    // Rejection sampling: accept only below the largest multiple of n, so every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = uint32();
      if (x < limit) return x % n;
    }
  };

  const shuffle = <A extends MutableArrayLike>(array: A): A => {
    for (let i = array.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  };

  const normal = (): number => {
    const u1 = 1 - next(); // (0, 1]: log never sees 0
    const u2 = next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };

  const gamma = (shape: number): number => {
    if (!(shape > 0) || !Number.isFinite(shape)) {
      throw new RangeError(`Rng.gamma: shape must be a positive finite number, got ${shape}`);
    }
    if (shape < 1) {
      // Gamma(a) = Gamma(a + 1) * U^(1/a). For very small a this underflows to 0; callers that
      // normalise (Dirichlet) must handle an all-zero draw.
      return gamma(shape + 1) * Math.pow(next(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = next();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  };

  return { next, uint32, int, shuffle, normal, gamma };
}
