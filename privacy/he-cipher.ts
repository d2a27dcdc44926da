/**
 * Encrypting, loading and decrypting single ciphertexts, with the checks every receiver runs.
 *
 * Workers encrypt with the SECRET key (`encryptSymmetric`): a symmetric ciphertext's second
 * polynomial is uniformly random, so SEAL can send a 64-byte seed instead of it, which halves the
 * wire. The coordinator loads ciphertexts with the parameters alone: `loadHeCiphertext` is all it
 * needs, and it never sees a key.
 *
 * Plaintexts are built from and read back to coefficient vectors directly, through SEAL's own
 * serialized form (node-seal exposes no coefficient setter): `Plaintext.loadArray` still runs
 * SEAL's checks (every coefficient below t). No encoder is involved on either side.
 */
import { makeError } from '../common/errors.js';
import type { HeContext, HeSecretKey } from './he-context.js';
import { deleteAll, noCompression } from './he-seal.js';
import type { CipherText, PlainText } from './he-seal.js';
import { packSealCiphertext, unpackSealCiphertext } from './he-wire.js';

/** Bits per coefficient on the wire: the bit length of the data prime. */
export function wireCoefficientBits(ctx: HeContext): number {
  return ctx.modulus.toString(2).length;
}

/**
 * SEAL 4.1's serialized plaintext: header (16 bytes), parms id (32), coefficient count (u64),
 * scale (f64), then the data array: header (16), count (u64), coefficients (u64 each).
 */
const PLAIN_COUNT_AT = 16 + 32;
const PLAIN_DATA_AT = PLAIN_COUNT_AT + 8 + 8 + 16 + 8;
/** SEAL 4.1's serialized ciphertext members after the header: parms id, NTT flag, size, N, L, scale, correction factor. */
const CIPHER_NTT_AT = 16 + 32;
const CIPHER_SIZE_AT = CIPHER_NTT_AT + 1;
const CIPHER_DEGREE_AT = CIPHER_SIZE_AT + 8;
const CIPHER_LEVELS_AT = CIPHER_DEGREE_AT + 8;
const CIPHER_SCALE_AT = CIPHER_LEVELS_AT + 8;
const CIPHER_CORRECTION_AT = CIPHER_SCALE_AT + 8;

/**
 * Loads wire bytes into a new ciphertext and checks it was made under these parameters as a
 * fresh-or-summed two-polynomial BGV ciphertext (NTT form, scale 1, correction factor 1). Throws
 * VERIFICATION_FAILED with the reason otherwise. The caller owns (and must `delete()`) the result.
 */
export function loadHeCiphertext(ctx: HeContext, wire: Uint8Array): CipherText {
  // SEAL copies the bytes into its own heap at load, so the unpacked form can be a shared buffer.
  const sealBytes = unpackSealCiphertext(wire, true);
  const ct = ctx.seal.CipherText();
  try {
    try {
      ct.loadArray(ctx.context, sealBytes);
    } catch (e) {
      throw makeError('ciphertext does not load under these HE parameters', 'VERIFICATION_FAILED', {}, e);
    }
    // SEAL's load already refuses a parms id outside this context's chain; with a one-level chain
    // (the default: one prime) that leaves only `ctx.parmsId`, so the id is read back (a getter that
    // allocates in the WASM heap) only for longer chains.
    if (!ctx.singleLevel) {
      const id = ct.parmsId;
      const parmsId = Array.from(id.values);
      id.delete();
      if (parmsId.length !== ctx.parmsId.length || parmsId.some((v, i) => v !== ctx.parmsId[i])) {
        throw makeError(
          'ciphertext was made under other HE parameters (parms id differs)',
          'VERIFICATION_FAILED',
        );
      }
    }
    // The members are read from the bytes SEAL has just loaded them from (and checked for
    // consistency with the data): the same values its getters return, without a round trip into
    // WebAssembly per field (a coordinator checks thousands of ciphertexts per round). node-seal has
    // no getter for BGV's correction factor at all; anything but 1 would make SEAL rescale the sum
    // the ciphertext is added into.
    const view = new DataView(sealBytes.buffer, sealBytes.byteOffset, sealBytes.byteLength);
    const size = view.getBigUint64(CIPHER_SIZE_AT, true);
    const scale = view.getFloat64(CIPHER_SCALE_AT, true);
    const correction = view.getBigUint64(CIPHER_CORRECTION_AT, true);
    const problems: string[] = [];
    if (size !== 2n) problems.push(`size ${size}, expected 2`);
    if (view.getBigUint64(CIPHER_DEGREE_AT, true) !== BigInt(ctx.params.polyModulusDegree))
      problems.push('ring degree differs');
    if (view.getBigUint64(CIPHER_LEVELS_AT, true) !== 1n) problems.push('modulus chain differs');
    if (view.getUint8(CIPHER_NTT_AT) !== 1) problems.push('not in NTT form');
    if (scale !== 1) problems.push(`scale ${scale}, expected 1`);
    if (correction !== 1n) problems.push(`correction factor ${correction}, expected 1`);
    if (ct.isTransparent) problems.push('transparent (not encrypted)');
    if (problems.length > 0) {
      throw makeError(`ciphertext rejected: ${problems.join('; ')}`, 'VERIFICATION_FAILED', { problems });
    }
    return ct;
  } catch (e) {
    ct.delete();
    throw e;
  }
}

/** Serializes a (summed, unseeded) ciphertext for the wire. */
export function saveHeCiphertext(ctx: HeContext, ct: CipherText): Uint8Array {
  return packSealCiphertext(ct.saveArray(noCompression(ctx.seal)), wireCoefficientBits(ctx));
}

/** Encrypts coefficient vectors under the secret key; one per worker process, `delete()` when done. */
export interface HeEncryptor {
  /** `coefficients.length` must be the slot count (N); each an integer in [0, t). */
  encrypt(coefficients: Float64Array): Uint8Array;
  delete(): void;
}

export function createHeEncryptor(ctx: HeContext, secretKey: HeSecretKey): HeEncryptor {
  const { seal } = ctx;
  // node-seal's Encryptor constructor insists on a public key. It is derived here from the secret
  // key only to satisfy that signature, never used (only encryptSymmetric is called) and freed at
  // once; SEAL keeps its own copy inside the encryptor.
  const keygen = seal.KeyGenerator(ctx.context, secretKey.key);
  const publicKey = keygen.createPublicKey();
  const encryptor = seal.Encryptor(ctx.context, publicKey, secretKey.key);
  deleteAll(publicKey, keygen);
  const plain = seal.PlainText({ coeffCount: ctx.slotCount });
  // SEAL's bytes of an all-zero plaintext of N coefficients: the coefficients are written into a
  // copy of it (aligned, so they can be written as 32-bit halves).
  plain.setZero();
  const template = plain.saveArray(noCompression(seal));
  const bytes = new Uint8Array(new ArrayBuffer(template.length));
  bytes.set(template);
  const words = new Uint32Array(bytes.buffer, PLAIN_DATA_AT, ctx.slotCount * 2);
  const t = ctx.plainModulus;
  const bits = wireCoefficientBits(ctx);
  return {
    encrypt(coefficients) {
      if (coefficients.length !== ctx.slotCount) {
        throw makeError('coefficient vector has the wrong length', 'INVALID_ARGUMENT', {
          length: coefficients.length,
          slotCount: ctx.slotCount,
        });
      }
      for (let i = 0; i < coefficients.length; i++) {
        const v = coefficients[i] ?? NaN;
        if (!(v >= 0 && v < t) || !Number.isInteger(v)) {
          throw makeError('coefficient is not an integer in [0, t)', 'INVALID_ARGUMENT', { index: i });
        }
        const hi = Math.floor(v / 4294967296);
        words[2 * i] = v - hi * 4294967296;
        words[2 * i + 1] = hi;
      }
      try {
        plain.loadArray(ctx.context, bytes);
        const serializable = encryptor.encryptSymmetricSerializable(plain);
        try {
          return packSealCiphertext(serializable.saveArray(noCompression(seal)), bits);
        } finally {
          serializable.delete();
        }
      } finally {
        words.fill(0);
      }
    },
    delete() {
      deleteAll(plain, encryptor);
    },
  };
}

/** Reads a plaintext's coefficients (SEAL drops trailing zero coefficients: they come back as 0). */
function readCoefficients(ctx: HeContext, plain: PlainText, out: Float64Array): void {
  const saved = plain.saveArray(noCompression(ctx.seal));
  const view = new DataView(saved.buffer, saved.byteOffset, saved.byteLength);
  const count = Number(view.getBigUint64(PLAIN_COUNT_AT, true));
  if (count > out.length || PLAIN_DATA_AT + count * 8 > saved.byteLength) {
    throw makeError('decrypted plaintext has an unexpected size', 'INTERNAL', { count });
  }
  for (let i = 0; i < count; i++) {
    const at = PLAIN_DATA_AT + 8 * i;
    out[i] = view.getUint32(at + 4, true) * 4294967296 + view.getUint32(at, true);
  }
  out.fill(0, count);
  saved.fill(0);
}

/** Decrypts ciphertexts to coefficient vectors; only a key holder (a hospital) can make one. */
export interface HeDecryptor {
  /** Loads (with all checks) and decrypts wire bytes. */
  decrypt(wire: Uint8Array): Float64Array;
  /** Decrypts an already-loaded ciphertext: N coefficients, integers in [0, t). */
  decryptCiphertext(ct: CipherText): Float64Array;
  delete(): void;
}

export function createHeDecryptor(ctx: HeContext, secretKey: HeSecretKey): HeDecryptor {
  const { seal } = ctx;
  const decryptor = seal.Decryptor(ctx.context, secretKey.key);
  const plain = seal.PlainText();
  const decryptCiphertext = (ct: CipherText): Float64Array => {
    decryptor.decrypt(ct, plain);
    const out = new Float64Array(ctx.slotCount);
    try {
      readCoefficients(ctx, plain, out);
    } finally {
      plain.setZero();
    }
    return out;
  };
  return {
    decrypt(wire) {
      const ct = loadHeCiphertext(ctx, wire);
      try {
        return decryptCiphertext(ct);
      } finally {
        ct.delete();
      }
    },
    decryptCiphertext,
    delete() {
      deleteAll(plain, decryptor);
    },
  };
}
