/**
 * The queue between vendors' submissions and the coordinator replicas that run them.
 *
 * Contract, for every implementation (the in-process default and BullMQ on Redis):
 * - `enqueue` is idempotent by `jobId`: the first submission wins, later ones change nothing.
 * - A job runs on at most one replica at a time. A replica that dies mid-job (crash, SIGKILL,
 *   lost network) loses its claim after a bounded, configured time (lock duration + stalled-check
 *   interval); another replica then starts the job again with `ctx.attempt` one higher and
 *   `ctx.lastCheckpoint` set to the last checkpoint the dead replica committed, so the job
 *   resumes at its last committed version instead of round 0.
 * - Checkpoints and progress are fenced: once a replica has lost its claim on a job, its writes
 *   are refused and its handler's signal aborts, so a paused or partitioned "zombie" replica can
 *   never overwrite what the replica that took over has committed.
 * - A handler that throws a non-retryable error (see `isRetryable`) fails the job at once; any
 *   other error is retried up to `attempts` times. Crashes are counted separately (`maxRecoveries`).
 * - `cancel` of a queued job means it never starts; of a running job, its handler's signal aborts
 *   on whichever replica runs it, and the job ends as cancelled however the handler settles.
 *
 * What the handler must still do itself: make side effects that happen between two checkpoints
 * idempotent (a replica can die after writing round r to the ledger and before checkpointing it;
 * the next attempt redoes round r, and the ledger's write per (job, round) must be a no-op then).
 *
 * Specs, results and checkpoints must be JSON-serializable: the Redis implementation stores them.
 */
import { AidocError, type ErrorCode } from '../../common/errors.js';

/** A job as submitted. */
export interface QueueJob<Spec = unknown> {
  /**
   * Unique id; `enqueue` is idempotent by it. 1-128 characters from `A-Z a-z 0-9 . _ -`,
   * starting with a letter or digit, and not all digits (BullMQ reserves numeric ids).
   */
  jobId: string;
  /** Who submitted it. `list` and events carry it so a server shows vendors their own jobs only. */
  vendor: string;
  /** Validate it before enqueueing (`compileJobSpec`): the queue stores it as given. */
  spec: Spec;
}

/** Where a running job is, as its handler reports it. */
export interface JobProgress {
  /** Rounds completed so far (0 before the first one closes). */
  round: number;
  /** Rounds in the job. */
  rounds: number;
}

/** What a handler gets besides the job. */
export interface JobContext<Checkpoint = unknown> {
  /**
   * Aborts when the job is cancelled, when this replica loses its claim on the job, or when this
   * replica shuts down. `signal.reason` is an AidocError with code 'ABORTED' and
   * `info.reason` = 'CANCELLED' | 'LOCK_LOST' | 'SHUTDOWN'. After 'LOCK_LOST' or 'SHUTDOWN' the job
   * continues elsewhere; whatever the handler returns or throws then is ignored.
   */
  readonly signal: AbortSignal;
  /** 1 on the first start; one more after each retry and each recovery from a dead replica. */
  readonly attempt: number;
  /** The replica running this attempt. */
  readonly replicaId: string;
  /** The last checkpoint committed by an earlier attempt, or undefined on a fresh start. */
  readonly lastCheckpoint: Checkpoint | undefined;
  /** Reports progress (shown by `state` and sent as a 'progress' event). Fenced like `checkpoint`. */
  progress(progress: JobProgress): Promise<void>;
  /**
   * Commits `data` (e.g. `{ round, version }`) as the point a later attempt resumes from. Resolves
   * once it is durable in the queue's store (for Redis: written, and waits through a short outage).
   * Rejects with ABORTED (`info.reason` 'LOCK_LOST') if this replica no longer holds the job.
   */
  checkpoint(data: Checkpoint): Promise<void>;
}

export type JobHandler<Spec = unknown, Result = unknown, Checkpoint = unknown> = (
  job: QueueJob<Spec>,
  ctx: JobContext<Checkpoint>,
) => Promise<Result>;

/** A job's state as the queue sees it. */
export type JobStatus<Result = unknown> =
  /** Waiting for a replica; `attempts` > 0 when it waits for a retry or after a crash. */
  | { state: 'queued'; attempts: number }
  /** On a replica. `round`/`rounds` are 0 until its handler reports progress. */
  | { state: 'running'; round: number; rounds: number; attempt: number; cancelRequested: boolean }
  | { state: 'completed'; result: Result }
  /** `code` is the AidocError code of the last error, when it had one. */
  | { state: 'failed'; reason: string; code?: string; attempts: number }
  | { state: 'cancelled'; reason: string };

export type JobStateName = JobStatus['state'];

export interface JobSummary<Spec = unknown, Result = unknown, Checkpoint = unknown> {
  jobId: string;
  vendor: string;
  spec: Spec;
  /** Milliseconds since the epoch, from the enqueuing replica's clock. */
  enqueuedAt: number;
  status: JobStatus<Result>;
  /** The last committed checkpoint, if any (what a resumed attempt starts from). */
  checkpoint?: Checkpoint;
}

/**
 * Lifecycle events. With Redis they come from every replica sharing the queue (through a pub/sub
 * channel, best effort: an event published while this replica's connection is down is missed, so
 * treat `state` as the truth and events as a live feed).
 */
export type JobQueueEvent =
  | { type: 'queued'; jobId: string; vendor: string }
  | { type: 'started'; jobId: string; vendor: string; attempt: number; replicaId: string }
  | { type: 'progress'; jobId: string; vendor: string; round: number; rounds: number; replicaId: string }
  /** The attempt that just failed will be followed by attempt `nextAttempt` after `delayMs`. */
  | {
      type: 'retrying';
      jobId: string;
      vendor: string;
      nextAttempt: number;
      delayMs: number;
      reason: string;
      code?: string;
    }
  /** A replica shutting down handed the job back; another one continues it. */
  | { type: 'requeued'; jobId: string; vendor: string; replicaId: string }
  | { type: 'completed'; jobId: string; vendor: string; replicaId: string }
  | { type: 'failed'; jobId: string; vendor: string; reason: string; code?: string }
  | { type: 'cancelled'; jobId: string; vendor: string; reason: string };

export interface JobQueueEvents {
  /** Calls `listener` for each event from now on; returns the function that stops it. */
  on(listener: (event: JobQueueEvent) => void): () => void;
}

export interface ProcessOptions {
  /** Jobs this consumer runs at once. @defaultValue 1 */
  concurrency?: number;
}

/** One consumer of the queue (a coordinator replica, or one of several in one process). */
export interface JobProcessor {
  readonly replicaId: string;
  /**
   * Stops taking jobs, aborts the running handlers (reason 'SHUTDOWN'), hands their jobs back to
   * the queue for another replica to resume, and resolves when the handlers have settled.
   */
  close(): Promise<void>;
}

export interface JobQueue<Spec = unknown, Result = unknown, Checkpoint = unknown> {
  /** Which implementation this is. */
  readonly kind: 'memory' | 'bullmq';
  readonly name: string;
  /** Live lifecycle events. */
  readonly events: JobQueueEvents;
  /** Queues the job; resolves true if it was new, false if a job with this id already exists. */
  enqueue(job: QueueJob<Spec>): Promise<boolean>;
  /** Starts a consumer that runs jobs with `handler`. May be called more than once. */
  process(handler: JobHandler<Spec, Result, Checkpoint>, options?: ProcessOptions): Promise<JobProcessor>;
  /** The job's state; NOT_FOUND if there is no such job. */
  state(jobId: string): Promise<JobStatus<Result>>;
  /** The job with its vendor and state, or undefined. */
  get(jobId: string): Promise<JobSummary<Spec, Result, Checkpoint> | undefined>;
  /** Jobs in submission order, optionally only one vendor's. */
  list(filter?: { vendor?: string }): Promise<JobSummary<Spec, Result, Checkpoint>[]>;
  /**
   * Cancels a queued or running job; resolves false if it had already ended (or was already
   * cancelled), true otherwise. NOT_FOUND if there is no such job.
   */
  cancel(jobId: string, reason?: string): Promise<boolean>;
  /** Deletes every job and all of this queue's data. For tests and operators; not undoable. */
  obliterate(): Promise<void>;
  /** Closes every consumer started here (as `JobProcessor.close`), then the connections. */
  close(): Promise<void>;
}

/**
 * Error codes that retrying cannot fix: the input is wrong or not allowed. A job failing with one
 * of them fails at once, without spending its remaining attempts.
 */
export const NON_RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_JOB_SPEC',
  'INVALID_MODEL',
  'INVALID_DATASET',
  'INVALID_ARGUMENT',
  'PERMISSION_DENIED',
  'PRIVACY_BUDGET_EXHAUSTED',
  'NOT_FOUND',
]);

/**
 * Whether a handler's error is worth another attempt: not for an AidocError whose code is in
 * NON_RETRYABLE_CODES or whose `info.retryable` is false; yes for anything else.
 */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof AidocError)) return true;
  if (e.info.retryable === false) return false;
  return !NON_RETRYABLE_CODES.has(e.code);
}

/** The code of an error if it is an AidocError. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof AidocError ? e.code : undefined;
}

/** Why a handler's signal aborted, or undefined if it did not. */
export type AbortCause = 'CANCELLED' | 'LOCK_LOST' | 'SHUTDOWN';

export function abortCause(signal: AbortSignal): AbortCause | undefined {
  if (!signal.aborted) return undefined;
  const r: unknown = signal.reason;
  if (r instanceof AidocError && typeof r.info.reason === 'string') return r.info.reason as AbortCause;
  return 'CANCELLED';
}
