/**
 * The secure-aggregation messages of a federated round, as they ride in the wire contract's
 * extension fields (aidoc.v1 `TypedBlob`), and the framing of ciphertexts inside a CKKS payload.
 * ("ckks" in these wire names is historical: the ciphertexts are BGV since params version 2; the
 * parameters digest in every round setup keeps a kit of the other kind from taking part.)
 * Shared by the coordinator (round-engine side) and the hospital worker.
 *
 *   Task.extension           aidoc.ckks.v1.RoundSetup     what to encrypt under: opener, precision
 *                                                         plan inputs, weighting
 *   UpdateHeader.extension   aidoc.ckks.v1.Contribution   the signed contribution header
 *   UpdateHeader.payload     CKKS, framed ciphertexts     [u32 LE length][ciphertext] ...
 *   OpenRequest.context      aidoc.ckks.v1.OpenContext    the round setup and the claimed headers
 *   OpenRequest.aggregate    CKKS, framed ciphertexts     the summed ciphertexts
 *
 * Weighting. The strategy needs Σ nᵢ·Δᵢ / Σ nᵢ. A worker encrypts Δᵢ·nᵢ/D, where D
 * (`weightDenominator`) is fixed by the coordinator for the attempt as the sum of the selected
 * workers' registered record counts, so nᵢ ≤ D and each encrypted value is bounded by |Δᵢ| itself:
 * the precision plan's `valueBound` only has to cover a delta coordinate, whatever the hospitals'
 * sizes. The opened sum S = Σ Δᵢ·nᵢ/D gives the mean as S·D / Σ nᵢ over the contributions in it.
 */
import { z } from 'zod';
import { makeError } from '../common/errors.js';
import type { HeParams, HePrecisionPlan } from './he-context.js';
import { planHePrecision } from './he-context.js';
import type { HeSignedContribution } from './he-contribution.js';
import { heSignedContributionSchema } from './he-contribution.js';
import type { HeLayout } from './he-pack.js';
import { createHeLayout } from './he-pack.js';

export const HE_ROUND_SETUP_TYPE = 'aidoc.ckks.v1.RoundSetup';
export const HE_CONTRIBUTION_TYPE = 'aidoc.ckks.v1.Contribution';
export const HE_OPEN_CONTEXT_TYPE = 'aidoc.ckks.v1.OpenContext';
/** `PayloadHeader.content_type` of a CKKS payload: framed ciphertexts in the he-wire format. */
export const HE_CIPHERTEXTS_CONTENT_TYPE = 'aidoc.ckks.v1/framed-ciphertexts';
/** Largest single framed ciphertext accepted (an N = 8192 summed ciphertext is ~123 KB). */
export const MAX_FRAMED_CIPHERTEXT_BYTES = 1 << 20;

/** A `TypedBlob` as this module writes it. */
export interface HeTypedBlob {
  type: string;
  data: Buffer;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const workerId = z.string().min(1).max(200);

const roundSetupSchema = z
  .object({
    version: z.literal(1),
    /** `heParamsDigest` of the federation parameters the job runs under. */
    paramsDigest: hex64,
    /** The one worker that may open sums of this attempt's contributions. */
    openerId: workerId,
    /** The job's minWorkers (an opener applies its own floor on top). */
    minWorkers: z.number().int().min(1).max(1024),
    /** Precision plan inputs: both sides derive the same plan and layout from them. */
    maxWorkers: z.number().int().min(1).max(1024),
    valuesPerSlot: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    valueBound: z.number().positive().finite(),
    valueCount: z.number().int().min(1).max(100_000_000),
    /** D: a worker encrypts Δ·n/D (see the module comment). */
    weightDenominator: z.number().int().min(1),
  })
  .strict();

/** Task.extension of a TRAIN task of a secure round. */
export type HeRoundSetup = z.infer<typeof roundSetupSchema>;

const openContextSchema = z
  .object({
    version: z.literal(1),
    setup: roundSetupSchema,
    contributions: z.array(heSignedContributionSchema).max(1024),
  })
  .strict();

/** OpenRequest.context: the round setup and the headers of the contributions claimed in the sum. */
export interface HeOpenContext {
  version: 1;
  setup: HeRoundSetup;
  contributions: HeSignedContribution[];
}

function encode(type: string, value: unknown): HeTypedBlob {
  return { type, data: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** A received `TypedBlob` (or anything: what arrives from the network is checked here). */
export type ReceivedBlob = unknown;

function decode<T>(received: ReceivedBlob, type: string, schema: z.ZodType<T>): T {
  const blob = received as { type?: unknown; data?: unknown } | null | undefined;
  if (!blob || typeof blob !== 'object' || blob.type !== type) {
    const got = typeof blob?.type === 'string' && blob.type ? blob.type : 'none';
    throw makeError(`expected a ${type} extension, got ${got}`, 'VERIFICATION_FAILED', {
      expected: type,
      got,
    });
  }
  let json: unknown;
  try {
    if (!(blob.data instanceof Uint8Array)) throw new Error('no bytes');
    json = JSON.parse(Buffer.from(blob.data).toString('utf8'));
  } catch {
    throw makeError(`the ${type} extension is not JSON`, 'VERIFICATION_FAILED');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw makeError(`the ${type} extension is malformed`, 'VERIFICATION_FAILED', {
      problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  return parsed.data;
}

export const encodeHeRoundSetup = (s: HeRoundSetup): HeTypedBlob => encode(HE_ROUND_SETUP_TYPE, s);
export const decodeHeRoundSetup = (blob: ReceivedBlob): HeRoundSetup =>
  decode(blob, HE_ROUND_SETUP_TYPE, roundSetupSchema);

export const encodeHeContribution = (c: HeSignedContribution): HeTypedBlob => encode(HE_CONTRIBUTION_TYPE, c);
/** Only the envelope is checked here; the aggregator validates the header itself. */
export const decodeHeContribution = (blob: ReceivedBlob): unknown =>
  decode(blob, HE_CONTRIBUTION_TYPE, z.unknown());

export const encodeHeOpenContext = (c: HeOpenContext): HeTypedBlob => encode(HE_OPEN_CONTEXT_TYPE, c);
export const decodeHeOpenContext = (blob: ReceivedBlob): HeOpenContext =>
  decode(blob, HE_OPEN_CONTEXT_TYPE, openContextSchema);

/** The precision plan and layout both sides derive from a round setup. */
export function heRoundGeometry(
  params: HeParams,
  setup: Pick<HeRoundSetup, 'maxWorkers' | 'valuesPerSlot' | 'valueBound' | 'valueCount'>,
): { plan: HePrecisionPlan; layout: HeLayout } {
  const plan = planHePrecision(params, {
    valueBound: setup.valueBound,
    maxWorkers: setup.maxWorkers,
    valuesPerSlot: setup.valuesPerSlot,
  });
  return { plan, layout: createHeLayout(plan, params.polyModulusDegree, setup.valueCount) };
}

/** Joins ciphertexts into one payload: each as a u32 little-endian length and its bytes. */
export function frameCiphertexts(ciphertexts: readonly Uint8Array[]): Buffer {
  const total = ciphertexts.reduce((a, c) => a + 4 + c.length, 0);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const c of ciphertexts) {
    out.writeUInt32LE(c.length, at);
    out.set(c, at + 4);
    at += 4 + c.length;
  }
  return out;
}

/** Incremental reader of framed ciphertexts: feed payload chunks, get each ciphertext once whole. */
export interface CiphertextDeframer {
  /** Consumes a chunk; calls `onCiphertext` for every ciphertext it completes. */
  push(chunk: Uint8Array): void;
  /** Ciphertexts completed so far. */
  readonly count: number;
  /** Throws VERIFICATION_FAILED if the payload ended inside a frame. */
  end(): void;
}

export function createCiphertextDeframer(
  onCiphertext: (index: number, wire: Uint8Array) => void,
  maxCiphertextBytes = MAX_FRAMED_CIPHERTEXT_BYTES,
): CiphertextDeframer {
  const lengthBytes = Buffer.alloc(4);
  let lengthFill = 0;
  let frame: Buffer | undefined;
  let frameFill = 0;
  let count = 0;
  return {
    get count() {
      return count;
    },
    push(chunk) {
      let at = 0;
      while (at < chunk.length) {
        if (frame === undefined) {
          const take = Math.min(4 - lengthFill, chunk.length - at);
          lengthBytes.set(chunk.subarray(at, at + take), lengthFill);
          lengthFill += take;
          at += take;
          if (lengthFill < 4) return;
          const length = lengthBytes.readUInt32LE(0);
          if (length === 0 || length > maxCiphertextBytes) {
            throw makeError(
              `framed ciphertext ${count} announces ${length} bytes (allowed 1..${maxCiphertextBytes})`,
              'VERIFICATION_FAILED',
              { index: count, length },
            );
          }
          frame = Buffer.allocUnsafe(length);
          frameFill = 0;
          lengthFill = 0;
        }
        const take = Math.min(frame.length - frameFill, chunk.length - at);
        frame.set(chunk.subarray(at, at + take), frameFill);
        frameFill += take;
        at += take;
        if (frameFill === frame.length) {
          const wire = frame;
          frame = undefined;
          onCiphertext(count++, wire);
        }
      }
    },
    end() {
      if (frame !== undefined || lengthFill !== 0) {
        throw makeError(`the payload ends inside ciphertext ${count}`, 'VERIFICATION_FAILED', {
          index: count,
        });
      }
    },
  };
}
