/**
 * Encrypting, loading and decrypting single ciphertexts, with the checks every receiver runs.
 *
 * Workers encrypt with the SECRET key (`encryptSymmetric`): a symmetric ciphertext's second
 * polynomial is uniformly random, so SEAL can send a 64-byte seed instead of it, which halves the
 * wire. The coordinator loads ciphertexts with the parameters alone: `loadHeCiphertext` is all it
 * needs, and it never sees a key.
 */
import { makeError } from '../common/errors.js';
import type { HeContext, HeSecretKey } from './he-context.js';
import { deleteAll, noCompression } from './he-seal.js';
import type { CipherText } from './he-seal.js';
import { packSealCiphertext, unpackSealCiphertext } from './he-wire.js';

/** Bits per coefficient on the wire: the bit length of the data prime. */
export function wireCoefficientBits(ctx: HeContext): number {
  return ctx.modulus.toString(2).length;
}

/**
 * Loads wire bytes into a new ciphertext and checks it was made under these parameters, at this
 * scale, as a fresh-or-summed two-polynomial CKKS ciphertext. Throws VERIFICATION_FAILED with the
 * reason otherwise. The caller owns (and must `delete()`) the result.
 */
export function loadHeCiphertext(ctx: HeContext, wire: Uint8Array, scaleBits: number): CipherText {
  const sealBytes = unpackSealCiphertext(wire);
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
    const problems: string[] = [];
    if (ct.size !== 2) problems.push(`size ${ct.size}, expected 2`);
    if (ct.polyModulusDegree !== ctx.params.polyModulusDegree) problems.push('ring degree differs');
    if (ct.coeffModulusSize !== 1) problems.push('modulus chain differs');
    if (!ct.isNttForm) problems.push('not in NTT form');
    if (ct.scale !== 2 ** scaleBits) problems.push(`scale ${ct.scale}, expected 2^${scaleBits}`);
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

/** Encrypts slot vectors under the secret key; one per worker process, `delete()` when done. */
export interface HeEncryptor {
  /** `slots.length` must be the slot count; values must be integers small enough for the plan. */
  encrypt(slots: Float64Array): Uint8Array;
  delete(): void;
}

export function createHeEncryptor(ctx: HeContext, secretKey: HeSecretKey, scaleBits: number): HeEncryptor {
  const { seal } = ctx;
  // node-seal's Encryptor constructor insists on a public key. It is derived here from the secret
  // key only to satisfy that signature, never used (only encryptSymmetric is called) and freed at
  // once; SEAL keeps its own copy inside the encryptor.
  const keygen = seal.KeyGenerator(ctx.context, secretKey.key);
  const publicKey = keygen.createPublicKey();
  const encryptor = seal.Encryptor(ctx.context, publicKey, secretKey.key);
  deleteAll(publicKey, keygen);
  const encoder = seal.CKKSEncoder(ctx.context);
  const plain = seal.PlainText();
  const scale = 2 ** scaleBits;
  const bits = wireCoefficientBits(ctx);
  return {
    encrypt(slots) {
      if (slots.length !== ctx.slotCount) {
        throw makeError('slot vector has the wrong length', 'INVALID_ARGUMENT', {
          length: slots.length,
          slotCount: ctx.slotCount,
        });
      }
      encoder.encode(slots, scale, plain);
      const serializable = encryptor.encryptSymmetricSerializable(plain);
      try {
        return packSealCiphertext(serializable.saveArray(noCompression(seal)), bits);
      } finally {
        serializable.delete();
      }
    },
    delete() {
      deleteAll(plain, encoder, encryptor);
    },
  };
}

/** Decrypts ciphertexts to slot vectors; only a key holder (a hospital) can make one. */
export interface HeDecryptor {
  /** Loads (with all checks) and decrypts wire bytes. */
  decrypt(wire: Uint8Array): Float64Array;
  /** Decrypts an already-loaded ciphertext. */
  decryptCiphertext(ct: CipherText): Float64Array;
  delete(): void;
}

export function createHeDecryptor(ctx: HeContext, secretKey: HeSecretKey, scaleBits: number): HeDecryptor {
  const { seal } = ctx;
  const decryptor = seal.Decryptor(ctx.context, secretKey.key);
  const encoder = seal.CKKSEncoder(ctx.context);
  const plain = seal.PlainText();
  const decryptCiphertext = (ct: CipherText): Float64Array => {
    decryptor.decrypt(ct, plain);
    return Float64Array.from(encoder.decode(plain));
  };
  return {
    decrypt(wire) {
      const ct = loadHeCiphertext(ctx, wire, scaleBits);
      try {
        return decryptCiphertext(ct);
      } finally {
        ct.delete();
      }
    },
    decryptCiphertext,
    delete() {
      deleteAll(plain, encoder, decryptor);
    },
  };
}
