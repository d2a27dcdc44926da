/**
 * The job queue on Redis through BullMQ: several coordinator replicas share it, each job runs on
 * one replica at a time, and a dead replica's job is resumed by another (contract in job-queue.ts).
 *
 * What BullMQ gives: the claim on a running job is its lock (`<prefix>:<name>:<jobId>:lock`,
 * holding the claimant's token, renewed every lockDuration/2); every replica's stalled checker
 * moves a job whose lock expired back to waiting, so a dead replica's job starts again elsewhere
 * within lockDuration + stalledInterval, with `attemptsStarted` one higher.
 *
 * What this file adds beside BullMQ's keys, under `<prefix>:<name>:~...` ('~' cannot occur in a
 * job id, so these never collide with BullMQ's own keys):
 * - `~job:<jobId>` hash: vendor, enqueuedAt, checkpoint, round, rounds, code (last error code),
 *   cancelled (the cancel reason, once cancelled);
 * - `~jobs` sorted set of job ids by enqueue time (for `list`);
 * - `~events` pub/sub channel: lifecycle events for every replica's listeners, and cancel requests
 *   that reach whichever replica runs the job (backed up by polling the cancel flag).
 * Checkpoints, progress and 'started' are written by a script that first checks that the job's
 * lock still holds this attempt's token: a replica that lost the job cannot write over the one
 * that took it over (fencing).
 */
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { assertArgument, makeError } from '../../common/errors.js';
import {
  abortCause,
  errorCode,
  isRetryable,
  type JobContext,
  type JobHandler,
  type JobProcessor,
  type JobProgress,
  type JobQueue,
  type JobQueueEvent,
  type JobStatus,
  type JobSummary,
  type ProcessOptions,
  type QueueJob,
} from './job-queue.js';
import { QueueEventHub } from './queue-event-hub.js';
import { assertJobId, compileJobQueueOptions, type JobQueueOptions } from './queue-options.js';

interface BullData<Spec> {
  jobId: string;
  vendor: string;
  spec: Spec;
  enqueuedAt: number;
}

/** A cancel request on the events channel; never passed to listeners. */
interface CancelRequest {
  type: 'cancel-request';
  jobId: string;
  reason: string;
}

/**
 * KEYS: lock, meta. ARGV: token, channel, event JSON ('' for none), then field/value pairs.
 * Returns 1 if written, 0 if the lock is not (any longer) held with this token.
 */
const FENCED_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[2], unpack(ARGV, 4)) end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;

/** KEYS: jobs, meta. ARGV: jobId, vendor, enqueuedAt. Returns 1 if the job id was new. */
const REGISTER = `
if redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'vendor', ARGV[2], 'enqueuedAt', ARGV[3])
return 1`;

function abortError(jobId: string, reason: 'CANCELLED' | 'SHUTDOWN' | 'LOCK_LOST', detail: string) {
  return makeError(`job ${jobId} was aborted on this replica: ${detail}`, 'ABORTED', {
    reason,
    jobId,
    detail,
  });
}

/** Logs a repeated message (a Redis outage reports the same error many times) once per 5 s. */
function throttled(log: (line: string) => void): (line: string) => void {
  let last = '';
  let at = 0;
  return (line) => {
    const now = Date.now();
    if (line === last && now - at < 5000) return;
    last = line;
    at = now;
    log(line);
  };
}

interface Running {
  controller: AbortController;
  consumer: string;
}

/**
 * Connects to Redis and returns the queue once the connections are ready. Requires
 * `options.redisUrl`.
 */
export async function createBullmqJobQueue<Spec = unknown, Result = unknown, Checkpoint = unknown>(
  options: JobQueueOptions & { redisUrl: string },
): Promise<JobQueue<Spec, Result, Checkpoint>> {
  const o = compileJobQueueOptions(options);
  const redisUrl = o.redisUrl;
  assertArgument(redisUrl !== undefined, 'createBullmqJobQueue needs a redisUrl');
  const warn = throttled(o.log);
  const base = `${o.prefix}:${o.name}:~`;
  const jobsKey = `${base}jobs`;
  const metaKey = (jobId: string) => `${base}job:${jobId}`;
  const channel = `${base}events`;
  const clientName = `aidoc-queue:${o.name}:${o.replicaId}`.replace(/[^\w.:-]/g, '_');

  // maxRetriesPerRequest: null makes commands wait through an outage instead of failing after a
  // few reconnects: a running job's checkpoint then lands once Redis is back, rather than the job
  // failing because the network blinked. BullMQ requires it for workers anyway.
  let stopped = false; // no reconnecting once the queue gave up or closed
  const redis = new Redis(redisUrl, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => (stopped ? null : Math.min(times * 100, 1000)),
    connectionName: clientName,
    lazyConnect: true,
    // ioredis keeps a timer this long after disconnecting a socket that had already failed.
    disconnectTimeout: 500,
  });
  redis.on('error', (e: Error) => warn(`redis connection: ${e.message}`));
  const sub = redis.duplicate({ connectionName: `${clientName}:sub`, lazyConnect: true });
  sub.on('error', (e: Error) => warn(`redis subscriber connection: ${e.message}`));
  try {
    await redis.connect();
    await sub.connect();
  } catch (e) {
    stopped = true;
    redis.disconnect();
    sub.disconnect();
    throw makeError(
      `cannot reach Redis at ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}: ${(e as Error).message}; ` +
        'start Redis or leave the Redis URL unset for the in-process queue',
      'BACKEND_UNAVAILABLE',
      { redisUrl },
      e,
    );
  }

  const queue = new Queue<BullData<Spec>, Result>(o.name, { connection: redis, prefix: o.prefix });
  queue.on('error', (e: Error) => warn(`queue: ${e.message}`));
  await queue.waitUntilReady();

  const hub = new QueueEventHub(o.log);
  const running = new Map<string, Running>();
  const workers = new Map<string, { worker: Worker<BullData<Spec>, Result>; close: () => Promise<void> }>();
  /** What a settled processor call meant, for the worker's 'failed' event to announce. */
  const outcomes = new Map<string, { cancelled?: string; announced?: boolean; code?: string }>();
  let closed = false;

  const publish = (event: JobQueueEvent | CancelRequest) => redis.publish(channel, JSON.stringify(event));
  const publishQuietly = (event: JobQueueEvent | CancelRequest) => {
    publish(event).catch((e: Error) => warn(`publishing ${event.type} of ${event.jobId}: ${e.message}`));
  };

  sub.on('message', (_channel: string, message: string) => {
    let parsed: JobQueueEvent | CancelRequest;
    try {
      parsed = JSON.parse(message) as JobQueueEvent | CancelRequest;
    } catch {
      return;
    }
    if (parsed.type === 'cancel-request') {
      running.get(parsed.jobId)?.controller.abort(abortError(parsed.jobId, 'CANCELLED', parsed.reason));
    } else {
      hub.emit(parsed);
    }
  });
  await sub.subscribe(channel);
  o.log(
    `job queue '${o.name}': BullMQ on Redis ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')} as replica ` +
      `${o.replicaId} (a dead replica's job is resumed within ${o.lockDurationMs + o.stalledIntervalMs} ms)`,
  );

  const notClosed = () => {
    if (closed) throw makeError(`job queue '${o.name}' is closed`, 'INVALID_ARGUMENT');
  };

  /**
   * The state is read first, then the job's fields: a job moves forward (queued, running, ended),
   * so fields read after its state are at least as new as that state (read the other way round,
   * a job completing in between shows 'completed' without its result).
   */
  async function load(jobId: string) {
    const state = await queue.getJobState(jobId);
    const [job, meta] = await Promise.all([queue.getJob(jobId), redis.hgetall(metaKey(jobId))]);
    return { job, meta, status: statusOf(job ? state : 'unknown', job, meta) };
  }

  function statusOf(
    state: string,
    job: Job<BullData<Spec>, Result> | undefined,
    meta: Record<string, string>,
  ): JobStatus<Result> | undefined {
    const cancelled = meta.cancelled;
    if (state === 'unknown' || !job)
      return cancelled !== undefined ? { state: 'cancelled', reason: cancelled } : undefined;
    const j = job;
    switch (state) {
      case 'completed':
        return { state: 'completed', result: j.returnvalue };
      case 'failed':
        if (cancelled !== undefined) return { state: 'cancelled', reason: cancelled };
        return {
          state: 'failed',
          reason: j.failedReason ?? 'failed',
          ...(meta.code ? { code: meta.code } : {}),
          attempts: j.attemptsStarted,
        };
      case 'active':
        return {
          state: 'running',
          round: Number(meta.round ?? 0),
          rounds: Number(meta.rounds ?? 0),
          attempt: j.attemptsStarted,
          cancelRequested: cancelled !== undefined,
        };
      default:
        // waiting, delayed (retry backoff), prioritized: a cancelled one is discarded unrun.
        if (cancelled !== undefined) return { state: 'cancelled', reason: cancelled };
        return { state: 'queued', attempts: j.attemptsStarted };
    }
  }

  async function get(jobId: string): Promise<JobSummary<Spec, Result, Checkpoint> | undefined> {
    const { job, meta, status } = await load(jobId);
    if (!status || !job) return undefined;
    return {
      jobId,
      vendor: meta.vendor ?? job.data.vendor,
      spec: job.data.spec,
      enqueuedAt: Number(meta.enqueuedAt ?? job.data.enqueuedAt),
      status,
      ...(meta.checkpoint === undefined ? {} : { checkpoint: JSON.parse(meta.checkpoint) as Checkpoint }),
    };
  }

  function makeProcessor(handler: JobHandler<Spec, Result, Checkpoint>, consumer: string) {
    return async (job: Job<BullData<Spec>, Result>, token?: string): Promise<Result> => {
      const { jobId, vendor, spec } = job.data;
      if (!token) throw new Error(`internal: job ${jobId} arrived without a lock token`);
      const meta = await redis.hgetall(metaKey(jobId));
      if (meta.cancelled !== undefined) {
        // Cancelled while queued; cancel() has announced it already.
        outcomes.set(jobId, { cancelled: meta.cancelled, announced: true });
        throw new UnrecoverableError(`cancelled: ${meta.cancelled}`);
      }
      const lockKey = `${queue.toKey(jobId)}:lock`;
      const controller = new AbortController();
      const fenced = async (event: JobQueueEvent | undefined, fields: Record<string, string | number>) => {
        const args = Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
        const ok = await redis.eval(
          FENCED_WRITE,
          2,
          lockKey,
          metaKey(jobId),
          token,
          channel,
          event ? JSON.stringify(event) : '',
          ...args,
        );
        if (ok !== 1) {
          const err = abortError(
            jobId,
            'LOCK_LOST',
            'this replica no longer holds the job (its lock expired or moved)',
          );
          controller.abort(err);
          throw err;
        }
      };
      running.set(jobId, { controller, consumer });
      const onLockLost = (ids: string[]) => {
        if (ids.includes(jobId))
          controller.abort(
            abortError(jobId, 'LOCK_LOST', 'renewing the lock failed: another replica may hold it'),
          );
      };
      const worker = workers.get(consumer)?.worker;
      worker?.on('lockRenewalFailed', onLockLost);
      const poll = setInterval(() => {
        redis.hget(metaKey(jobId), 'cancelled').then(
          (reason) => {
            if (reason !== null) controller.abort(abortError(jobId, 'CANCELLED', reason));
          },
          () => {}, // an outage: the next poll tries again
        );
      }, o.cancelPollMs);
      let outcome: { ok: true; result: Result } | { ok: false; error: unknown };
      try {
        await fenced(
          { type: 'started', jobId, vendor, attempt: job.attemptsStarted, replicaId: consumer },
          {},
        );
        const ctx: JobContext<Checkpoint> = {
          signal: controller.signal,
          attempt: job.attemptsStarted,
          replicaId: consumer,
          lastCheckpoint:
            meta.checkpoint === undefined ? undefined : (JSON.parse(meta.checkpoint) as Checkpoint),
          progress: (p: JobProgress) =>
            fenced(
              { type: 'progress', jobId, vendor, round: p.round, rounds: p.rounds, replicaId: consumer },
              { round: p.round, rounds: p.rounds },
            ),
          checkpoint: (data: Checkpoint) => fenced(undefined, { checkpoint: JSON.stringify(data) }),
        };
        outcome = { ok: true, result: await handler({ jobId, vendor, spec }, ctx) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        clearInterval(poll);
        worker?.off('lockRenewalFailed', onLockLost);
        running.delete(jobId);
      }
      const cause = abortCause(controller.signal);
      if (cause === 'SHUTDOWN') {
        // Hand the job back now instead of letting its lock run out: another replica resumes it
        // from the last checkpoint at once.
        await job.moveToWait(token);
        publishQuietly({ type: 'requeued', jobId, vendor, replicaId: consumer });
        throw new WaitingError();
      }
      if (cause === 'LOCK_LOST') {
        // Another replica owns the job now; BullMQ will refuse to move it with our stale token.
        throw abortError(jobId, 'LOCK_LOST', 'this replica no longer holds the job');
      }
      const cancelled =
        cause === 'CANCELLED'
          ? ((await redis.hget(metaKey(jobId), 'cancelled')) ?? 'cancelled by request')
          : await redis.hget(metaKey(jobId), 'cancelled');
      if (cancelled !== null) {
        outcomes.set(jobId, { cancelled });
        throw new UnrecoverableError(`cancelled: ${cancelled}`);
      }
      if (outcome.ok) return outcome.result;
      const err = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
      const code = errorCode(err);
      if (code) await redis.hset(metaKey(jobId), 'code', code);
      else await redis.hdel(metaKey(jobId), 'code');
      outcomes.set(jobId, code ? { code } : {});
      if (!isRetryable(err)) throw new UnrecoverableError(err.message);
      throw err;
    };
  }

  const jobQueue: JobQueue<Spec, Result, Checkpoint> = {
    kind: 'bullmq',
    name: o.name,
    events: hub,

    async enqueue(job: QueueJob<Spec>) {
      notClosed();
      assertJobId(job.jobId);
      assertArgument(typeof job.vendor === 'string' && job.vendor.length > 0, 'vendor is required', {
        jobId: job.jobId,
      });
      const { jobId, vendor } = job;
      // A job id once used stays used (even after its job is cancelled or obliterated from BullMQ).
      if ((await redis.exists(metaKey(jobId))) === 1) return false;
      const enqueuedAt = Date.now();
      // 'queued' goes out before the job exists, so that no replica's 'started' can overtake it.
      await publish({ type: 'queued', jobId, vendor });
      // BullMQ before our registration: a crash in between leaves a job that a second enqueue
      // registers, never a registration without a job.
      await queue.add(
        'job',
        { jobId, vendor, spec: job.spec, enqueuedAt },
        {
          jobId,
          attempts: o.attempts,
          backoff: { type: 'fixed', delay: o.retryDelayMs },
        },
      );
      const added = await redis.eval(REGISTER, 2, jobsKey, metaKey(jobId), jobId, vendor, String(enqueuedAt));
      return added === 1;
    },

    async process(handler, processOptions: ProcessOptions = {}) {
      notClosed();
      const concurrency = processOptions.concurrency ?? 1;
      assertArgument(
        Number.isInteger(concurrency) && concurrency >= 1,
        'concurrency must be an integer >= 1',
        {
          concurrency,
        },
      );
      const consumer = workers.size === 0 ? o.replicaId : `${o.replicaId}/${workers.size + 1}`;
      const worker = new Worker<BullData<Spec>, Result>(o.name, makeProcessor(handler, consumer), {
        connection: redis,
        prefix: o.prefix,
        name: consumer,
        concurrency,
        lockDuration: o.lockDurationMs,
        stalledInterval: o.stalledIntervalMs,
        maxStalledCount: o.maxRecoveries,
        autorun: true,
      });
      worker.on('error', (e: Error) => warn(`worker ${consumer}: ${e.message}`));
      worker.on('completed', (job) => {
        publishQuietly({
          type: 'completed',
          jobId: job.data.jobId,
          vendor: job.data.vendor,
          replicaId: consumer,
        });
      });
      worker.on('stalled', (jobId) => {
        // A job recovered from a dead replica more than maxRecoveries times fails in BullMQ's
        // stalled check, which reports no 'failed' of its own.
        load(jobId).then(
          ({ job, status }) => {
            if (job && status?.state === 'failed')
              publishQuietly({ type: 'failed', jobId, vendor: job.data.vendor, reason: status.reason });
          },
          (e: Error) => warn(`checking stalled job ${jobId}: ${e.message}`),
        );
      });
      worker.on('failed', (job, err) => {
        if (!job) return;
        const { jobId, vendor } = job.data;
        const outcome = outcomes.get(jobId) ?? {};
        outcomes.delete(jobId);
        const code = outcome.code ? { code: outcome.code } : {};
        if (outcome.cancelled !== undefined) {
          if (!outcome.announced)
            publishQuietly({ type: 'cancelled', jobId, vendor, reason: outcome.cancelled });
        } else if (job.finishedOn) {
          publishQuietly({ type: 'failed', jobId, vendor, reason: err.message, ...code });
        } else {
          publishQuietly({
            type: 'retrying',
            jobId,
            vendor,
            nextAttempt: job.attemptsStarted + 1,
            delayMs: o.retryDelayMs,
            reason: err.message,
            ...code,
          });
        }
      });
      const close = async () => {
        if (!workers.has(consumer)) return;
        await worker.pause(true);
        for (const [jobId, r] of running)
          if (r.consumer === consumer)
            r.controller.abort(abortError(jobId, 'SHUTDOWN', `replica ${consumer} is shutting down`));
        await worker.close();
        workers.delete(consumer);
      };
      workers.set(consumer, { worker, close });
      await worker.waitUntilReady();
      const processor: JobProcessor = { replicaId: consumer, close };
      return processor;
    },

    async state(jobId) {
      const { status } = await load(jobId);
      if (!status) throw makeError(`no job '${jobId}' in queue '${o.name}'`, 'NOT_FOUND', { jobId });
      return status;
    },

    get,

    async list(filter = {}) {
      const ids = await redis.zrange(jobsKey, '0', '-1');
      const vendors = await Promise.all(ids.map((id) => redis.hget(metaKey(id), 'vendor')));
      const picked = ids.filter((_, i) => filter.vendor === undefined || vendors[i] === filter.vendor);
      const jobs = await Promise.all(picked.map(get));
      return jobs.filter((j): j is JobSummary<Spec, Result, Checkpoint> => j !== undefined);
    },

    async cancel(jobId, reason = 'cancelled by request') {
      const { job, meta, status } = await load(jobId);
      if (!status) throw makeError(`no job '${jobId}' in queue '${o.name}'`, 'NOT_FOUND', { jobId });
      if (status.state !== 'queued' && status.state !== 'running') return false;
      if ((await redis.hsetnx(metaKey(jobId), 'cancelled', reason)) === 0) return false;
      const vendor = meta.vendor ?? job?.data.vendor ?? '';
      if (status.state === 'queued') {
        // It is discarded unrun when a replica takes it; for everyone else it is cancelled now.
        await publish({ type: 'cancelled', jobId, vendor, reason });
      }
      // Also when it looked queued: a replica may have taken it in the meantime.
      await publish({ type: 'cancel-request', jobId, reason });
      return true;
    },

    async obliterate() {
      await queue.obliterate({ force: true });
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', '500');
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...workers.values()].map((w) => w.close()));
      await queue.close();
      stopped = true;
      await sub.quit().catch(() => sub.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  return jobQueue;
}
