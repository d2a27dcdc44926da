/**
 * Pulling and verifying versions through the embedded store: a pulled model loads in TF.js and
 * predicts like the original; tampering (a changed byte, a wrong content id, a wrong chain
 * digest, a revoked version) stops the pull with nothing written.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { type AidocError, isError } from '../../common/errors.js';
import { canonicalJson } from '../../model-registry/canonical-json.js';
import { sha256Hex, sha256ToBytes32 } from '../../model-registry/digest.js';
import { IMPORT_SETTINGS } from '../../model-registry/import-settings.js';
import { type StoredVersion, putVersion } from '../../model-registry/manifest.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { PULLED_MANIFEST_FILE, pullVersion, verifyFolder } from '../../model-registry/pull.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { type ModelArtifactsBytes, modelToBytes } from '../../training/model-files.js';
import { corruptBlock, rawLeafCid } from '../helpers/model-store-suite.js';

const notRevoked = () => false;

async function failure(p: Promise<unknown>): Promise<AidocError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error && 'code' in e) return e as AidocError;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** A model with a multi-chunk weights shard (600k parameters, 2.4 MB), seeded. */
function makeModel(seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 10 + i });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [30], units: 1000, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 560, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

describe('pullVersion / verifyFolder', () => {
  let root: string;
  let store: ModelStore;
  let storeDir: string;
  let files: ModelArtifactsBytes;
  let version: StoredVersion;
  let expected: number[];
  const input = tf.tensor2d([Array.from({ length: 30 }, (_, i) => (i % 7) / 7 - 0.4)]);
  const out = (name: string) => join(root, 'out', name);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aidoc-pull-'));
    storeDir = join(root, 'store');
    store = await createLocalModelStore({ dir: storeDir });
    const model = makeModel(1);
    expected = Array.from((model.predict(input) as tf.Tensor).dataSync());
    files = await modelToBytes(model);
    expect(files.weights.byteLength).toBeGreaterThan(2 * IMPORT_SETTINGS.chunkSize);
    version = await putVersion({
      store,
      job: 'job-pull',
      round: 1,
      parent: null,
      model: files,
      metrics: { accuracy: 0.5 },
      epsilon: { 'h1/wdbc': 0.1 },
      created: new Date('2025-05-05T00:00:00Z'),
    });
  });
  afterAll(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  /** What the output folder's parent holds: nothing half-written may ever show up here. */
  const leftovers = async () => (existsSync(join(root, 'out')) ? await readdir(join(root, 'out')) : []);

  it('pulls a version that loads in TF.js and predicts exactly like the model that was stored', async () => {
    const pulled = await pullVersion({
      store,
      manifestCid: version.manifestCid,
      expectedSha256: sha256ToBytes32(version.sha256),
      outDir: out('ok'),
      isRevoked: notRevoked,
    });
    expect(pulled.revoked).toBe(false);
    expect((await readdir(pulled.dir)).sort()).toEqual([
      PULLED_MANIFEST_FILE,
      'group1-shard1of1.bin',
      'model.json',
    ]);
    expect(await readFile(join(pulled.dir, 'model.json'), 'utf8')).toBe(files.modelJson);

    // Stock TF.js, from the files alone.
    const json = JSON.parse(await readFile(join(pulled.dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const shard = await readFile(join(pulled.dir, 'group1-shard1of1.bin'));
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength),
      }),
    );
    expect(Array.from((loaded.predict(input) as tf.Tensor).dataSync())).toEqual(expected);

    const report = await verifyFolder(pulled.dir, {
      sha256: version.sha256,
      manifestCid: version.manifestCid,
    });
    expect(report).toMatchObject({
      ok: true,
      problems: [],
      manifestCid: version.manifestCid,
      checkedAgainstChain: true,
    });
    expect(report.manifest?.job).toBe('job-pull');
  });

  it('a changed byte in a stored block: refused, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aidoc-pull-tamper-'));
    const s = await createLocalModelStore({ dir });
    try {
      const v = await putVersion({ store: s, job: 'j', round: 1, parent: null, model: files });
      const leaf = await rawLeafCid(
        files.weights.subarray(IMPORT_SETTINGS.chunkSize, 2 * IMPORT_SETTINGS.chunkSize),
      );
      await corruptBlock(dir, leaf);
      const e = await failure(
        pullVersion({
          store: s,
          manifestCid: v.manifestCid,
          expectedSha256: v.sha256,
          outDir: out('tampered'),
          isRevoked: notRevoked,
        }),
      );
      expect([e.code, e.info.reason]).toEqual(['VERIFICATION_FAILED', 'block-digest']);
      expect(existsSync(out('tampered'))).toBe(false);
      expect((await leftovers()).filter((n) => n.includes('tampered'))).toEqual([]);
    } finally {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a manifest naming the wrong content id for its weights: refused, nothing written', async () => {
    // Another model's weights, same size: the manifest's digest no longer matches what the id names.
    const other = await modelToBytes(makeModel(2));
    const substitute = await store.put(other.weights);
    const forged = { ...version.manifest, weights: { ...version.manifest.weights, cid: substitute } };
    const bytes = new TextEncoder().encode(canonicalJson(forged));
    const forgedCid = await store.put(bytes);
    const e = await failure(
      pullVersion({
        store,
        manifestCid: forgedCid,
        expectedSha256: sha256Hex(bytes),
        outDir: out('wrong-cid'),
        isRevoked: notRevoked,
      }),
    );
    expect([e.code, e.info.reason, e.info.path]).toEqual([
      'VERIFICATION_FAILED',
      'file-digest',
      'group1-shard1of1.bin',
    ]);
    expect(existsSync(out('wrong-cid'))).toBe(false);
  });

  it('a manifest that is not the one on chain (wrong digest, or the wrong id asked for): refused', async () => {
    const wrongDigest = await failure(
      pullVersion({
        store,
        manifestCid: version.manifestCid,
        expectedSha256: sha256Hex(new TextEncoder().encode('another version')),
        outDir: out('wrong-digest'),
        isRevoked: notRevoked,
      }),
    );
    expect([wrongDigest.code, wrongDigest.info.reason]).toEqual(['VERIFICATION_FAILED', 'manifest-digest']);
    const wrongId = await failure(
      pullVersion({
        store,
        manifestCid: version.manifest.weights.cid, // a content id, but not this version's
        expectedSha256: version.sha256,
        outDir: out('wrong-id'),
        isRevoked: notRevoked,
      }),
    );
    expect(wrongId.code).toBe('VERIFICATION_FAILED'); // larger than a manifest may be, or wrong digest
    expect(await leftovers()).toEqual(['ok']);
  });

  it('a revoked version is refused unless allowRevoked', async () => {
    const asked: string[] = [];
    const isRevoked = (cid: string) => {
      asked.push(cid);
      return Promise.resolve(true);
    };
    const common = { store, manifestCid: version.manifestCid, expectedSha256: version.sha256, isRevoked };
    const e = await failure(pullVersion({ ...common, outDir: out('revoked') }));
    expect([e.code, e.info.reason]).toEqual(['VERIFICATION_FAILED', 'revoked']);
    expect(existsSync(out('revoked'))).toBe(false);
    const pulled = await pullVersion({ ...common, outDir: out('revoked'), allowRevoked: true });
    expect(pulled.revoked).toBe(true);
    expect(asked).toEqual([version.manifestCid, version.manifestCid]);
    await rm(out('revoked'), { recursive: true });
  });

  it('an existing folder is kept unless overwrite; overwrite replaces it whole', async () => {
    const dir = out('existing');
    await rm(dir, { recursive: true, force: true });
    await pullVersion({
      store,
      manifestCid: version.manifestCid,
      expectedSha256: version.sha256,
      outDir: dir,
      isRevoked: notRevoked,
    });
    await writeFile(join(dir, 'note.txt'), 'mine');
    const e = await failure(
      pullVersion({
        store,
        manifestCid: version.manifestCid,
        expectedSha256: version.sha256,
        outDir: dir,
        isRevoked: notRevoked,
      }),
    );
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(await readFile(join(dir, 'note.txt'), 'utf8')).toBe('mine');
    await pullVersion({
      store,
      manifestCid: version.manifestCid,
      expectedSha256: version.sha256,
      outDir: dir,
      isRevoked: notRevoked,
      overwrite: true,
    });
    expect(existsSync(join(dir, 'note.txt'))).toBe(false);
    expect((await verifyFolder(dir, { sha256: version.sha256 })).ok).toBe(true);
    expect((await leftovers()).sort()).toEqual(['existing', 'ok']);
    await rm(dir, { recursive: true });
  });

  it('a cancelled pull leaves nothing behind', async () => {
    const ac = new AbortController();
    const pulling = pullVersion({
      store,
      manifestCid: version.manifestCid,
      expectedSha256: version.sha256,
      outDir: out('cancelled'),
      isRevoked: () => {
        ac.abort(new Error('user cancelled'));
        return false;
      },
      signal: ac.signal,
    });
    expect((await failure(pulling)).code).toBe('ABORTED');
    expect((await leftovers()).filter((n) => n.includes('cancelled'))).toEqual([]);
  });

  it('a committed version whose files are not a loadable model is refused (INVALID_MODEL)', async () => {
    const truncated = {
      modelJson: files.modelJson,
      weights: files.weights.subarray(0, files.weights.byteLength - 4),
    };
    const v = await putVersion({ store, job: 'j', round: 9, parent: null, model: truncated });
    const e = await failure(
      pullVersion({
        store,
        manifestCid: v.manifestCid,
        expectedSha256: v.sha256,
        outDir: out('bad-model'),
        isRevoked: notRevoked,
      }),
    );
    expect(e.code).toBe('INVALID_MODEL');
    expect(existsSync(out('bad-model'))).toBe(false);
  });

  it('verifyFolder reports a changed byte, an extra or missing file, and a chain mismatch', async () => {
    const dir = out('verify');
    await pullVersion({
      store,
      manifestCid: version.manifestCid,
      expectedSha256: version.sha256,
      outDir: dir,
      isRevoked: notRevoked,
    });
    expect((await verifyFolder(dir)).checkedAgainstChain).toBe(false);
    const shard = await readFile(join(dir, 'group1-shard1of1.bin'));
    shard[12345] = (shard[12345] ?? 0) ^ 0x80;
    await writeFile(join(dir, 'group1-shard1of1.bin'), shard);
    await writeFile(join(dir, 'extra.bin'), 'x');
    await rm(join(dir, 'model.json'));
    const report = await verifyFolder(dir, {
      sha256: sha256Hex(new Uint8Array(3)),
      manifestCid: version.manifestCid,
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.stringMatching(/^aidoc-version\.json has SHA-256 .* the chain says/),
      'model.json is missing',
      'group1-shard1of1.bin does not match the SHA-256 in the manifest',
      'extra.bin is not part of the version',
    ]);
    await rm(join(dir, PULLED_MANIFEST_FILE));
    expect((await failure(verifyFolder(dir))).code).toBe('NOT_FOUND');
    await rm(dir, { recursive: true });
  });

  it('checks its arguments before touching the store', async () => {
    const base = {
      store,
      manifestCid: version.manifestCid,
      expectedSha256: version.sha256,
      outDir: out('args'),
    };
    expect((await failure(pullVersion({ ...base, isRevoked: notRevoked, manifestCid: 'x' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failure(pullVersion({ ...base, isRevoked: notRevoked, expectedSha256: 'abc' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    const noCheck = { ...base } as unknown as Parameters<typeof pullVersion>[0];
    expect(isError(await failure(pullVersion(noCheck)), 'INVALID_ARGUMENT')).toBe(true);
  });
});
