/**
 * BullMQ queue against the real Redis, with what only a shared queue can show:
 * - two replica processes; the one running a job is killed with SIGKILL mid-job; the other picks
 *   the job up within lockDuration + stalledInterval, starts it as attempt 2 from the last
 *   checkpoint (not round 0), and the ledger shows every round exactly once;
 * - a replica whose Redis connections are cut for 3 s (a TCP proxy drops them and refuses new
 *   ones) keeps its job: it completes once, on attempt 1, and the replica waiting beside it never
 *   takes it;
 * - fencing: once a replica's claim is gone, its checkpoint is refused and its signal aborts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createJobQueue } from '../../coordinator/queue/create-job-queue.js';
import type { JobContext, JobQueueEvent, QueueJob } from '../../coordinator/queue/job-queue.js';
import type { JobQueueOptions } from '../../coordinator/queue/queue-options.js';
import { AidocError } from '../../common/errors.js';
import { REDIS_URL, describeRedis, startRedisProxy, uniqueQueueName } from '../helpers/redis.js';
import { execKey, ledgerKey, type ReplicaConfig, type ReplicaSpec } from '../helpers/queue-replica.js';

type Line = Record<string, unknown> & { event: string; at: number };

interface Replica {
  child: ChildProcess;
  lines: Line[];
  stderr: () => string;
  waitFor(what: string, pred: (l: Line) => boolean, timeoutMs?: number): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnReplica(config: ReplicaConfig): Replica {
  const child = spawn(
    process.execPath,
    [
      '--import',
      './test/helpers/ts-hooks.mjs',
      join('test', 'helpers', 'queue-replica.ts'),
      JSON.stringify(config),
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Line[] = [];
  let err = '';
  let buf = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push({ ...(JSON.parse(text) as { event: string }), at: Date.now() });
      } catch {
        err += `(stdout) ${text}\n`;
      }
      waiters.forEach((w) => w());
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      waiters.forEach((w) => w());
    }),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(what, pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`replica ${child.pid} exited before ${what}; stderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what} from replica ${child.pid}; stderr:\n${err}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

describeRedis('BullMQ job queue: replicas, crashes and outages on the real Redis', () => {
  let name: string;
  let books: Redis;
  const cleanups: (() => Promise<unknown> | void)[] = [];

  beforeEach(() => {
    name = uniqueQueueName();
    books = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    const admin = await createJobQueue({ name, redisUrl: REDIS_URL, log: () => {} });
    await admin.obliterate();
    await admin.close();
    const leftovers = await books.keys(`${name}-test-*`);
    if (leftovers.length > 0) await books.del(...leftovers);
    await books.quit();
  });

  test('a replica killed with SIGKILL mid-job: the other resumes it from the checkpoint, each round once', async () => {
    const lockDurationMs = 3000;
    const stalledIntervalMs = 2000;
    const queueOptions = {
      name,
      redisUrl: REDIS_URL,
      lockDurationMs,
      stalledIntervalMs,
      cancelPollMs: 200,
      retryDelayMs: 100,
    } satisfies JobQueueOptions;
    const replicas = ['replica-a', 'replica-b'].map((replicaId) =>
      spawnReplica({ queue: { ...queueOptions, replicaId }, bookkeepingUrl: REDIS_URL }),
    );
    cleanups.push(() =>
      Promise.all(
        replicas.map((r) => {
          r.child.kill('SIGKILL');
          return r.exited;
        }),
      ),
    );
    await Promise.all(replicas.map((r) => r.waitFor('ready', (l) => l.event === 'ready', 30_000)));

    const client = await createJobQueue<ReplicaSpec, { rounds: number }, { round: number }>({
      ...queueOptions,
      replicaId: 'client',
      log: () => {},
    });
    cleanups.push(() => client.close());
    const events: JobQueueEvent[] = [];
    client.events.on((e) => events.push(e));
    const rounds = 8;
    await client.enqueue({ jobId: 'fl-job', vendor: 'hospital-vendor', spec: { rounds, roundMs: 300 } });

    // Whichever replica took the job: wait until it has committed round 2, then kill it.
    const first = await Promise.race(
      replicas.map((r) =>
        r.waitFor('round 2', (l) => l.event === 'round' && l.round === 2).then((line) => ({ r, line })),
      ),
    );
    const victim = first.r;
    const survivor = replicas.find((r) => r !== victim)!;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await victim.exited).signal).toBe('SIGKILL');
    const committedBeforeKill = Math.max(
      ...victim.lines.filter((l) => l.event === 'round').map((l) => l.round as number),
    );

    const resumed = await survivor.waitFor(
      'attempt 2',
      (l) => l.event === 'start' && l.attempt === 2,
      20_000,
    );
    const recoveryMs = resumed.at - killedAt;
    await survivor.waitFor('done', (l) => l.event === 'done', 20_000);
    const final = await waitFor('completed', async () => {
      const s = await client.state('fl-job');
      return s.state === 'running' ? undefined : s;
    });
    expect(final).toEqual({ state: 'completed', result: { rounds } });

    // Picked up within the configured bound (lock expiry + one stalled check, plus scheduling slack).
    expect(recoveryMs).toBeLessThanOrEqual(lockDurationMs + stalledIntervalMs + 1500);
    // Resumed at the last committed checkpoint, not at round 1.
    const from = resumed.from as number;
    expect(from - 1).toBeGreaterThanOrEqual(committedBeforeKill);
    expect(from).toBeGreaterThan(2);

    const exec = await books.lrange(execKey(name, 'fl-job'), 0, -1);
    const byAttempt = (a: number) =>
      exec.filter((e) => e.startsWith(`${a}:`)).map((e) => Number(e.split(':')[1]));
    const first1 = byAttempt(1);
    // Attempt 1 ran rounds 1..m in order; it may have run round `from` without checkpointing it.
    expect(first1).toEqual(Array.from({ length: first1.length }, (_, i) => i + 1));
    expect(first1.length === from - 1 || first1.length === from).toBe(true);
    // Attempt 2 ran exactly the rest.
    expect(byAttempt(2)).toEqual(Array.from({ length: rounds - from + 1 }, (_, i) => from + i));
    expect(exec.every((e) => e.startsWith('1:') || e.startsWith('2:'))).toBe(true);

    // The ledger (idempotent per round, like the chain's writes) shows each round exactly once.
    const ledger = await books.hgetall(ledgerKey(name, 'fl-job'));
    expect(
      Object.keys(ledger)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    for (let r = 1; r < from; r++) expect(ledger[String(r)]).toBe('1');

    await waitFor('the completed event', () =>
      events.some((e) => e.type === 'completed') ? true : undefined,
    );
    const started = events.filter((e) => e.type === 'started');
    expect(started.map((e) => e.type === 'started' && [e.attempt, e.replicaId])).toEqual([
      [1, victim === replicas[0] ? 'replica-a' : 'replica-b'],
      [2, victim === replicas[0] ? 'replica-b' : 'replica-a'],
    ]);
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(1);
    process.stderr.write(
      `SIGKILL test: killed after round ${committedBeforeKill}, resumed from round ${from} after ${recoveryMs} ms ` +
        `(bound ${lockDurationMs + stalledIntervalMs} ms)\n`,
    );
  }, 60_000);

  test('Redis connections cut for 3 s do not fail a running job, nor hand it to another replica', async () => {
    const proxy = await startRedisProxy();
    cleanups.push(() => proxy.close());
    const options = {
      name,
      lockDurationMs: 8000,
      stalledIntervalMs: 1000,
      cancelPollMs: 200,
      retryDelayMs: 100,
      log: () => {},
    } satisfies JobQueueOptions;
    const calls: { replicaId: string; attempt: number }[] = [];
    const checkpointMs: number[] = [];
    let abortedWith: unknown;
    const handler = async (job: QueueJob<ReplicaSpec>, ctx: JobContext<{ round: number }>) => {
      calls.push({ replicaId: ctx.replicaId, attempt: ctx.attempt });
      ctx.signal.addEventListener('abort', () => {
        abortedWith = ctx.signal.reason as unknown;
      });
      for (let r = (ctx.lastCheckpoint?.round ?? 0) + 1; r <= job.spec.rounds; r++) {
        await sleep(job.spec.roundMs);
        const t = Date.now();
        await ctx.checkpoint({ round: r });
        checkpointMs.push(Date.now() - t);
        await ctx.progress({ round: r, rounds: job.spec.rounds });
      }
      return { rounds: job.spec.rounds };
    };

    const behindProxy = await createJobQueue<ReplicaSpec, { rounds: number }, { round: number }>({
      ...options,
      redisUrl: proxy.url,
      replicaId: 'behind-proxy',
    });
    cleanups.push(() => behindProxy.close());
    await behindProxy.process(handler);
    const direct = await createJobQueue<ReplicaSpec, { rounds: number }, { round: number }>({
      ...options,
      redisUrl: REDIS_URL,
      replicaId: 'direct',
    });
    cleanups.push(() => direct.close());

    await direct.enqueue({ jobId: 'steady', vendor: 'v', spec: { rounds: 10, roundMs: 400 } });
    await waitFor('round 2', async () => {
      const s = await direct.state('steady');
      return s.state === 'running' && s.round >= 2 ? true : undefined;
    });
    // Only now does the second replica start consuming: if the first one lost its claim during
    // the outage, this one would take the job over.
    await direct.process(handler);
    expect(proxy.connections).toBeGreaterThan(0);
    const outageStart = Date.now();
    await proxy.outage(3000);
    const outageMs = Date.now() - outageStart;

    const done = await waitFor(
      'completion',
      async () => {
        const s = await direct.state('steady');
        return s.state === 'completed' || s.state === 'failed' ? s : undefined;
      },
      30_000,
    );
    expect(done).toEqual({ state: 'completed', result: { rounds: 10 } });
    expect(calls).toEqual([{ replicaId: 'behind-proxy', attempt: 1 }]);
    expect(abortedWith).toBeUndefined();
    expect(checkpointMs).toHaveLength(10);
    // One checkpoint was in flight during the outage and waited for Redis to come back.
    expect(Math.max(...checkpointMs)).toBeGreaterThanOrEqual(1000);
    expect(outageMs).toBeGreaterThanOrEqual(3000);
  }, 60_000);

  test('fencing: after its lock is gone, a replica cannot checkpoint and its signal aborts', async () => {
    const q = await createJobQueue<ReplicaSpec, { rounds: number }, { round: number }>({
      name,
      redisUrl: REDIS_URL,
      lockDurationMs: 2000,
      stalledIntervalMs: 500,
      cancelPollMs: 100,
      retryDelayMs: 50,
      log: () => {},
    });
    cleanups.push(() => q.close());
    const seen: { attempt: number; last: number | undefined; refused?: unknown; reason?: unknown }[] = [];
    let lockDeleted!: () => void;
    const deleted = new Promise<void>((r) => (lockDeleted = r));
    let checkpointed!: () => void;
    const atCheckpoint = new Promise<void>((r) => (checkpointed = r));
    await q.process(async (job, ctx) => {
      const entry: (typeof seen)[number] = { attempt: ctx.attempt, last: ctx.lastCheckpoint?.round };
      seen.push(entry);
      if (ctx.attempt === 1) {
        await ctx.checkpoint({ round: 1 });
        checkpointed();
        await deleted; // as if this replica had stalled past its lock and another took the job
        try {
          await ctx.checkpoint({ round: 2 });
        } catch (e) {
          entry.refused = e instanceof AidocError ? [e.code, e.info.reason] : e;
        }
        entry.reason =
          ctx.signal.reason instanceof AidocError ? ctx.signal.reason.info.reason : ctx.signal.reason;
        return { rounds: -1 };
      }
      return { rounds: job.spec.rounds };
    });
    await q.enqueue({ jobId: 'fenced', vendor: 'v', spec: { rounds: 3, roundMs: 0 } });
    await atCheckpoint;
    expect(await books.del(`aidoc:${name}:fenced:lock`)).toBe(1);
    lockDeleted();
    const done = await waitFor('completion', async () => {
      const s = await q.state('fenced');
      return s.state === 'completed' ? s : undefined;
    });
    expect(done).toEqual({ state: 'completed', result: { rounds: 3 } });
    expect(seen).toEqual([
      { attempt: 1, last: undefined, refused: ['ABORTED', 'LOCK_LOST'], reason: 'LOCK_LOST' },
      { attempt: 2, last: 1 }, // the refused checkpoint of round 2 did not land
    ]);
  }, 30_000);

  test('a job that loses its replica more than maxRecoveries times fails, and says why', async () => {
    const q = await createJobQueue<ReplicaSpec, { rounds: number }, { round: number }>({
      name,
      redisUrl: REDIS_URL,
      lockDurationMs: 2000,
      stalledIntervalMs: 500,
      maxRecoveries: 0,
      log: () => {},
    });
    cleanups.push(() => q.close());
    const events: JobQueueEvent[] = [];
    q.events.on((e) => events.push(e));
    let calls = 0;
    await q.process(async (_job, ctx) => {
      calls++;
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      return { rounds: -1 };
    });
    await q.enqueue({ jobId: 'cursed', vendor: 'v', spec: { rounds: 1, roundMs: 0 } });
    await waitFor('running', async () => ((await q.state('cursed')).state === 'running' ? true : undefined));
    await books.del(`aidoc:${name}:cursed:lock`); // as if its replica had died
    const failed = await waitFor('failed', async () => {
      const s = await q.state('cursed');
      return s.state === 'failed' ? s : undefined;
    });
    expect(failed.reason).toMatch(/stalled more than allowable limit/);
    expect(calls).toBe(1);
    await waitFor('the failed event', () => (events.some((e) => e.type === 'failed') ? true : undefined));
  }, 30_000);

  test('createJobQueue with a Redis URL is BullMQ and says so; an unreachable Redis is BACKEND_UNAVAILABLE', async () => {
    const logs: string[] = [];
    const q = await createJobQueue({ name, redisUrl: REDIS_URL, replicaId: 'r1', log: (l) => logs.push(l) });
    cleanups.push(() => q.close());
    expect(q.kind).toBe('bullmq');
    expect(logs.join('\n')).toMatch(
      /BullMQ on Redis redis:\/\/127\.0\.0\.1:6379 as replica r1 \(a dead replica's job is resumed within 60000 ms\)/,
    );
    const proxy = await startRedisProxy();
    const deadUrl = proxy.url;
    await proxy.close(); // nothing listens there any more
    const t = Date.now();
    await expect(createJobQueue({ name, redisUrl: deadUrl, log: () => {} })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    expect(Date.now() - t).toBeLessThan(5000);
  });
});
