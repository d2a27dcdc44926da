/**
 * The embedded job queue: everything in this process's memory. Same contract as the Redis queue
 * (see job-queue.ts) for one process; it cannot share jobs with other processes, and its jobs are
 * lost when the process exits. Used when no Redis URL is configured, and says so in the log.
 *
 * Specs, results and checkpoints are copied through JSON, as the Redis queue stores them, so code
 * that works here does not break on Redis for want of serializability.
 */
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
  type JobStatus,
  type JobSummary,
  type ProcessOptions,
  type QueueJob,
} from './job-queue.js';
import { QueueEventHub } from './queue-event-hub.js';
import { assertJobId, compileJobQueueOptions, type JobQueueOptions } from './queue-options.js';

type Phase = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

interface Entry<Spec, Result> {
  job: QueueJob<Spec>;
  enqueuedAt: number;
  phase: Phase;
  attemptsStarted: number;
  failures: number;
  round: number;
  rounds: number;
  result?: Result;
  reason?: string;
  code?: string;
  cancelReason?: string;
  /** JSON of the last committed checkpoint. */
  checkpoint?: string;
  run?: { claim: number; controller: AbortController; consumer: Consumer };
}

interface Consumer {
  replicaId: string;
  concurrency: number;
  running: number;
  closing: boolean;
  settling: Set<Promise<void>>;
  handler: JobHandler<never, unknown, never>;
}

/** Runs `fn` now; its value or throw becomes the promise's outcome. */
const settle = <T>(fn: () => T): Promise<T> => new Promise<T>((resolve) => resolve(fn()));

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function abortError(jobId: string, reason: 'CANCELLED' | 'SHUTDOWN' | 'LOCK_LOST', detail: string) {
  return makeError(`job ${jobId} was aborted on this replica: ${detail}`, 'ABORTED', {
    reason,
    jobId,
    detail,
  });
}

export function createMemoryJobQueue<Spec = unknown, Result = unknown, Checkpoint = unknown>(
  options: JobQueueOptions = {},
): JobQueue<Spec, Result, Checkpoint> {
  const o = compileJobQueueOptions({ ...options, redisUrl: undefined });
  o.log(
    `job queue '${o.name}': in-process (no Redis URL configured); jobs are not shared with other ` +
      'processes and are lost when this process exits',
  );
  const hub = new QueueEventHub(o.log);
  const entries = new Map<string, Entry<Spec, Result>>();
  const waiting: Entry<Spec, Result>[] = [];
  const consumers: Consumer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let claims = 0;
  let rotate = 0;
  let pumpScheduled = false;
  let closed = false;

  const get = (jobId: string) => {
    const e = entries.get(jobId);
    if (!e) throw makeError(`no job '${jobId}' in queue '${o.name}'`, 'NOT_FOUND', { jobId });
    return e;
  };

  const schedulePump = () => {
    if (pumpScheduled || closed) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  };

  const pump = () => {
    while (waiting.length > 0) {
      const free = consumers.filter((c) => !c.closing && c.running < c.concurrency);
      if (free.length === 0) return;
      // Rotate over consumers so replicas share the work, as BullMQ workers do by racing.
      const consumer = free[rotate++ % free.length]!;
      start(waiting.shift()!, consumer);
    }
  };

  const statusOf = (e: Entry<Spec, Result>): JobStatus<Result> => {
    switch (e.phase) {
      case 'queued':
        return { state: 'queued', attempts: e.attemptsStarted };
      case 'running':
        return {
          state: 'running',
          round: e.round,
          rounds: e.rounds,
          attempt: e.attemptsStarted,
          cancelRequested: e.cancelReason !== undefined,
        };
      case 'completed':
        return { state: 'completed', result: e.result as Result };
      case 'failed':
        return {
          state: 'failed',
          reason: e.reason ?? 'failed',
          ...(e.code ? { code: e.code } : {}),
          attempts: e.attemptsStarted,
        };
      case 'cancelled':
        return { state: 'cancelled', reason: e.cancelReason ?? 'cancelled' };
    }
  };

  const summary = (e: Entry<Spec, Result>): JobSummary<Spec, Result, Checkpoint> => ({
    jobId: e.job.jobId,
    vendor: e.job.vendor,
    spec: clone(e.job.spec),
    enqueuedAt: e.enqueuedAt,
    status: statusOf(e),
    ...(e.checkpoint === undefined ? {} : { checkpoint: JSON.parse(e.checkpoint) as Checkpoint }),
  });

  function start(e: Entry<Spec, Result>, consumer: Consumer) {
    const { jobId, vendor } = e.job;
    const claim = ++claims;
    const controller = new AbortController();
    e.phase = 'running';
    e.attemptsStarted++;
    e.run = { claim, controller, consumer };
    consumer.running++;
    const held = () => e.run?.claim === claim;
    const fence = () => {
      if (!held()) throw abortError(jobId, 'LOCK_LOST', 'this replica no longer holds the job');
    };
    const ctx: JobContext<Checkpoint> = {
      signal: controller.signal,
      attempt: e.attemptsStarted,
      replicaId: consumer.replicaId,
      lastCheckpoint: e.checkpoint === undefined ? undefined : (JSON.parse(e.checkpoint) as Checkpoint),
      progress: (p: JobProgress) => {
        fence();
        e.round = p.round;
        e.rounds = p.rounds;
        hub.emit({
          type: 'progress',
          jobId,
          vendor,
          round: p.round,
          rounds: p.rounds,
          replicaId: consumer.replicaId,
        });
        return Promise.resolve();
      },
      checkpoint: (data: Checkpoint) => {
        fence();
        e.checkpoint = JSON.stringify(data);
        return Promise.resolve();
      },
    };
    hub.emit({ type: 'started', jobId, vendor, attempt: e.attemptsStarted, replicaId: consumer.replicaId });
    const handler = consumer.handler as unknown as JobHandler<Spec, Result, Checkpoint>;
    const settled = (async () => {
      let outcome: { ok: true; result: Result } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: await handler(clone(e.job), ctx) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      finish(e, consumer, controller.signal, outcome);
    })();
    consumer.settling.add(settled);
    void settled.finally(() => consumer.settling.delete(settled));
  }

  function finish(
    e: Entry<Spec, Result>,
    consumer: Consumer,
    signal: AbortSignal,
    outcome: { ok: true; result: Result } | { ok: false; error: unknown },
  ) {
    const { jobId, vendor } = e.job;
    consumer.running--;
    e.run = undefined;
    const cause = abortCause(signal);
    if (e.cancelReason !== undefined) {
      e.phase = 'cancelled';
      hub.emit({ type: 'cancelled', jobId, vendor, reason: e.cancelReason });
    } else if (cause === 'SHUTDOWN' || cause === 'LOCK_LOST') {
      // Handed back: the job goes to the front, to be resumed from its last checkpoint.
      e.phase = 'queued';
      waiting.unshift(e);
      hub.emit({ type: 'requeued', jobId, vendor, replicaId: consumer.replicaId });
    } else if (outcome.ok) {
      e.phase = 'completed';
      e.result = clone(outcome.result);
      hub.emit({ type: 'completed', jobId, vendor, replicaId: consumer.replicaId });
    } else {
      const err = outcome.error;
      e.failures++;
      e.reason = err instanceof Error ? err.message : String(err);
      e.code = errorCode(err);
      const code = e.code ? { code: e.code } : {};
      if (!isRetryable(err) || e.failures >= o.attempts) {
        e.phase = 'failed';
        hub.emit({ type: 'failed', jobId, vendor, reason: e.reason, ...code });
      } else {
        e.phase = 'queued';
        const delayMs = o.retryDelayMs;
        hub.emit({
          type: 'retrying',
          jobId,
          vendor,
          nextAttempt: e.attemptsStarted + 1,
          delayMs,
          reason: e.reason,
          ...code,
        });
        const t = setTimeout(() => {
          timers.delete(t);
          if (e.phase !== 'queued') return; // cancelled meanwhile
          waiting.push(e);
          schedulePump();
        }, delayMs);
        timers.add(t);
      }
    }
    schedulePump();
  }

  async function closeConsumer(c: Consumer) {
    if (c.closing) return;
    c.closing = true;
    for (const e of entries.values()) {
      if (e.run?.consumer === c)
        e.run.controller.abort(
          abortError(e.job.jobId, 'SHUTDOWN', `replica ${c.replicaId} is shutting down`),
        );
    }
    await Promise.all([...c.settling]);
    consumers.splice(consumers.indexOf(c), 1);
  }

  const closedError = () => makeError(`job queue '${o.name}' is closed`, 'INVALID_ARGUMENT');

  function enqueue(job: QueueJob<Spec>): boolean {
    if (closed) throw closedError();
    assertJobId(job.jobId);
    assertArgument(typeof job.vendor === 'string' && job.vendor.length > 0, 'vendor is required', {
      jobId: job.jobId,
    });
    if (entries.has(job.jobId)) return false;
    const e: Entry<Spec, Result> = {
      job: { jobId: job.jobId, vendor: job.vendor, spec: clone(job.spec) },
      enqueuedAt: Date.now(),
      phase: 'queued',
      attemptsStarted: 0,
      failures: 0,
      round: 0,
      rounds: 0,
    };
    entries.set(job.jobId, e);
    waiting.push(e);
    hub.emit({ type: 'queued', jobId: job.jobId, vendor: job.vendor });
    schedulePump();
    return true;
  }

  function startConsumer(
    handler: JobHandler<Spec, Result, Checkpoint>,
    processOptions: ProcessOptions,
  ): JobProcessor {
    if (closed) throw closedError();
    const concurrency = processOptions.concurrency ?? 1;
    assertArgument(Number.isInteger(concurrency) && concurrency >= 1, 'concurrency must be an integer >= 1', {
      concurrency,
    });
    const c: Consumer = {
      replicaId: consumers.length === 0 ? o.replicaId : `${o.replicaId}/${consumers.length + 1}`,
      concurrency,
      running: 0,
      closing: false,
      settling: new Set(),
      handler: handler,
    };
    consumers.push(c);
    schedulePump();
    return { replicaId: c.replicaId, close: () => closeConsumer(c) };
  }

  const queue: JobQueue<Spec, Result, Checkpoint> = {
    kind: 'memory',
    name: o.name,
    events: hub,

    enqueue(job) {
      return settle(() => enqueue(job));
    },

    process(handler, processOptions: ProcessOptions = {}) {
      return settle(() => startConsumer(handler, processOptions));
    },

    state(jobId) {
      return settle(() => statusOf(get(jobId)));
    },

    get(jobId) {
      const e = entries.get(jobId);
      return Promise.resolve(e ? summary(e) : undefined);
    },

    list(filter = {}) {
      const all = [...entries.values()].filter(
        (e) => filter.vendor === undefined || e.job.vendor === filter.vendor,
      );
      return Promise.resolve(all.map(summary));
    },

    cancel(jobId, reason = 'cancelled by request') {
      return settle(() => {
        const e = get(jobId);
        if (e.phase === 'completed' || e.phase === 'failed' || e.phase === 'cancelled') return false;
        if (e.cancelReason !== undefined) return false;
        e.cancelReason = reason;
        if (e.phase === 'queued') {
          const i = waiting.indexOf(e);
          if (i >= 0) waiting.splice(i, 1);
          e.phase = 'cancelled';
          hub.emit({ type: 'cancelled', jobId, vendor: e.job.vendor, reason });
        } else {
          e.run?.controller.abort(abortError(jobId, 'CANCELLED', reason));
        }
        return true;
      });
    },

    obliterate() {
      for (const e of entries.values()) {
        e.cancelReason ??= 'the queue was obliterated';
        e.run?.controller.abort(abortError(e.job.jobId, 'CANCELLED', e.cancelReason));
      }
      entries.clear();
      waiting.length = 0;
      return Promise.resolve();
    },

    async close() {
      await Promise.all([...consumers].map(closeConsumer));
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
  return queue;
}
