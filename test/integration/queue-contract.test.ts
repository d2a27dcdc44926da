/**
 * The JobQueue contract (coordinator/queue/job-queue.ts), one suite run against both
 * implementations: the in-process queue, and BullMQ on the real Redis (unique queue name per
 * test, obliterated afterwards; without Redis that half fails under CI=true and skips otherwise).
 *
 * "Replicas" here are several consumers (`process()` calls) of one queue object; for BullMQ each
 * is its own BullMQ Worker with its own blocking connection. Separate processes, SIGKILL and a
 * Redis outage are in queue-bullmq-replicas.test.ts.
 */
import { createJobQueue } from '../../coordinator/queue/create-job-queue.js';
import type {
  JobContext,
  JobQueue,
  JobQueueEvent,
  JobStatus,
  QueueJob,
} from '../../coordinator/queue/job-queue.js';
import type { JobQueueOptions } from '../../coordinator/queue/queue-options.js';
import { AidocError, isError, makeError } from '../../common/errors.js';
import { REDIS_URL, describeRedis, uniqueQueueName } from '../helpers/redis.js';

interface Spec {
  rounds: number;
  roundMs: number;
}
interface Result {
  rounds: number;
  attempt: number;
}
interface Checkpoint {
  round: number;
}
type Q = JobQueue<Spec, Result, Checkpoint>;

const FAST: JobQueueOptions = {
  attempts: 3,
  retryDelayMs: 50,
  lockDurationMs: 2000,
  stalledIntervalMs: 1000,
  cancelPollMs: 100,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function waitForState<S extends JobStatus['state']>(q: Q, jobId: string, state: S, timeoutMs = 10_000) {
  return waitFor(
    `${jobId} to be ${state}`,
    async () => {
      const s = await q.state(jobId);
      return s.state === state ? (s as Extract<JobStatus<Result>, { state: S }>) : undefined;
    },
    timeoutMs,
  );
}

/** Resolves when the signal aborts, with its reason. */
const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });

/** A handler that runs `rounds` rounds from the last checkpoint, and records every call. */
function roundsHandler(calls: { jobId: string; attempt: number; from: number; replicaId: string }[]) {
  return async (job: QueueJob<Spec>, ctx: JobContext<Checkpoint>): Promise<Result> => {
    const from = (ctx.lastCheckpoint?.round ?? 0) + 1;
    calls.push({ jobId: job.jobId, attempt: ctx.attempt, from, replicaId: ctx.replicaId });
    for (let r = from; r <= job.spec.rounds; r++) {
      await sleep(job.spec.roundMs);
      await ctx.checkpoint({ round: r });
      await ctx.progress({ round: r, rounds: job.spec.rounds });
    }
    return { rounds: job.spec.rounds, attempt: ctx.attempt };
  };
}

function contract(backend: 'memory' | 'bullmq') {
  let opened: Q[] = [];
  let admin: Q | undefined;
  let name: string;

  beforeEach(() => {
    name = uniqueQueueName();
    opened = [];
    admin = undefined;
  });

  afterEach(async () => {
    await Promise.all(opened.map((q) => q.close()));
    if (admin) {
      await admin.obliterate();
      await admin.close();
    }
  });

  async function open(extra: JobQueueOptions = {}): Promise<Q> {
    const options: JobQueueOptions = {
      ...FAST,
      name,
      log: () => {},
      ...(backend === 'bullmq' ? { redisUrl: REDIS_URL } : {}),
      ...extra,
    };
    const q = await createJobQueue<Spec, Result, Checkpoint>(options);
    expect(q.kind).toBe(backend);
    opened.push(q);
    if (backend === 'bullmq' && !admin) admin = await createJobQueue<Spec, Result, Checkpoint>(options);
    return q;
  }

  function record(q: Q) {
    const events: JobQueueEvent[] = [];
    q.events.on((e) => events.push(e));
    return events;
  }

  test('enqueue is idempotent by jobId: the first submission wins', async () => {
    const q = await open();
    expect(await q.enqueue({ jobId: 'job-a', vendor: 'v1', spec: { rounds: 1, roundMs: 0 } })).toBe(true);
    expect(await q.enqueue({ jobId: 'job-a', vendor: 'v2', spec: { rounds: 9, roundMs: 9 } })).toBe(false);
    const jobs = await q.list();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ jobId: 'job-a', vendor: 'v1', spec: { rounds: 1, roundMs: 0 } });
    expect(jobs[0]!.status).toEqual({ state: 'queued', attempts: 0 });
  });

  test('a job goes queued -> running (round r of R) -> completed, with events in order', async () => {
    const q = await open();
    const events = record(q);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await q.process(async (job, ctx) => {
      await ctx.progress({ round: 1, rounds: 3 });
      await ctx.progress({ round: 2, rounds: 3 });
      await gate;
      await ctx.progress({ round: 3, rounds: 3 });
      return { rounds: job.spec.rounds, attempt: ctx.attempt };
    });
    await q.enqueue({ jobId: 'job-1', vendor: 'acme', spec: { rounds: 3, roundMs: 0 } });
    const running = await waitFor('round 2 of 3', async () => {
      const s = await q.state('job-1');
      return s.state === 'running' && s.round === 2 ? s : undefined;
    });
    expect(running).toEqual({ state: 'running', round: 2, rounds: 3, attempt: 1, cancelRequested: false });
    release();
    const done = await waitForState(q, 'job-1', 'completed');
    expect(done.result).toEqual({ rounds: 3, attempt: 1 });
    await waitFor('the completed event', () =>
      events.some((e) => e.type === 'completed') ? true : undefined,
    );
    const mine = events.filter((e) => e.jobId === 'job-1');
    expect(mine.map((e) => (e.type === 'progress' ? `progress ${e.round}/${e.rounds}` : e.type))).toEqual([
      'queued',
      'started',
      'progress 1/3',
      'progress 2/3',
      'progress 3/3',
      'completed',
    ]);
    expect(mine.every((e) => e.vendor === 'acme')).toBe(true);
  });

  test('list returns jobs in submission order, filtered by vendor', async () => {
    const q = await open();
    for (const [jobId, vendor] of [
      ['j1', 'a'],
      ['j2', 'b'],
      ['j3', 'a'],
    ] as const) {
      await q.enqueue({ jobId, vendor, spec: { rounds: 1, roundMs: 0 } });
      await sleep(2); // distinct enqueue times
    }
    expect((await q.list()).map((j) => j.jobId)).toEqual(['j1', 'j2', 'j3']);
    expect((await q.list({ vendor: 'a' })).map((j) => j.jobId)).toEqual(['j1', 'j3']);
    expect(await q.list({ vendor: 'nobody' })).toEqual([]);
    expect((await q.get('j2'))?.vendor).toBe('b');
    expect(await q.get('nope')).toBeUndefined();
  });

  test('a non-retryable error (INVALID_JOB_SPEC) fails the job at once, with its code', async () => {
    const q = await open();
    const events = record(q);
    let calls = 0;
    await q.process(() => {
      calls++;
      return Promise.reject(makeError('the job spec is invalid: rounds: too big', 'INVALID_JOB_SPEC', {}));
    });
    await q.enqueue({ jobId: 'bad', vendor: 'v', spec: { rounds: 1, roundMs: 0 } });
    const failed = await waitForState(q, 'bad', 'failed');
    expect(failed).toEqual({
      state: 'failed',
      reason: 'the job spec is invalid: rounds: too big',
      code: 'INVALID_JOB_SPEC',
      attempts: 1,
    });
    await sleep(300); // long enough for a retry (50 ms delay) to have happened if there were one
    expect(calls).toBe(1);
    await waitFor('the failed event', () => (events.some((e) => e.type === 'failed') ? true : undefined));
    expect(events.filter((e) => e.type === 'retrying')).toEqual([]);
  });

  test('a retryable error is retried up to `attempts` times, then fails', async () => {
    const q = await open();
    const events = record(q);
    const attempts: number[] = [];
    await q.process((_job, ctx) => {
      attempts.push(ctx.attempt);
      return Promise.reject(makeError('no quorum', 'QUORUM_NOT_MET', {}));
    });
    await q.enqueue({ jobId: 'flaky', vendor: 'v', spec: { rounds: 1, roundMs: 0 } });
    const failed = await waitForState(q, 'flaky', 'failed');
    expect(failed).toMatchObject({ reason: 'no quorum', code: 'QUORUM_NOT_MET', attempts: 3 });
    expect(attempts).toEqual([1, 2, 3]);
    await waitFor('the failed event', () => (events.some((e) => e.type === 'failed') ? true : undefined));
    expect(
      events.filter((e) => e.type === 'retrying').map((e) => e.type === 'retrying' && e.nextAttempt),
    ).toEqual([2, 3]);
  });

  test('a retry resumes from the last checkpoint, not from round 0', async () => {
    const q = await open();
    const seen: { attempt: number; last: Checkpoint | undefined }[] = [];
    await q.process(async (job, ctx) => {
      seen.push({ attempt: ctx.attempt, last: ctx.lastCheckpoint });
      const from = (ctx.lastCheckpoint?.round ?? 0) + 1;
      for (let r = from; r <= job.spec.rounds; r++) {
        if (ctx.attempt === 1 && r === 3) throw new Error('worker pool vanished'); // plain Error: retryable
        await ctx.checkpoint({ round: r });
      }
      return { rounds: job.spec.rounds, attempt: ctx.attempt };
    });
    await q.enqueue({ jobId: 'resume', vendor: 'v', spec: { rounds: 5, roundMs: 0 } });
    expect((await waitForState(q, 'resume', 'completed')).result).toEqual({ rounds: 5, attempt: 2 });
    expect(seen).toEqual([
      { attempt: 1, last: undefined },
      { attempt: 2, last: { round: 2 } },
    ]);
  });

  test('a queued job that is cancelled never starts', async () => {
    const q = await open();
    const events = record(q);
    await q.enqueue({ jobId: 'doomed', vendor: 'v', spec: { rounds: 1, roundMs: 0 } });
    await q.enqueue({ jobId: 'kept', vendor: 'v', spec: { rounds: 1, roundMs: 0 } });
    expect(await q.cancel('doomed', 'vendor changed its mind')).toBe(true);
    expect(await q.state('doomed')).toEqual({ state: 'cancelled', reason: 'vendor changed its mind' });
    expect(await q.cancel('doomed')).toBe(false);
    const calls: { jobId: string; attempt: number; from: number; replicaId: string }[] = [];
    await q.process(roundsHandler(calls));
    await waitForState(q, 'kept', 'completed');
    await sleep(200);
    expect(calls.map((c) => c.jobId)).toEqual(['kept']);
    expect(await q.state('doomed')).toEqual({ state: 'cancelled', reason: 'vendor changed its mind' });
    await waitFor('the cancelled event', () =>
      events.some((e) => e.type === 'cancelled') ? true : undefined,
    );
    expect(events.filter((e) => e.type === 'cancelled')).toEqual([
      { type: 'cancelled', jobId: 'doomed', vendor: 'v', reason: 'vendor changed its mind' },
    ]);
  });

  test("cancelling a running job aborts its handler's signal; the job ends cancelled", async () => {
    const q = await open();
    const events = record(q);
    let reason: unknown;
    await q.process(async (job, ctx) => {
      await ctx.progress({ round: 1, rounds: 10 });
      reason = await aborted(ctx.signal);
      // Like the round engine, return normally after a cancel: the queue still ends it cancelled.
      return { rounds: job.spec.rounds, attempt: ctx.attempt };
    });
    await q.enqueue({ jobId: 'long', vendor: 'v', spec: { rounds: 10, roundMs: 0 } });
    await waitFor('round 1', async () => {
      const s = await q.state('long');
      return s.state === 'running' && s.round === 1 ? s : undefined;
    });
    expect(await q.cancel('long', 'budget exhausted')).toBe(true);
    expect(await q.cancel('long')).toBe(false); // already requested
    expect(await waitForState(q, 'long', 'cancelled')).toEqual({
      state: 'cancelled',
      reason: 'budget exhausted',
    });
    expect(reason).toBeInstanceOf(AidocError);
    expect(isError(reason, 'ABORTED') && reason.info.reason).toBe('CANCELLED');
    await waitFor('the cancelled event', () =>
      events.some((e) => e.type === 'cancelled') ? true : undefined,
    );
    expect(events.some((e) => e.type === 'completed')).toBe(false);
  });

  test('a finished job cannot be cancelled; unknown jobs are NOT_FOUND', async () => {
    const q = await open();
    await q.process(roundsHandler([]));
    await q.enqueue({ jobId: 'quick', vendor: 'v', spec: { rounds: 1, roundMs: 0 } });
    await waitForState(q, 'quick', 'completed');
    expect(await q.cancel('quick')).toBe(false);
    expect((await q.state('quick')).state).toBe('completed');
    await expect(q.state('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(q.cancel('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('bad job ids are refused', async () => {
    const q = await open();
    for (const jobId of ['', '123', 'a:b', 'has space', 'x'.repeat(129)]) {
      await expect(q.enqueue({ jobId, vendor: 'v', spec: { rounds: 1, roundMs: 0 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    await expect(
      q.enqueue({ jobId: 'ok', vendor: '', spec: { rounds: 1, roundMs: 0 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  test('two consumers share 24 jobs and run each exactly once', async () => {
    const q = await open();
    const calls: { jobId: string; attempt: number; from: number; replicaId: string }[] = [];
    const a = await q.process(roundsHandler(calls), { concurrency: 2 });
    const b = await q.process(roundsHandler(calls), { concurrency: 2 });
    expect(a.replicaId).not.toBe(b.replicaId);
    const ids = Array.from({ length: 24 }, (_, i) => `bulk-${i}`);
    await Promise.all(
      ids.map((jobId) => q.enqueue({ jobId, vendor: 'v', spec: { rounds: 2, roundMs: 10 } })),
    );
    for (const id of ids) await waitForState(q, id, 'completed');
    expect(calls.map((c) => c.jobId).sort()).toEqual([...ids].sort());
    expect(calls.every((c) => c.attempt === 1 && c.from === 1)).toBe(true);
    const byReplica = new Map<string, number>();
    for (const c of calls) byReplica.set(c.replicaId, (byReplica.get(c.replicaId) ?? 0) + 1);
    expect([...byReplica.keys()].sort()).toEqual([a.replicaId, b.replicaId].sort());
  });

  test('a consumer that shuts down hands its job back; another resumes it from the checkpoint', async () => {
    const q = await open();
    const events = record(q);
    const seen: { attempt: number; last: Checkpoint | undefined; replicaId: string; cause?: unknown }[] = [];
    const handler = async (job: QueueJob<Spec>, ctx: JobContext<Checkpoint>): Promise<Result> => {
      const entry: (typeof seen)[number] = {
        attempt: ctx.attempt,
        last: ctx.lastCheckpoint,
        replicaId: ctx.replicaId,
      };
      seen.push(entry);
      const from = (ctx.lastCheckpoint?.round ?? 0) + 1;
      for (let r = from; r <= job.spec.rounds; r++) {
        await ctx.checkpoint({ round: r });
        if (ctx.attempt === 1 && r === 2) {
          const reason = await aborted(ctx.signal);
          entry.cause = reason instanceof AidocError ? reason.info.reason : reason;
          return { rounds: -1, attempt: ctx.attempt }; // ignored: the job moved on
        }
      }
      return { rounds: job.spec.rounds, attempt: ctx.attempt };
    };
    const first = await q.process(handler);
    await q.enqueue({ jobId: 'handover', vendor: 'v', spec: { rounds: 4, roundMs: 0 } });
    await waitFor('attempt 1 at round 2', () => (seen.length === 1 ? true : undefined));
    await waitFor('checkpoint 2', async () => {
      const s = await q.state('handover');
      return s.state === 'running' ? true : undefined;
    });
    const second = await q.process(handler);
    await first.close();
    const done = await waitForState(q, 'handover', 'completed');
    expect(done.result).toEqual({ rounds: 4, attempt: 2 });
    expect(seen).toEqual([
      { attempt: 1, last: undefined, replicaId: first.replicaId, cause: 'SHUTDOWN' },
      { attempt: 2, last: { round: 2 }, replicaId: second.replicaId },
    ]);
    await waitFor('the completed event', () =>
      events.some((e) => e.type === 'completed') ? true : undefined,
    );
    expect(events.filter((e) => e.type === 'requeued')).toEqual([
      { type: 'requeued', jobId: 'handover', vendor: 'v', replicaId: first.replicaId },
    ]);
  });
}

describe('JobQueue contract: in-process', () => contract('memory'));
describeRedis('JobQueue contract: BullMQ on Redis', () => contract('bullmq'));
