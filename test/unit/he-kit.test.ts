/**
 * Key custody at provisioning: hospital kits hold the CKKS secret key and their own signing and
 * opener keys; the coordinator kit holds the parameters and the hospitals' public keys, and
 * nothing in it decrypts. The coordinator modules never call a function that loads or makes a key.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionKitExtensions } from '../../cli/commands/provision.js';
import { isError } from '../../common/errors.js';
import { provisionFederation, type ProvisionResult } from '../../common/pki-federation.js';
import { loadKit } from '../../common/pki-kit.js';
import { createHeAggregator } from '../../privacy/he-aggregate.js';
import { createHeDecryptor } from '../../privacy/he-cipher.js';
import { createHeContext, generateHeSecretKey, loadHeSecretKey } from '../../privacy/he-context.js';
import type { HeContext } from '../../privacy/he-context.js';
import { encryptHeContribution } from '../../privacy/he-contribution.js';
import {
  HE_OPENER_KEY_FILE,
  HE_SECRET_KEY_FILE,
  HE_SIGNING_KEY_FILE,
  createHeKitExtension,
  loadHeWorkerMaterial,
  readHePublicSetup,
} from '../../privacy/he-kit.js';
import { createMemoryOpenerLedger, verifyAndOpen } from '../../privacy/he-opener.js';
import { heRoundGeometry } from '../../privacy/he-protocol.js';

let dir: string;
let fed: ProvisionResult;
let ctx: HeContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-he-kit-'));
  fed = await provisionFederation({
    out: join(dir, 'fed'),
    workers: ['hospital-a', 'hospital-b', 'hospital-c'],
    vendors: ['acme'],
    extensions: provisionKitExtensions,
  });
  const coordinator = await loadKit(fed.coordinator.dir);
  ctx = await createHeContext(readHePublicSetup(coordinator.manifest).params);
});

afterAll(async () => {
  ctx?.delete();
  await rm(dir, { recursive: true, force: true });
});

test('aidoc provision applies the ckks extension', () => {
  expect(provisionKitExtensions.map((e) => e.name)).toContain('ckks');
});

test('hospital kits hold the secret key and their own keys (mode 0600); vendor kits nothing', async () => {
  const files = await readdir(fed.workers[0]!.dir);
  expect(files.sort()).toEqual(
    [
      'ca.crt',
      'kit.json',
      'tls.crt',
      'tls.key',
      HE_OPENER_KEY_FILE,
      HE_SECRET_KEY_FILE,
      HE_SIGNING_KEY_FILE,
    ].sort(),
  );
  for (const f of [HE_OPENER_KEY_FILE, HE_SECRET_KEY_FILE, HE_SIGNING_KEY_FILE]) {
    expect((await stat(join(fed.workers[0]!.dir, f))).mode & 0o777).toBe(0o600);
  }
  expect((await readdir(fed.vendors[0]!.dir)).sort()).toEqual(['ca.crt', 'kit.json', 'tls.crt', 'tls.key']);
  expect((await loadKit(fed.vendors[0]!.dir)).manifest.extensions.ckks).toBeUndefined();

  const materials = await Promise.all(
    fed.workers.map(async (w) => loadHeWorkerMaterial(await loadKit(w.dir))),
  );
  // One federation key, different signing and opener keys per hospital, every registry identical.
  expect(Buffer.from(materials[0]!.secretKey).equals(Buffer.from(materials[1]!.secretKey))).toBe(true);
  expect(materials[0]!.signingKey.equals(materials[1]!.signingKey)).toBe(false);
  expect([...materials[2]!.registry.keys()].sort()).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
  for (const m of materials) {
    const own = m.registry.get(m.workerId)!;
    expect(own.signingKey.equals(materials[0]!.registry.get(m.workerId)!.signingKey)).toBe(true);
  }
  const sk = loadHeSecretKey(ctx, materials[0]!.secretKey); // the positive control: it loads
  sk.delete();
});

test('the coordinator kit holds parameters and public keys only: no file in it loads as a key', async () => {
  const kitDir = fed.coordinator.dir;
  const files = (await readdir(kitDir)).sort();
  expect(files).toEqual(['ca.crt', 'kit.json', 'tls.crt', 'tls.key']);
  const kit = await loadKit(kitDir);
  const section = kit.manifest.extensions.ckks as Record<string, unknown>;
  expect(Object.keys(section).sort()).toEqual([
    'files',
    'minContributors',
    'params',
    'paramsDigest',
    'registry',
    'role',
  ]);
  expect(section.files).toEqual([]);
  expect(section.role).toBe('coordinator');
  expect(JSON.stringify(section)).not.toContain('PRIVATE KEY');
  for (const f of files) {
    const bytes = await readFile(join(kitDir, f));
    let loaded = true;
    try {
      loadHeSecretKey(ctx, bytes).delete();
    } catch (e) {
      loaded = false;
      expect(isError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
    expect(`${f}: ${loaded}`).toBe(`${f}: false`);
  }
  await expect(loadHeWorkerMaterial(kit)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});

test('what the coordinator holds cannot decrypt: a key made from its parameters opens nothing', async () => {
  const a = await loadHeWorkerMaterial(await loadKit(fed.workers[0]!.dir));
  const setup = readHePublicSetup((await loadKit(fed.coordinator.dir)).manifest);
  const roundSetup = { valueBound: 1, maxWorkers: 3, valuesPerSlot: 2 as const, valueCount: 1000 };
  const { plan, layout } = heRoundGeometry(setup.params, roundSetup);
  const values = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) / 4);
  const hospitalKey = loadHeSecretKey(ctx, a.secretKey);
  const contributions = await Promise.all(
    ['hospital-a', 'hospital-b', 'hospital-c'].map(async (id) => {
      const m =
        id === 'hospital-a' ? a : await loadHeWorkerMaterial(await loadKit(join(fed.out, 'workers', id)));
      return encryptHeContribution({
        ctx,
        secretKey: hospitalKey,
        plan,
        layout,
        values,
        jobId: 'j',
        round: 1,
        workerId: id,
        openerId: 'hospital-a',
        openerPublicKey: a.registry.get('hospital-a')!.openerKey,
        signingKey: m.signingKey,
      });
    }),
  );
  // The coordinator sums with its setup alone ...
  const agg = createHeAggregator({
    ctx,
    plan,
    layout,
    jobId: 'j',
    round: 1,
    openerId: 'hospital-a',
    workerKey: (id) => setup.registry.get(id)?.signingKey,
  });
  for (const c of contributions) {
    const sink = agg.begin(c.contribution);
    c.ciphertexts.forEach((w, i) => sink.add(i, w));
    sink.commit();
  }
  const request = agg.openRequest();
  agg.delete();
  // ... but any key it could make is not the federation's: decryption gives noise, not the values.
  const forged = generateHeSecretKey(ctx);
  const forgedDecryptor = createHeDecryptor(ctx, forged);
  const decoded = forgedDecryptor.decrypt(contributions[1]!.ciphertexts[0]!);
  forgedDecryptor.delete();
  const opener = { ...a };
  const open = (secretKey: typeof forged) =>
    verifyAndOpen(request, {
      ctx,
      secretKey,
      plan,
      layout,
      openerId: 'hospital-a',
      openerPrivateKey: opener.openerPrivateKey,
      workerKey: (id) => a.registry.get(id)?.signingKey,
      minWorkers: 3,
      ledger: createMemoryOpenerLedger(),
    });
  await expect(open(forged)).rejects.toMatchObject({ code: 'VERIFICATION_FAILED' });
  forged.delete();
  // Decoded slots under a wrong key are huge random values, far from any packed integer range.
  expect(Math.max(...Array.from(decoded.subarray(0, 64), Math.abs))).toBeGreaterThan(2 ** 40);
  // The hospital's key opens the same request (positive control).
  const opened = await open(hospitalKey);
  expect(Math.abs((opened.sum[5] ?? 0) - 3 * (values[5] ?? 0))).toBeLessThan(3 * plan.step);
  hospitalKey.delete();
});

test('minContributors is the hospitals own floor, written into every kit', async () => {
  const out = join(dir, 'fed-floor');
  const r = await provisionFederation({
    out,
    workers: ['hospital-a', 'hospital-b'],
    vendors: [],
    extensions: [createHeKitExtension({ minContributors: 3 })],
  });
  expect(readHePublicSetup((await loadKit(r.workers[0]!.dir)).manifest).minContributors).toBe(3);
  expect(readHePublicSetup((await loadKit(r.coordinator.dir)).manifest).minContributors).toBe(3);
});

/**
 * The coordinator process never loads or makes a key: no module it runs calls a function that
 * does. (The workers' module, worker/he-worker.ts, is the only caller outside privacy/.)
 */
test('no coordinator module calls a key-loading or decrypting function', async () => {
  const root = join(import.meta.dirname, '..', '..', 'coordinator');
  const forbidden =
    /\b(loadHeSecretKey|generateHeSecretKey|createHeDecryptor|loadHeWorkerMaterial|verifyAndOpen|createHeEncryptor|encryptHeContribution)\s*\(/;
  const walk = async (d: string): Promise<string[]> =>
    (
      await Promise.all(
        (await readdir(d, { withFileTypes: true })).map((e) =>
          e.isDirectory()
            ? walk(join(d, e.name))
            : Promise.resolve(e.name.endsWith('.ts') ? [join(d, e.name)] : []),
        ),
      )
    ).flat();
  const files = await walk(root);
  expect(files.length).toBeGreaterThan(10);
  for (const f of files) expect(`${f}: ${forbidden.test(await readFile(f, 'utf8'))}`).toBe(`${f}: false`);
});
