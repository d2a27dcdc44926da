/**
 * Runs vendors' jobs from a JobQueue (coordinator/queue/): the in-process queue when no Redis is
 * configured, or BullMQ on Redis shared by several coordinator replicas. Whichever replica takes a
 * job runs it with the round engine; after every committed round it checkpoints where the job is
 * (the version's content id in the model store, epsilon so far, the rounds' records). A replica
 * that dies mid-job loses its claim after the queue's lock time; another replica then resumes the
 * job at its last committed version, and re-books the committed rounds (the ledger's writes are
 * idempotent per job and round, so each round is on chain exactly once).
 *
 * Any replica answers for any job: a job running here is shown from the live record; one running
 * (or finished) elsewhere from the queue's state and last checkpoint.
 */
import { randomUUID } from 'node:crypto';
import { makeError, type ErrorCode } from '../common/errors.js';
import { sleep } from '../common/sleep.js';
import { compileJobSpec, type JobSpec, type JobSpecInput } from './job-spec.js';
import { newJobRecord, TERMINAL_EVENTS, type JobEvent, type JobRecord, type JobStore } from './job-store.js';
import type { JobRunner } from './job-service.js';
import type { CoordinatorHooks } from './coordinator.js';
import type { ResumePoint, RoundEngine } from './round-engine.js';
import { abortCause, type JobProcessor, type JobQueue, type JobSummary } from './queue/job-queue.js';

/** What the queue stores per job: the compiled spec (validated once, at submission). */
export interface QueuedJobSpec {
  spec: JobSpec;
  createdAt: number;
}

export interface QueuedJobResult {
  finalVersion: string;
  roundsCompleted: number;
}

export type CoordinatorQueue = JobQueue<QueuedJobSpec, QueuedJobResult, ResumePoint>;

export interface QueueRunnerOptions {
  queue: CoordinatorQueue;
  store: JobStore;
  engine: RoundEngine;
  hooks: CoordinatorHooks;
  /** Jobs this replica runs at once. @defaultValue 4 */
  concurrency?: number;
  /** How often a watch of a job running on another replica re-reads its state. @defaultValue 500 ms */
  remotePollMs?: number;
  log?: (line: string) => void;
}

const TERMINAL_STATES = new Set(['completed', 'failed', 'cancelled']);

export class QueueRunner implements JobRunner {
  readonly #o: QueueRunnerOptions;
  readonly #running = new Set<string>();
  readonly #log: (line: string) => void;
  #processor: JobProcessor | undefined;

  constructor(options: QueueRunnerOptions) {
    this.#o = options;
    this.#log = options.log ?? (() => {});
  }

  get queue(): CoordinatorQueue {
    return this.#o.queue;
  }

  /** Starts taking jobs from the queue. */
  async start(): Promise<void> {
    this.#processor = await this.#o.queue.process(
      (job, ctx) => this.#run(job.jobId, job.vendor, job.spec, ctx),
      {
        concurrency: this.#o.concurrency ?? 4,
      },
    );
  }

  async submit(vendor: string, input: JobSpecInput): Promise<JobRecord> {
    const spec = compileJobSpec(input);
    const now = Date.now();
    const job = newJobRecord(`job-${randomUUID().slice(0, 8)}`, vendor, spec, now);
    const { store } = this.#o;
    store.create(job);
    try {
      await this.#o.hooks.jobSubmitted?.(job);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const code = (e as { code?: string }).code ?? 'INTERNAL';
      store.update(job.jobId, { state: 'failed', reason, code });
      store.emit(job.jobId, { type: 'job_failed', reason, code });
      throw e;
    }
    await this.#o.queue.enqueue({ jobId: job.jobId, vendor, spec: { spec, createdAt: now } });
    return job;
  }

  cancel(jobId: string, reason: string): void {
    void this.#cancel(jobId, reason).catch((e: unknown) =>
      this.#log(`cancelling ${jobId} failed: ${(e as Error).message}`),
    );
  }

  async #cancel(jobId: string, reason: string): Promise<void> {
    const before = await this.#o.queue.state(jobId);
    const changed = await this.#o.queue.cancel(jobId, reason);
    // A job cancelled before any replica started it has no handler to close its books.
    if (changed && before.state === 'queued' && before.attempts === 0) {
      const job = await this.view(jobId);
      if (job) {
        if (this.#o.store.has(jobId)) {
          this.#o.store.update(jobId, { state: 'cancelled', reason });
          this.#o.store.emit(jobId, { type: 'job_cancelled', reason });
        }
        await this.#o.hooks.jobEnded?.({ ...job, state: 'cancelled', reason });
      }
    }
  }

  /** The job as this replica knows it: live if it runs here, else from the queue. */
  async view(jobId: string): Promise<JobRecord | undefined> {
    if (this.#running.has(jobId)) return this.#o.store.get(jobId);
    const summary = await this.#o.queue.get(jobId);
    if (!summary) return this.#o.store.has(jobId) ? this.#o.store.get(jobId) : undefined;
    // Finished here: the local record has everything (final metrics, failures).
    if (this.#o.store.has(jobId)) {
      const local = this.#o.store.get(jobId);
      if (TERMINAL_STATES.has(local.state) && local.state === summary.status.state) return local;
    }
    return recordFromSummary(summary);
  }

  async list(): Promise<JobRecord[]> {
    const summaries = await this.#o.queue.list();
    const seen = new Set(summaries.map((s) => s.jobId));
    const jobs = await Promise.all(
      summaries.map(async (s) => (await this.view(s.jobId)) ?? recordFromSummary(s)),
    );
    // Refused at submission (never queued): only the replica that refused it knows it.
    for (const j of this.#o.store.list()) if (!seen.has(j.jobId)) jobs.push(j);
    return jobs;
  }

  /**
   * The job's events: live ones when it runs here; for a job elsewhere, events derived from its
   * state (started, each committed round, the end), numbered so that `afterSequence` works the
   * same whichever replica is asked: 1 = started, 1 + r = round r closed, rounds + 2 = the end.
   */
  async *watch(jobId: string, afterSequence: number, signal?: AbortSignal): AsyncGenerator<JobEvent> {
    if (this.#running.has(jobId) || !(await this.#o.queue.get(jobId))) {
      yield* this.#o.store.watch(jobId, afterSequence, signal);
      return;
    }
    let last = afterSequence;
    for (;;) {
      const job = await this.view(jobId);
      if (!job) return;
      for (const e of derivedEvents(job)) {
        if (e.sequence <= last) continue;
        yield e;
        last = e.sequence;
        if (TERMINAL_EVENTS.has(e.body.type)) return;
      }
      if (signal?.aborted) return;
      await sleep(this.#o.remotePollMs ?? 500, signal);
    }
  }

  /** Resolves when the job has ended, wherever it ran. */
  async finished(jobId: string): Promise<JobRecord> {
    for (;;) {
      const job = await this.view(jobId);
      if (!job) throw makeError(`no job '${jobId}'`, 'NOT_FOUND', { jobId });
      if (TERMINAL_STATES.has(job.state)) return job;
      await sleep(100);
    }
  }

  /** Stops taking jobs; running ones are handed back to the queue for another replica. */
  async stopAll(): Promise<void> {
    await this.#processor?.close();
  }

  async #run(
    jobId: string,
    vendor: string,
    queued: QueuedJobSpec,
    ctx: Parameters<Parameters<CoordinatorQueue['process']>[0]>[1],
  ): Promise<QueuedJobResult> {
    const { store, engine } = this.#o;
    if (!store.has(jobId)) store.create(newJobRecord(jobId, vendor, queued.spec, queued.createdAt));
    const rounds = queued.spec.rounds;
    const resume = ctx.lastCheckpoint;
    this.#log(
      `job ${jobId}: attempt ${ctx.attempt} on replica ${ctx.replicaId}${resume ? `, resuming after round ${resume.round}` : ''}`,
    );
    this.#running.add(jobId);
    let final: JobRecord;
    try {
      await ctx.progress({ round: resume?.round ?? 0, rounds });
      final = await engine.runJob(jobId, ctx.signal, {
        ...(resume ? { resume } : {}),
        priorAttempt: ctx.attempt > 1,
        roundDone: async ({ stored, ...point }) => {
          // Without a model store there is nothing to resume from (the in-process queue only).
          if (stored) await ctx.checkpoint({ ...point, stored });
          await ctx.progress({ round: point.round, rounds });
        },
        // A shared queue gives the job to another replica; the in-process queue dies with this
        // process, so there a shutdown ends the job (cancelled, its books closed).
        isHandover: (signal) => {
          const cause = abortCause(signal);
          return this.#o.queue.kind === 'bullmq' && (cause === 'LOCK_LOST' || cause === 'SHUTDOWN');
        },
      });
    } finally {
      this.#running.delete(jobId);
    }
    if (final.state === 'failed') {
      // The engine already retried rounds with other workers; what fails the job is final.
      throw makeError(final.reason ?? 'the job failed', (final.code ?? 'INTERNAL') as ErrorCode, {
        retryable: false,
      });
    }
    return { finalVersion: final.latestVersion ?? '', roundsCompleted: final.roundsCompleted };
  }
}

const STATE_OF: Record<JobSummary['status']['state'], JobRecord['state']> = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** A job running (or finished) on another replica, from the queue's state and last checkpoint. */
function recordFromSummary(s: JobSummary<QueuedJobSpec, QueuedJobResult, ResumePoint>): JobRecord {
  const st = s.status;
  const cp = s.checkpoint;
  return {
    jobId: s.jobId,
    vendor: s.vendor,
    spec: s.spec.spec,
    state: STATE_OF[st.state],
    currentRound:
      st.state === 'running' ? Math.min(st.round + 1, st.rounds || s.spec.spec.rounds) : (cp?.round ?? 0),
    roundsCompleted: cp?.round ?? 0,
    ...(st.state === 'failed' ? { reason: st.reason, ...(st.code ? { code: st.code } : {}) } : {}),
    ...(st.state === 'cancelled' ? { reason: st.reason } : {}),
    createdAt: s.spec.createdAt,
    updatedAt: Date.now(),
    rounds: cp?.rounds ?? [],
    ...(cp ? { latestVersion: cp.versionId } : {}),
  };
}

/** Events derived from a job record (see QueueRunner.watch for the numbering). */
function derivedEvents(job: JobRecord): JobEvent[] {
  const events: JobEvent[] = [];
  const at = (sequence: number, time: number, body: JobEvent['body']) =>
    events.push({ jobId: job.jobId, sequence, time, body });
  if (job.state === 'queued') return events;
  at(1, job.createdAt, { type: 'job_started', rounds: job.spec.rounds });
  for (const r of job.rounds) at(1 + r.round, r.closedAt, { type: 'round_closed', summary: r });
  const end = job.spec.rounds + 2;
  if (job.state === 'completed') {
    at(end, job.updatedAt, {
      type: 'job_completed',
      finalVersion: job.latestVersion ?? '',
      finalMetrics: job.rounds[job.rounds.length - 1]?.metrics ?? {},
    });
  } else if (job.state === 'failed') {
    at(end, job.updatedAt, { type: 'job_failed', reason: job.reason ?? '', code: job.code ?? 'INTERNAL' });
  } else if (job.state === 'cancelled') {
    at(end, job.updatedAt, { type: 'job_cancelled', reason: job.reason ?? '' });
  }
  return events;
}
