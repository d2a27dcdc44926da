/**
 * Pulling a model version into a folder, and verifying a pulled folder later.
 *
 * Order of a pull, and why:
 * 1. The manifest's bytes are checked against the SHA-256 on chain before they are parsed, so
 *    everything after rests on the chain, not on the store.
 * 2. A revoked version is refused (unless the caller asks for it) before its files are fetched.
 * 3. Each file is fetched with a size cap (the manifest's size) and checked against the
 *    manifest's SHA-256; the store has also checked it against its content id. A substituted
 *    block, a wrong content id in the manifest or a changed byte all stop the pull here.
 * 4. Only then is anything written: into a hidden sibling folder that is renamed into place, so
 *    a failure or a cancel at any point leaves no half-written folder behind.
 *
 * The folder holds `model.json`, `group1-shard1of1.bin` (stock TF.js Layers files) and
 * `aidoc-version.json` (the manifest's exact bytes), which `verifyFolder` checks later against
 * the chain without the store.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import { normalizeSha256, sha256Hex } from './digest.js';
import { computeCid, parseCid, sameContent } from './import-settings.js';
import {
  MODEL_JSON_FILE,
  WEIGHTS_FILE,
  type ManifestFile,
  type VersionManifest,
  decodeManifest,
  getManifest,
} from './manifest.js';
import type { ModelStore } from './model-store.js';

/** The manifest's exact bytes, next to the model files in a pulled folder. */
export const PULLED_MANIFEST_FILE = 'aidoc-version.json';

export interface PullVersionOptions {
  /** Where the version's bytes come from. */
  store: Pick<ModelStore, 'get'>;
  /** The version's content id, as recorded on chain. */
  manifestCid: string;
  /** The version's SHA-256, as recorded on chain (hex, with or without `0x`). */
  expectedSha256: string;
  /** Folder to create with the model files. Must not exist unless `overwrite`. */
  outDir: string;
  /**
   * Whether the version is revoked (the chain's answer). Required, so that no caller forgets to
   * ask; it is called once, after the manifest is verified and before any file is fetched.
   */
  isRevoked: (manifestCid: string, manifest: VersionManifest) => boolean | Promise<boolean>;
  /** Pull a revoked version anyway (`--allow-revoked`). @defaultValue false */
  allowRevoked?: boolean;
  /** Replace `outDir` if it exists (atomically: the old folder stays until the new one is in). @defaultValue false */
  overwrite?: boolean;
  /** Cancels the pull; nothing is left behind. @defaultValue none */
  signal?: AbortSignal;
}

export interface PulledVersion {
  /** Absolute path of the folder written. */
  dir: string;
  manifestCid: string;
  /** SHA-256 of the manifest (hex, no prefix), equal to the expected one. */
  sha256: string;
  manifest: VersionManifest;
  /** Whether the version was revoked (only possible with `allowRevoked`). */
  revoked: boolean;
  /** Files written, relative to `dir`. */
  files: string[];
}

function fileMismatch(what: string, file: ManifestFile, info: Record<string, unknown>): Error {
  return makeError(`${file.path} (${file.cid}) ${what}`, 'VERIFICATION_FAILED', {
    reason: 'file-digest',
    path: file.path,
    cid: file.cid,
    ...info,
  });
}

/** Checks fetched bytes against their manifest entry. */
function checkFile(file: ManifestFile, bytes: Uint8Array): void {
  if (bytes.byteLength !== file.bytes) {
    throw fileMismatch(`has ${bytes.byteLength} bytes; the manifest says ${file.bytes}`, file, {
      expectedBytes: file.bytes,
      actualBytes: bytes.byteLength,
    });
  }
  const actual = sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw fileMismatch('does not match the SHA-256 in the manifest', file, { expected: file.sha256, actual });
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/**
 * The files must be a loadable TF.js Layers model: model.json names exactly the one weights
 * shard, and its weight specs add up to the shard's size. Digests prove the bytes are what the
 * federation committed; this proves what it committed is a model (a bug, not an attack, if not).
 */
function checkModelFiles(modelJson: Uint8Array, weightsBytes: number): void {
  const bad = (why: string) =>
    makeError(`model.json is not a loadable TF.js Layers model: ${why}`, 'INVALID_MODEL');
  let json: {
    modelTopology?: unknown;
    weightsManifest?: {
      paths?: unknown;
      weights?: { shape?: number[]; dtype?: string; quantization?: unknown }[];
    }[];
  };
  try {
    json = JSON.parse(new TextDecoder().decode(modelJson)) as typeof json;
  } catch {
    throw bad('not JSON');
  }
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null) throw bad('no modelTopology');
  const groups = json.weightsManifest ?? [];
  const paths = groups.flatMap((g) => (Array.isArray(g.paths) ? (g.paths as unknown[]) : []));
  if (paths.length !== 1 || paths[0] !== WEIGHTS_FILE)
    throw bad(`weightsManifest must name only ${WEIGHTS_FILE}`);
  const specs = groups.flatMap((g) => g.weights ?? []);
  if (specs.some((s) => s.quantization !== undefined)) return; // quantized sizes differ; TF.js checks them
  let total = 0;
  for (const s of specs) {
    const per = DTYPE_BYTES[s.dtype ?? 'float32'];
    if (per === undefined || !Array.isArray(s.shape))
      throw bad(`unsupported weight spec ${JSON.stringify(s)}`);
    total += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  if (total !== weightsBytes) throw bad(`weight specs need ${total} bytes, the shard has ${weightsBytes}`);
}

/** Writes `files` into a hidden sibling of `dir` and renames it into place. */
async function writeFolderAtomically(
  dir: string,
  files: [name: string, bytes: Uint8Array][],
  overwrite: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.pull-${randomUUID()}`);
  const old = join(parent, `.${basename(dir)}.old-${randomUUID()}`);
  await mkdir(tmp);
  try {
    for (const [name, bytes] of files) {
      throwIfAborted(signal, 'writing the pulled model');
      await writeFile(join(tmp, name), bytes, { flag: 'wx' });
    }
    throwIfAborted(signal, 'writing the pulled model');
    if (existsSync(dir)) {
      if (!overwrite) {
        throw makeError(
          `${dir} already exists; choose another folder or allow overwriting`,
          'INVALID_ARGUMENT',
          {
            dir,
          },
        );
      }
      await rename(dir, old);
    }
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(dir)) await rename(old, dir);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

/** The verified bytes of a version: steps 1-3 of the file comment, nothing written. */
interface FetchedVersion {
  manifest: VersionManifest;
  manifestBytes: Uint8Array;
  topology: Uint8Array;
  weights: Uint8Array;
  revoked: boolean;
}

async function fetchVerified(
  options: Pick<
    PullVersionOptions,
    'store' | 'manifestCid' | 'expectedSha256' | 'isRevoked' | 'allowRevoked' | 'signal'
  >,
): Promise<FetchedVersion> {
  const { store, manifestCid, signal } = options;
  const expectedSha256 = normalizeSha256(options.expectedSha256);
  const { manifest, bytes: manifestBytes } = await getManifest({
    store,
    manifestCid,
    expectedSha256,
    signal,
  });
  const revoked = await options.isRevoked(manifestCid, manifest);
  if (revoked && !options.allowRevoked) {
    throw makeError(
      `version ${manifest.job}@${manifest.round} (${manifestCid}) is revoked; pull it only if you must, with allowRevoked`,
      'VERIFICATION_FAILED',
      { reason: 'revoked', cid: manifestCid, job: manifest.job, round: manifest.round },
    );
  }
  const fetchFile = async (file: ManifestFile) => {
    throwIfAborted(signal, 'pulling the model');
    const bytes = await store.get(file.cid, { signal, maxBytes: file.bytes });
    checkFile(file, bytes);
    return bytes;
  };
  const topology = await fetchFile(manifest.topology);
  const weights = await fetchFile(manifest.weights);
  checkModelFiles(topology, weights.byteLength);
  return { manifest, manifestBytes, topology, weights, revoked };
}

/** A version's flat weights, loaded into memory (to continue training from it), verified as a pull is. */
export interface LoadedVersion {
  manifest: VersionManifest;
  /** The weights in the TF.js shard's order, which is the model's flat weight order. */
  weights: Float32Array;
}

export async function loadVersionWeights(
  options: Pick<
    PullVersionOptions,
    'store' | 'manifestCid' | 'expectedSha256' | 'isRevoked' | 'allowRevoked' | 'signal'
  >,
): Promise<LoadedVersion> {
  parseCid(options.manifestCid);
  const v = await fetchVerified(options);
  if (v.weights.byteLength % 4 !== 0) {
    throw makeError(`the weights of ${options.manifestCid} are not float32`, 'INVALID_MODEL', {
      cid: options.manifestCid,
    });
  }
  // Copy: the store's buffer may be shared or unaligned.
  const weights = new Float32Array(v.weights.byteLength / 4);
  new Uint8Array(weights.buffer).set(v.weights);
  return { manifest: v.manifest, weights };
}

/** Pulls a version into `outDir`, verified against the chain's digest; see the file comment. */
export async function pullVersion(options: PullVersionOptions): Promise<PulledVersion> {
  const { manifestCid, signal } = options;
  assertArgument(typeof options.isRevoked === 'function', 'pullVersion needs isRevoked (ask the chain)');
  assertArgument(
    typeof options.outDir === 'string' && options.outDir.length > 0,
    'pullVersion needs an output folder',
  );
  parseCid(manifestCid);
  const expectedSha256 = normalizeSha256(options.expectedSha256);
  const dir = resolve(options.outDir);
  if (existsSync(dir) && !options.overwrite) {
    throw makeError(`${dir} already exists; choose another folder or allow overwriting`, 'INVALID_ARGUMENT', {
      dir,
    });
  }

  const { manifest, manifestBytes, topology, weights, revoked } = await fetchVerified(options);

  await writeFolderAtomically(
    dir,
    [
      [MODEL_JSON_FILE, topology],
      [WEIGHTS_FILE, weights],
      [PULLED_MANIFEST_FILE, manifestBytes],
    ],
    options.overwrite ?? false,
    signal,
  );
  return {
    dir,
    manifestCid,
    sha256: expectedSha256,
    manifest,
    revoked,
    files: [MODEL_JSON_FILE, WEIGHTS_FILE, PULLED_MANIFEST_FILE],
  };
}

export interface FolderExpectation {
  /** The version's SHA-256 on chain; without it the folder is only checked against itself. */
  sha256?: string;
  /** The version's content id on chain. */
  manifestCid?: string;
}

export interface FolderVerification {
  /** True when no problem was found. */
  ok: boolean;
  /** What is wrong, one line each; empty when ok. */
  problems: string[];
  /** Content id of the folder's manifest, computed from its bytes (look it up on chain). */
  manifestCid: string;
  /** SHA-256 of the folder's manifest (hex, no prefix). */
  sha256: string;
  /** The manifest, when it parses. */
  manifest?: VersionManifest;
  /** Whether the manifest was checked against an expected digest (from the chain). */
  checkedAgainstChain: boolean;
}

/**
 * Verifies a pulled folder: its manifest against the expected digest and content id (from the
 * chain; compute `manifestCid` here first to look the version up), and every file against the
 * manifest. Extra or missing files are problems. Mismatches are reported in `problems`, not
 * thrown; NOT_FOUND only when the folder has no manifest at all.
 */
export async function verifyFolder(
  dir: string,
  expected: FolderExpectation = {},
): Promise<FolderVerification> {
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = await readFile(join(dir, PULLED_MANIFEST_FILE));
  } catch (e) {
    throw makeError(
      `${dir} has no ${PULLED_MANIFEST_FILE}; it was not pulled from the model registry`,
      'NOT_FOUND',
      { dir },
      e,
    );
  }
  const problems: string[] = [];
  const sha256 = sha256Hex(manifestBytes);
  const cid = await computeCid(manifestBytes);
  if (expected.sha256 !== undefined && normalizeSha256(expected.sha256) !== sha256) {
    problems.push(
      `${PULLED_MANIFEST_FILE} has SHA-256 ${sha256}; the chain says ${normalizeSha256(expected.sha256)}`,
    );
  }
  if (expected.manifestCid !== undefined && !sameContent(parseCid(expected.manifestCid), cid)) {
    problems.push(
      `${PULLED_MANIFEST_FILE} has content id ${cid.toString()}; expected ${expected.manifestCid}`,
    );
  }
  let manifest: VersionManifest | undefined;
  try {
    manifest = decodeManifest(manifestBytes);
  } catch (e) {
    problems.push(`${PULLED_MANIFEST_FILE}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (manifest) {
    for (const file of [manifest.topology, manifest.weights]) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(join(dir, file.path));
      } catch {
        problems.push(`${file.path} is missing`);
        continue;
      }
      if (bytes.byteLength !== file.bytes) {
        problems.push(`${file.path} has ${bytes.byteLength} bytes; the manifest says ${file.bytes}`);
      } else if (sha256Hex(bytes) !== file.sha256) {
        problems.push(`${file.path} does not match the SHA-256 in the manifest`);
      }
    }
    const known = new Set([PULLED_MANIFEST_FILE, manifest.topology.path, manifest.weights.path]);
    for (const name of await readdir(dir)) {
      if (!known.has(name)) problems.push(`${name} is not part of the version`);
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    manifestCid: cid.toString(),
    sha256,
    ...(manifest ? { manifest } : {}),
    checkedAgainstChain: expected.sha256 !== undefined,
  };
}
