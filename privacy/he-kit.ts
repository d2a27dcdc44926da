/**
 * Key custody for secure aggregation: what `aidoc provision` puts into which kit, and how each
 * side reads its part back.
 *
 * Once per federation the `ckks` kit extension (the name predates the move from CKKS to BGV; it
 * names secure aggregation's material) generates the BGV parameters and ONE secret key, and
 * for every hospital an Ed25519 signing key pair (contributions are signed with it) and an X25519 key
 * pair (contributions seal their verification tags to the opener with it). Then:
 *
 * | kit          | gets                                                                          |
 * | ------------ | ----------------------------------------------------------------------------- |
 * | hospital     | parameters, the registry of public keys, the BGV secret key, its own signing  |
 * |              | key and its own X25519 private key (secret files, mode 0600)                  |
 * | coordinator  | parameters and the registry of public keys: nothing that decrypts             |
 * | vendor, op.  | nothing                                                                       |
 *
 * The registry (every hospital's signing and X25519 public keys) goes into every hospital kit as
 * well, and the hospitals read it from there, never from the coordinator: an opener that took the
 * X25519 key or the signing keys from the coordinator could be handed contributions whose tags the
 * coordinator sealed to itself, and then "verify" a single hospital's ciphertext (see
 * docs/secure-aggregation.md). The public material lives in `kit.json` under `extensions.ckks`, so
 * the coordinator reads it from the manifest alone and has no code path that opens a key file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { makeError } from '../common/errors.js';
import type { KitExtension } from '../common/pki-federation.js';
import type { KitManifest } from '../common/pki-kit.js';
import type { HeParams } from './he-context.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  heParamsDigest,
  parseHeParams,
  serializeHeParams,
  serializeHeSecretKey,
  type HeParamsOptions,
} from './he-context.js';

/** The key under `kit.json` `extensions`. */
export const HE_KIT_EXTENSION = 'ckks';
/** Secret files in a hospital kit. */
export const HE_SECRET_KEY_FILE = 'he-secret.key';
export const HE_SIGNING_KEY_FILE = 'he-signing.key';
export const HE_OPENER_KEY_FILE = 'he-opener.key';

export interface HeKitExtensionOptions extends HeParamsOptions {
  /**
   * The fewest contributions any opener of this federation opens a sum of, whatever a job asks.
   * It is the hospitals' own floor (a coordinator cannot lower it): with 1 an opener would decrypt
   * a single update. With 2, an opener that is one of the two learns the other's update; production
   * federations should use 3 or more.
   * @defaultValue 2
   */
  minContributors?: number;
}

const pem = z.string().startsWith('-----BEGIN PUBLIC KEY-----').max(1000);
const registrySchema = z.record(
  z.string().min(1).max(63),
  z.object({ signingKey: pem, openerKey: pem }).strict(),
);
const manifestSchema = z.object({
  role: z.enum(['hospital', 'coordinator']),
  params: z.unknown(),
  paramsDigest: z.string().regex(/^[0-9a-f]{64}$/),
  minContributors: z.number().int().min(1).max(1024),
  registry: registrySchema,
});

/** Public key material of one registered hospital. */
export interface HeRegisteredWorker {
  /** Verifies its contribution signatures (Ed25519). */
  readonly signingKey: KeyObject;
  /** Seals verification tags to it when it opens (X25519). */
  readonly openerKey: KeyObject;
}

/** What every party of a federation holds: parameters and the registered public keys. */
export interface HePublicSetup {
  readonly params: HeParams;
  readonly paramsDigest: string;
  readonly minContributors: number;
  readonly registry: ReadonlyMap<string, HeRegisteredWorker>;
}

/** A hospital's whole HE material (from its kit). */
export interface HeWorkerMaterial extends HePublicSetup {
  readonly workerId: string;
  /** Serialized BGV secret key (load it into a context with `loadHeSecretKey`). */
  readonly secretKey: Uint8Array;
  readonly signingKey: KeyObject;
  readonly openerPrivateKey: KeyObject;
}

/** The `ckks` kit extension for `provisionFederation` (see the module comment for who gets what). */
export function createHeKitExtension(options: HeKitExtensionOptions = {}): KitExtension {
  const minContributors = options.minContributors ?? 2;
  return {
    name: HE_KIT_EXTENSION,
    async prepare({ members }) {
      const params = await createHeParams(options);
      const ctx = await createHeContext(params);
      let secretKey: Uint8Array;
      try {
        const sk = generateHeSecretKey(ctx);
        try {
          secretKey = serializeHeSecretKey(ctx, sk);
        } finally {
          sk.delete();
        }
      } finally {
        ctx.delete();
      }
      const hospitals = members.filter((m) => m.role === 'worker').map((m) => m.name);
      const keys = new Map(
        hospitals.map((name) => [
          name,
          { signing: generateKeyPairSync('ed25519'), opener: generateKeyPairSync('x25519') },
        ]),
      );
      const registry: Record<string, { signingKey: string; openerKey: string }> = {};
      for (const [name, k] of keys) {
        registry[name] = {
          signingKey: k.signing.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          openerKey: k.opener.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        };
      }
      const publicPart = (role: 'hospital' | 'coordinator') => ({
        role,
        params: JSON.parse(new TextDecoder().decode(serializeHeParams(params))) as unknown,
        paramsDigest: heParamsDigest(params),
        minContributors,
        registry,
      });
      return (member) => {
        if (member.role === 'coordinator') {
          // Custody: parameters and public keys only. Adding ciphertexts needs no key at all.
          return Promise.resolve({ manifest: publicPart('coordinator') });
        }
        const own = member.role === 'worker' ? keys.get(member.name) : undefined;
        if (!own) return Promise.resolve(undefined);
        const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
        return Promise.resolve({
          manifest: publicPart('hospital'),
          files: [
            { name: HE_SECRET_KEY_FILE, data: secretKey, secret: true },
            { name: HE_SIGNING_KEY_FILE, data: pkcs8(own.signing.privateKey), secret: true },
            { name: HE_OPENER_KEY_FILE, data: pkcs8(own.opener.privateKey), secret: true },
          ],
        });
      };
    },
  };
}

/** True if this kit was provisioned with secure aggregation. */
export function hasHeSetup(manifest: Pick<KitManifest, 'extensions'>): boolean {
  return manifest.extensions[HE_KIT_EXTENSION] !== undefined;
}

/**
 * The public setup from a kit manifest (coordinator or hospital). Reads no file. Throws
 * INVALID_ARGUMENT if the kit has no `ckks` section or it is malformed.
 */
export function readHePublicSetup(manifest: Pick<KitManifest, 'extensions'>): HePublicSetup {
  const raw = manifest.extensions[HE_KIT_EXTENSION];
  if (raw === undefined) {
    throw makeError(
      'this kit was provisioned without secure aggregation (no ckks section in kit.json); re-provision with `aidoc provision`',
      'INVALID_ARGUMENT',
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw makeError('kit.json extensions.ckks is malformed', 'INVALID_ARGUMENT', {
      problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  const params = parseHeParams(new TextEncoder().encode(JSON.stringify(parsed.data.params)));
  if (heParamsDigest(params) !== parsed.data.paramsDigest) {
    throw makeError('kit.json extensions.ckks: parameters do not match their digest', 'INVALID_ARGUMENT');
  }
  const registry = new Map<string, HeRegisteredWorker>();
  for (const [name, k] of Object.entries(parsed.data.registry)) {
    const signingKey = createPublicKey(k.signingKey);
    const openerKey = createPublicKey(k.openerKey);
    if (signingKey.asymmetricKeyType !== 'ed25519' || openerKey.asymmetricKeyType !== 'x25519') {
      throw makeError(`kit.json extensions.ckks: ${name}'s keys are of the wrong type`, 'INVALID_ARGUMENT');
    }
    registry.set(name, { signingKey, openerKey });
  }
  return {
    params,
    paramsDigest: parsed.data.paramsDigest,
    minContributors: parsed.data.minContributors,
    registry,
  };
}

/** A hospital's HE material: the public setup plus its secret files. */
export async function loadHeWorkerMaterial(kit: {
  dir: string;
  manifest: Pick<KitManifest, 'extensions' | 'name' | 'role'>;
}): Promise<HeWorkerMaterial> {
  const setup = readHePublicSetup(kit.manifest);
  if (kit.manifest.role !== 'worker') {
    throw makeError(`a ${kit.manifest.role} kit holds no HE secret material`, 'INVALID_ARGUMENT');
  }
  const read = async (file: string): Promise<Buffer> => {
    try {
      return await readFile(join(kit.dir, file));
    } catch (e) {
      throw makeError(
        `cannot read ${join(kit.dir, file)} (${(e as NodeJS.ErrnoException).code ?? String(e)}); the hospital kit is incomplete`,
        'INVALID_ARGUMENT',
      );
    }
  };
  const [secretKey, signing, opener] = await Promise.all([
    read(HE_SECRET_KEY_FILE),
    read(HE_SIGNING_KEY_FILE),
    read(HE_OPENER_KEY_FILE),
  ]);
  const signingKey = createPrivateKey(signing);
  const openerPrivateKey = createPrivateKey(opener);
  const own = setup.registry.get(kit.manifest.name);
  if (
    !own ||
    !createPublicKey(signingKey).equals(own.signingKey) ||
    !createPublicKey(openerPrivateKey).equals(own.openerKey)
  ) {
    throw makeError(
      `${kit.manifest.name}'s HE keys are not the ones registered for it in kit.json`,
      'INVALID_ARGUMENT',
    );
  }
  return {
    ...setup,
    workerId: kit.manifest.name,
    secretKey: new Uint8Array(secretKey),
    signingKey,
    openerPrivateKey,
  };
}
