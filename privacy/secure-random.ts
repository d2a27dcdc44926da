/**
 * The random source of differential privacy: Gaussian noise and Poisson sampling drawn from
 * `node:crypto`, never from `Math.random` or a seeded PRNG (the DP guarantee assumes the noise is
 * unpredictable to the adversary; a guessable generator turns the noise into a removable mask).
 *
 * - Uniforms carry 53 random bits and lie in (0, 1], so `log(u)` is finite and the Gaussian's tails
 *   are not cut short: the largest |z| Box–Muller can produce is sqrt(-2 ln 2^-53) ≈ 8.57, a tail
 *   of probability ~1e-17, far below any delta in use.
 * - Gaussians: Box–Muller on pairs of such uniforms, computed in float64, stored as float32 when
 *   filling a Float32Array (the gradient's own precision).
 * - Poisson sampling: every record is included independently with probability q, by skipping
 *   geometric gaps (`floor(ln u / ln(1 - q))`), so a step costs O(qN) draws, not O(N).
 *
 * Caveat, stated plainly: like Opacus and TF Privacy, this samples continuous distributions with
 * floating-point arithmetic. Floating-point artefacts of textbook samplers can leak in principle
 * (Mironov 2012 for Laplace; Jin et al. 2022 for Gaussian samplers); a discrete Gaussian would be the
 * fix. The DP-SGD accountant assumes the ideal continuous Gaussian.
 *
 * A seeded source (`createSecureRandom({ seed })`) is an AES-256-CTR keystream under a key derived
 * from the seed: cryptographic quality, but predictable to anyone who knows the seed, so it gives
 * NO privacy. It exists for reproducible tests and research runs only; production code passes no seed.
 */
import { createCipheriv, createHash, randomFillSync } from 'node:crypto';
import { assertArgument } from '../common/errors.js';

export interface SecureRandom {
  /** True when built from a seed: reproducible, and therefore not private. */
  readonly seeded: boolean;
  /** Fills `out` with independent uniform 32-bit words. */
  fillUint32(out: Uint32Array): Uint32Array;
  /** One uniform draw in (0, 1] with 53 random bits. */
  uniform(): number;
  /** One standard normal draw. */
  gaussian(): number;
  /** Fills `out` with independent N(0, stddev²) values; returns `out`. */
  fillGaussian(out: Float32Array | Float64Array, stddev?: number): typeof out;
  /** Adds independent N(0, stddev²) noise to every element of `values` in place; returns `values`. */
  addGaussian(values: Float32Array | Float64Array, stddev: number): typeof values;
  /**
   * Poisson sampling: the indexes in [0, n) of the records included, each independently with
   * probability `q` in [0, 1], ascending. The batch size is Binomial(n, q).
   */
  poissonSample(n: number, q: number): Int32Array;
}

export interface SecureRandomOptions {
  /**
   * Makes the stream reproducible (AES-256-CTR keyed by SHA-256 of the seed). Tests only: a seeded
   * stream is no protection against anyone who knows or guesses the seed.
   * @defaultValue none: bytes come from `crypto.randomFillSync`
   */
  seed?: string | number | Uint8Array;
}

const TWO_POW_M53 = 2 ** -53;

/**
 * The largest |value| a standard normal from this source can take: Box–Muller's radius
 * sqrt(-2 ln u) with the smallest uniform u = 2^-53 (every draw is at most this many stddevs).
 */
export const MAX_GAUSSIAN_ABS = Math.sqrt(-2 * Math.log(2 ** -53));
const TWO_PI = 2 * Math.PI;
/** Words drawn from the byte source at a time; amortizes the cost of a crypto call. */
const POOL_WORDS = 4096;

type ByteSource = (out: Uint8Array) => void;

function seededSource(seed: string | number | Uint8Array): ByteSource {
  const material =
    typeof seed === 'number'
      ? `number:${seed}`
      : typeof seed === 'string'
        ? `string:${seed}`
        : Buffer.from(seed);
  const key = createHash('sha256').update('aidoc-secure-random-seed\0').update(material).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  let zeros = Buffer.alloc(0);
  return (out) => {
    if (zeros.length < out.length) zeros = Buffer.alloc(out.length);
    const ks = cipher.update(zeros.subarray(0, out.length));
    out.set(ks);
  };
}

/** Creates a random source: `node:crypto` by default, a reproducible keystream with `seed` (tests). */
export function createSecureRandom(options: SecureRandomOptions = {}): SecureRandom {
  const seeded = options.seed !== undefined;
  const source: ByteSource = seeded ? seededSource(options.seed!) : (out) => randomFillSync(out);

  const fillUint32 = (out: Uint32Array) => {
    source(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    return out;
  };

  // A small pool serves the scalar draws (uniform, gaussian, Poisson gaps) without one crypto call each.
  const pool = new Uint32Array(POOL_WORDS);
  let pos = POOL_WORDS;
  const word = () => {
    if (pos === POOL_WORDS) {
      fillUint32(pool);
      pos = 0;
    }
    return pool[pos++]!;
  };
  /** (0, 1] with 53 bits: 27 high bits of one word, 26 of another, plus one ulp. */
  const uniform = () => ((word() >>> 5) * 67108864 + (word() >>> 6) + 1) * TWO_POW_M53;
  let spare = NaN;
  const gaussian = () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = TWO_PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };

  const fillNormals = (out: Float32Array | Float64Array, stddev: number, add: boolean) => {
    assertArgument(
      Number.isFinite(stddev) && stddev >= 0,
      `stddev must be a finite number >= 0, got ${stddev}`,
    );
    const n = out.length;
    // Four words per pair of normals; drawn in chunks so memory stays bounded for huge outputs.
    const chunkPairs = 1 << 14;
    const words = new Uint32Array(4 * Math.min(chunkPairs, Math.ceil(n / 2)));
    for (let start = 0; start < n; start += 2 * chunkPairs) {
      const pairs = Math.min(chunkPairs, Math.ceil((n - start) / 2));
      const w = fillUint32(words.subarray(0, 4 * pairs));
      for (let p = 0; p < pairs; p++) {
        const k = 4 * p;
        // 53-bit uniforms in (0, 1]: (hi27 * 2^26 + lo26 + 1) / 2^53.
        const u1 = ((w[k]! >>> 5) * 67108864 + (w[k + 1]! >>> 6) + 1) * TWO_POW_M53;
        const u2 = ((w[k + 2]! >>> 5) * 67108864 + (w[k + 3]! >>> 6) + 1) * TWO_POW_M53;
        const r = stddev * Math.sqrt(-2 * Math.log(u1));
        const t = TWO_PI * u2;
        const i = start + 2 * p;
        if (add) {
          out[i] = out[i]! + r * Math.cos(t);
          if (i + 1 < n) out[i + 1] = out[i + 1]! + r * Math.sin(t);
        } else {
          out[i] = r * Math.cos(t);
          if (i + 1 < n) out[i + 1] = r * Math.sin(t);
        }
      }
    }
    return out;
  };

  const poissonSample = (n: number, q: number) => {
    assertArgument(Number.isInteger(n) && n >= 0, `n must be an integer >= 0, got ${n}`);
    assertArgument(q >= 0 && q <= 1, `sampling probability must be in [0, 1], got ${q}`);
    if (q === 0 || n === 0) return new Int32Array(0);
    if (q === 1) return Int32Array.from({ length: n }, (_, i) => i);
    const out: number[] = [];
    if (q > 0.25) {
      // Dense sampling: one 53-bit uniform per record (P(u <= q) = q up to 2^-53).
      for (let i = 0; i < n; i++) if (uniform() <= q) out.push(i);
    } else {
      // Gaps between included records are i.i.d. Geometric(q) on {0, 1, ...}: P(gap = k) = (1-q)^k q.
      // With u uniform in (0, 1], floor(ln u / ln(1-q)) has exactly that law.
      const logNot = Math.log1p(-q);
      let i = -1;
      for (;;) {
        i += 1 + Math.floor(Math.log(uniform()) / logNot);
        if (i >= n) break;
        out.push(i);
      }
    }
    return Int32Array.from(out);
  };

  return {
    seeded,
    fillUint32,
    uniform,
    gaussian,
    fillGaussian: (out, stddev = 1) => fillNormals(out, stddev, false),
    addGaussian: (values, stddev) => fillNormals(values, stddev, true),
    poissonSample,
  };
}
