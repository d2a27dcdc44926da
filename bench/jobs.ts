/**
 * Real federated jobs under a burst: N small jobs submitted at once, through one address, to R
 * `aidoc coordinator start` replicas sharing a BullMQ queue on Redis, served by W hospital worker
 * processes (each holds a session with every replica). Checks that every job completes and none
 * runs twice (each replica logs every attempt it starts), and reports throughput (jobs per minute,
 * first submission to last completion) and queue latency (submission to the first round's start:
 * waiting for a replica's free slot included), p50/p95/max.
 *
 *   npm run bench -- jobs [--jobs 100] [--replicas 2] [--workers 3] [--concurrency 4] [--rounds 1]
 *                         [--redis-url redis://127.0.0.1:6379]
 *
 * A job: wdbc-mlp on the hospitals' WDBC shares, FedAvg, secure aggregation on (the default), no
 * DP (100 jobs at the default epsilon 1 would pass each hospital's cap of 10).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { provisionKitExtensions } from '../cli/commands/provision.js';
import { provisionFederation } from '../common/pki-federation.js';
import { loadKit } from '../common/pki-kit.js';
import { createJobQueue } from '../coordinator/queue/create-job-queue.js';
import { createGrpcClient } from '../coordinator/transport/grpc-client.js';
import { freePort, workerStartArgs, writeHospitalFiles } from '../demo/federated-demo.js';
import { startTcpService } from './bench-tcp-service.js';

const log = (s: string) => process.stderr.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AIDOC = fileURLToPath(new URL('../cli/aidoc.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  log: () => string;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [AIDOC, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { child, log: () => text };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      jobs: { type: 'string', default: '100' },
      replicas: { type: 'string', default: '2' },
      workers: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '1' },
      'redis-url': { type: 'string', default: process.env.AIDOC_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    },
  });
  const n = Number(values.jobs);
  const nReplicas = Number(values.replicas);
  const nWorkers = Number(values.workers);
  const rounds = Number(values.rounds);
  const redisUrl = values['redis-url'];
  const queue = `bench-jobs-${randomUUID().slice(0, 8)}`;
  const dir = await mkdtemp(join(tmpdir(), 'aidoc-bench-jobs-'));
  const procs: Proc[] = [];
  const servicePort = await freePort();
  const ports = await Promise.all(Array.from({ length: nReplicas }, () => freePort()));
  const service = await startTcpService(servicePort, () => ports.map((p) => `127.0.0.1:${p}`));
  try {
    const hospitals = Array.from({ length: nWorkers }, (_, i) => `hospital-${String.fromCharCode(97 + i)}`);
    const fed = await provisionFederation({
      out: join(dir, 'federation'),
      workers: hospitals,
      vendors: ['acme'],
      coordinatorAddress: `127.0.0.1:${servicePort}`,
      extensions: provisionKitExtensions,
    });
    const files = await writeHospitalFiles(dir, hospitals);
    const replicas = ports.map((port, i) =>
      start([
        'coordinator',
        'start',
        '--kit',
        fed.coordinator.dir,
        '--listen',
        `127.0.0.1:${port}`,
        '--heartbeat-ms',
        '1000',
        '--store',
        join(dir, 'store'),
        '--redis',
        redisUrl,
        '--queue',
        queue,
        '--replica-id',
        `replica-${i + 1}`,
        '--concurrency',
        values.concurrency,
      ]),
    );
    procs.push(...replicas);
    const workers = hospitals.map((h, i) => start(workerStartArgs(fed, files, i, join(dir, 'state', h))));
    procs.push(...workers);
    log(`jobs: ${nReplicas} replicas, ${nWorkers} workers; waiting for every worker to join every replica`);
    for (const until = Date.now() + 120_000; ;) {
      const joined = workers.every((w) =>
        ports.every((p) => w.log().includes(`registered with the coordinator at 127.0.0.1:${p}`)),
      );
      if (joined) break;
      if (Date.now() > until)
        throw new Error(`workers did not join:\n${workers.map((w) => w.log()).join('\n')}`);
      await sleep(200);
    }
    const vendor = createGrpcClient(await loadKit(fed.vendors[0]!.dir), 'JobService');
    const spec = {
      name: 'burst',
      model: { builtin: 'wdbc-mlp' },
      datasetSchemaId: 'wdbc-v1',
      rounds,
      localEpochs: 1,
      batchSize: 16,
      learningRate: 0.05,
      strategy: { name: 'fedavg', params: {} },
      minWorkers: nWorkers,
      roundDeadlineMs: 120_000,
      seed: 1,
      privacy: { mode: 'none' },
    };
    log(`jobs: submitting ${n} jobs at once`);
    const t0 = Date.now();
    const ids = await Promise.all(
      Array.from({ length: n }, async () => (await vendor.SubmitJob({ spec })).job!.jobId),
    );
    let jobs = (await vendor.ListJobs({})).jobs;
    for (;;) {
      jobs = (await vendor.ListJobs({})).jobs.filter((j) => ids.includes(j.jobId));
      const ended = jobs.filter((j) =>
        ['JOB_STATE_COMPLETED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'].includes(j.state),
      );
      log(`jobs: ${ended.length}/${n} ended after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (ended.length === n) break;
      await sleep(2000);
    }
    vendor.close();
    const completed = jobs.filter((j) => j.state === 'JOB_STATE_COMPLETED');
    const failures = jobs
      .filter((j) => j.state !== 'JOB_STATE_COMPLETED')
      .map((j) => `${j.jobId}: ${j.reason}`);
    // Each replica logs every attempt it starts; a job started twice shows up twice.
    const starts = new Map<string, number>();
    const perReplica: Record<string, number> = {};
    for (const r of replicas) {
      for (const m of r.log().matchAll(/job (job-[0-9a-f]+): attempt \d+ on replica (\S+?)[,\n]/g)) {
        starts.set(m[1]!, (starts.get(m[1]!) ?? 0) + 1);
        perReplica[m[2]!] = (perReplica[m[2]!] ?? 0) + 1;
      }
    }
    const duplicated = [...starts.values()].filter((c) => c > 1).length;
    const latencies = completed.map((j) => Number(j.rounds[0]!.startedUnixMs) - Number(j.createdUnixMs));
    const end = Math.max(...jobs.map((j) => Number(j.updatedUnixMs)));
    const wallMs = end - t0;
    const result = {
      jobs: n,
      replicas: nReplicas,
      workers: nWorkers,
      rounds,
      completed: completed.length,
      failed: failures.length,
      duplicated,
      startsPerReplica: perReplica,
      wallMs,
      jobsPerMinute: Math.round((n / wallMs) * 60_000 * 10) / 10,
      queueLatencyMs: { p50: pct(latencies, 50), p95: pct(latencies, 95), max: Math.max(...latencies) },
    };
    log(
      `jobs: ${completed.length}/${n} completed, ${duplicated} duplicated, ${result.jobsPerMinute} jobs/min; ` +
        `queue latency p50 ${result.queueLatencyMs.p50} ms, p95 ${result.queueLatencyMs.p95} ms; starts per replica ${JSON.stringify(perReplica)}`,
    );
    if (failures.length > 0) log(`failures:\n  ${failures.slice(0, 10).join('\n  ')}`);
    return result;
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await service.close();
    const q = await createJobQueue({ name: queue, redisUrl, log: () => {} });
    await q.obliterate().catch(() => {});
    await q.close();
    await rm(dir, { recursive: true, force: true });
  }
}
