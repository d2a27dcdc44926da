/**
 * One loader for node-seal (Microsoft SEAL compiled to WebAssembly), shared by every `he-*` module.
 *
 * node-seal 6.0.3 is pinned: 7.x does not load on Node 20. The WASM module is instantiated once per
 * process and reused; every SEAL object made from it lives in the WASM heap and must be freed with
 * `.delete()` (garbage collection does not free WASM memory, and the heap never shrinks).
 */
import SEAL from 'node-seal';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';

export type { SEALLibrary } from 'node-seal/implementation/seal.js';
export type { CipherText } from 'node-seal/implementation/cipher-text.js';
export type { Context } from 'node-seal/implementation/context.js';
export type { SecretKey } from 'node-seal/implementation/secret-key.js';
export type { PlainText } from 'node-seal/implementation/plain-text.js';
export type { Modulus } from 'node-seal/implementation/modulus.js';
import type { ComprModeType } from 'node-seal/implementation/compr-mode-type.js';
import type { SchemeType } from 'node-seal/implementation/scheme-type.js';
import type { SecurityLevel } from 'node-seal/implementation/security-level.js';

type SealFactory = () => Promise<SEALLibrary>;

// node-seal ships a CommonJS (UMD) build whose typings declare an ES default export; under NodeNext
// the default import is `module.exports` at run time (the factory) but the typings disagree.
const sealModule = SEAL as unknown as SealFactory | { default: SealFactory };
const sealFactory: SealFactory = typeof sealModule === 'function' ? sealModule : sealModule.default;

let loading: Promise<SEALLibrary> | undefined;

/** The process-wide node-seal library (instantiated on first call). */
export function loadSeal(): Promise<SEALLibrary> {
  loading ??= sealFactory();
  return loading;
}

/** Anything holding WASM memory. */
export interface Deletable {
  delete(): void;
}

/** Deletes every object given, ignoring `undefined`; use in `finally` blocks. */
export function deleteAll(...objects: (Deletable | undefined)[]): void {
  for (const o of objects) o?.delete();
}

// node-seal types its enum members as `any` and its parameters as the enum object's type; these
// give the members we use one honest type each.
export function noCompression(seal: SEALLibrary): ComprModeType {
  return seal.ComprModeType.none as ComprModeType;
}

export function ckksScheme(seal: SEALLibrary): SchemeType {
  return seal.SchemeType.ckks as SchemeType;
}

export function security128(seal: SEALLibrary): SecurityLevel {
  return seal.SecurityLevel.tc128 as SecurityLevel;
}

export function bgvScheme(seal: SEALLibrary): SchemeType {
  return seal.SchemeType.bgv as SchemeType;
}
