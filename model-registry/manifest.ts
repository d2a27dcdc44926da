/**
 * A model version is a manifest: which job and round made it, which version it continues from,
 * the content ids and SHA-256 digests of its TF.js files (model.json + one weights shard), the
 * round's metrics and the epsilon each dataset spent. The manifest is stored in the model store
 * as canonical JSON; its content id and SHA-256 are what the ledger records. From those two a
 * researcher can check everything else: the manifest bytes against the digest on chain, each
 * file against the digest in the manifest.
 *
 * The parent is the parent version's manifest content id (what the chain records as `parent`),
 * or null for a model trained from scratch; following parents gives the lineage.
 */
import { z } from 'zod';
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import type { ModelArtifactsBytes } from '../training/model-files.js';
import { canonicalJson } from './canonical-json.js';
import { normalizeSha256, sha256Hex } from './digest.js';
import { parseCid } from './import-settings.js';
import type { ModelStore } from './model-store.js';

export const MANIFEST_FORMAT = 'aidoc.model-version/1';
/** File names of a version's files, the TF.js Layers format (same as training/model-files.ts). */
export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'group1-shard1of1.bin';
/** Manifests are small; refuse anything larger before reading it into memory. */
export const MANIFEST_MAX_BYTES = 256 * 1024;

const cidText = z.string().refine((s) => {
  try {
    parseCid(s);
    return true;
  } catch {
    return false;
  }
}, 'not a content id');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');
const fileEntry = <P extends string>(path: P) =>
  z.strictObject({ path: z.literal(path), cid: cidText, sha256, bytes: z.int().nonnegative() });
const finiteRecord = z.record(z.string().min(1), z.number().refine(Number.isFinite, 'a finite number'));

/**
 * The manifest schema. Strict: an unknown field is an error, so a manifest means exactly what
 * this code reads from it. File paths are fixed literals, so a manifest can never name a file
 * outside the folder it is pulled into.
 */
export const versionManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  job: z.string().min(1),
  round: z.int().nonnegative().max(0xffff_ffff),
  parent: cidText.nullable(),
  topology: fileEntry(MODEL_JSON_FILE),
  weights: fileEntry(WEIGHTS_FILE),
  metrics: finiteRecord,
  epsilon: z.record(
    z.string().min(1),
    z.number().refine((x) => Number.isFinite(x) && x >= 0, 'epsilon >= 0'),
  ),
  created: z.iso.datetime(),
});

export type VersionManifest = z.infer<typeof versionManifestSchema>;
export type ManifestFile = VersionManifest['topology'] | VersionManifest['weights'];

/** The canonical bytes of a manifest (validated first). */
export function encodeManifest(manifest: VersionManifest): Uint8Array {
  const checked = versionManifestSchema.safeParse(manifest);
  if (!checked.success) {
    throw makeError('not a valid version manifest', 'INVALID_ARGUMENT', { problems: checked.error.issues });
  }
  return new TextEncoder().encode(canonicalJson(checked.data));
}

/**
 * Parses manifest bytes. VERIFICATION_FAILED unless they are a valid manifest in canonical form:
 * a second encoding of the same manifest would have another digest, so only one is accepted.
 */
export function decodeManifest(bytes: Uint8Array): VersionManifest {
  let text: string;
  let parsed: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    parsed = JSON.parse(text);
  } catch (e) {
    throw makeError(
      'the version manifest is not JSON',
      'VERIFICATION_FAILED',
      { reason: 'manifest-format' },
      e,
    );
  }
  const checked = versionManifestSchema.safeParse(parsed);
  if (!checked.success) {
    throw makeError('the version manifest does not match its schema', 'VERIFICATION_FAILED', {
      reason: 'manifest-format',
      problems: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  if (canonicalJson(checked.data) !== text) {
    throw makeError('the version manifest is not in canonical form', 'VERIFICATION_FAILED', {
      reason: 'manifest-format',
    });
  }
  return checked.data;
}

export interface PutVersionOptions {
  /** Where the files and the manifest go. */
  store: Pick<ModelStore, 'put'>;
  /** Job id. */
  job: string;
  /** Round that produced the weights (0 for an initial model). */
  round: number;
  /** Manifest content id of the version these weights continue from; null for a fresh model. */
  parent: string | null;
  /** The TF.js files, as training/model-files.ts `modelToBytes` makes them. */
  model: ModelArtifactsBytes;
  /** Round metrics, e.g. `{ loss, accuracy }`. @defaultValue `{}` */
  metrics?: Record<string, number>;
  /** Epsilon spent in this round, per dataset id. @defaultValue `{}` */
  epsilon?: Record<string, number>;
  /** Creation time. @defaultValue now */
  created?: Date;
  /** Cancels storing. @defaultValue none */
  signal?: AbortSignal;
}

export interface StoredVersion {
  /** Content id of the manifest: the version's `contentId` on chain. */
  manifestCid: string;
  /** SHA-256 of the manifest bytes (hex, no prefix): the version's `sha256` on chain. */
  sha256: string;
  manifest: VersionManifest;
  /** The manifest's canonical bytes. */
  bytes: Uint8Array;
}

/**
 * Stores a version's files, then its manifest (so a manifest id never names missing content),
 * and returns what goes on chain. Idempotent: the same inputs give the same ids.
 */
export async function putVersion(options: PutVersionOptions): Promise<StoredVersion> {
  const { store, signal, model } = options;
  assertArgument(
    model && typeof model.modelJson === 'string',
    'putVersion needs the model files (modelJson, weights)',
  );
  assertArgument(model.weights instanceof Uint8Array, 'putVersion needs the weights as bytes');
  // Check everything but the files first, so a bad input stores nothing.
  const head = versionManifestSchema.omit({ topology: true, weights: true }).safeParse({
    format: MANIFEST_FORMAT,
    job: options.job,
    round: options.round,
    parent: options.parent,
    metrics: options.metrics ?? {},
    epsilon: options.epsilon ?? {},
    created: (options.created ?? new Date()).toISOString(),
  });
  if (!head.success) {
    throw makeError('cannot record this version: invalid manifest fields', 'INVALID_ARGUMENT', {
      problems: head.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  throwIfAborted(signal, 'storing the model version');
  const topologyBytes = new TextEncoder().encode(model.modelJson);
  const entry = async <P extends string>(path: P, bytes: Uint8Array) => ({
    path,
    cid: await store.put(bytes, { signal }),
    sha256: sha256Hex(bytes),
    bytes: bytes.byteLength,
  });
  const manifest: VersionManifest = {
    ...head.data,
    topology: await entry(MODEL_JSON_FILE, topologyBytes),
    weights: await entry(WEIGHTS_FILE, model.weights),
  };
  const bytes = encodeManifest(manifest);
  const manifestCid = await store.put(bytes, { signal });
  return { manifestCid, sha256: sha256Hex(bytes), manifest, bytes };
}

export interface GetManifestOptions {
  store: Pick<ModelStore, 'get'>;
  /** The version's content id (from the chain). */
  manifestCid: string;
  /** The version's SHA-256 (from the chain), hex with or without `0x`. */
  expectedSha256: string;
  signal?: AbortSignal;
}

/**
 * Fetches a manifest and checks its bytes against the digest on chain before parsing them.
 * VERIFICATION_FAILED (`info.reason` 'manifest-digest') when they differ.
 */
export async function getManifest(
  options: GetManifestOptions,
): Promise<{ manifest: VersionManifest; bytes: Uint8Array }> {
  const expected = normalizeSha256(options.expectedSha256);
  const bytes = await options.store.get(options.manifestCid, {
    signal: options.signal,
    maxBytes: MANIFEST_MAX_BYTES,
  });
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw makeError(
      `the manifest ${options.manifestCid} does not match the digest on chain (expected ${expected}, got ${actual})`,
      'VERIFICATION_FAILED',
      { reason: 'manifest-digest', cid: options.manifestCid, expected, actual },
    );
  }
  return { manifest: decodeManifest(bytes), bytes };
}
