import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isError } from '../../common/errors.js';
import { canonicalJson } from '../../model-registry/canonical-json.js';
import { normalizeSha256, sha256Hex, sha256ToBytes32 } from '../../model-registry/digest.js';
import {
  MANIFEST_FORMAT,
  WEIGHTS_FILE,
  type VersionManifest,
  decodeManifest,
  encodeManifest,
  getManifest,
  putVersion,
} from '../../model-registry/manifest.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { WEIGHTS_FILE as TRAINING_WEIGHTS_FILE } from '../../training/model-files.js';
import { seededBytes } from '../helpers/model-store-suite.js';

async function countFiles(root: string): Promise<number> {
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isError(e, 'VERIFICATION_FAILED') || isError(e, 'INVALID_ARGUMENT') ? e.code : String(e);
  }
}

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined members, keeps array order, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 'x', { z: true, y: null }], c: undefined }, é: 0.5 })).toBe(
      '{"a":{"d":[3,"x",{"y":null,"z":true}]},"b":1,"é":0.5}',
    );
    // Numbers as ECMAScript writes them (RFC 8785): shortest round-trip form.
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 100])).toBe('[1e+21,0.1,0,1.5e-7,100]');
  });

  it('refuses what JSON cannot carry exactly', () => {
    expect(codeOf(() => canonicalJson({ x: NaN }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => canonicalJson({ x: Infinity }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => canonicalJson([undefined]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => canonicalJson({ x: new Date(0) }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => canonicalJson({ x: 1n }))).toBe('INVALID_ARGUMENT');
  });
});

describe('digests', () => {
  it('are lowercase hex; the chain form is 0x-prefixed and accepted back', () => {
    const d = sha256Hex(new TextEncoder().encode('abc'));
    expect(d).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 vector
    expect(sha256ToBytes32(d)).toBe(`0x${d}`);
    expect(normalizeSha256(`0x${d.toUpperCase()}`)).toBe(d);
    expect(codeOf(() => normalizeSha256('0x1234'))).toBe('INVALID_ARGUMENT');
  });
});

describe('version manifests', () => {
  let dir: string;
  let store: ModelStore;
  const model = {
    modelJson: JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }),
    weights: seededBytes(3 * 1024 * 1024 + 3, 17),
  };
  const created = new Date('2025-01-02T03:04:05.678Z');
  const input = {
    job: 'job-1',
    round: 3,
    parent: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
    model,
    metrics: { loss: 0.25, accuracy: 0.9 },
    epsilon: { 'hospital-a/wdbc': 0.31, 'hospital-b/wdbc': 0.29 },
    created,
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aidoc-manifest-'));
    store = await createLocalModelStore({ dir });
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the weights file name is the one training/model-files.ts writes', () => {
    expect(WEIGHTS_FILE).toBe(TRAINING_WEIGHTS_FILE);
  });

  it('putVersion stores the files and a canonical manifest; its id and digest are stable', async () => {
    const v = await putVersion({ store, ...input });
    expect(v.manifest).toEqual({
      format: MANIFEST_FORMAT,
      job: 'job-1',
      round: 3,
      parent: input.parent,
      topology: {
        path: 'model.json',
        cid: await store.put(new TextEncoder().encode(model.modelJson)),
        sha256: sha256Hex(new TextEncoder().encode(model.modelJson)),
        bytes: model.modelJson.length,
      },
      weights: {
        path: WEIGHTS_FILE,
        cid: await store.put(model.weights),
        sha256: sha256Hex(model.weights),
        bytes: model.weights.byteLength,
      },
      metrics: { loss: 0.25, accuracy: 0.9 },
      epsilon: { 'hospital-a/wdbc': 0.31, 'hospital-b/wdbc': 0.29 },
      created: '2025-01-02T03:04:05.678Z',
    });
    const text = new TextDecoder().decode(v.bytes);
    expect(text).toBe(canonicalJson(v.manifest));
    expect(text.startsWith('{"created":"2025-01-02T03:04:05.678Z","epsilon":{')).toBe(true);
    expect(v.sha256).toBe(sha256Hex(v.bytes));
    expect(Buffer.from(await store.get(v.manifestCid)).equals(Buffer.from(v.bytes))).toBe(true);
    // Same inputs, same version: nothing in the manifest depends on key order or timing.
    const again = await putVersion({
      store,
      ...input,
      metrics: { accuracy: 0.9, loss: 0.25 },
      epsilon: { 'hospital-b/wdbc': 0.29, 'hospital-a/wdbc': 0.31 },
    });
    expect([again.manifestCid, again.sha256]).toEqual([v.manifestCid, v.sha256]);
    // A different round is a different version.
    expect((await putVersion({ store, ...input, round: 4 })).manifestCid).not.toBe(v.manifestCid);
  });

  it('getManifest checks the chain digest before parsing', async () => {
    const v = await putVersion({ store, ...input });
    const got = await getManifest({
      store,
      manifestCid: v.manifestCid,
      expectedSha256: sha256ToBytes32(v.sha256),
    });
    expect(got.manifest).toEqual(v.manifest);
    let caught: unknown;
    try {
      await getManifest({ store, manifestCid: v.manifestCid, expectedSha256: sha256Hex(new Uint8Array(1)) });
    } catch (e) {
      caught = e;
    }
    expect(isError(caught, 'VERIFICATION_FAILED') && caught.info.reason).toBe('manifest-digest');
  });

  it('decodeManifest accepts only valid manifests in canonical form', async () => {
    const v = await putVersion({ store, ...input, parent: null, metrics: {}, epsilon: {} });
    expect(decodeManifest(v.bytes)).toEqual(v.manifest);
    const text = new TextDecoder().decode(v.bytes);
    const enc = (s: string) => new TextEncoder().encode(s);
    const withManifest = (f: (m: Record<string, unknown>) => void) => {
      const m = JSON.parse(text) as Record<string, unknown>;
      f(m);
      return enc(canonicalJson(m));
    };
    // Pretty-printed: same content, other bytes, other digest. Refused.
    expect(codeOf(() => decodeManifest(enc(JSON.stringify(JSON.parse(text), null, 2))))).toBe(
      'VERIFICATION_FAILED',
    );
    expect(codeOf(() => decodeManifest(enc('not json')))).toBe('VERIFICATION_FAILED');
    expect(codeOf(() => decodeManifest(withManifest((m) => (m.extra = 1))))).toBe('VERIFICATION_FAILED');
    // A file path must be the fixed name: a manifest cannot point a pull outside its folder.
    expect(
      codeOf(() =>
        decodeManifest(withManifest((m) => ((m.weights as Record<string, unknown>).path = '../../.bashrc'))),
      ),
    ).toBe('VERIFICATION_FAILED');
    expect(codeOf(() => decodeManifest(withManifest((m) => (m.round = -1))))).toBe('VERIFICATION_FAILED');
    expect(codeOf(() => decodeManifest(withManifest((m) => (m.parent = 'not-a-cid'))))).toBe(
      'VERIFICATION_FAILED',
    );
    expect(codeOf(() => decodeManifest(withManifest((m) => (m.epsilon = { a: -1 }))))).toBe(
      'VERIFICATION_FAILED',
    );
  });

  it('putVersion refuses bad fields with INVALID_ARGUMENT and stores nothing', async () => {
    const fresh = { modelJson: '{"x":1}', weights: seededBytes(4096, 123) };
    const before = await countFiles(dir);
    for (const bad of [{ metrics: { loss: NaN } }, { round: 1.5 }, { job: '' }, { parent: 'nope' }]) {
      let caught: unknown;
      try {
        await putVersion({ store, ...input, model: fresh, ...bad });
      } catch (e) {
        caught = e;
      }
      expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
    expect(await countFiles(dir)).toBe(before);
  });

  it('encodeManifest validates before encoding', () => {
    const bad = { format: MANIFEST_FORMAT, job: '' } as unknown as VersionManifest;
    expect(codeOf(() => encodeManifest(bad))).toBe('INVALID_ARGUMENT');
  });
});
