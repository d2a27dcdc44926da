/**
 * JobService (AI vendors) and AdminService (operators) over the job store and the runner. A vendor
 * sees and controls only its own jobs; another vendor's job answers NOT_FOUND, as if absent.
 */
import { makeError } from '../common/errors.js';
import type { Job } from '../protos/generated/aidoc/v1/Job.js';
import type { JobEvent as WireJobEvent } from '../protos/generated/aidoc/v1/JobEvent.js';
import type { JobSpec__Output } from '../protos/generated/aidoc/v1/JobSpec.js';
import type { RoundSummary } from '../protos/generated/aidoc/v1/RoundSummary.js';
import type { WorkerFailure } from '../protos/generated/aidoc/v1/WorkerFailure.js';
import type { JobSpecInput } from './job-spec.js';
import type { JobEvent, JobRecord, JobStore, RoundRecord } from './job-store.js';
import type { ClientFailure } from './strategy.js';
import { assertCanSeeJob, canSeeJob } from './transport/auth.js';
import type {
  AdminServiceImplementation,
  CallContext,
  JobServiceImplementation,
} from './transport/grpc-server.js';
import type { WorkerRegistry } from './worker-registry.js';
import type { TaskAssignment } from './round-engine.js';

/** Submits, cancels and shows jobs; `QueueRunner` (coordinator/queue-runner.ts) implements it. */
export interface JobRunner {
  /** Validates, books (e.g. escrows the budget) and queues; refused jobs throw with the reason. */
  submit(vendor: string, spec: JobSpecInput): Promise<JobRecord>;
  cancel(jobId: string, reason: string): void;
  /** The job wherever it runs, or undefined. */
  view(jobId: string): Promise<JobRecord | undefined>;
  list(): Promise<JobRecord[]>;
  /** Replays the job's events after `afterSequence`, then follows live ones to its end. */
  watch(jobId: string, afterSequence: number, signal?: AbortSignal): AsyncGenerator<JobEvent>;
}

const FAILURE_REASON: Record<ClientFailure['kind'], WorkerFailure['reason']> = {
  dropped: 'FAILURE_REASON_DROPPED',
  timeout: 'FAILURE_REASON_TIMEOUT',
  error: 'FAILURE_REASON_ERROR',
  rejected: 'FAILURE_REASON_REJECTED_UPDATE',
  cancelled: 'FAILURE_REASON_CANCELLED',
};

const wireFailure = (f: ClientFailure): WorkerFailure => ({
  workerId: f.workerId,
  reason: FAILURE_REASON[f.kind],
  detail: f.detail,
});

const wireRound = (r: RoundRecord): RoundSummary => ({
  round: r.round,
  participants: r.participants,
  failures: r.failures.map(wireFailure),
  metrics: r.metrics,
  numExamples: r.numExamples,
  startedUnixMs: r.startedAt,
  closedUnixMs: r.closedAt,
  version: r.version,
  attempts: r.attempts,
});

const STATE = {
  queued: 'JOB_STATE_QUEUED',
  running: 'JOB_STATE_RUNNING',
  completed: 'JOB_STATE_COMPLETED',
  failed: 'JOB_STATE_FAILED',
  cancelled: 'JOB_STATE_CANCELLED',
} as const;

export function wireJob(j: JobRecord): Job {
  const s = j.spec;
  return {
    jobId: j.jobId,
    vendor: j.vendor,
    spec: {
      name: s.name,
      model:
        'builtin' in s.model
          ? { builtin: s.model.builtin }
          : { topologyJson: JSON.stringify(s.model.topology) },
      datasetSchemaId: s.schemaId,
      rounds: s.rounds,
      localEpochs: s.localEpochs,
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      strategy: { name: s.strategy.name, params: s.strategy.params },
      minWorkers: s.minWorkers,
      fraction: s.fraction,
      roundDeadlineMs: s.roundDeadlineMs,
      fromVersion: s.fromVersion ?? '',
      feePerRound: s.feePerRound,
      purpose: s.purpose,
      privacy: {
        mode: s.privacy.mode,
        targetEpsilon: s.privacy.targetEpsilon,
        targetDelta: s.privacy.delta,
        clipNorm: s.privacy.clipNorm,
        noiseMultiplier: s.privacy.noiseMultiplier ?? 0,
        ...(s.privacy.clientLevel
          ? {
              client: {
                clipNorm: s.privacy.clientLevel.clipNorm,
                noiseMultiplier: s.privacy.clientLevel.noiseMultiplier,
                targetEpsilon: s.privacy.clientLevel.targetEpsilon ?? 0,
                targetDelta: s.privacy.clientLevel.delta,
                minContributors: s.privacy.clientLevel.minContributors ?? 0,
              },
            }
          : {}),
      },
      seed: s.seed,
      secureAggregation: s.secureAggregation ? 'SECURE_AGGREGATION_MODE_ON' : 'SECURE_AGGREGATION_MODE_OFF',
    },
    state: STATE[j.state],
    currentRound: j.currentRound,
    roundsCompleted: j.roundsCompleted,
    reason: j.reason ?? '',
    createdUnixMs: j.createdAt,
    updatedUnixMs: j.updatedAt,
    rounds: j.rounds.map(wireRound),
    latestVersion: j.latestVersion ?? '',
  };
}

function wireEvent(e: JobEvent): WireJobEvent {
  const base = { jobId: e.jobId, sequence: e.sequence, timeUnixMs: e.time };
  const b = e.body;
  switch (b.type) {
    case 'job_started':
      return { ...base, jobStarted: { rounds: b.rounds } };
    case 'round_started':
      return {
        ...base,
        roundStarted: { round: b.round, workers: b.workers, deadlineUnixMs: b.deadline, attempt: b.attempt },
      };
    case 'worker_joined':
      return { ...base, workerJoined: { round: b.round, workerId: b.workerId } };
    case 'worker_dropped':
      return { ...base, workerDropped: { round: b.round, failure: wireFailure(b.failure) } };
    case 'round_closed':
      return { ...base, roundClosed: { summary: wireRound(b.summary) } };
    case 'job_completed':
      return { ...base, jobCompleted: { finalVersion: b.finalVersion, finalMetrics: b.finalMetrics } };
    case 'job_failed':
      return { ...base, jobFailed: { reason: b.reason, code: b.code } };
    case 'job_cancelled':
      return { ...base, jobCancelled: { reason: b.reason } };
  }
}

/** The wire JobSpec as the coordinator's spec input; zero values mean "default". */
export function specFromWire(w: JobSpec__Output | null): JobSpecInput {
  if (!w)
    throw makeError('the request carries no job spec', 'INVALID_JOB_SPEC', { problems: ['spec: missing'] });
  const model = w.model?.builtin
    ? { builtin: w.model.builtin }
    : w.model?.topologyJson
      ? { topology: parseTopology(w.model.topologyJson) }
      : undefined;
  const out: Record<string, unknown> = { model, schemaId: w.datasetSchemaId };
  const nonzero: [string, number | string | undefined][] = [
    ['name', w.name],
    ['rounds', w.rounds],
    ['localEpochs', w.localEpochs],
    ['batchSize', w.batchSize],
    ['learningRate', w.learningRate],
    ['minWorkers', w.minWorkers],
    ['fraction', w.fraction],
    ['roundDeadlineMs', w.roundDeadlineMs],
    ['seed', w.seed],
    ['fromVersion', w.fromVersion],
    ['feePerRound', w.feePerRound],
    ['purpose', w.purpose],
  ];
  for (const [k, v] of nonzero) if (v) out[k] = v;
  if (w.strategy?.name) out.strategy = { name: w.strategy.name, params: w.strategy.params ?? {} };
  const p = w.privacy;
  const c = p?.client;
  if (p && (p.mode || p.targetEpsilon || p.noiseMultiplier || c)) {
    out.privacy = {
      ...(p.mode ? { mode: p.mode } : {}),
      ...(p.targetEpsilon ? { targetEpsilon: p.targetEpsilon } : {}),
      ...(p.targetDelta ? { delta: p.targetDelta } : {}),
      ...(p.clipNorm ? { clipNorm: p.clipNorm } : {}),
      ...(p.noiseMultiplier ? { noiseMultiplier: p.noiseMultiplier } : {}),
      // A present client message turns client-level DP on; its zero values mean "not given".
      ...(c
        ? {
            clientLevel: {
              clipNorm: c.clipNorm,
              ...(c.noiseMultiplier ? { noiseMultiplier: c.noiseMultiplier } : {}),
              ...(c.targetEpsilon ? { targetEpsilon: c.targetEpsilon } : {}),
              ...(c.targetDelta ? { delta: c.targetDelta } : {}),
              ...(c.minContributors ? { minContributors: c.minContributors } : {}),
            },
          }
        : {}),
    };
  }
  // UNSPECIFIED leaves the default (on); only an explicit OFF turns secure aggregation off.
  if (w.secureAggregation === 'SECURE_AGGREGATION_MODE_OFF') out.secureAggregation = false;
  else if (w.secureAggregation === 'SECURE_AGGREGATION_MODE_ON') out.secureAggregation = true;
  return out as JobSpecInput;
}

function parseTopology(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw makeError(`model.topology_json is not valid JSON: ${(e as Error).message}`, 'INVALID_JOB_SPEC', {
      problems: ['model.topology_json: not JSON'],
    });
  }
}

export function createJobService(deps: { store: JobStore; runner: JobRunner }): JobServiceImplementation {
  const { store, runner } = deps;
  const visible = async (jobId: string, ctx: CallContext) => {
    const job = await runner.view(jobId);
    if (!job) throw makeError(`no job '${jobId}'`, 'NOT_FOUND', { jobId });
    assertCanSeeJob(ctx.caller, job);
    return job;
  };
  return {
    async SubmitJob(req, ctx) {
      return { job: wireJob(await runner.submit(ctx.caller.name, specFromWire(req.spec))) };
    },
    async GetJob(req, ctx) {
      return wireJob(await visible(req.jobId, ctx));
    },
    async *WatchJob(req, ctx) {
      await visible(req.jobId, ctx);
      for await (const e of runner.watch(req.jobId, Number(req.afterSequence), ctx.signal))
        yield wireEvent(e);
    },
    async CancelJob(req, ctx) {
      const job = await visible(req.jobId, ctx);
      runner.cancel(job.jobId, req.reason || `cancelled by ${ctx.caller.name}`);
      return wireJob((await runner.view(job.jobId)) ?? job);
    },
    async ListJobs(_req, ctx) {
      const jobs = (await runner.list())
        .filter((j) => canSeeJob(ctx.caller, j.vendor))
        .sort((a, b) => b.createdAt - a.createdAt);
      return { jobs: jobs.map(wireJob), nextPageToken: '' };
    },
    async ListVersions(req, ctx) {
      const job = await visible(req.jobId, ctx);
      return {
        versions: store.versions(job.jobId).map((v) => ({
          versionId: v.versionId,
          jobId: v.jobId,
          round: v.round,
          contentId: '',
          sha256: Buffer.from(v.sha256, 'hex'),
          parentVersion: v.parent ?? '',
          metrics: v.metrics,
          createdUnixMs: v.createdAt,
          epsilonSpent: v.epsilon,
        })),
      };
    },
  };
}

export function createAdminService(deps: {
  registry: WorkerRegistry<TaskAssignment>;
}): AdminServiceImplementation {
  const { registry } = deps;
  const HEALTH = {
    healthy: 'WORKER_HEALTH_HEALTHY',
    stale: 'WORKER_HEALTH_STALE',
    offline: 'WORKER_HEALTH_OFFLINE',
  } as const;
  return {
    ListWorkers() {
      return {
        workers: registry.list().map((w) => ({
          workerId: w.workerId,
          certificateFingerprint: w.fingerprint,
          capabilities: {
            cores: w.capabilities.cores,
            memoryBytes: w.capabilities.memoryBytes,
            backend: w.capabilities.backend,
            softwareVersion: w.capabilities.softwareVersion,
            features: w.capabilities.features,
            datasets: w.capabilities.datasets.map((d) => ({
              datasetId: d.datasetId,
              schemaId: d.schemaId,
              featureShape: d.featureShape,
              numClasses: d.numClasses,
              recordCount: d.records,
              consentedRecordCount: d.records,
            })),
          },
          registeredUnixMs: w.registeredAt,
          lastHeartbeatUnixMs: w.lastHeartbeat,
          health: HEALTH[registry.health(w)],
          roundsServed: w.roundsServed,
          failures: w.failures,
          currentTaskId: w.currentTaskId ?? '',
          ...(w.lastFailure
            ? {
                lastFailure: {
                  workerId: w.workerId,
                  reason: 'FAILURE_REASON_UNSPECIFIED' as const,
                  detail: `job ${w.lastFailure.jobId} round ${w.lastFailure.round}: ${w.lastFailure.kind}: ${w.lastFailure.detail}`,
                },
              }
            : {}),
          peerAddress: w.peer,
        })),
      };
    },
  };
}
