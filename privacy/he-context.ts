/**
 * CKKS parameters, context and keys for secure aggregation by addition only.
 *
 * Why these parameters. The coordinator only ever adds ciphertexts, so no multiplication depth, no
 * rescaling and no key switching are needed: the whole coefficient modulus is ONE 60-bit prime (SEAL's
 * largest), with no special prime. A ciphertext is then two polynomials of N coefficients mod that
 * prime; with seeded symmetric encryption only the first travels (the second is re-derived from a
 * 64-byte seed), so the wire cost is N * 60 bits for N/2 real slots, i.e. 15 bytes per slot however
 * large N is. N = 4096 is the smallest degree whose 128-bit-security budget (109 bits, HE standard)
 * holds a 60-bit modulus; a 60-bit modulus would even be secure at N = 2048 (budget 54 bits) only if
 * shrunk to 54 bits, which costs 6 bits of precision per slot, so 4096 is the default (8192 is
 * accepted and changes nothing per slot, only the granularity).
 *
 * Precision budget (see docs/secure-aggregation.md for the derivation and measurements). A slot
 * holds an integer; the sum of W workers' encryptions decodes to that integer plus Gaussian noise of
 * standard deviation sigma = sqrt(N/2) * 3.21 * sqrt(W) / scale (fresh encryption error 3.2 per
 * coefficient, plus encoding rounding, seen through the canonical embedding). The scale is the
 * smallest power of two that puts 0.5 (the rounding threshold) `failureSigmas` standard deviations
 * away, so rounding recovers the integer exactly except with probability ~exp(-failureSigmas^2/2)
 * per slot. The integer itself may use whatever is left of the modulus: the decoded coefficients
 * are bounded by scale * |slot| and must stay below q/2 ~ 2^59 (one bit kept as margin), so a
 * slot sum carries floor(59 - log2 scale - log2 W) bits; each worker's slot carries that many
 * bits less log2 W. Those bits are split into `valuesPerSlot` digits, and each digit keeps
 * log2 W bits of headroom so the sum of W digits never carries into the next one.
 *
 * Key custody: `generateHeSecretKey` runs at provisioning; hospitals receive the serialized secret
 * key. The coordinator needs nothing but `HeParams` (no key of any kind) to load and add
 * ciphertexts.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AidocError, assertArgument, makeError } from '../common/errors.js';
import { ckksScheme, deleteAll, loadSeal, noCompression, security128 } from './he-seal.js';
import type { Context, Modulus, SEALLibrary, SecretKey } from './he-seal.js';

/** Federation-wide CKKS parameters: what provisioning writes into every kit, coordinator's included. */
export interface HeParams {
  readonly scheme: 'ckks';
  readonly version: 1;
  /** Ring degree N; a ciphertext has N/2 slots. */
  readonly polyModulusDegree: number;
  /** The coefficient-modulus primes, decimal (one prime: additions only). */
  readonly coeffModulus: readonly string[];
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
}

const heParamsSchema = z.object({
  scheme: z.literal('ckks'),
  version: z.literal(1),
  polyModulusDegree: z.union([z.literal(2048), z.literal(4096), z.literal(8192), z.literal(16384)]),
  coeffModulus: z
    .array(z.string().regex(/^[1-9][0-9]{0,19}$/))
    .min(1)
    .max(1),
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
  const seal = await loadSeal();
  const primes = seal.CoeffModulus.Create(polyModulusDegree, Int32Array.from([primeBits]));
  try {
    const values = primes.toArray() as BigUint64Array;
    return {
      scheme: 'ckks',
      version: 1,
      polyModulusDegree,
      coeffModulus: Array.from(values, (v) => v.toString()),
      securityLevel: 128,
    };
  } finally {
    primes.delete();
  }
}

/** Bytes for a provisioning kit (canonical JSON, UTF-8). */
export function serializeHeParams(params: HeParams): Uint8Array {
  const canonical = {
    scheme: params.scheme,
    version: params.version,
    polyModulusDegree: params.polyModulusDegree,
    coeffModulus: [...params.coeffModulus],
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
    throw makeError('HE parameters are malformed', 'INVALID_ARGUMENT', {
      problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
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
  /** Real slots per ciphertext (N/2). */
  readonly slotCount: number;
  /** The single data prime q. */
  readonly modulus: bigint;
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
  const parms = seal.EncryptionParameters(ckksScheme(seal));
  const primes = seal.Vector();
  const moduli: Modulus[] = [];
  let context: Context | undefined;
  try {
    parms.setPolyModulusDegree(checked.polyModulusDegree);
    moduli.push(...checked.coeffModulus.map((p) => seal.Modulus(BigInt(p))));
    // node-seal's typings say VectorTypes, but a 'Modulus' vector is built from Modulus instances.
    primes.from(moduli.map((m) => m.instance as unknown) as unknown as BigUint64Array, 'Modulus');
    parms.setCoeffModulus(primes);
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
      slotCount: checked.polyModulusDegree / 2,
      modulus: BigInt(checked.coeffModulus[0] ?? '0'),
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
    deleteAll(parms, primes, ...moduli);
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

/** Standard deviation of SEAL's fresh-encryption error per coefficient, with encoding rounding. */
const FRESH_NOISE_SIGMA = Math.sqrt(3.2 * 3.2 + 1 / 12);

export interface HePrecisionOptions {
  /**
   * Largest number of contributions a sum may hold. Each doubling costs one bit per digit.
   * @defaultValue 16
   */
  maxWorkers?: number;
  /**
   * Quantized values packed into one slot (1 = 37-bit quantization at 16 bytes per value;
   * 2 = 16-bit at 7.6 bytes; 3 = 9-bit at 5 bytes, for W = 16 and N = 4096).
   * @defaultValue 2
   */
  valuesPerSlot?: 1 | 2 | 3;
  /**
   * Every value a worker encrypts is clamped into [-valueBound, valueBound] (the worker's update
   * already scaled by its weight). The quantization step is 2 * valueBound / (2^quantBits - 1).
   */
  valueBound: number;
  /**
   * Slots per ciphertext reserved for verification tags (each carries `slotBits` random bits).
   * @defaultValue 4
   */
  tagSlots?: number;
  /**
   * Standard deviations of decryption noise between a slot's value and the rounding threshold.
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
  /** log2 of the CKKS scale. */
  readonly scaleBits: number;
  /** Bits of one worker's slot: the slot is an integer in [0, 2^slotBits), padded mod 2^slotBits. */
  readonly slotBits: number;
  /** Bits per digit (one packed value, with headroom for the sum). */
  readonly digitBits: number;
  /** Quantization bits of one worker's value. */
  readonly quantBits: number;
  /** Quantization step: one unit of a digit, in value units. */
  readonly step: number;
  /** Standard deviation of a decoded slot sum around its integer at maxWorkers (integer units). */
  readonly noiseSigma: number;
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

  const n = params.polyModulusDegree;
  const primeBits = Math.floor(Math.log2(Number(BigInt(params.coeffModulus[0] ?? '0')))) + 1;
  const workerBits = Math.ceil(Math.log2(maxWorkers));
  const sigmaAtScale1 = Math.sqrt(n / 2) * FRESH_NOISE_SIGMA * Math.sqrt(maxWorkers);
  const scaleBits = Math.ceil(Math.log2((failureSigmas * sigmaAtScale1) / 0.5));
  // |decoded coefficient| <= scale * |slot sum| <= 2^(scaleBits + workerBits + slotBits - 1) < 2^(primeBits - 2)
  const sumBits = primeBits - 1 - scaleBits - workerBits;
  const digitBits = Math.floor(sumBits / valuesPerSlot);
  const quantBits = digitBits - workerBits;
  const slotBits = digitBits * valuesPerSlot;
  if (quantBits < 4 || slotBits > 52 - workerBits || slotBits < 24) {
    throw makeError('no usable precision for these HE parameters and options', 'INVALID_ARGUMENT', {
      primeBits,
      scaleBits,
      slotBits,
      quantBits,
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
    scaleBits,
    slotBits,
    digitBits,
    quantBits,
    step,
    noiseSigma: sigmaAtScale1 / 2 ** scaleBits,
    sumErrorPerContribution: step,
  };
}
