/**
 * BGV parameters, context and keys for secure aggregation by addition only, with the values packed
 * straight into the plaintext polynomial's coefficients.
 *
 * Why BGV with coefficient packing. The coordinator only ever adds ciphertexts, so no
 * multiplication depth, no rescaling and no key switching are needed: the whole coefficient
 * modulus is ONE 60-bit prime q (SEAL's largest), with no special prime. A BGV plaintext is a
 * polynomial with N coefficients mod the plain modulus t, and a sum of ciphertexts decrypts to the
 * coefficient-wise sum mod t, exactly (no approximation, no rounding). Writing the packed values
 * directly as coefficients needs no encoder at all (CKKS needed an FFT on both sides) and uses all
 * N coefficients (CKKS gave N/2 real slots for the same ciphertext): twice the values per
 * ciphertext, so half the encryptions, half the bytes and half the coordinator's loads.
 *
 * With seeded symmetric encryption only the first polynomial travels (the second is re-derived from
 * a 64-byte seed), so the wire cost is N * 60 bits for N coefficients. N = 4096 is the smallest
 * degree whose 128-bit-security budget (109 bits, HE standard) holds a 60-bit modulus (8192 is
 * accepted and changes nothing per coefficient, only the granularity).
 *
 * t is a prime congruent to 1 mod 2N. Any t coprime to q would do for coefficient packing, but
 * node-seal's WebAssembly build cannot catch the exception SEAL throws internally while probing a
 * t that is not NTT-friendly, so such a context fails to build; a prime t also makes the
 * verification pads (he-tag.ts) uniform in a field.
 *
 * Precision budget (see docs/secure-aggregation.md for the derivation). A fresh encryption
 * decrypts as m + t * e (mod q) with |m| <= t/2 (SEAL lifts coefficients to (-t/2, t/2]) and e
 * SEAL's noise, |e| <= 21 per coefficient (centered binomial, standard deviation 3.24). A sum of W
 * decrypts exactly as long as W * t/2 + t * |sum of e| < q/2, i.e. |sum of e| < q/(2t) - W/2. With
 * q ~ 2^60 and t ~ 2^49 that limit is ~1000: a hard guarantee up to 47 workers (21 * W), and
 * `failureSigmas` (12) standard deviations of room for up to several hundred. A coefficient carries
 * floor(log2 t) bits (48 by default), split into `valuesPerSlot` digits, each keeping log2 W bits
 * of headroom so the sum of W digits never carries into the next one.
 *
 * Key custody: `generateHeSecretKey` runs at provisioning; hospitals receive the serialized secret
 * key. The coordinator needs nothing but `HeParams` (no key of any kind) to load and add
 * ciphertexts.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AidocError, assertArgument, makeError } from '../common/errors.js';
import { bgvScheme, deleteAll, loadSeal, noCompression, security128 } from './he-seal.js';
import type { Context, Modulus, SEALLibrary, SecretKey } from './he-seal.js';

/** Federation-wide BGV parameters: what provisioning writes into every kit, coordinator's included. */
export interface HeParams {
  readonly scheme: 'bgv';
  readonly version: 2;
  /** Ring degree N; a ciphertext carries N plaintext coefficients. */
  readonly polyModulusDegree: number;
  /** The coefficient-modulus primes, decimal (one prime: additions only). */
  readonly coeffModulus: readonly string[];
  /** The plain modulus t, decimal: a prime, 1 mod 2N, well below the coefficient modulus. */
  readonly plainModulus: string;
  /** Classical security level in bits, checked by SEAL against the HE standard. */
  readonly securityLevel: 128;
}

export interface HeParamsOptions {
  /**
   * Ring degree N. 4096 is the smallest that holds a 60-bit prime at 128-bit security.
   * @defaultValue 4096
   */
  polyModulusDegree?: 4096 | 8192;
  /**
   * Bits of the single coefficient-modulus prime (SEAL allows at most 60). Fewer bits shrink the
   * wire proportionally and cost the same number of bits of precision per slot.
   * @defaultValue 60
   */
  primeBits?: number;
  /**
   * Bits of the plain modulus t (a prime). Each bit taken from q / (2t) halves the noise room of a
   * sum; the default leaves 11 bits (exact sums of up to 47 contributions, whatever the noise).
   * @defaultValue primeBits - 11 (49 for a 60-bit q)
   */
  plainBits?: number;
}

const heParamsSchema = z.object({
  scheme: z.literal('bgv'),
  version: z.literal(2),
  polyModulusDegree: z.union([z.literal(2048), z.literal(4096), z.literal(8192), z.literal(16384)]),
  coeffModulus: z
    .array(z.string().regex(/^[1-9][0-9]{0,19}$/))
    .min(1)
    .max(1),
  // At most 2^53: pads and packed sums are exact in doubles.
  plainModulus: z.string().regex(/^[1-9][0-9]{0,15}$/),
  securityLevel: z.literal(128),
});

/** Chooses the parameters (deterministic: the same options always give the same primes). */
export async function createHeParams(options: HeParamsOptions = {}): Promise<HeParams> {
  const polyModulusDegree = options.polyModulusDegree ?? 4096;
  const primeBits = options.primeBits ?? 60;
  assertArgument(
    polyModulusDegree === 4096 || polyModulusDegree === 8192,
    'polyModulusDegree must be 4096 or 8192',
    {
      polyModulusDegree,
    },
  );
  assertArgument(
    Number.isInteger(primeBits) && primeBits >= 40 && primeBits <= 60,
    'primeBits must be 40..60',
    {
      primeBits,
    },
  );
  const plainBits = options.plainBits ?? primeBits - 11;
  assertArgument(
    Number.isInteger(plainBits) && plainBits >= 20 && plainBits <= Math.min(50, primeBits - 6),
    'plainBits must be 20..50 and at least 6 bits below primeBits',
    { plainBits, primeBits },
  );
  const seal = await loadSeal();
  const primes = seal.CoeffModulus.Create(polyModulusDegree, Int32Array.from([primeBits]));
  const plain = seal.PlainModulus.Batching(polyModulusDegree, plainBits);
  try {
    const values = primes.toArray() as BigUint64Array;
    return {
      scheme: 'bgv',
      version: 2,
      polyModulusDegree,
      coeffModulus: Array.from(values, (v) => v.toString()),
      plainModulus: plain.value.toString(),
      securityLevel: 128,
    };
  } finally {
    deleteAll(primes, plain);
  }
}

/** Bytes for a provisioning kit (canonical JSON, UTF-8). */
export function serializeHeParams(params: HeParams): Uint8Array {
  const canonical = {
    scheme: params.scheme,
    version: params.version,
    polyModulusDegree: params.polyModulusDegree,
    coeffModulus: [...params.coeffModulus],
    plainModulus: params.plainModulus,
    securityLevel: params.securityLevel,
  };
  return new TextEncoder().encode(JSON.stringify(canonical));
}

/** Parses and validates kit bytes; throws INVALID_ARGUMENT naming the problem. */
export function parseHeParams(bytes: Uint8Array): HeParams {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw makeError('HE parameters are not valid JSON', 'INVALID_ARGUMENT', {}, e);
  }
  const parsed = heParamsSchema.safeParse(json);
  if (!parsed.success) {
    const legacy = (json as { scheme?: unknown } | null)?.scheme === 'ckks';
    throw makeError(
      legacy
        ? 'HE parameters are CKKS (version 1); secure aggregation now uses BGV: re-provision the federation'
        : 'HE parameters are malformed',
      'INVALID_ARGUMENT',
      { problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    );
  }
  return parsed.data;
}

/** SHA-256 (hex) of the canonical parameter bytes; contributions are signed over it. */
export function heParamsDigest(params: HeParams): string {
  return createHash('sha256').update(serializeHeParams(params)).digest('hex');
}

/** A live SEAL context; `delete()` it when done. Holds no key. */
export interface HeContext {
  readonly seal: SEALLibrary;
  readonly context: Context;
  readonly params: HeParams;
  /** Plaintext coefficients per ciphertext (N); each carries one packed "slot". */
  readonly slotCount: number;
  /** The single data prime q. */
  readonly modulus: bigint;
  /** The plain modulus t (< 2^53, so exact as a number). */
  readonly plainModulus: number;
  /** SEAL's parms id of the data level: a ciphertext under other parameters has another. */
  readonly parmsId: readonly bigint[];
  /** The modulus chain has one level: every ciphertext SEAL accepts is at `parmsId`. */
  readonly singleLevel: boolean;
  delete(): void;
}

/** Builds the SEAL context from parameters alone (the coordinator's whole HE state). */
export async function createHeContext(params: HeParams): Promise<HeContext> {
  const checked = parseHeParams(serializeHeParams(params));
  const seal = await loadSeal();
  const parms = seal.EncryptionParameters(bgvScheme(seal));
  const primes = seal.Vector();
  const moduli: Modulus[] = [];
  let plain: Modulus | undefined;
  let context: Context | undefined;
  try {
    parms.setPolyModulusDegree(checked.polyModulusDegree);
    moduli.push(...checked.coeffModulus.map((p) => seal.Modulus(BigInt(p))));
    // node-seal's typings say VectorTypes, but a 'Modulus' vector is built from Modulus instances.
    primes.from(moduli.map((m) => m.instance as unknown) as unknown as BigUint64Array, 'Modulus');
    parms.setCoeffModulus(primes);
    const t = BigInt(checked.plainModulus);
    const q = BigInt(checked.coeffModulus[0] ?? '0');
    if (t < 3n || t % BigInt(2 * checked.polyModulusDegree) !== 1n || t * 64n > q) {
      throw makeError(
        'HE plain modulus must be a prime, 1 mod 2N, at least 6 bits below the coefficient modulus',
        'INVALID_ARGUMENT',
        { params: checked },
      );
    }
    plain = seal.Modulus(t);
    if (!plain.isPrime) {
      throw makeError('HE plain modulus is not prime', 'INVALID_ARGUMENT', { params: checked });
    }
    parms.setPlainModulus(plain);
    context = seal.Context(parms, true, security128(seal));
    if (!context.parametersSet()) {
      throw makeError(
        'HE parameters rejected by SEAL (not prime, not NTT-friendly, or insecure)',
        'INVALID_ARGUMENT',
        {
          params: checked,
        },
      );
    }
    const id = context.firstParmsId;
    const parmsId = Array.from(id.values);
    id.delete();
    const last = context.lastParmsId;
    const singleLevel = Array.from(last.values).every((v, i) => v === parmsId[i]);
    last.delete();
    const ctx = context;
    return {
      seal,
      context: ctx,
      params: checked,
      slotCount: checked.polyModulusDegree,
      modulus: BigInt(checked.coeffModulus[0] ?? '0'),
      plainModulus: Number(checked.plainModulus),
      parmsId,
      singleLevel,
      delete: () => ctx.delete(),
    };
  } catch (e) {
    context?.delete();
    if (e instanceof AidocError) throw e;
    // SEAL throws raw C++ exceptions (numbers) for parameters it cannot use.
    throw makeError('HE parameters rejected by SEAL', 'INVALID_ARGUMENT', { params: checked }, e);
  } finally {
    deleteAll(parms, primes, plain, ...moduli);
  }
}

/** The hospitals' CKKS secret key; `delete()` it when done. */
export interface HeSecretKey {
  readonly key: SecretKey;
  delete(): void;
}

/** Generates the federation's secret key (provisioning only). */
export function generateHeSecretKey(ctx: HeContext): HeSecretKey {
  const keygen = ctx.seal.KeyGenerator(ctx.context);
  try {
    const key = keygen.secretKey();
    return { key, delete: () => key.delete() };
  } finally {
    keygen.delete();
  }
}

/** Secret-key bytes for a hospital kit (SEAL format, uncompressed: it looks uniform anyway). */
export function serializeHeSecretKey(ctx: HeContext, secretKey: HeSecretKey): Uint8Array {
  return secretKey.key.saveArray(noCompression(ctx.seal));
}

/** Loads a hospital's secret key; throws INVALID_ARGUMENT if it is not a key for these parameters. */
export function loadHeSecretKey(ctx: HeContext, bytes: Uint8Array): HeSecretKey {
  const key = ctx.seal.SecretKey();
  try {
    key.loadArray(ctx.context, bytes);
  } catch (e) {
    key.delete();
    throw makeError('HE secret key does not load under these parameters', 'INVALID_ARGUMENT', {}, e);
  }
  return { key, delete: () => key.delete() };
}

/** SEAL's fresh-encryption noise per coefficient: centered binomial, standard deviation sqrt(21/2). */
const FRESH_NOISE_SIGMA = Math.sqrt(21 / 2);
/** ... and its largest magnitude (SEAL's clipped-normal alternative is bounded by 19.2). */
const FRESH_NOISE_MAX = 21;

export interface HePrecisionOptions {
  /**
   * Largest number of contributions a sum may hold. Each doubling costs one bit per digit.
   * @defaultValue 16
   */
  maxWorkers?: number;
  /**
   * Quantized values packed into one plaintext coefficient ("slot"): 1 = 44-bit quantization at
   * 7.6 bytes per value; 2 = 20-bit at 3.8 bytes; 3 = 12-bit at 2.5 bytes (W = 16, default t).
   * @defaultValue 2
   */
  valuesPerSlot?: 1 | 2 | 3;
  /**
   * Every value a worker encrypts is clamped into [-valueBound, valueBound] (the worker's update
   * already scaled by its weight). The quantization step is 2 * valueBound / (2^quantBits - 1).
   */
  valueBound: number;
  /**
   * Coefficients per ciphertext reserved for verification tags (each carries a pad uniform mod t).
   * @defaultValue 4
   */
  tagSlots?: number;
  /**
   * Standard deviations of summed encryption noise that must fit below the decryption limit when
   * the noise's hard bound (21 per contribution) does not.
   * @defaultValue 12
   */
  failureSigmas?: number;
}

/** Everything both sides must agree on to pack, add and open; derived, never sent raw. */
export interface HePrecisionPlan {
  readonly maxWorkers: number;
  readonly valuesPerSlot: number;
  readonly valueBound: number;
  readonly tagSlots: number;
  /** The plain modulus t: slots are padded, summed and unpadded mod t. */
  readonly plainModulus: number;
  /** Bits of a slot's payload: a packed slot is an integer in [0, 2^slotBits), 2^slotBits <= t. */
  readonly slotBits: number;
  /** Bits per digit (one packed value, with headroom for the sum). */
  readonly digitBits: number;
  /** Quantization bits of one worker's value. */
  readonly quantBits: number;
  /** Quantization step: one unit of a digit, in value units. */
  readonly step: number;
  /**
   * Largest |sum of encryption noise| per coefficient that still decrypts exactly:
   * floor(q / (2t) - maxWorkers / 2).
   */
  readonly noiseLimit: number;
  /** Whether even the worst-case noise of maxWorkers contributions (21 each) fits: exact with certainty. */
  readonly exactWorstCase: boolean;
  /** Worst-case error of one value of an opened sum of n contributions is n * step (clamping aside). */
  readonly sumErrorPerContribution: number;
}

/** Derives the precision budget for these parameters (pure; both sides get the same plan). */
export function planHePrecision(params: HeParams, options: HePrecisionOptions): HePrecisionPlan {
  const maxWorkers = options.maxWorkers ?? 16;
  const valuesPerSlot = options.valuesPerSlot ?? 2;
  const tagSlots = options.tagSlots ?? 4;
  const failureSigmas = options.failureSigmas ?? 12;
  const { valueBound } = options;
  assertArgument(
    Number.isInteger(maxWorkers) && maxWorkers >= 1 && maxWorkers <= 1024,
    'maxWorkers must be 1..1024',
    {
      maxWorkers,
    },
  );
  assertArgument([1, 2, 3].includes(valuesPerSlot), 'valuesPerSlot must be 1, 2 or 3', { valuesPerSlot });
  assertArgument(Number.isFinite(valueBound) && valueBound > 0, 'valueBound must be a positive number', {
    valueBound,
  });
  assertArgument(Number.isInteger(tagSlots) && tagSlots >= 1 && tagSlots <= 64, 'tagSlots must be 1..64', {
    tagSlots,
  });
  assertArgument(failureSigmas >= 6 && failureSigmas <= 40, 'failureSigmas must be 6..40', { failureSigmas });

  const q = Number(BigInt(params.coeffModulus[0] ?? '0'));
  const t = Number(params.plainModulus);
  const workerBits = Math.ceil(Math.log2(maxWorkers));
  // 2^slotBits <= t: a sum of payloads below 2^slotBits is recovered exactly from its value mod t.
  const slotBits = Math.floor(Math.log2(t));
  const digitBits = Math.floor(slotBits / valuesPerSlot);
  const quantBits = digitBits - workerBits;
  // Decryption of a sum of W is exact iff |sum of m| + t * |sum of e| < q/2, with |m| <= t/2.
  const noiseLimit = Math.floor(q / (2 * t) - maxWorkers / 2);
  const exactWorstCase = FRESH_NOISE_MAX * maxWorkers < noiseLimit;
  const noiseFits = exactWorstCase || failureSigmas * FRESH_NOISE_SIGMA * Math.sqrt(maxWorkers) < noiseLimit;
  if (quantBits < 4 || !noiseFits || digitBits * valuesPerSlot > 52) {
    throw makeError('no usable precision for these HE parameters and options', 'INVALID_ARGUMENT', {
      slotBits,
      quantBits,
      noiseLimit,
      maxWorkers,
      valuesPerSlot,
    });
  }
  const step = (2 * valueBound) / (2 ** quantBits - 1);
  return {
    maxWorkers,
    valuesPerSlot,
    valueBound,
    tagSlots,
    plainModulus: t,
    slotBits: digitBits * valuesPerSlot,
    digitBits,
    quantBits,
    step,
    noiseLimit,
    exactWorstCase,
    sumErrorPerContribution: step,
  };
}
