/**
 * A worker's encrypted contribution: the signed header that travels with its ciphertexts.
 *
 * The header names everything an opener and the coordinator must agree on — job, round, worker,
 * the ONE designated opener, a fresh nonce, the HE setup (parameters + precision plan + layout),
 * the number of ciphertexts and the SHA-256 of their bytes in order — plus the tag seed sealed to
 * the opener. The worker signs the canonical encoding with its registered key (Ed25519, or ECDSA
 * P-256 with SHA-256). So the coordinator cannot replay it in another round, hand it to another
 * opener, move its sealed tag to other ciphertexts, or reorder, drop or swap its ciphertexts
 * without the signature or the digest failing.
 *
 * Naming the opener in the signed header is what makes "an update is contributed to at most one
 * aggregate that can be opened" enforceable: only that opener will open a sum containing it, and
 * it opens at most one sum per (job, round) (see he-opener.ts). A retried round means fresh
 * training, a fresh nonce and a fresh header.
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import { createHeEncryptor } from './he-cipher.js';
import type { HeEncryptor } from './he-cipher.js';
import type { HeContext, HeParams, HePrecisionPlan, HeSecretKey } from './he-context.js';
import { serializeHeParams } from './he-context.js';
import type { HeLayout } from './he-pack.js';
import { createHePacker } from './he-pack.js';
import type { HeRandom } from './he-tag.js';
import { createPadStream, cryptoRandom, generateTagSeed, sealTagSeed } from './he-tag.js';

export interface HeContributionHeader {
  readonly version: 1;
  readonly jobId: string;
  readonly round: number;
  readonly workerId: string;
  /** The only worker allowed to open a sum containing this contribution. */
  readonly openerId: string;
  /** 16 random bytes, hex. */
  readonly nonce: string;
  /** `heSetupDigest` of the parameters, plan and layout the ciphertexts were made under. */
  readonly setupDigest: string;
  readonly ciphertextCount: number;
  /** `createCiphertextDigest` over the ciphertexts in order, hex. */
  readonly ciphertextDigest: string;
  /** The tag seed sealed to the opener (he-tag.ts), base64. */
  readonly sealedTag: string;
}

export interface HeSignedContribution {
  readonly header: HeContributionHeader;
  /** Signature over `encodeContributionHeader(header)`, base64. */
  readonly signature: string;
}

const id = z.string().min(1).max(200);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** Schema for a signed contribution arriving from the network. */
export const heSignedContributionSchema = z.object({
  header: z.object({
    version: z.literal(1),
    jobId: id,
    round: z.number().int().min(0),
    workerId: id,
    openerId: id,
    nonce: z.string().regex(/^[0-9a-f]{32}$/),
    setupDigest: hex64,
    ciphertextCount: z.number().int().min(1).max(1_000_000),
    ciphertextDigest: hex64,
    sealedTag: z.string().max(200),
  }),
  signature: z.string().max(300),
});

function field(hash: Buffer[], value: string | number): void {
  const bytes = Buffer.from(String(value), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  hash.push(len, bytes);
}

/** Canonical bytes that are signed: a domain tag and every field, length-prefixed, in fixed order. */
export function encodeContributionHeader(h: HeContributionHeader): Uint8Array {
  const parts: Buffer[] = [Buffer.from('aidoc-he-contribution-v1\n', 'utf8')];
  for (const v of [
    h.version,
    h.jobId,
    h.round,
    h.workerId,
    h.openerId,
    h.nonce,
    h.setupDigest,
    h.ciphertextCount,
    h.ciphertextDigest,
    h.sealedTag,
  ]) {
    field(parts, v);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The additional data the sealed tag is bound to: the header's identity fields. */
export function sealedTagBinding(
  h: Pick<HeContributionHeader, 'jobId' | 'round' | 'workerId' | 'openerId' | 'nonce' | 'setupDigest'>,
): Uint8Array {
  const parts: Buffer[] = [Buffer.from('aidoc-he-tag-v1\n', 'utf8')];
  for (const v of [h.jobId, h.round, h.workerId, h.openerId, h.nonce, h.setupDigest]) field(parts, v);
  return new Uint8Array(Buffer.concat(parts));
}

/** The pad binding string of a contribution (he-tag.ts `createPadStream`). */
export function padBinding(h: Pick<HeContributionHeader, 'jobId' | 'round' | 'workerId' | 'nonce'>): string {
  return JSON.stringify([h.jobId, h.round, h.workerId, h.nonce]);
}

function signatureAlgorithm(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec') return 'sha256';
  throw makeError('worker keys must be Ed25519 or ECDSA', 'INVALID_ARGUMENT', {
    type: key.asymmetricKeyType,
  });
}

export function signContribution(header: HeContributionHeader, privateKey: KeyObject): HeSignedContribution {
  const signature = sign(signatureAlgorithm(privateKey), encodeContributionHeader(header), privateKey);
  return { header, signature: signature.toString('base64') };
}

/** True iff `signature` is the worker's signature over the header (never throws on bad input). */
export function verifyContributionSignature(c: HeSignedContribution, publicKey: KeyObject): boolean {
  try {
    return verify(
      signatureAlgorithm(publicKey),
      encodeContributionHeader(c.header),
      publicKey,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** Incremental SHA-256 over a contribution's ciphertexts: index and length are hashed with each. */
export interface CiphertextDigest {
  update(index: number, wire: Uint8Array): void;
  digest(): string;
}

export function createCiphertextDigest(): CiphertextDigest {
  const hash = createHash('sha256').update('aidoc-he-ciphertexts-v1\n');
  return {
    update(index, wire) {
      const prefix = Buffer.alloc(8);
      prefix.writeUInt32BE(index, 0);
      prefix.writeUInt32BE(wire.length, 4);
      hash.update(prefix).update(wire);
    },
    digest: () => hash.digest('hex'),
  };
}

/** SHA-256 binding parameters, precision plan and layout: both sides must compute the same. */
export function heSetupDigest(params: HeParams, plan: HePrecisionPlan, layout: HeLayout): string {
  return createHash('sha256')
    .update('aidoc-he-setup-v1\n')
    .update(serializeHeParams(params))
    .update(
      JSON.stringify([
        plan.maxWorkers,
        plan.valuesPerSlot,
        plan.valueBound,
        plan.tagSlots,
        plan.plainModulus,
        plan.slotBits,
        plan.digitBits,
        plan.quantBits,
        layout.valueCount,
        layout.slotCount,
        layout.ciphertextCount,
      ]),
    )
    .digest('hex');
}

export interface EncryptHeContributionOptions {
  ctx: HeContext;
  secretKey: HeSecretKey;
  plan: HePrecisionPlan;
  layout: HeLayout;
  /** The worker's update; length = layout.valueCount. */
  values: ArrayLike<number>;
  /**
   * Multiplies every value before quantization (the worker's weight n/D).
   * @defaultValue 1
   */
  scale?: number;
  jobId: string;
  round: number;
  workerId: string;
  openerId: string;
  /** The designated opener's X25519 public key. */
  openerPublicKey: KeyObject;
  /** The worker's registered signing key (Ed25519 or ECDSA P-256). */
  signingKey: KeyObject;
  /**
   * Source of the tag seed, nonce and stochastic rounding.
   * @defaultValue the OS crypto source (tests pass `createSeededRandom`)
   */
  random?: HeRandom;
  /**
   * A long-lived encryptor (made with the same secret key) to reuse across
   * rounds; building one derives a public key, which costs time and a little WASM heap.
   * @defaultValue a fresh one, deleted before returning
   */
  encryptor?: HeEncryptor;
  /** Checked between ciphertexts. */
  signal?: AbortSignal;
}

export interface HeEncryptedContribution {
  readonly contribution: HeSignedContribution;
  /** Wire bytes of each ciphertext, in order. */
  readonly ciphertexts: Uint8Array[];
  /** Values that were outside [-valueBound, valueBound] and were clamped. */
  readonly clamped: number;
}

/** Quantizes, pads, encrypts (seeded, secret-key) and signs one worker's update. */
export async function encryptHeContribution(
  options: EncryptHeContributionOptions,
): Promise<HeEncryptedContribution> {
  const { ctx, secretKey, plan, layout, values, signal } = options;
  const random = options.random ?? cryptoRandom;
  assertArgument(values.length === layout.valueCount, 'update length does not match the layout', {
    length: values.length,
    valueCount: layout.valueCount,
  });
  assertArgument(layout.slotCount === ctx.slotCount, 'layout was made for another slot count');
  const nonceBytes = new Uint8Array(16);
  random(nonceBytes);
  const identity = {
    jobId: options.jobId,
    round: options.round,
    workerId: options.workerId,
    openerId: options.openerId,
    nonce: Buffer.from(nonceBytes).toString('hex'),
    setupDigest: heSetupDigest(ctx.params, plan, layout),
  };
  const seed = generateTagSeed(random);
  const sealedTag = sealTagSeed(seed, options.openerPublicKey, sealedTagBinding(identity), random);
  const packer = createHePacker(
    plan,
    layout,
    createPadStream(seed, padBinding(identity), plan.plainModulus),
    random,
    options.scale ?? 1,
  );
  seed.fill(0);
  const encryptor = options.encryptor ?? createHeEncryptor(ctx, secretKey);
  const slots = new Float64Array(ctx.slotCount);
  const digest = createCiphertextDigest();
  const ciphertexts: Uint8Array[] = [];
  let clamped = 0;
  try {
    for (let c = 0; c < layout.ciphertextCount; c++) {
      throwIfAborted(signal, 'encrypting an update');
      clamped += packer.pack(values, c, slots);
      const wire = encryptor.encrypt(slots);
      digest.update(c, wire);
      ciphertexts.push(wire);
      // Let other work (a gRPC stream, a heartbeat) run between ciphertexts of a large model.
      if (c % 16 === 15) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    slots.fill(0);
    if (options.encryptor === undefined) encryptor.delete();
  }
  const header: HeContributionHeader = {
    version: 1,
    ...identity,
    ciphertextCount: layout.ciphertextCount,
    ciphertextDigest: digest.digest(),
    sealedTag: Buffer.from(sealedTag).toString('base64'),
  };
  return { contribution: signContribution(header, options.signingKey), ciphertexts, clamped };
}

/** An Ed25519 worker signing key pair (tests; provisioning issues the real ones). */
export function generateWorkerSigningKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** What the coordinator sends the designated opener: the aggregate and the claimed contributions. */
export interface HeOpenRequest {
  readonly jobId: string;
  readonly round: number;
  /** Wire bytes of the summed ciphertexts, in order. */
  readonly aggregate: readonly Uint8Array[];
  /** The signed headers of exactly the contributions claimed to be in the sum. */
  readonly contributions: readonly HeSignedContribution[];
}
