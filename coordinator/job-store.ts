/**
 * Jobs, their event logs and their committed versions. Events carry a per-job sequence number so a
 * watcher can resume where it left off; a job's log ends with exactly one terminal event.
 */
import { makeError } from '../common/errors.js';
import type { JobSpec } from './job-spec.js';
import type { ClientFailure } from './strategy.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface RoundRecord {
  round: number;
  participants: string[];
  failures: ClientFailure[];
  /** e.g. accuracy/loss (federated evaluation of the new global model), train_loss. */
  metrics: Record<string, number>;
  numExamples: number;
  /** Epsilon each participating dataset has spent on this job after this round (record-level DP). */
  epsilon: Record<string, number>;
  startedAt: number;
  closedAt: number;
  version: string;
  attempts: number;
}

export interface ModelVersionRecord {
  versionId: string;
  jobId: string;
  round: number;
  parent?: string;
  sha256: string;
  params: number;
  metrics: Record<string, number>;
  /** Epsilon per dataset spent on the job up to this version. */
  epsilon: Record<string, number>;
  createdAt: number;
}

export interface JobRecord {
  jobId: string;
  vendor: string;
  spec: JobSpec;
  state: JobState;
  currentRound: number;
  roundsCompleted: number;
  reason?: string;
  code?: string;
  createdAt: number;
  updatedAt: number;
  rounds: RoundRecord[];
  latestVersion?: string;
}

/** A job as it is first recorded: queued, no rounds yet. */
export function newJobRecord(jobId: string, vendor: string, spec: JobSpec, createdAt: number): JobRecord {
  return {
    jobId,
    vendor,
    spec,
    state: 'queued',
    currentRound: 0,
    roundsCompleted: 0,
    createdAt,
    updatedAt: createdAt,
    rounds: [],
  };
}

export type JobEventBody =
  | { type: 'job_started'; rounds: number }
  | { type: 'round_started'; round: number; workers: string[]; deadline: number; attempt: number }
  | { type: 'worker_joined'; round: number; workerId: string }
  | { type: 'worker_dropped'; round: number; failure: ClientFailure }
  | { type: 'round_closed'; summary: RoundRecord }
  | { type: 'job_completed'; finalVersion: string; finalMetrics: Record<string, number> }
  | { type: 'job_failed'; reason: string; code: string }
  | { type: 'job_cancelled'; reason: string };

export interface JobEvent {
  jobId: string;
  sequence: number;
  time: number;
  body: JobEventBody;
}

export const TERMINAL_EVENTS = new Set(['job_completed', 'job_failed', 'job_cancelled']);

export class JobStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #events = new Map<string, JobEvent[]>();
  readonly #versions = new Map<string, ModelVersionRecord[]>();
  readonly #weights = new Map<string, Float32Array>();
  readonly #listeners = new Map<string, Set<(e: JobEvent) => void>>();

  create(job: JobRecord): void {
    this.#jobs.set(job.jobId, job);
    this.#events.set(job.jobId, []);
    this.#versions.set(job.jobId, []);
  }

  has(jobId: string): boolean {
    return this.#jobs.has(jobId);
  }

  get(jobId: string): JobRecord {
    const job = this.#jobs.get(jobId);
    if (!job) throw makeError(`no job '${jobId}'`, 'NOT_FOUND', { jobId });
    return job;
  }

  list(): JobRecord[] {
    return [...this.#jobs.values()];
  }

  update(jobId: string, patch: Partial<JobRecord>): JobRecord {
    const job = this.get(jobId);
    Object.assign(job, patch, { updatedAt: Date.now() });
    return job;
  }

  emit(jobId: string, body: JobEventBody): JobEvent {
    const log = this.#events.get(jobId);
    if (!log) throw makeError(`no job '${jobId}'`, 'NOT_FOUND', { jobId });
    const event = { jobId, sequence: log.length + 1, time: Date.now(), body };
    log.push(event);
    for (const l of this.#listeners.get(jobId) ?? []) l(event);
    return event;
  }

  events(jobId: string, afterSequence = 0): JobEvent[] {
    return (this.#events.get(jobId) ?? []).filter((e) => e.sequence > afterSequence);
  }

  /**
   * Replays events after `afterSequence`, then follows live ones until the job's terminal event or
   * the signal aborts.
   */
  async *watch(jobId: string, afterSequence = 0, signal?: AbortSignal): AsyncGenerator<JobEvent> {
    this.get(jobId);
    const queue: JobEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (e: JobEvent) => {
      queue.push(e);
      wake?.();
    };
    let set = this.#listeners.get(jobId);
    if (!set) this.#listeners.set(jobId, (set = new Set()));
    set.add(listener);
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      let last = afterSequence;
      for (const e of this.events(jobId, afterSequence)) {
        yield e;
        last = e.sequence;
        if (TERMINAL_EVENTS.has(e.body.type)) return;
      }
      for (;;) {
        while (queue.length > 0) {
          const e = queue.shift()!;
          if (e.sequence <= last) continue;
          yield e;
          last = e.sequence;
          if (TERMINAL_EVENTS.has(e.body.type)) return;
        }
        if (signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      set.delete(listener);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  addVersion(version: ModelVersionRecord, weights: Float32Array): void {
    this.#versions.get(version.jobId)?.push(version);
    this.#weights.set(version.versionId, weights);
  }

  versions(jobId: string): ModelVersionRecord[] {
    return [...(this.#versions.get(jobId) ?? [])];
  }

  hasVersionWeights(versionId: string): boolean {
    return this.#weights.has(versionId);
  }

  /** Weights of a committed version ("<jobId>@<round>"). */
  versionWeights(versionId: string): Float32Array {
    const w = this.#weights.get(versionId);
    if (!w) throw makeError(`no committed version '${versionId}'`, 'NOT_FOUND', { versionId });
    return w;
  }
}
