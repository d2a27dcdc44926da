/**
 * The coordinator process: the gRPC server (mutual TLS from its kit), the worker registry, the
 * round engine and a job runner. It holds no key that can decrypt anything and never dials a
 * hospital: workers dial in and pull their tasks.
 *
 * Secure aggregation is set up from the kit's manifest alone (`extensions.ckks`: the BGV
 * parameters and the hospitals' registered public keys). Nothing here reads a key file, and the
 * coordinator kit holds none that decrypts (privacy/he-kit.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Kit } from '../common/pki-kit.js';
import { hasHeSetup, readHePublicSetup } from '../privacy/he-kit.js';
import { compileJobSpec, type JobSpecInput } from './job-spec.js';
import { JobStore, type JobRecord } from './job-store.js';
import { createAdminService, createJobService, type JobRunner } from './job-service.js';
import { PayloadStore, RoundEngine, type RoundHooks, type TaskAssignment } from './round-engine.js';
import type { VersionStore } from '../model-registry/version-store.js';
import { createGrpcServer, type GrpcServer } from './transport/grpc-server.js';
import {
  createSecureAggregation,
  type SecureAggregation,
  type SecureAggregationOptions,
} from './secure-aggregation.js';
import { createWorkerService } from './worker-service.js';
import { WorkerRegistry, type WorkerRegistryOptions } from './worker-registry.js';

export interface CoordinatorOptions {
  kit: Pick<Kit, 'certPem' | 'keyPem' | 'caPem' | 'manifest'>;
  /** `host:port` to listen on; port 0 picks a free one. @defaultValue the kit's listenAddress */
  address?: string;
  registry?: WorkerRegistryOptions;
  /** How often a waiting round re-checks worker health. @defaultValue 250 ms */
  pollMs?: number;
  /** Book-keeping (e.g. the ledger): escrow at submission, per-round records, refunds. @defaultValue none */
  hooks?: CoordinatorHooks;
  /** Stores every committed version in the model store, for the ledger and `aidoc model pull`. @defaultValue none */
  versions?: VersionStore;
  /**
   * Secure-aggregation settings. Secure aggregation is available whenever the kit carries the
   * federation's HE setup; jobs use it unless they turn it off.
   * @defaultValue the defaults of {@link SecureAggregationOptions}
   */
  secureAggregation?: Pick<
    SecureAggregationOptions,
    'valueBound' | 'valuesPerSlot' | 'openDeadlineMs' | 'adversary'
  >;
  /** @defaultValue no logging */
  log?: (line: string) => void;
}

export interface CoordinatorHooks extends RoundHooks {
  /** Called before a job is queued; throwing refuses the submission with that error. */
  jobSubmitted?(job: JobRecord): Promise<void>;
}

export interface Coordinator {
  server: GrpcServer;
  store: JobStore;
  registry: WorkerRegistry<TaskAssignment>;
  engine: RoundEngine;
  runner: JobRunner;
  /** Secure aggregation (absent when the kit has no HE setup). */
  secure?: SecureAggregation;
  /** Resolves when the job ends (completed, failed or cancelled). */
  finished(jobId: string): Promise<JobRecord>;
  close(): Promise<void>;
}

/** Runs each submitted job right away in this process (the embedded default; a queue replaces it). */
class InProcessRunner implements JobRunner {
  readonly #running = new Map<string, { controller: AbortController; done: Promise<JobRecord> }>();

  constructor(
    private readonly store: JobStore,
    private readonly engine: RoundEngine,
    private readonly hooks: CoordinatorHooks,
  ) {}

  async submit(vendor: string, input: JobSpecInput): Promise<JobRecord> {
    const spec = compileJobSpec(input);
    const now = Date.now();
    const job: JobRecord = {
      jobId: `job-${randomUUID().slice(0, 8)}`,
      vendor,
      spec,
      state: 'queued',
      currentRound: 0,
      roundsCompleted: 0,
      createdAt: now,
      updatedAt: now,
      rounds: [],
    };
    this.store.create(job);
    try {
      await this.hooks.jobSubmitted?.(job);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.store.update(job.jobId, {
        state: 'failed',
        reason,
        code: (e as { code?: string }).code ?? 'INTERNAL',
      });
      this.store.emit(job.jobId, {
        type: 'job_failed',
        reason,
        code: (e as { code?: string }).code ?? 'INTERNAL',
      });
      throw e;
    }
    const controller = new AbortController();
    const done = this.engine.runJob(job.jobId, controller.signal);
    this.#running.set(job.jobId, { controller, done });
    return job;
  }

  cancel(jobId: string, reason: string): void {
    this.#running.get(jobId)?.controller.abort(new Error(reason));
  }

  finished(jobId: string): Promise<JobRecord> {
    const r = this.#running.get(jobId);
    return r ? r.done : Promise.resolve(this.store.get(jobId));
  }

  async stopAll(): Promise<void> {
    for (const r of this.#running.values()) r.controller.abort(new Error('the coordinator is shutting down'));
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const registry = new WorkerRegistry<TaskAssignment>(options.registry);
  const store = new JobStore();
  const payloads = new PayloadStore();
  const secure = hasHeSetup(options.kit.manifest)
    ? await createSecureAggregation({
        ...options.secureAggregation,
        setup: readHePublicSetup(options.kit.manifest),
        registry,
        payloads,
        log: options.log,
      })
    : undefined;
  const engine = new RoundEngine({
    registry,
    store,
    payloads,
    pollMs: options.pollMs,
    log: options.log,
    hooks: options.hooks,
    versions: options.versions,
    ...(secure ? { secureAggregation: secure } : {}),
  });
  const runner = new InProcessRunner(store, engine, options.hooks ?? {});
  const server = await createGrpcServer({
    kit: options.kit,
    address: options.address,
    services: {
      WorkerService: createWorkerService({ registry, engine, payloads, ...(secure ? { secure } : {}) }),
      JobService: createJobService({ store, runner }),
      AdminService: createAdminService({ registry }),
    },
  });
  return {
    server,
    store,
    registry,
    engine,
    runner,
    ...(secure ? { secure } : {}),
    finished: (jobId) => runner.finished(jobId),
    async close() {
      await runner.stopAll();
      await server.close(1000);
      secure?.close();
    },
  };
}
