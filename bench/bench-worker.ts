/**
 * Federation plumbing for the round benchmarks (bench/rounds.ts, bench/fmnist.ts):
 *
 * - run as a process (`node dist/bench/bench-worker.js '<json config>'`) it is one hospital worker:
 *   the real `runWorker` daemon over mutual TLS, on a synthetic dataset it generates from a seed or
 *   on records the bench wrote to files for it (its "hospital's data");
 * - imported, it provisions a throw-away federation, starts the coordinator in the bench process
 *   (so `process.cpuUsage()` there is the coordinator's CPU) and spawns/stops worker processes.
 *
 * bench/run.ts does not list files starting with `bench-`, so this is not a benchmark itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { makeError } from '../common/errors.js';
import { provisionFederation, type ProvisionResult } from '../common/pki-federation.js';
import { loadKit } from '../common/pki-kit.js';
import { startCoordinator, type Coordinator } from '../coordinator/coordinator.js';
import { createGrpcClient, type JobServiceClient } from '../coordinator/transport/grpc-client.js';
import type { Dataset } from '../datasets/dataset.js';
import { freePort } from '../demo/federated-demo.js';
import { syntheticDataset } from './bench-synthetic.js';
import { runWorker } from '../worker/daemon.js';

const shapeSchema = z.array(z.number().int().positive()).min(1);

const configSchema = z
  .object({
    /** The worker's kit folder (certificate, key, CA, coordinator address). */
    kitDir: z.string().min(1),
    schemaId: z.string().min(1),
    /** Heartbeat/poll logging to stderr. @defaultValue false */
    verbose: z.boolean().default(false),
    data: z.discriminatedUnion('kind', [
      /** Uniform noise in [-0.5, 0.5) with labels i mod numClasses: the shape matters, not the content. */
      z
        .object({
          kind: z.literal('synthetic'),
          records: z.number().int().positive(),
          featureShape: shapeSchema,
          numClasses: z.number().int().min(2),
          seed: z.number().int().min(0),
        })
        .strict(),
      /** Records written by {@link writeDatasetFiles}: `<base>.x.f32` and `<base>.y.i32`. */
      z
        .object({
          kind: z.literal('file'),
          base: z.string().min(1),
          records: z.number().int().positive(),
          featureShape: shapeSchema,
          numClasses: z.number().int().min(2),
        })
        .strict(),
    ]),
  })
  .strict();

export type BenchWorkerConfig = z.input<typeof configSchema>;

/** Writes a dataset's features and labels as raw little-endian arrays next to `base`. */
export async function writeDatasetFiles(base: string, ds: Dataset): Promise<void> {
  await writeFile(`${base}.x.f32`, Buffer.from(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength));
  await writeFile(`${base}.y.i32`, Buffer.from(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength));
}

async function readDatasetFiles(spec: {
  base: string;
  records: number;
  featureShape: number[];
  numClasses: number;
}): Promise<Dataset> {
  const f = spec.featureShape.reduce((a, b) => a * b, 1);
  const xb = await readFile(`${spec.base}.x.f32`);
  const yb = await readFile(`${spec.base}.y.i32`);
  if (xb.byteLength !== spec.records * f * 4 || yb.byteLength !== spec.records * 4) {
    throw makeError(
      `${spec.base}: ${xb.byteLength} feature bytes and ${yb.byteLength} label bytes do not hold ${spec.records} records of ${f} values`,
      'INVALID_DATASET',
    );
  }
  // Copies: Buffer pool slices need not be aligned for typed-array views.
  const x = new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.byteLength));
  const y = new Int32Array(yb.buffer.slice(yb.byteOffset, yb.byteOffset + yb.byteLength));
  return {
    name: 'bench',
    x,
    y,
    n: spec.records,
    featureShape: spec.featureShape,
    numClasses: spec.numClasses,
    classes: Array.from({ length: spec.numClasses }, (_, i) => String(i)),
  };
}

/** The worker process: runs until SIGTERM/SIGINT. */
async function main(raw: string | undefined): Promise<void> {
  const config = configSchema.parse(JSON.parse(raw ?? 'null'));
  const d = config.data;
  const dataset =
    d.kind === 'synthetic'
      ? syntheticDataset(d.records, d.featureShape, d.numClasses, d.seed)
      : await readDatasetFiles(d);
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => controller.abort());
  await runWorker({
    kit: await loadKit(config.kitDir),
    data: { dataset, schemaId: config.schemaId, scaling: 'none' },
    signal: controller.signal,
    // Failures are always worth seeing; the rest only when asked.
    log: (line) => {
      if (config.verbose || /fail|lost|error/i.test(line)) process.stderr.write(`${line}\n`);
    },
  });
}

const WORKER_ENTRY = fileURLToPath(import.meta.url);

/** A worker process with the tail of its stderr. */
export type BenchWorkerProcess = ChildProcess & { logTail: string[] };

/** Node flags for benchmark worker processes, e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
export function benchWorkerNodeArgs(): string[] {
  return (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** Starts one worker process. Its last stderr lines are kept on `child.logTail` for diagnostics. */
export function spawnBenchWorker(config: BenchWorkerConfig): BenchWorkerProcess {
  const child = spawn(process.execPath, [...benchWorkerNodeArgs(), WORKER_ENTRY, JSON.stringify(config)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  }) as BenchWorkerProcess;
  child.logTail = [];
  child.stderr?.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) if (line.trim()) child.logTail.push(line);
    child.logTail.splice(0, Math.max(0, child.logTail.length - 20));
  });
  return child;
}

/** User + system CPU time of a child process so far, in ms (Linux /proc; undefined elsewhere). */
export async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export interface BenchFederationOptions {
  /** Hospital kits to provision (the most worker processes the bench will run at once). */
  hospitals: number;
  /** Interval workers heartbeat at. @defaultValue 1,000 ms */
  heartbeatIntervalMs?: number;
  /** How often a waiting round re-checks health. @defaultValue 100 ms */
  pollMs?: number;
  /** Workers log every line (registration, reconnects) to their stderr tail. @defaultValue false */
  verbose?: boolean;
}

export interface BenchFederation {
  fed: ProvisionResult;
  coordinator: Coordinator;
  /** The vendor's JobService client (mutual TLS, a vendor certificate). */
  vendor: JobServiceClient;
  /** Scratch folder for the hospitals' data files; removed by close(). */
  dir: string;
  /** Starts hospital i's worker process on `data`. */
  startWorker(i: number, schemaId: string, data: BenchWorkerConfig['data']): BenchWorkerProcess;
  /** Stops the given worker processes (SIGTERM, then SIGKILL after 5 s) and waits for them. */
  stopWorkers(children: BenchWorkerProcess[]): Promise<void>;
  /** The last stderr lines of every running worker, for error messages. */
  workerLogs(): string[];
  /** Resolves when `n` workers holding `schemaId` are registered and healthy. */
  waitForWorkers(schemaId: string, n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Provisions a federation with `hospitals` worker kits and one vendor, and starts the coordinator here. */
export async function startBenchFederation(options: BenchFederationOptions): Promise<BenchFederation> {
  const dir = await mkdtemp(join(tmpdir(), 'aidoc-bench-fed-'));
  const hospitals = Array.from(
    { length: options.hospitals },
    (_, i) => `hospital-${String(i).padStart(2, '0')}`,
  );
  const fed = await provisionFederation({
    out: join(dir, 'federation'),
    workers: hospitals,
    vendors: ['bench-vendor'],
    coordinatorAddress: `127.0.0.1:${await freePort()}`,
  });
  const coordinator = await startCoordinator({
    kit: await loadKit(fed.coordinator.dir),
    registry: { heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000 },
    pollMs: options.pollMs ?? 100,
  });
  const vendor = createGrpcClient(await loadKit(fed.vendors[0]!.dir), 'JobService');
  const children = new Set<BenchWorkerProcess>();
  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const stopWorkers = async (list: BenchWorkerProcess[]) => {
    await Promise.all(
      list.map(async (c) => {
        children.delete(c);
        if (exited(c)) return;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }),
    );
  };
  return {
    fed,
    coordinator,
    vendor,
    dir,
    startWorker(i, schemaId, data) {
      const member = fed.workers[i];
      if (!member)
        throw makeError(`no hospital kit #${i} (provisioned ${hospitals.length})`, 'INVALID_ARGUMENT');
      const child = spawnBenchWorker({
        kitDir: member.dir,
        schemaId,
        data,
        verbose: options.verbose ?? false,
      });
      children.add(child);
      return child;
    },
    stopWorkers,
    workerLogs: () => [...children].flatMap((c, i) => c.logTail.map((l) => `[worker ${i}] ${l}`)),
    async waitForWorkers(schemaId, n, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ready = coordinator.registry.eligible(schemaId).length;
        if (ready >= n) return;
        if (Date.now() > until) {
          const tails = [...children].flatMap((c) => c.logTail.slice(-2));
          throw makeError(
            `only ${ready} of ${n} workers with schema '${schemaId}' became healthy in ${timeoutMs} ms${tails.length ? `; worker logs: ${tails.join(' | ')}` : ''}`,
            'TIMEOUT',
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      vendor.close();
      await stopWorkers([...children]);
      await coordinator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`bench worker failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
