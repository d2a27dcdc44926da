/**
 * `aidoc demo`: a whole federation on one machine with nothing installed. It provisions a
 * throw-away federation (CA, coordinator, three hospitals, one vendor), gives each hospital a third
 * of the WDBC records as its own CSV, starts the coordinator in this process and each hospital's
 * worker as a separate process, submits a FedAvg job as the vendor over mutual TLS, follows it, and
 * writes the final model where the result says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKit } from '../common/pki-kit.js';
import { provisionFederation } from '../common/pki-federation.js';
import { startCoordinator } from '../coordinator/coordinator.js';
import { createGrpcClient } from '../coordinator/transport/grpc-client.js';
import { partitionIid } from '../datasets/partition.js';
import { wdbcPaths } from '../datasets/wdbc.js';
import { buildModel } from '../training/model-spec.js';
import { modelToBytes, saveModelFolder } from '../training/model-files.js';
import { setFlatWeights } from '../training/weights.js';
import { followJob } from '../cli/commands/job.js';
import { provisionKitExtensions } from '../cli/commands/provision.js';
import type { CommandIo } from '../cli/command.js';

export interface DemoOptions {
  /** @defaultValue 20 */
  rounds?: number;
  /** @defaultValue 3 */
  workers?: number;
  /** Folder for the federation, the hospitals' files and the model. @defaultValue a new temp folder */
  dir?: string;
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
  federation: string;
  seconds: number;
}

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

export async function runFederatedDemo(o: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const rounds = o.rounds ?? 20;
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
    // As `aidoc provision`: hospital kits get the CKKS keys, so the job below runs with secure
    // aggregation (the default) and the coordinator never sees one hospital's update.
    extensions: provisionKitExtensions,
  });
  const files = await writeHospitalFiles(dir, hospitals);
  const coordinator = await startCoordinator({
    kit: await loadKit(fed.coordinator.dir),
    registry: { heartbeatIntervalMs: 500 },
    pollMs: 100,
  });
  o.io.err(`coordinator listening on ${coordinator.server.address} (mutual TLS)`);
  const cli = fileURLToPath(new URL('../cli/aidoc.js', import.meta.url));
  const children: ChildProcess[] = hospitals.map((h, i) => {
    const child = spawn(
      process.execPath,
      [
        cli,
        'worker',
        'start',
        '--kit',
        fed.workers[i]!.dir,
        '--data',
        files[i]!.csv,
        '--schema',
        files[i]!.schema,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim() && !o.json) o.io.err(`  [${h}] ${line}`);
    });
    return child;
  });
  const vendor = createGrpcClient(await loadKit(fed.vendors[0]!.dir), 'JobService');
  try {
    const { job } = await vendor.SubmitJob({
      spec: {
        name: 'wdbc-fedavg-demo',
        model: { builtin: 'wdbc-mlp' },
        datasetSchemaId: 'wdbc-v1',
        rounds,
        localEpochs: 1,
        batchSize: 16,
        learningRate: 0.05,
        strategy: { name: 'fedavg', params: {} },
        minWorkers: n,
        roundDeadlineMs: 60_000,
        seed: 1,
        secureAggregation:
          o.secureAggregation === false ? 'SECURE_AGGREGATION_MODE_OFF' : 'SECURE_AGGREGATION_MODE_ON',
      },
    });
    o.io.err(
      `vendor submitted ${job!.jobId}: wdbc-mlp, FedAvg, ${rounds} rounds over ${n} hospitals, ${o.secureAggregation === false ? 'plain aggregation' : 'secure aggregation (CKKS)'}`,
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
      federation: fed.out,
      seconds: +((performance.now() - started) / 1000).toFixed(1),
    };
  } finally {
    vendor.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))),
    );
    await coordinator.close();
  }
}
