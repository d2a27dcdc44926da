/**
 * Per-contribution secrets that make an aggregate verifiable by the opener alone.
 *
 * Each contribution draws a fresh 32-byte tag seed from the crypto source. The seed expands
 * (HKDF-SHA256, then AES-256-CTR) into a pad: one integer uniform mod the plain modulus t (a prime)
 * per coefficient ("slot") of every ciphertext. The worker adds its pad to every slot modulo t
 * before encrypting, and the reserved tag slots carry the pad alone. The seed travels only sealed to the designated opener
 * (X25519 + HKDF + AES-256-GCM, bound to the contribution's identity), so the coordinator never
 * knows a pad. The opener subtracts the claimed contributions' pads from the decrypted sum:
 *  - the tag slots must come out exactly 0: this holds for the exact sum of the claimed
 *    contributions and, for anything else the coordinator can build (sums, differences, multiples,
 *    products with plaintext polynomials), only with probability 1/t per tag slot (a nonzero
 *    linear form in uniform pads mod a prime is uniform);
 *  - every other slot of anything but the exact sum comes out masked by a pad the coordinator
 *    cannot know (a one-time pad mod t), so even a forgery that kept the tag slots intact would
 *    yield no information about any single update, and its digits fail the opener's range check
 *    with probability >= 1/2 per slot.
 * The pad is independent of the update, so tags leak nothing about it.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomFillSync,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { assertArgument, makeError } from '../common/errors.js';

/** Fills `out` with random bytes. The default draws from the OS crypto source. */
export type HeRandom = (out: Uint8Array) => void;

/** The crypto random source (the default everywhere). */
export const cryptoRandom: HeRandom = (out) => {
  randomFillSync(out);
};

/**
 * A deterministic random source for tests and benchmarks only (AES-256-CTR keyed by SHA-256 of
 * `seed`). Never use it for real contributions: tags from it are guessable.
 */
export function createSeededRandom(seed: string): HeRandom {
  const key = createHash('sha256').update(`aidoc-he-test-random:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (out) => {
    out.set(cipher.update(new Uint8Array(out.length)));
  };
}

export const TAG_SEED_BYTES = 32;

export function generateTagSeed(random: HeRandom = cryptoRandom): Uint8Array {
  const seed = new Uint8Array(TAG_SEED_BYTES);
  random(seed);
  return seed;
}

/** Sequential reader of one contribution's pad: integers uniform mod the plain modulus. */
export interface HePadStream {
  /** Writes the next `out.length` pad values into `out` (each in [0, modulus)). */
  next(out: Float64Array): void;
  /**
   * Adds the next `sum.length` pad values into `sum`, mod the modulus (entries of `sum` must be
   * in [0, modulus)): the opener's sum of pads without an intermediate vector.
   */
  addNext(sum: Float64Array): void;
}

/**
 * The pad stream of a contribution: values uniform in [0, modulus), by rejection sampling of
 * bitLength(modulus)-bit integers from AES-256-CTR. `binding` names the contribution (job, round,
 * worker, nonce) so one seed can never produce the same pad twice in two contexts.
 */
export function createPadStream(seed: Uint8Array, binding: string, modulus: number): HePadStream {
  assertArgument(seed.length === TAG_SEED_BYTES, 'tag seed must be 32 bytes');
  assertArgument(
    Number.isSafeInteger(modulus) && modulus >= 2 ** 33 && modulus <= 2 ** 52,
    'pad modulus must be an integer in [2^33, 2^52]',
    { modulus },
  );
  const key = Buffer.from(hkdfSync('sha256', seed, 'aidoc-he-pad-v2', binding, 32));
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const hiMask = 2 ** (Math.ceil(Math.log2(modulus + 1)) - 32) - 1;
  // Rejection (probability (2^bits - t) / 2^bits, ~4e-10 for the default t): redraw in sequence.
  const redraw = (): number => {
    for (;;) {
      const w = new Uint32Array(new Uint8Array(cipher.update(new Uint8Array(8))).buffer);
      const v = ((w[1] ?? 0) & hiMask) * 4294967296 + (w[0] ?? 0);
      if (v < modulus) return v;
    }
  };
  let zeros = new Uint8Array(0);
  const words = (count: number): Uint32Array => {
    if (zeros.length !== count * 8) zeros = new Uint8Array(count * 8);
    const bytes = cipher.update(zeros);
    return new Uint32Array(bytes.buffer, bytes.byteOffset, count * 2);
  };
  return {
    next(out) {
      const w = words(out.length);
      for (let i = 0; i < out.length; i++) {
        const v = ((w[2 * i + 1] ?? 0) & hiMask) * 4294967296 + (w[2 * i] ?? 0);
        out[i] = v < modulus ? v : redraw();
      }
    },
    addNext(sum) {
      const w = words(sum.length);
      for (let i = 0; i < sum.length; i++) {
        let v = ((w[2 * i + 1] ?? 0) & hiMask) * 4294967296 + (w[2 * i] ?? 0);
        if (v >= modulus) v = redraw();
        const s = (sum[i] ?? 0) + v;
        sum[i] = s >= modulus ? s - modulus : s;
      }
    },
  };
}

/** X25519 key pair of a worker acting as opener (provisioned; tests generate one). */
export function generateOpenerKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('x25519');
}

function rawX25519(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'X25519' || typeof jwk.x !== 'string') {
    throw makeError('expected an X25519 key', 'INVALID_ARGUMENT', { crv: jwk.crv });
  }
  return Buffer.from(jwk.x, 'base64url');
}

function sealKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), 'aidoc-he-tag-seal-v1', 32),
  );
}

const EPHEMERAL_BYTES = 32;
const IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
export const SEALED_TAG_BYTES = EPHEMERAL_BYTES + IV_BYTES + TAG_SEED_BYTES + GCM_TAG_BYTES;

/**
 * Seals a tag seed to the opener's X25519 public key. `aad` binds it to the contribution, so a
 * coordinator cannot move a sealed seed to another contribution. 92 bytes.
 */
export function sealTagSeed(
  seed: Uint8Array,
  openerPublicKey: KeyObject,
  aad: Uint8Array,
  random: HeRandom = cryptoRandom,
): Uint8Array {
  assertArgument(seed.length === TAG_SEED_BYTES, 'tag seed must be 32 bytes');
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralRaw = rawX25519(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: openerPublicKey });
  const key = sealKey(shared, ephemeralRaw, rawX25519(openerPublicKey));
  const iv = new Uint8Array(IV_BYTES);
  random(iv);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(seed), cipher.final()]);
  return new Uint8Array(Buffer.concat([ephemeralRaw, iv, body, cipher.getAuthTag()]));
}

/** Opens a sealed tag seed; throws VERIFICATION_FAILED if it was not sealed to this key with this aad. */
export function openTagSeed(sealed: Uint8Array, openerPrivateKey: KeyObject, aad: Uint8Array): Uint8Array {
  if (sealed.length !== SEALED_TAG_BYTES) {
    throw makeError('sealed tag has the wrong length', 'VERIFICATION_FAILED', { length: sealed.length });
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const ephemeralRaw = buf.subarray(0, EPHEMERAL_BYTES);
  const iv = buf.subarray(EPHEMERAL_BYTES, EPHEMERAL_BYTES + IV_BYTES);
  const body = buf.subarray(EPHEMERAL_BYTES + IV_BYTES, EPHEMERAL_BYTES + IV_BYTES + TAG_SEED_BYTES);
  const tag = buf.subarray(EPHEMERAL_BYTES + IV_BYTES + TAG_SEED_BYTES);
  try {
    const ephemeral = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: ephemeralRaw.toString('base64url') },
      format: 'jwk',
    });
    const shared = diffieHellman({ privateKey: openerPrivateKey, publicKey: ephemeral });
    const recipient = rawX25519(createPublicKey(openerPrivateKey));
    const decipher = createDecipheriv('aes-256-gcm', sealKey(shared, ephemeralRaw, recipient), iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch (e) {
    throw makeError(
      'sealed tag does not open with this opener key (wrong opener or tampered)',
      'VERIFICATION_FAILED',
      {},
      e,
    );
  }
}
