/**
 * The model registry wired into real federated rounds: `aidoc demo --out` stores every round as a
 * version (embedded store in DIR/store, content id + manifest digest on the embedded chain) and
 * pulls the final one; then, in fresh processes, `aidoc model list|pull|verify|lineage` against
 * the chain: a tampered folder or store block is refused, a revoked version only with
 * --allow-revoked.
 */
import { readdir, readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devAccount } from '../../ledger/dev-accounts.js';
import { createEmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { ledgerVersionResolver } from '../../model-registry/ledger-pull.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { createVersionStore } from '../../model-registry/version-store.js';
import { DEMO_MODEL } from '../../demo/federated-demo.js';
import { runAidoc } from '../helpers/aidoc-cli.js';
import { startTestFederation, waitForWorkers } from '../helpers/federation.js';

jest.setTimeout(180_000);

let dir: string;
/** The demo's job, for the incremental-training test below (which runs after the first). */
let demoJob: { jobId: string; store: string; ledgerState: string } | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Exit code 0, or the tail of stderr to show why not. */
const ok = (r: { code: number | null; stderr: string }) =>
  r.code === 0 ? 0 : `${r.code}: ${r.stderr.slice(-2000)}`;

async function findBlockHolding(storeDir: string, bytes: Buffer): Promise<string> {
  for (const shard of await readdir(storeDir)) {
    const sub = join(storeDir, shard);
    let names: string[];
    try {
      names = await readdir(sub);
    } catch {
      continue;
    }
    for (const name of names) {
      if ((await readFile(join(sub, name))).equals(bytes)) return join(sub, name);
    }
  }
  throw new Error('no block holds these bytes');
}

test('demo --out pulls the final version; model list/pull/verify/lineage check it against the chain', async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-model-wiring-'));
  const demo = await runAidoc(
    [
      'demo',
      '--json',
      '--no-dp',
      '--rounds',
      '2',
      '--workers',
      '2',
      '--dir',
      dir,
      '--out',
      join(dir, 'final'),
    ],
    { timeoutMs: 150_000 },
  );
  expect(ok(demo)).toBe(0);
  const s = JSON.parse(demo.stdout.trim()) as {
    jobId: string;
    version: { id: string; contentId: string; sha256: string; store: string; ledgerState: string };
    pulled: string;
  };
  expect(s.version.id).toBe(`${s.jobId}@2`);
  expect(s.version.contentId).toMatch(/^bafk/);
  expect(s.pulled).toBe(join(dir, 'final'));
  demoJob = { jobId: s.jobId, store: s.version.store, ledgerState: s.version.ledgerState };
  const chainFlags = ['--ledger-state', s.version.ledgerState];
  const storeFlags = ['--store', s.version.store];

  // The chain lists both rounds with real content ids; round 2's parent is round 1's manifest.
  const list = await runAidoc(['model', 'list', '--json', '--job', s.jobId, ...chainFlags]);
  expect(ok(list)).toBe(0);
  const versions = (
    JSON.parse(list.stdout) as { versions: { round: number; contentId: string; parent: string | null }[] }
  ).versions;
  expect(versions.map((v) => v.round)).toEqual([1, 2]);
  expect(versions[1]).toMatchObject({ contentId: s.version.contentId, parent: versions[0]!.contentId });
  expect(versions[0]!.parent).toBeNull();
  const lineage = await runAidoc(['model', 'lineage', '--json', s.version.id, ...chainFlags]);
  expect(
    (JSON.parse(lineage.stdout) as { lineage: { round: number }[] }).lineage.map((v) => v.round),
  ).toEqual([2, 1]);

  // The demo's pulled folder and a fresh pull verify against the chain, and hold the same bytes.
  const verifyDemo = await runAidoc(['model', 'verify', '--json', s.pulled, ...chainFlags]);
  expect(JSON.parse(verifyDemo.stdout)).toMatchObject({ ok: true, version: s.version.id, revoked: false });
  const pulled = join(dir, 'pulled');
  const pull = await runAidoc(['model', 'pull', s.version.id, '--out', pulled, ...storeFlags, ...chainFlags]);
  expect(ok(pull)).toBe(0);
  const weights = await readFile(join(pulled, 'group1-shard1of1.bin'));
  expect(weights.equals(await readFile(join(s.pulled, 'group1-shard1of1.bin')))).toBe(true);
  const verify = await runAidoc(['model', 'verify', pulled, ...chainFlags]);
  expect(verify.code).toBe(0);
  expect(verify.stdout).toContain(`ok: ${pulled} is ${s.version.id}`);

  // A changed byte in a pulled folder: verify reports it and exits 1.
  const flipped = Buffer.from(weights);
  flipped[0] = flipped[0]! ^ 1;
  await writeFile(join(pulled, 'group1-shard1of1.bin'), flipped);
  const bad = await runAidoc(['model', 'verify', '--json', pulled, ...chainFlags]);
  expect(bad.code).toBe(1);
  expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, problems: [expect.stringContaining('SHA-256')] });

  // A changed byte in the store: the pull is refused and leaves nothing behind.
  const block = await findBlockHolding(s.version.store, weights);
  await writeFile(block, flipped);
  const tampered = join(dir, 'tampered');
  const refused = await runAidoc([
    'model',
    'pull',
    s.version.id,
    '--out',
    tampered,
    ...storeFlags,
    ...chainFlags,
  ]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/does not match|VERIFICATION_FAILED/);
  expect(existsSync(tampered)).toBe(false);
  expect((await readdir(dir)).filter((n) => n.startsWith('.tampered'))).toEqual([]);
  await writeFile(block, weights);

  // Revoked by governance (the operator on the embedded chain): refused unless --allow-revoked.
  const governance = await createEmbeddedLedger({
    stateFile: s.version.ledgerState,
    account: devAccount('operator').privateKey,
    outbox: false,
  });
  try {
    await governance.revokeVersion(s.jobId, 2, 'test: revoked');
  } finally {
    await governance.close();
  }
  const revokedOut = join(dir, 'revoked');
  const noRevoked = await runAidoc([
    'model',
    'pull',
    s.version.id,
    '--out',
    revokedOut,
    ...storeFlags,
    ...chainFlags,
  ]);
  expect(noRevoked.code).not.toBe(0);
  expect(noRevoked.stderr).toContain('revoked');
  expect(existsSync(revokedOut)).toBe(false);
  const allowed = await runAidoc([
    'model',
    'pull',
    s.version.id,
    '--out',
    revokedOut,
    '--allow-revoked',
    '--json',
    ...storeFlags,
    ...chainFlags,
  ]);
  expect(ok(allowed)).toBe(0);
  expect(JSON.parse(allowed.stdout)).toMatchObject({ revoked: true, contentId: s.version.contentId });
  const verifyRevoked = await runAidoc(['model', 'verify', '--json', revokedOut, ...chainFlags]);
  expect(verifyRevoked.code).toBe(1);
  expect(JSON.parse(verifyRevoked.stdout)).toMatchObject({ ok: false, revoked: true });
});

test('incremental training: a new coordinator continues from a version another process committed (loaded from the store, checked against the chain); a revoked one is refused', async () => {
  expect(demoJob).toBeDefined();
  const { jobId, store: storeDir, ledgerState } = demoJob!;
  const ledger = await createEmbeddedLedger({ stateFile: ledgerState, readOnly: true, outbox: false });
  const store = await createLocalModelStore({ dir: storeDir });
  const versions = createVersionStore({ store, resolve: ledgerVersionResolver(ledger) });
  const f = await startTestFederation({ workers: 2, versions });
  const vendor = createGrpcClient(await f.kit('vendor'), 'JobService');
  try {
    f.startWorker(0);
    f.startWorker(1);
    await waitForWorkers(f.coordinator, 2);
    const [v1] = await ledger.versions({ jobId });
    expect(v1!.round).toBe(1);
    // A learning rate that barely moves the weights: round 1 of the new job must score what the
    // demo's round 1 scored on the same held-out records (same hospital files), which only holds
    // if it started from those weights.
    const spec = {
      name: 'continue',
      // The demo's model: the job continues the demo's weights.
      model: { builtin: DEMO_MODEL },
      datasetSchemaId: 'wdbc-v1',
      rounds: 1,
      localEpochs: 1,
      batchSize: 16,
      learningRate: 1e-7,
      strategy: { name: 'fedavg', params: {} },
      minWorkers: 2,
      seed: 99,
      privacy: { mode: 'none' },
      secureAggregation: 'SECURE_AGGREGATION_MODE_OFF' as const,
      fromVersion: `${jobId}@1`,
    };
    const { job } = await vendor.SubmitJob({ spec });
    const done = await f.coordinator.finished(job!.jobId);
    expect({ state: done.state, reason: done.reason }).toEqual({ state: 'completed', reason: undefined });
    expect(done.rounds[0]!.metrics.accuracy).toBeCloseTo(v1!.metrics.accuracy!, 2);
    // Its lineage names the demo's version by the content id the chain holds.
    expect(versions.contentIdOf(`${jobId}@1`)).toBe(v1!.contentId);
    expect(f.coordinator.store.versions(job!.jobId)[0]).toMatchObject({ parent: `${jobId}@1` });

    // Round 2 was revoked by governance in the test above: no job continues from it.
    const { job: refused } = await vendor.SubmitJob({ spec: { ...spec, fromVersion: `${jobId}@2` } });
    const failed = await f.coordinator.finished(refused!.jobId);
    expect(failed.state).toBe('failed');
    expect(failed.reason).toContain('revoked');
    // An unknown version: a clear NOT_FOUND.
    const { job: unknown } = await vendor.SubmitJob({ spec: { ...spec, fromVersion: `${jobId}@7` } });
    const missing = await f.coordinator.finished(unknown!.jobId);
    expect({ state: missing.state, code: missing.code }).toEqual({ state: 'failed', code: 'NOT_FOUND' });
  } finally {
    vendor.close();
    await f.close();
    await store.close();
    await ledger.close();
  }
});
