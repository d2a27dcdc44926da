/**
 * The round engine owns the federated loop of a job:
 *
 *   for each round: select eligible workers -> assign TRAIN tasks (workers pull them) ->
 *   accumulate updates as they arrive, until every selected worker answered or the deadline ->
 *   close (late updates are rejected from then on) -> if the quorum arrived, the strategy turns the
 *   mean delta into the next global model, which is committed as a version and evaluated by the
 *   workers on their local held-out records; otherwise retry with other workers, and fail the job
 *   cleanly when no quorum can be had.
 *
 * Dropouts, timeouts, errors and rejected updates are data: they become `ClientFailure`s in the
 * round record and in the job's event stream, never exceptions that abort a round.
 *
 * How accepted updates become the mean delta is the job's `AggregationMode` (round-aggregator.ts):
 * plain deltas summed as they arrive, or — secure aggregation, on by default — BGV ciphertexts
 * summed as they arrive and opened by one participating worker. The loop is the same for both; an
 * aggregation that fails (the opener dropped or refused) is a recorded failure and a retried round.
 * The engine never sees records, and with secure aggregation never sees one worker's delta.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';
import { AidocError, isError, makeError } from '../common/errors.js';
import { createRng } from '../datasets/rng.js';
import { buildModel, type ModelSpec } from '../training/model-spec.js';
import { getFlatWeights, setFlatWeights } from '../training/weights.js';
import { useTrainingBackend } from '../training/backend.js';
import { createStrategy } from './create-strategy.js';
import type { JobSpec } from './job-spec.js';
import type { JobRecord, JobStore, RoundRecord } from './job-store.js';
import type { StoredVersionRef, VersionStore } from '../model-registry/version-store.js';
import {
  failureOf,
  plainAggregation,
  type AggregationMode,
  type RoundAggregator,
  type TaskExtension,
  type UpdateEncoding,
  type UpdateStream,
  weightDenominator,
} from './round-aggregator.js';
import {
  clientDpAccepts,
  clientDpQuorum,
  JobClientDp,
  planClientDpAttempt,
  type ClientDpEvent,
} from './client-dp.js';
import type {
  AggregationStrategy,
  ClientFailure,
  ClientResult,
  FailureKind,
  LocalTrainConfig,
} from './strategy.js';
import type { WorkerRegistry } from './worker-registry.js';
import { sleep } from '../common/sleep.js';

export type TaskKind = 'train' | 'evaluate';

/** What a worker receives (the transport maps it to the wire's Task). */
export interface TaskAssignment {
  taskId: string;
  jobId: string;
  round: number;
  kind: TaskKind;
  model: ModelSpec;
  schemaId: string;
  /** Reference to the global weights in the payload store. */
  weightsRef: string;
  config: LocalTrainConfig;
  validationFraction: number;
  deadline: number;
  nonce: Buffer;
  /** How the update must travel (TRAIN tasks). */
  updateEncoding: UpdateEncoding;
  /** Settings of the job's aggregation mode (e.g. the secure round setup), opaque to the engine. */
  extension?: TaskExtension;
  /** The job's consent purpose (workers that read the ledger use only consenting records). */
  purpose: string;
}

/** A stored payload: weights (PLAIN_F32) or, for an opener, an aggregate (CKKS). */
export interface StoredPayload {
  bytes: Buffer;
  sha256: Buffer;
  elements: number;
  /** @defaultValue 'PAYLOAD_ENCODING_PLAIN_F32' */
  encoding?: 'PAYLOAD_ENCODING_PLAIN_F32' | 'PAYLOAD_ENCODING_CKKS';
  contentType?: string;
  /** The only worker allowed to fetch it; anyone with the reference when absent. */
  audience?: string;
}

/** Global weight vectors (and aggregates to open) the workers fetch by reference. */
export class PayloadStore {
  readonly #items = new Map<string, StoredPayload>();

  put(weights: Float32Array): string {
    const bytes = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength);
    return this.putBytes(Buffer.from(bytes), { elements: weights.length });
  }

  /** Stores `bytes` (kept as given: do not modify them afterwards). */
  putBytes(bytes: Buffer, meta: Omit<StoredPayload, 'bytes' | 'sha256'>): string {
    const ref = randomUUID();
    this.#items.set(ref, { ...meta, bytes, sha256: createHash('sha256').update(bytes).digest() });
    return ref;
  }

  get(ref: string): StoredPayload {
    const item = this.#items.get(ref);
    if (!item) throw makeError(`payload '${ref}' is unknown or expired`, 'NOT_FOUND', { ref });
    return item;
  }

  delete(ref: string): void {
    this.#items.delete(ref);
  }
}

export interface UpdateSubmission {
  taskId: string;
  jobId: string;
  round: number;
  numExamples: number;
  metrics: Record<string, number>;
  nonce: Buffer;
}

interface OpenTask {
  assignment: TaskAssignment;
  workerId: string;
  phase: Phase;
  settled: boolean;
}

interface Phase {
  jobId: string;
  round: number;
  kind: TaskKind;
  length: number;
  /** TRAIN phases: where accepted updates go. */
  aggregator?: RoundAggregator;
  results: ClientResult[];
  failures: ClientFailure[];
  pending: Set<string>;
  wake: () => void;
}

/** A committed round, as the ledger (or any other book-keeper) records it. */
export interface CommittedRound {
  job: JobRecord;
  round: number;
  versionId: string;
  /** SHA-256 (hex) of the flat weight vector. */
  sha256: string;
  /** With a model store: the version manifest's content id and SHA-256 (hex), what the chain records. */
  stored?: StoredVersionRef;
  parent?: string;
  metrics: Record<string, number>;
  /** The parent version's manifest content id, when the model store knows it. */
  parentContentId?: string;
  /** Epsilon per dataset spent on the job up to this round, and what this round added. */
  epsilon: Record<string, number>;
  epsilonSpends: Record<string, number>;
  participants: { workerId: string; fingerprint: string; numExamples: number }[];
}

/** A committed round as a checkpoint carries it: everything but the job record (JSON-safe). */
export type CommittedRoundData = Omit<CommittedRound, 'job'>;

/** Where a resumed job continues: its last committed round, as the queue's checkpoint holds it. */
export interface ResumePoint {
  /** The last committed round; the job continues with the next one. */
  round: number;
  /** Its version (`<job>@<round>`) and where the version's files are in the model store. */
  versionId: string;
  stored: StoredVersionRef;
  /** Epsilon per dataset spent on the job up to that round. */
  epsilon: Record<string, number>;
  /** The rounds committed so far, as the job record shows them. */
  rounds: RoundRecord[];
  /**
   * The rounds' book-keeping records. They are handed to `roundCommitted` again on resume: the
   * replica that committed them may have died before its ledger outbox sent them, and the
   * ledger's writes are idempotent per (job, round), so re-booking is a no-op for those on chain.
   */
  booked: CommittedRoundData[];
  /** A client-level DP job's book (attempts and opened sums), replayed on resume. */
  clientDp?: ClientDpEvent[];
}

/** A round just committed: a resume point when the version is in the model store. */
export type RoundDone = Omit<ResumePoint, 'stored'> & { stored?: StoredVersionRef };

export interface RunJobOptions {
  /** Continue a job from its last committed round instead of round 1 (needs the model store). */
  resume?: ResumePoint;
  /**
   * An earlier attempt of this job ran somewhere and may have released a round after its last
   * checkpoint (a replica that died): privacy accounting then counts that round too.
   * @defaultValue false
   */
  priorAttempt?: boolean;
  /**
   * Called after each round is committed, stored and booked, before the next starts: a queue
   * checkpoints here. Throwing stops the job (as a failure, or as a handover, see `isHandover`).
   */
  roundDone?(point: RoundDone): Promise<void>;
  /**
   * Whether an abort hands the job over to another replica rather than ending it: then the job is
   * left 'queued' here, with no terminal event and without `jobEnded` (no refund: it goes on).
   * @defaultValue never
   */
  isHandover?(signal: AbortSignal): boolean;
}

/**
 * Book-keeping around the loop, e.g. the ledger: escrow, per-round records, refunds. A hook that
 * throws in `roundCommitted` fails the job (a version that cannot be recorded is not released);
 * `jobEnded` errors are logged.
 */
export interface RoundHooks {
  roundCommitted?(round: CommittedRound): Promise<void>;
  jobEnded?(job: JobRecord): Promise<void>;
}

export interface RoundEngineOptions {
  registry: WorkerRegistry<TaskAssignment>;
  /** @defaultValue none */
  hooks?: RoundHooks;
  /** Stores each committed version in the model store (before `roundCommitted`). @defaultValue none */
  versions?: VersionStore;
  store: JobStore;
  payloads: PayloadStore;
  /**
   * Secure aggregation, for jobs that ask for it (the default). A coordinator whose kit has no HE
   * setup has none, and fails such jobs with a clear reason.
   * @defaultValue none
   */
  secureAggregation?: AggregationMode;
  /** How often health is checked while a round waits. @defaultValue 250 ms */
  pollMs?: number;
  /** Deadline of the evaluation phase after each round. @defaultValue min(round deadline, 30 s) */
  evaluationDeadlineMs?: number;
  log?: (line: string) => void;
}

export class RoundEngine {
  readonly #registry: WorkerRegistry<TaskAssignment>;
  readonly #store: JobStore;
  readonly #payloads: PayloadStore;
  readonly #secure: AggregationMode | undefined;
  readonly #pollMs: number;
  readonly #evalDeadlineMs: number | undefined;
  readonly #log: (line: string) => void;
  readonly #open = new Map<string, OpenTask>();
  readonly #hooks: RoundHooks;
  readonly #versions: VersionStore | undefined;
  /** Final weights per job, for the caller that wants to save the model. */
  readonly finalWeights = new Map<
    string,
    { model: ModelSpec; weights: Float32Array; inputShape: number[]; numClasses: number }
  >();

  constructor(options: RoundEngineOptions) {
    this.#registry = options.registry;
    this.#store = options.store;
    this.#payloads = options.payloads;
    this.#secure = options.secureAggregation;
    this.#pollMs = options.pollMs ?? 250;
    this.#evalDeadlineMs = options.evaluationDeadlineMs;
    this.#log = options.log ?? (() => {});
    this.#hooks = options.hooks ?? {};
    this.#versions = options.versions;
  }

  /** Runs a queued job to its end. Never throws for job-level failures: they end the job as failed. */
  async runJob(jobId: string, signal: AbortSignal, options: RunJobOptions = {}): Promise<JobRecord> {
    const job = this.#store.get(jobId);
    const spec = job.spec;
    const { resume } = options;
    this.#store.update(jobId, { state: 'running' });
    this.#store.emit(jobId, { type: 'job_started', rounds: spec.rounds });
    let model: tf.LayersModel | undefined;
    try {
      const mode = this.#aggregationFor(spec);
      const shape = await this.#waitForShape(spec, signal);
      await useTrainingBackend('wasm');
      model = await buildModel(spec.model, shape, spec.seed);
      const booked: CommittedRoundData[] = [];
      let parent = spec.fromVersion;
      let firstRound = 1;
      const jobEpsilon: Record<string, number> = {};
      if (resume) {
        setFlatWeights(model, await this.#storedWeights(resume.versionId, resume.stored, signal));
        parent = resume.versionId;
        firstRound = resume.round + 1;
        Object.assign(jobEpsilon, resume.epsilon);
        booked.push(...resume.booked);
        this.#store.update(jobId, {
          rounds: resume.rounds,
          roundsCompleted: resume.round,
          latestVersion: resume.versionId,
        });
        this.#log(`job ${jobId}: resuming after round ${resume.round} from ${resume.versionId}`);
        // Re-book what the previous replica committed (idempotent per job and round, see ResumePoint).
        for (const b of resume.booked)
          await this.#hooks.roundCommitted?.({ ...b, job: this.#store.get(jobId) });
      } else if (spec.fromVersion) {
        setFlatWeights(model, await this.#storedWeights(spec.fromVersion, undefined, signal));
      }
      let global = getFlatWeights(model);
      const strategy = createStrategy(spec.strategy.name, spec.strategy.params);
      const clientDp = spec.privacy.clientLevel
        ? new JobClientDp(spec, resume?.clientDp ?? [], options.priorAttempt ?? false)
        : undefined;
      for (let round = firstRound; round <= spec.rounds; round++) {
        if (signal.aborted) break;
        this.#store.update(jobId, { currentRound: round });
        const record = await this.#runRound(job, round, global, strategy, mode, signal, clientDp);
        if (!record) break; // cancelled
        global = record.next;
        const versionId = `${jobId}@${round}`;
        const sha256 = createHash('sha256')
          .update(Buffer.from(global.buffer, global.byteOffset, global.byteLength))
          .digest('hex');
        const evalMetrics = await this.#evaluate(job, round, global, signal);
        const summary: RoundRecord = {
          ...record.summary,
          version: versionId,
          metrics: { ...record.summary.metrics, ...evalMetrics },
          closedAt: Date.now(),
        };
        // Each dataset's spend this round: its new job total minus its previous one (RDP totals are
        // not additive, but these increments telescope to the exact total).
        const spends: Record<string, number> = {};
        for (const [d, e] of Object.entries(summary.epsilon))
          spends[d] = Math.max(0, e - (jobEpsilon[d] ?? 0));
        Object.assign(jobEpsilon, summary.epsilon);
        this.#store.addVersion(
          {
            versionId,
            jobId,
            round,
            ...(parent ? { parent } : {}),
            sha256,
            params: global.length,
            metrics: summary.metrics,
            epsilon: { ...jobEpsilon },
            createdAt: Date.now(),
          },
          global,
        );
        const stored = await this.#versions?.commit(
          {
            versionId,
            job: jobId,
            round,
            ...(parent ? { parent } : {}),
            model: spec.model,
            ...shape,
            weights: global,
            metrics: summary.metrics,
            epsilon: { ...jobEpsilon },
          },
          { signal },
        );
        const parentContentId = parent ? this.#versions?.contentIdOf(parent) : undefined;
        const committed: CommittedRoundData = {
          round,
          versionId,
          sha256,
          ...(stored ? { stored } : {}),
          ...(parent ? { parent } : {}),
          ...(parentContentId ? { parentContentId } : {}),
          metrics: summary.metrics,
          epsilon: { ...jobEpsilon },
          epsilonSpends: spends,
          participants: record.results.map((r) => ({
            workerId: r.workerId,
            fingerprint: this.#registry.get(r.workerId)?.fingerprint ?? '',
            numExamples: r.numExamples,
          })),
        };
        await this.#hooks.roundCommitted?.({ ...committed, job: this.#store.get(jobId) });
        booked.push(committed);
        parent = versionId;
        const j = this.#store.get(jobId);
        this.#store.update(jobId, {
          rounds: [...j.rounds, summary],
          roundsCompleted: round,
          latestVersion: versionId,
        });
        this.#store.emit(jobId, { type: 'round_closed', summary });
        await options.roundDone?.({
          round,
          versionId,
          ...(stored ? { stored } : {}),
          epsilon: { ...jobEpsilon },
          rounds: this.#store.get(jobId).rounds,
          booked,
          ...(clientDp ? { clientDp: clientDp.events() } : {}),
        });
      }
      if (signal.aborted) return this.#aborted(jobId, signal, options);
      const final = this.#store.get(jobId);
      this.finalWeights.set(jobId, { model: spec.model, weights: global, ...shape });
      this.#store.update(jobId, { state: 'completed' });
      this.#store.emit(jobId, {
        type: 'job_completed',
        finalVersion: final.latestVersion ?? '',
        finalMetrics: final.rounds[final.rounds.length - 1]?.metrics ?? {},
      });
    } catch (e) {
      if (signal.aborted) return this.#aborted(jobId, signal, options);
      const err =
        e instanceof AidocError ? e : makeError(`internal error: ${(e as Error).message}`, 'INTERNAL', {}, e);
      this.#log(`job ${jobId} failed: ${err.message}`);
      this.#store.update(jobId, { state: 'failed', reason: err.message, code: err.code });
      this.#store.emit(jobId, { type: 'job_failed', reason: err.message, code: err.code });
    } finally {
      model?.dispose();
      // A job handed over to another replica goes on there: its books stay open.
      const handedOver = signal.aborted && (options.isHandover?.(signal) ?? false);
      if (!handedOver) {
        await this.#hooks
          .jobEnded?.(this.#store.get(jobId))
          .catch((e: unknown) =>
            this.#log(`job ${jobId}: closing its books failed: ${(e as Error).message}`),
          );
      }
    }
    return this.#store.get(jobId);
  }

  /** A version's weights: held in memory when committed here, otherwise loaded from the model store. */
  async #storedWeights(
    versionId: string,
    ref: StoredVersionRef | undefined,
    signal: AbortSignal,
  ): Promise<Float32Array> {
    if (this.#store.hasVersionWeights(versionId)) return this.#store.versionWeights(versionId);
    if (!this.#versions) {
      throw makeError(
        `version ${versionId} was not committed by this coordinator, and it has no model store to load it from; start it with a model store (--store or --ipfs)`,
        'NOT_FOUND',
        { versionId },
      );
    }
    if (ref) this.#versions.remember(versionId, ref);
    return (await this.#versions.load(versionId, { signal })).weights;
  }

  /** Ends an aborted job as cancelled, or leaves it queued when the abort hands it over. */
  #aborted(jobId: string, signal: AbortSignal, options: RunJobOptions): JobRecord {
    if (options.isHandover?.(signal)) {
      const reason =
        signal.reason instanceof Error ? signal.reason.message : 'handed over to another coordinator replica';
      this.#log(`job ${jobId}: handed over (${reason})`);
      this.#store.update(jobId, { state: 'queued', reason });
      return this.#store.get(jobId);
    }
    return this.#cancelled(jobId, signal);
  }

  /** The job's aggregation mode: secure unless the job turned it off. */
  #aggregationFor(spec: JobSpec): AggregationMode {
    if (!spec.secureAggregation) return plainAggregation;
    if (this.#secure) return this.#secure;
    throw makeError(
      "the job asks for secure aggregation (the default), but this coordinator's kit has no HE setup: re-provision the federation with 'aidoc provision', or submit the job with secure aggregation off",
      'BACKEND_UNAVAILABLE',
    );
  }

  #cancelled(jobId: string, signal: AbortSignal): JobRecord {
    const reason =
      signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'cancelled');
    this.#store.update(jobId, { state: 'cancelled', reason });
    this.#store.emit(jobId, { type: 'job_cancelled', reason });
    return this.#store.get(jobId);
  }

  /** The dataset shape the job trains on, from the first eligible worker (waiting for one). */
  async #waitForShape(
    spec: JobSpec,
    signal: AbortSignal,
  ): Promise<{ inputShape: number[]; numClasses: number }> {
    const until = Date.now() + spec.quorumWaitMs;
    for (;;) {
      const w = this.#registry.eligible(spec.schemaId)[0];
      const d = w?.capabilities.datasets.find((x) => x.schemaId === spec.schemaId);
      if (d) return { inputShape: d.featureShape, numClasses: d.numClasses };
      if (Date.now() >= until || signal.aborted) {
        throw makeError(
          `no healthy worker holds a dataset with schema '${spec.schemaId}' (waited ${spec.quorumWaitMs} ms)`,
          'QUORUM_NOT_MET',
          { schemaId: spec.schemaId },
        );
      }
      await sleep(this.#pollMs, signal);
    }
  }

  async #runRound(
    job: JobRecord,
    round: number,
    global: Float32Array,
    strategy: AggregationStrategy,
    mode: AggregationMode,
    signal: AbortSignal,
    clientDp?: JobClientDp,
  ) {
    const spec = job.spec;
    const quorum = clientDpQuorum(spec, mode.quorum(spec));
    const excluded = new Set<string>();
    const allFailures: ClientFailure[] = [];
    const startedAt = Date.now();
    const ref = this.#payloads.put(global);
    try {
      for (let attempt = 1; attempt <= spec.maxAttempts; attempt++) {
        const selected = await this.#select(spec, round, attempt, excluded, mode, quorum, signal);
        if (signal.aborted) return undefined;
        const recordsOf = (id: string) =>
          this.#registry.get(id)?.capabilities.datasets.find((d) => d.schemaId === spec.schemaId)?.records ??
          0;
        // Client-level DP: every worker clips and noises for this attempt's m, k and D; the attempt
        // opens only with k contributions (k >= quorum), so the sum carries the promised noise.
        const dp = planClientDpAttempt(spec, selected.length, quorum, weightDenominator(selected, recordsOf));
        const attemptQuorum = dp?.round.minContributors ?? quorum;
        const trainConfig = strategy.configureTrain(round, {
          epochs: spec.localEpochs,
          batchSize: spec.batchSize,
          learningRate: spec.learningRate,
          proximalMu: 0,
          seed: spec.seed * 1_000_003 + round * 101 + attempt,
          ...(spec.privacy.mode === 'record'
            ? {
                privacy: {
                  targetEpsilon: spec.privacy.targetEpsilon,
                  delta: spec.privacy.delta,
                  clipNorm: spec.privacy.clipNorm,
                  ...(spec.privacy.noiseMultiplier !== undefined
                    ? { noiseMultiplier: spec.privacy.noiseMultiplier }
                    : {}),
                  totalRounds: spec.rounds,
                },
              }
            : {}),
        });
        const config = dp ? { ...trainConfig, clientDp: dp.round } : trainConfig;
        const aggregator = mode.begin({
          jobId: job.jobId,
          round,
          attempt,
          spec,
          workers: selected,
          valueCount: global.length,
          quorum: attemptQuorum,
          recordsOf,
          ...(dp ? { valueBound: dp.valueBound } : {}),
        });
        if (dp) clientDp?.attempted(dp.round);
        let meanDelta: Float32Array | undefined;
        let phase: Phase;
        try {
          phase = await this.#runPhase(
            job,
            round,
            'train',
            ref,
            global.length,
            selected,
            config,
            spec.roundDeadlineMs,
            attempt,
            signal,
            aggregator,
          );
          if (phase.results.length >= attemptQuorum && !signal.aborted) {
            try {
              meanDelta = await aggregator.mean({ signal, failures: phase.failures });
            } catch (e) {
              const failure = failureOf(e);
              if (!failure) throw e;
              // The aggregation itself failed (e.g. the opener dropped): data, and a retried round.
              // A worker already failed in this attempt (an opener that missed the deadline) is
              // recorded once; the round's `attempts` shows the retry.
              this.#log(`job ${job.jobId} round ${round} attempt ${attempt}: ${failure.detail}`);
              if (!phase.failures.some((f) => f.workerId === failure.workerId)) {
                phase.failures.push(failure);
                this.#registry.recordFailure(failure.workerId, {
                  jobId: job.jobId,
                  round,
                  kind: failure.kind,
                  detail: failure.detail,
                  at: Date.now(),
                });
                this.#store.emit(job.jobId, { type: 'worker_dropped', round, failure });
              }
            }
          }
        } finally {
          aggregator.dispose();
        }
        allFailures.push(...phase.failures);
        for (const f of phase.failures) excluded.add(f.workerId);
        if (signal.aborted) return undefined;
        if (meanDelta) {
          const next = strategy.aggregateTrain(round, {
            global,
            meanDelta,
            results: phase.results,
            failures: allFailures,
          });
          for (const r of phase.results) this.#registry.recordServed(r.workerId);
          const trainLoss = weightedMean(phase.results, 'loss');
          // What each participating dataset has spent on this job so far, as its worker accounts it.
          const epsilon: Record<string, number> = {};
          for (const r of phase.results) {
            const e = r.metrics.epsilon;
            const dataset = this.#registry
              .get(r.workerId)
              ?.capabilities.datasets.find((d) => d.schemaId === spec.schemaId);
            if (e !== undefined && dataset) epsilon[dataset.datasetId] = e;
          }
          const summary: RoundRecord = {
            round,
            participants: phase.results.map((r) => r.workerId),
            failures: allFailures,
            metrics: {
              ...(trainLoss === undefined ? {} : { train_loss: trainLoss }),
              ...(dp && clientDp ? clientDp.released(dp.round, phase.results.length) : {}),
            },
            epsilon,
            numExamples: phase.results.reduce((a, r) => a + r.numExamples, 0),
            startedAt,
            closedAt: Date.now(),
            version: '',
            attempts: attempt,
          };
          return { next, summary, results: phase.results };
        }
        this.#log(
          `job ${job.jobId} round ${round} attempt ${attempt}: ${phase.results.length} of ${attemptQuorum} updates${phase.results.length >= attemptQuorum ? ', aggregation failed' : ''}; retrying`,
        );
      }
      const reasons = allFailures.map((f) => `${f.workerId}: ${f.kind} (${f.detail})`).join('; ');
      throw makeError(
        `round ${round} could not reach its quorum of ${quorum} update(s) in ${spec.maxAttempts} attempt(s)${reasons ? `: ${reasons}` : ''}`,
        'QUORUM_NOT_MET',
        { round, failures: allFailures },
      );
    } finally {
      this.#payloads.delete(ref);
    }
  }

  /** Picks max(minWorkers, ceil(fraction * eligible)) eligible workers, waiting for enough to appear. */
  async #select(
    spec: JobSpec,
    round: number,
    attempt: number,
    excluded: Set<string>,
    mode: AggregationMode,
    quorum: number,
    signal: AbortSignal,
  ): Promise<string[]> {
    const until = Date.now() + spec.quorumWaitMs;
    for (;;) {
      const eligible = this.#registry
        .eligible(spec.schemaId)
        .filter((w) => mode.accepts(w) && clientDpAccepts(spec, w))
        .map((w) => w.workerId)
        .filter((id) => !excluded.has(id))
        .sort();
      if (eligible.length >= quorum) {
        const k = Math.min(eligible.length, Math.max(quorum, Math.ceil(spec.fraction * eligible.length)));
        const rng = createRng(spec.seed * 7919 + round * 31 + attempt);
        return rng.shuffle(eligible).slice(0, k);
      }
      if (Date.now() >= until || signal.aborted) {
        if (signal.aborted) return [];
        throw makeError(
          `round ${round}: only ${eligible.length} eligible worker(s) for schema '${spec.schemaId}'${mode === plainAggregation ? '' : ` that can take part in ${mode.name} aggregation`}, the job needs ${quorum}`,
          'QUORUM_NOT_MET',
          { round, eligible },
        );
      }
      await sleep(this.#pollMs, signal);
    }
  }

  async #runPhase(
    job: JobRecord,
    round: number,
    kind: TaskKind,
    ref: string,
    length: number,
    workers: string[],
    config: LocalTrainConfig,
    deadlineMs: number,
    attempt: number,
    signal: AbortSignal,
    aggregator?: RoundAggregator,
  ): Promise<Phase> {
    let wake: () => void = () => {};
    const phase: Phase = {
      jobId: job.jobId,
      round,
      kind,
      length,
      aggregator,
      results: [],
      failures: [],
      pending: new Set(workers),
      wake: () => wake(),
    };
    const deadline = Date.now() + deadlineMs;
    const tasks: OpenTask[] = workers.map((workerId) => ({
      workerId,
      phase,
      settled: false,
      assignment: {
        taskId: randomUUID(),
        jobId: job.jobId,
        round,
        kind,
        model: job.spec.model,
        schemaId: job.spec.schemaId,
        weightsRef: ref,
        config,
        validationFraction: job.spec.validationFraction,
        purpose: job.spec.purpose,
        deadline,
        nonce: randomBytes(16),
        updateEncoding: aggregator?.updateEncoding ?? 'plain',
        ...(aggregator?.taskExtension ? { extension: aggregator.taskExtension } : {}),
      },
    }));
    if (kind === 'train')
      this.#store.emit(job.jobId, { type: 'round_started', round, workers, deadline, attempt });
    for (const t of tasks) {
      this.#open.set(t.assignment.taskId, t);
      this.#registry.assign(t.workerId, t.assignment);
    }
    const sessions = new Map(workers.map((w) => [w, this.#registry.get(w)?.sessionId]));
    try {
      while (phase.pending.size > 0 && !signal.aborted) {
        const now = Date.now();
        if (now >= deadline) {
          for (const t of tasks)
            if (!t.settled)
              this.#fail(
                t,
                'timeout',
                `the round deadline of ${deadlineMs} ms passed before its ${kind === 'train' ? 'update' : 'evaluation'} arrived`,
              );
          break;
        }
        for (const t of tasks) {
          if (t.settled) continue;
          const w = this.#registry.get(t.workerId);
          if (!w || w.sessionId !== sessions.get(t.workerId))
            this.#fail(t, 'dropped', 'the worker re-registered (restarted) during the round');
          else if (this.#registry.health(w) === 'offline')
            this.#fail(t, 'dropped', 'the worker stopped heartbeating');
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(this.#pollMs, Math.max(1, deadline - now)));
        });
      }
    } finally {
      // Close the phase: from here on, anything for these tasks is late and rejected.
      aggregator?.close();
      for (const t of tasks) {
        if (!t.settled)
          this.#fail(t, 'cancelled', signal.aborted ? 'the job was cancelled' : 'the round closed');
        this.#open.delete(t.assignment.taskId);
        this.#registry.cancel(t.workerId, t.assignment.taskId);
      }
    }
    return phase;
  }

  #fail(t: OpenTask, kind: FailureKind, detail: string): void {
    if (t.settled) return;
    t.settled = true;
    const failure = { workerId: t.workerId, kind, detail };
    t.phase.pending.delete(t.workerId);
    if (t.phase.kind === 'train') {
      t.phase.failures.push(failure);
      this.#registry.recordFailure(t.workerId, {
        jobId: t.phase.jobId,
        round: t.phase.round,
        kind,
        detail,
        at: Date.now(),
      });
      this.#store.emit(t.phase.jobId, { type: 'worker_dropped', round: t.phase.round, failure });
    }
    t.phase.wake();
  }

  async #evaluate(
    job: JobRecord,
    round: number,
    weights: Float32Array,
    signal: AbortSignal,
  ): Promise<Record<string, number>> {
    const workers = this.#registry.eligible(job.spec.schemaId).map((w) => w.workerId);
    if (workers.length === 0 || job.spec.validationFraction === 0) return {};
    const ref = this.#payloads.put(weights);
    try {
      const deadlineMs = this.#evalDeadlineMs ?? Math.min(job.spec.roundDeadlineMs, 30_000);
      const config = {
        epochs: 1,
        batchSize: 256,
        learningRate: job.spec.learningRate,
        proximalMu: 0,
        seed: 0,
      };
      const phase = await this.#runPhase(
        job,
        round,
        'evaluate',
        ref,
        weights.length,
        workers,
        config,
        deadlineMs,
        1,
        signal,
      );
      const out: Record<string, number> = {};
      for (const key of ['accuracy', 'loss']) {
        const v = weightedMean(phase.results, key);
        if (v !== undefined) out[key] = v;
      }
      if (phase.results.length) out.eval_examples = phase.results.reduce((a, r) => a + r.numExamples, 0);
      return out;
    } finally {
      this.#payloads.delete(ref);
    }
  }

  #task(workerId: string, taskId: string, kind: TaskKind): OpenTask {
    const t = this.#open.get(taskId);
    if (!t) {
      throw makeError(
        `task ${taskId} is not open: its round has closed or it never existed; the late result is rejected`,
        'VERIFICATION_FAILED',
        { taskId },
      );
    }
    if (t.workerId !== workerId)
      throw makeError(`task ${taskId} was not assigned to ${workerId}`, 'PERMISSION_DENIED', { taskId });
    if (t.assignment.kind !== kind)
      throw makeError(`task ${taskId} is a ${t.assignment.kind} task, not ${kind}`, 'VERIFICATION_FAILED');
    if (t.settled)
      throw makeError(`task ${taskId} already has a result; a second one is rejected`, 'VERIFICATION_FAILED');
    return t;
  }

  /** Checks the claims every result makes about its task (job, round, nonce). */
  #checkClaims(t: OpenTask, s: { jobId: string; round: number; nonce: Buffer }): void {
    const a = t.assignment;
    if (s.jobId !== a.jobId || s.round !== a.round) {
      throw makeError(
        `result claims job ${s.jobId} round ${s.round}, but task ${a.taskId} is job ${a.jobId} round ${a.round}`,
        'VERIFICATION_FAILED',
      );
    }
    if (!a.nonce.equals(s.nonce))
      throw makeError(
        `result for task ${a.taskId} does not echo the task's nonce (a replay?)`,
        'VERIFICATION_FAILED',
      );
  }

  /**
   * Accepts a TRAIN result: the delta (local − global weights). A bad update is rejected whole
   * with the reason, recorded as the worker's failure, and the round goes on.
   */
  acceptUpdate(workerId: string, s: UpdateSubmission, delta: Float32Array): void {
    const t = this.#task(workerId, s.taskId, 'train');
    try {
      this.#checkClaims(t, s);
      this.#aggregatorOf(t).addPlain(workerId, delta, s.numExamples);
    } catch (e) {
      if (isError(e, 'VERIFICATION_FAILED')) this.#fail(t, 'rejected', e.message);
      throw e;
    }
    this.#joined(t, s);
  }

  /**
   * Starts a TRAIN result that arrives as a stream (CKKS ciphertexts): the job's aggregator adds it
   * as the bytes come. Anything it refuses fails the task as rejected with the reason; the round
   * goes on. `extension` is the update header's extension (e.g. the signed contribution header).
   */
  beginEncryptedUpdate(workerId: string, s: UpdateSubmission, extension: unknown): UpdateStream {
    const t = this.#task(workerId, s.taskId, 'train');
    const rejected = (e: unknown): void => {
      if (isError(e, 'VERIFICATION_FAILED') || isError(e, 'PERMISSION_DENIED'))
        this.#fail(t, 'rejected', e.message);
    };
    let stream: UpdateStream;
    try {
      this.#checkClaims(t, s);
      stream = this.#aggregatorOf(t).beginStream(workerId, s.numExamples, extension);
    } catch (e) {
      rejected(e);
      throw e;
    }
    return {
      write: (chunk) => {
        try {
          stream.write(chunk);
        } catch (e) {
          rejected(e);
          throw e;
        }
      },
      end: () => {
        if (t.settled) {
          // The task failed meanwhile (a second stream, the deadline): this update must not count.
          stream.abort();
          throw makeError(
            `task ${s.taskId} already has a result or failed; the update is rejected`,
            'VERIFICATION_FAILED',
          );
        }
        try {
          stream.end();
        } catch (e) {
          rejected(e);
          throw e;
        }
        this.#joined(t, s);
      },
      abort: () => stream.abort(),
    };
  }

  #aggregatorOf(t: OpenTask): RoundAggregator {
    const a = t.phase.aggregator;
    if (!a) throw makeError(`task ${t.assignment.taskId} takes no update`, 'INTERNAL');
    return a;
  }

  #joined(t: OpenTask, s: UpdateSubmission): void {
    t.settled = true;
    t.phase.pending.delete(t.workerId);
    t.phase.results.push({ workerId: t.workerId, numExamples: s.numExamples, metrics: s.metrics });
    this.#store.emit(t.phase.jobId, { type: 'worker_joined', round: t.phase.round, workerId: t.workerId });
    t.phase.wake();
  }

  acceptEvaluation(workerId: string, s: UpdateSubmission): void {
    const t = this.#task(workerId, s.taskId, 'evaluate');
    this.#checkClaims(t, s);
    t.settled = true;
    t.phase.pending.delete(workerId);
    if (s.numExamples > 0) t.phase.results.push({ workerId, numExamples: s.numExamples, metrics: s.metrics });
    t.phase.wake();
  }

  /** A worker reports that it could not do its task (e.g. training failed, budget refused). */
  acceptFailure(workerId: string, taskId: string, detail: string): void {
    const t = this.#task(workerId, taskId, this.#open.get(taskId)?.assignment.kind ?? 'train');
    this.#fail(t, 'error', detail);
  }

  /**
   * The transport found an update malformed (wrong encoding, truncated or reordered chunks, digest
   * mismatch) before it could be read: the task fails as rejected with that reason.
   */
  rejectUpdate(workerId: string, taskId: string, detail: string): void {
    const t = this.#open.get(taskId);
    if (t && t.workerId === workerId && !t.settled) this.#fail(t, 'rejected', detail);
  }

  /** The expected length of a task's update, for the transport to check before assembling. */
  expectedLength(taskId: string): number | undefined {
    return this.#open.get(taskId)?.phase.length;
  }

  /** How a task's update must be encoded, for the transport to pick the receiving path. */
  expectedEncoding(taskId: string): UpdateEncoding | undefined {
    return this.#open.get(taskId)?.assignment.updateEncoding;
  }
}

function weightedMean(results: ClientResult[], key: string): number | undefined {
  let sum = 0;
  let n = 0;
  for (const r of results) {
    const v = r.metrics[key];
    if (v === undefined || !Number.isFinite(v)) continue;
    sum += v * r.numExamples;
    n += r.numExamples;
  }
  return n > 0 ? sum / n : undefined;
}
