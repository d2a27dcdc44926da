/**
 * Job queue under a burst: N small jobs submitted at once to R coordinator replicas. Checks that
 * every job completes and none runs twice (handler invocations counted per job id), and reports
 * throughput (jobs per minute, first submission to last completion) and queue latency (submission
 * to handler start, p50/p95/max).
 *
 *   npm run bench -- queue [--backend memory|bullmq|both] [--redis-url redis://127.0.0.1:6379]
 *                          [--jobs 100] [--replicas 2] [--concurrency 3] [--rounds 3]
 *                          [--round-ms-min 20] [--round-ms-max 50] [--seed 1]
 *
 * The jobs are simulated: each runs `rounds` rounds that sleep 20-50 ms (seeded), checkpointing
 * and reporting progress after each round as a real job does, so the queue's per-round writes are
 * exercised. `benchQueue` takes any handler, for a rerun with real federated jobs.
 *
 * BullMQ replicas are separate JobQueue instances (own Redis connections, own BullMQ Worker) in
 * this process; in-process replicas are consumers of one in-process queue (it cannot be shared
 * across instances).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createJobQueue } from '../coordinator/queue/create-job-queue.js';
import type { JobHandler, JobQueue } from '../coordinator/queue/job-queue.js';
import type { JobQueueOptions } from '../coordinator/queue/queue-options.js';

const log = (s: string) => process.stderr.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SimulatedSpec {
  rounds: number;
  roundMs: number[];
}

export interface QueueBenchOptions<Spec> {
  backend: 'memory' | 'bullmq';
  /** Required for 'bullmq'. */
  redisUrl?: string;
  jobs: number;
  replicas: number;
  /** Jobs each replica runs at once. */
  concurrency: number;
  /** The spec of job i. */
  spec: (i: number) => Spec;
  handler: JobHandler<Spec, unknown, unknown>;
  /**
   * After the burst, this many jobs are run one at a time on the idle replicas, to measure the
   * queue's own pickup delay without jobs waiting for a free slot.
   */
  probes?: number;
  /** Give up waiting for completion after this long. */
  timeoutMs?: number;
}

export interface QueueBenchResult {
  backend: 'memory' | 'bullmq';
  jobs: number;
  replicas: number;
  concurrency: number;
  completed: number;
  failed: number;
  /** Jobs whose handler ran more than once. */
  duplicated: number;
  handlerCalls: number;
  /** First submission to last completion. */
  wallMs: number;
  jobsPerMinute: number;
  /** Submission to handler start during the burst (mostly waiting for a free slot). */
  latencyMs: { p50: number; p95: number; max: number };
  /** Submission to handler start of a job submitted alone to idle replicas (the queue's overhead). */
  idleLatencyMs: { p50: number; p95: number; max: number; samples: number };
  /** Burst jobs run per replica. */
  perReplica: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Seeded PRNG for the simulated round lengths (not for anything privacy-related). */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The simulated federated job: rounds of sleep, with a checkpoint and progress after each. */
export const simulatedHandler: JobHandler<SimulatedSpec, { rounds: number }, { round: number }> = async (
  job,
  ctx,
) => {
  for (let r = (ctx.lastCheckpoint?.round ?? 0) + 1; r <= job.spec.rounds; r++) {
    await sleep(job.spec.roundMs[r - 1] ?? 0);
    await ctx.checkpoint({ round: r });
    await ctx.progress({ round: r, rounds: job.spec.rounds });
  }
  return { rounds: job.spec.rounds };
};

export async function benchQueue<Spec>(options: QueueBenchOptions<Spec>): Promise<QueueBenchResult> {
  const name = `bench-${randomUUID()}`;
  const base: JobQueueOptions = {
    name,
    log: () => {},
    ...(options.backend === 'bullmq' ? { redisUrl: options.redisUrl } : {}),
  };
  const client = await createJobQueue<Spec>({ ...base, replicaId: 'bench-client' });
  const replicaQueues: JobQueue<Spec>[] = [];
  const starts = new Map<string, number[]>();
  const byReplica: Record<string, number> = {};
  const submittedAt = new Map<string, number>();
  const finished = new Set<string>();
  let failed = 0;
  let lastDone = 0;
  try {
    for (let r = 0; r < options.replicas; r++) {
      const q =
        options.backend === 'bullmq'
          ? await createJobQueue<Spec>({ ...base, replicaId: `replica-${r + 1}` })
          : client;
      if (q !== client) replicaQueues.push(q);
      await q.process(
        (job, ctx) => {
          const list = starts.get(job.jobId) ?? [];
          list.push(performance.now());
          starts.set(job.jobId, list);
          if (job.jobId.startsWith('job-')) byReplica[ctx.replicaId] = (byReplica[ctx.replicaId] ?? 0) + 1;
          return options.handler(job, ctx);
        },
        { concurrency: options.concurrency },
      );
    }
    const ids = Array.from({ length: options.jobs }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    let wake: (() => void) | undefined;
    client.events.on((e) => {
      if (e.type !== 'completed' && e.type !== 'failed' && e.type !== 'cancelled') return;
      if (!submittedAt.has(e.jobId) || finished.has(e.jobId)) return;
      finished.add(e.jobId);
      if (e.type !== 'completed') failed++;
      lastDone = performance.now();
      wake?.();
    });
    const timeoutMs = options.timeoutMs ?? 120_000;
    const until = async (what: string, done: () => boolean) => {
      const deadline = performance.now() + timeoutMs;
      while (!done()) {
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 1000));
        });
      }
    };
    const t0 = performance.now();
    await Promise.all(
      ids.map((jobId, i) => {
        submittedAt.set(jobId, performance.now());
        return client.enqueue({ jobId, vendor: 'bench', spec: options.spec(i) });
      }),
    );
    await until(`${options.jobs} jobs`, () => ids.every((id) => finished.has(id)));
    const wallMs = lastDone - t0;
    const idle: number[] = [];
    for (let i = 0; i < (options.probes ?? 20); i++) {
      const jobId = `probe-${String(i).padStart(4, '0')}`;
      submittedAt.set(jobId, performance.now());
      await client.enqueue({ jobId, vendor: 'bench', spec: options.spec(i) });
      await until(jobId, () => finished.has(jobId));
      idle.push(starts.get(jobId)![0]! - submittedAt.get(jobId)!);
    }
    idle.sort((a, b) => a - b);
    // Events are a live feed; the queue's state is the truth.
    const states = await client.list({ vendor: 'bench' });
    const completed = states.filter(
      (s) => s.jobId.startsWith('job-') && s.status.state === 'completed',
    ).length;
    const latencies = ids
      .map((id) => (starts.get(id)?.[0] ?? NaN) - submittedAt.get(id)!)
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    const round1 = (x: number) => Math.round(x * 10) / 10;
    return {
      backend: options.backend,
      jobs: options.jobs,
      replicas: options.replicas,
      concurrency: options.concurrency,
      completed,
      failed,
      duplicated: ids.filter((id) => (starts.get(id)?.length ?? 0) > 1).length,
      handlerCalls: ids.reduce((n, id) => n + (starts.get(id)?.length ?? 0), 0),
      wallMs: Math.round(wallMs),
      jobsPerMinute: Math.round((options.jobs / wallMs) * 60_000),
      latencyMs: {
        p50: round1(percentile(latencies, 50)),
        p95: round1(percentile(latencies, 95)),
        max: round1(latencies[latencies.length - 1] ?? NaN),
      },
      idleLatencyMs: {
        p50: round1(percentile(idle, 50)),
        p95: round1(percentile(idle, 95)),
        max: round1(idle[idle.length - 1] ?? NaN),
        samples: idle.length,
      },
      perReplica: byReplica,
    };
  } finally {
    await Promise.all(replicaQueues.map((q) => q.close()));
    await client.obliterate();
    await client.close();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: 'string', default: 'both' },
      'redis-url': { type: 'string', default: process.env.AIDOC_REDIS_URL ?? 'redis://127.0.0.1:6379' },
      jobs: { type: 'string', default: '100' },
      replicas: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      'round-ms-min': { type: 'string', default: '20' },
      'round-ms-max': { type: 'string', default: '50' },
      seed: { type: 'string', default: '1' },
    },
  });
  const jobs = Number(values.jobs);
  const replicas = Number(values.replicas);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const lo = Number(values['round-ms-min']);
  const hi = Number(values['round-ms-max']);
  const rand = mulberry32(Number(values.seed));
  const specs: SimulatedSpec[] = Array.from({ length: jobs }, () => ({
    rounds,
    roundMs: Array.from({ length: rounds }, () => Math.round(lo + rand() * (hi - lo))),
  }));
  // Wall time if the slots were always busy and the queue cost nothing.
  const idealWallMs = Math.round(
    specs.reduce((n, s) => n + s.roundMs.reduce((a, b) => a + b, 0), 0) / (replicas * concurrency),
  );
  const backends = values.backend === 'both' ? (['memory', 'bullmq'] as const) : [values.backend];
  const results: QueueBenchResult[] = [];
  const widths = [8, 10, 11, 6, 8, 9, 26, 18, 12];
  const row = (cells: (string | number)[]) =>
    log(cells.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join(' '));
  log(`${jobs} jobs x ${rounds} rounds of ${lo}-${hi} ms, ${replicas} replicas x concurrency ${concurrency}`);
  log(`ideal wall time (work / slots, the queue costing nothing): ${idealWallMs} ms`);
  row([
    'backend',
    'completed',
    'duplicated',
    'calls',
    'wall ms',
    'jobs/min',
    'burst latency p50/p95/max',
    'idle latency p50/p95',
    'per replica',
  ]);
  for (const backend of backends) {
    if (backend !== 'memory' && backend !== 'bullmq') throw new Error(`unknown --backend ${backend}`);
    const r = await benchQueue({
      backend,
      redisUrl: values['redis-url'],
      jobs,
      replicas,
      concurrency,
      spec: (i) => specs[i]!,
      handler: simulatedHandler as JobHandler<SimulatedSpec, unknown, unknown>,
    });
    results.push(r);
    row([
      backend,
      r.completed,
      r.duplicated,
      r.handlerCalls,
      r.wallMs,
      r.jobsPerMinute,
      `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.max}`,
      `${r.idleLatencyMs.p50} / ${r.idleLatencyMs.p95}`,
      Object.values(r.perReplica).join(' + '),
    ]);
    if (r.completed !== jobs || r.duplicated !== 0)
      throw new Error(`${backend}: ${r.completed}/${jobs} completed, ${r.duplicated} duplicated`);
  }
  return {
    jobs,
    replicas,
    concurrency,
    rounds,
    roundMs: [lo, hi],
    seed: Number(values.seed),
    idealWallMs,
    results,
  };
}
