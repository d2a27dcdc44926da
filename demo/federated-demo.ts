/**
 * `aidoc demo`: a whole federation on one machine with nothing installed. It provisions a
 * throw-away federation (CA, coordinator, three hospitals, one vendor), gives each hospital a third
 * of the WDBC records as its own CSV, starts the coordinator in this process and each hospital's
 * worker as a separate process, submits a FedAvg job as the vendor over mutual TLS, follows it, and
 * writes the final model where the result says.
 *
 * The ledger is an embedded chain in this process; the workers read it (consent, privacy budgets)
 * through a read-only JSON-RPC endpoint on 127.0.0.1, as they would read a consortium chain. Every
 * record's owner grants the demo's purpose at setup (dev accounts), so the demo trains on all records
 * while each worker checks, every round, that they still consent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeError } from '../common/errors.js';
import { loadKit } from '../common/pki-kit.js';
import { provisionFederation, type ProvisionResult } from '../common/pki-federation.js';
import { startCoordinator } from '../coordinator/coordinator.js';
import { createGrpcClient } from '../coordinator/transport/grpc-client.js';
import { partitionIid } from '../datasets/partition.js';
import { wdbcPaths } from '../datasets/wdbc.js';
import { buildModel } from '../training/model-spec.js';
import { modelToBytes, saveModelFolder } from '../training/model-files.js';
import { setFlatWeights } from '../training/weights.js';
import { followJob } from '../cli/commands/job.js';
import { createLedgerHooks } from '../coordinator/ledger-hooks.js';
import { createEmbeddedLedger } from '../ledger/ledger-embedded.js';
import { devAccount } from '../ledger/dev-accounts.js';
import { ensureDevParticipants, grantDevConsent } from '../ledger/dev-setup.js';
import { serveJsonRpc } from '../ledger/rpc-server.js';
import { loadWorkerDataset } from '../worker/worker-dataset.js';
import { jobReportJson, jobReportText, type JobReportJson } from '../ledger/report.js';
import { provisionKitExtensions } from '../cli/commands/provision.js';
import type { CommandIo } from '../cli/command.js';
import { createLocalModelStore } from '../model-registry/store-local.js';
import { createVersionStore } from '../model-registry/version-store.js';
import { ledgerVersionResolver } from '../model-registry/ledger-pull.js';
import { pullFromLedger } from '../model-registry/ledger-pull.js';

export interface DemoOptions {
  /** @defaultValue 20 */
  rounds?: number;
  /** @defaultValue 3 */
  workers?: number;
  /** Folder for the federation, the hospitals' files and the model. @defaultValue a new temp folder */
  dir?: string;
  /** Record-level DP (the default) at this epsilon per hospital dataset over the whole job, or none. @defaultValue { mode: 'record', epsilon: 1 } */
  privacy?: { mode: 'record'; epsilon: number } | { mode: 'none' };
  /**
   * Pull the final version into this folder after the job, through the same path as
   * `aidoc model pull` (checked against the chain). @defaultValue no pull
   */
  out?: string;
  /** Aggregate under homomorphic encryption (the job default). @defaultValue true */
  secureAggregation?: boolean;
  json: boolean;
  io: CommandIo;
  signal: AbortSignal;
}

export interface DemoSummary {
  jobId: string;
  state: string;
  rounds: {
    round: number;
    accuracy: number | null;
    trainLoss: number | null;
    participants: number;
    failures: number;
  }[];
  finalAccuracy: number | null;
  model: string;
  /** The final version in the model store (DIR/store) and on chain, or null if none was committed. */
  version: { id: string; contentId: string; sha256: string; store: string; ledgerState: string } | null;
  /** Where `out` pulled the final version, or null. */
  pulled: string | null;
  federation: string;
  /** Record-level DP: the target and what each hospital's dataset spent on the job (its worker's accountant). */
  privacy: {
    mode: 'record' | 'none';
    targetEpsilon: number | null;
    delta: number | null;
    epsilonPerDataset: Record<string, number>;
  };
  /** The job's books on the chain after it ended (embedded EVM running the real contracts). */
  ledger: JobReportJson | null;
  /** The job's consent purpose, and how many owners granted it on chain (workers check every round). */
  consent: { purpose: string; owners: number; rpc: string };
  seconds: number;
}

/** One AIDOC per round, in base units. */
const FEE_PER_ROUND = 10n ** 18n;
/** What the demo's record owners consent to, and the job asks for. */
const DEMO_PURPOSE = 'research/breast-cancer';

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Splits the shipped WDBC CSV into one file per hospital (IID, seeded). */
export async function writeHospitalFiles(
  dir: string,
  hospitals: string[],
): Promise<{ csv: string; schema: string }[]> {
  const paths = wdbcPaths();
  const lines = (await readFile(paths.csv, 'utf8')).split(/\r?\n/).filter((l) => l.length > 0);
  const [header, ...rows] = lines;
  const parts = partitionIid(rows.length, hospitals.length, 42);
  const schema = join(dir, 'schema.json');
  await copyFile(paths.schema, schema);
  return Promise.all(
    hospitals.map(async (h, i) => {
      const csv = join(dir, `${h}.csv`);
      await writeFile(csv, [header, ...parts[i]!.map((r) => rows[r]!)].join('\n') + '\n');
      return { csv, schema };
    }),
  );
}

/** `aidoc worker start` arguments for hospital `i` of a provisioned federation (demo, tests, benches). */
export function workerStartArgs(
  fed: Pick<ProvisionResult, 'workers'>,
  files: { csv: string; schema: string }[],
  i: number,
  stateDir?: string,
): string[] {
  return [
    'worker',
    'start',
    '--kit',
    fed.workers[i]!.dir,
    '--data',
    files[i]!.csv,
    '--schema',
    files[i]!.schema,
    ...(stateDir ? ['--state', stateDir] : []),
  ];
}

/** The demo's model (training/models.ts). */
export const DEMO_MODEL = 'wdbc-logreg';

export async function runFederatedDemo(o: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const rounds = o.rounds ?? 10;
  const privacy = o.privacy ?? { mode: 'record', epsilon: 1 };
  const n = o.workers ?? 3;
  const dir = o.dir ? resolve(o.dir) : await mkdtemp(join(tmpdir(), 'aidoc-demo-'));
  await mkdir(dir, { recursive: true });
  const hospitals = Array.from({ length: n }, (_, i) => `hospital-${String.fromCharCode(97 + i)}`);
  const port = await freePort();
  o.io.err(`aidoc demo: federation in ${dir}`);
  const fed = await provisionFederation({
    out: join(dir, 'federation'),
    workers: hospitals,
    vendors: ['demo-vendor'],
    coordinatorAddress: `127.0.0.1:${port}`,
    force: true,
    // As `aidoc provision`: hospital kits get the HE keys, so the job below runs with secure
    // aggregation (the default) and the coordinator never sees one hospital's update.
    extensions: provisionKitExtensions,
  });
  const files = await writeHospitalFiles(dir, hospitals);
  // The embedded chain: the real contracts on an in-process EVM, persisted to a file in `dir`.
  await mkdir(join(dir, 'ledger'), { recursive: true });
  const ledgerState = join(dir, 'ledger', 'chain.jsonl');
  const ledger = await createEmbeddedLedger({ stateFile: ledgerState });
  // Every committed round becomes a version in the embedded model store; the chain records its id.
  const storeDir = join(dir, 'store');
  const modelStore = await createLocalModelStore({ dir: storeDir });
  const records = await Promise.all(
    files.map(async (f) => (await readFile(f.csv, 'utf8')).trim().split('\n').length - 1),
  );
  await ensureDevParticipants(ledger, {
    workers: hospitals.map((h, i) => ({
      account: h,
      name: h,
      certFingerprint: fed.workers[i]!.fingerprint,
      datasets: [{ datasetId: `${h}/wdbc`, schemaId: 'wdbc-v1', records: records[i]!, epsilonCap: 10 }],
    })),
    vendors: [{ account: 'demo-vendor', amount: 1000n * FEE_PER_ROUND }],
  });
  // The vendor's standing approval lets the coordinator escrow its jobs at submission.
  await ledger.withSigner(devAccount('demo-vendor').privateKey).approveEscrow(BigInt(rounds) * FEE_PER_ROUND);
  // The workers read the chain as they would a consortium node: JSON-RPC (read-only, loopback)
  // and the deployment manifest.
  const rpc = await serveJsonRpc(ledger.rpc);
  const deploymentFile = join(dir, 'ledger', 'deployment.json');
  await writeFile(deploymentFile, JSON.stringify(ledger.deployment, null, 2) + '\n');
  // Every owner grants the demo's purpose (dev accounts), while the worker processes start.
  const ownerIds = (
    await Promise.all(
      files.map(async (f) => (await loadWorkerDataset(f.csv, f.schema)).dataset.ownerIds ?? []),
    )
  ).flat();
  const grantStarted = performance.now();
  const consenting = grantDevConsent(ledger, ownerIds, DEMO_PURPOSE).then((r) => ({
    ...r,
    seconds: (performance.now() - grantStarted) / 1000,
  }));
  consenting.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  const coordinator = await startCoordinator({
    kit: await loadKit(fed.coordinator.dir),
    registry: { heartbeatIntervalMs: 500 },
    pollMs: 100,
    hooks: createLedgerHooks({ ledger, vendorAddress: (v) => devAccount(v).address }),
    versions: createVersionStore({ store: modelStore, resolve: ledgerVersionResolver(ledger) }),
  });
  o.io.err(`coordinator listening on ${coordinator.server.address} (mutual TLS)`);
  const cli = fileURLToPath(new URL('../cli/aidoc.js', import.meta.url));
  const vendor = createGrpcClient(await loadKit(fed.vendors[0]!.dir), 'JobService');
  const children: ChildProcess[] = hospitals.map((h, i) => {
    const child = spawn(
      process.execPath,
      [
        cli,
        ...workerStartArgs(fed, files, i, join(dir, 'state', h)),
        '--rpc',
        rpc.url,
        '--deployment',
        deploymentFile,
        '--dev-owners',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let lastLine = '';
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        lastLine = line;
        if (!o.json) o.io.err(`  [${h}] ${line}`);
      }
    });
    // A hospital process that dies before the job ends would otherwise leave the job waiting for a
    // quorum; stop it at once with the reason.
    child.once('exit', (code, sig) => {
      if (stopping) return;
      const why = `worker ${h} exited (${sig ?? `code ${code}`}): ${lastLine}`;
      o.io.err(`aidoc demo: ${why}`);
      if (jobId) void vendor.CancelJob({ jobId, reason: why }).catch(() => {});
      else workerFailure = why;
    });
    return child;
  });
  let jobId: string | undefined;
  let workerFailure: string | undefined;
  let stopping = false;
  try {
    const consent = await consenting;
    o.io.err(
      `ledger: ${consent.granted + consent.already} record owners consent to '${DEMO_PURPOSE}' (${consent.granted} grants sent in ${consent.seconds.toFixed(1)} s); workers read consent and budgets from ${rpc.url} every round`,
    );
    if (workerFailure) throw makeError(`a hospital worker could not start: ${workerFailure}`, 'INTERNAL');
    const { job } = await vendor.SubmitJob({
      spec: {
        name: 'wdbc-fedavg-demo',
        // Logistic regression, one full-batch step per round (q = 1): under record-level DP the
        // fewest parameters and full batches give the most signal per unit of epsilon, and q = 1
        // is accounted exactly (bench/RESULTS.md, DP section 2, where these settings were tuned).
        model: { builtin: DEMO_MODEL },
        datasetSchemaId: 'wdbc-v1',
        rounds,
        localEpochs: 1,
        batchSize: 4096,
        learningRate: 2,
        strategy: { name: 'fedavg', params: {} },
        minWorkers: n,
        roundDeadlineMs: 60_000,
        seed: 1,
        feePerRound: FEE_PER_ROUND.toString(),
        purpose: DEMO_PURPOSE,
        privacy:
          privacy.mode === 'record'
            ? { mode: 'record', targetEpsilon: privacy.epsilon, targetDelta: 1e-5, clipNorm: 1 }
            : { mode: 'none' },
        secureAggregation:
          o.secureAggregation === false ? 'SECURE_AGGREGATION_MODE_OFF' : 'SECURE_AGGREGATION_MODE_ON',
      },
    });
    jobId = job!.jobId;
    if (workerFailure) await vendor.CancelJob({ jobId, reason: workerFailure });
    o.io.err(
      `vendor submitted ${job!.jobId}: ${DEMO_MODEL} (full batch), FedAvg, ${rounds} rounds over ${n} hospitals, ` +
        (privacy.mode === 'record'
          ? `record-level DP at epsilon ${privacy.epsilon} (delta 1e-5) per hospital`
          : 'no differential privacy') +
        `, ${o.secureAggregation === false ? 'plain aggregation' : 'secure aggregation (BGV)'}`,
    );
    await followJob(vendor, job!.jobId, o.json ? { out: () => {}, err: () => {} } : o.io, {
      json: false,
      signal: o.signal,
    });
    const final = await vendor.GetJob({ jobId: job!.jobId });
    let modelDir = '';
    const weights = coordinator.engine.finalWeights.get(final.jobId);
    if (weights) {
      const model = await buildModel(weights.model, {
        inputShape: weights.inputShape,
        numClasses: weights.numClasses,
      });
      setFlatWeights(model, weights.weights);
      modelDir = join(dir, 'model');
      await saveModelFolder(await modelToBytes(model), modelDir, { overwrite: true });
      model.dispose();
    }
    // Every round's writes went through the outbox; wait until they are all on chain.
    await ledger.flush({ timeoutMs: 60_000 });
    const report = (await ledger.job(final.jobId)) ? await ledger.jobReport(final.jobId) : undefined;
    if (report && !o.json) for (const line of ['', 'ledger:', ...jobReportText(report)]) o.io.err(line);
    const last = report?.versions.at(-1);
    const version = last
      ? {
          id: `${final.jobId}@${last.round}`,
          contentId: last.contentId,
          sha256: last.sha256,
          store: storeDir,
          ledgerState,
        }
      : null;
    let pulled: string | null = null;
    if (version && o.out) {
      // The same function `aidoc model pull` runs, against the same chain and store.
      pulled = (
        await pullFromLedger({ ledger, store: modelStore, ref: version.id, outDir: o.out, signal: o.signal })
      ).dir;
    }
    const roundsOut = final.rounds.map((r) => ({
      round: r.round,
      accuracy: r.metrics.accuracy ?? null,
      trainLoss: r.metrics.train_loss ?? null,
      participants: r.participants.length,
      failures: r.failures.length,
    }));
    return {
      jobId: final.jobId,
      state: final.state.replace('JOB_STATE_', '').toLowerCase(),
      rounds: roundsOut,
      finalAccuracy: roundsOut[roundsOut.length - 1]?.accuracy ?? null,
      model: modelDir,
      version,
      pulled,
      federation: fed.out,
      privacy: {
        mode: privacy.mode,
        targetEpsilon: privacy.mode === 'record' ? privacy.epsilon : null,
        delta: privacy.mode === 'record' ? 1e-5 : null,
        epsilonPerDataset: coordinator.store.versions(final.jobId).at(-1)?.epsilon ?? {},
      },
      ledger: report ? jobReportJson(report) : null,
      consent: { purpose: DEMO_PURPOSE, owners: new Set(ownerIds).size, rpc: rpc.url },
      seconds: +((performance.now() - started) / 1000).toFixed(1),
    };
  } finally {
    stopping = true;
    vendor.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))),
    );
    await coordinator.close();
    await rpc.close();
    await ledger.close();
    await modelStore.close();
  }
}
