/**
 * The coordinator process: the gRPC server (mutual TLS from its kit), the worker registry, the
 * round engine and a job runner. It holds no key that can decrypt anything and never dials a
 * hospital: workers dial in and pull their tasks.
 *
 * Secure aggregation is set up from the kit's manifest alone (`extensions.ckks`: the BGV
 * parameters and the hospitals' registered public keys). Nothing here reads a key file, and the
 * coordinator kit holds none that decrypts (privacy/he-kit.ts).
 */
import { makeError } from '../common/errors.js';
import type { Kit } from '../common/pki-kit.js';
import { hasHeSetup, readHePublicSetup } from '../privacy/he-kit.js';
import { JobStore, type JobRecord } from './job-store.js';
import { createAdminService, createJobService } from './job-service.js';
import { QueueRunner, type CoordinatorQueue } from './queue-runner.js';
import type { ReplicaDirectory } from './replica-directory.js';
import { createJobQueue } from './queue/create-job-queue.js';
import type { JobQueueOptions } from './queue/queue-options.js';
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
  /**
   * The job queue: in-process unless `redisUrl` is set, in which case every replica with the same
   * Redis and queue name shares the jobs, and a job whose replica dies resumes on another (needs
   * `versions`: a resumed job loads its last committed version from the model store).
   * @defaultValue the in-process queue
   */
  queue?: JobQueueOptions;
  /** Jobs this replica runs at once. @defaultValue 4 */
  concurrency?: number;
  /**
   * With a shared queue: the directory of live replicas workers discover (WorkerService.Discover),
   * made once the server's address is known. @defaultValue none: workers keep their one session
   */
  replicas?: (address: string) => Promise<ReplicaDirectory>;
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
  runner: QueueRunner;
  queue: CoordinatorQueue;
  /** Secure aggregation (absent when the kit has no HE setup). */
  secure?: SecureAggregation;
  /** Resolves when the job ends (completed, failed or cancelled). */
  finished(jobId: string): Promise<JobRecord>;
  close(): Promise<void>;
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
  const queueOptions = options.queue ?? {};
  if (queueOptions.redisUrl && !options.versions) {
    throw makeError(
      "a coordinator sharing a Redis queue needs a model store: replicas resume each other's jobs from the stored versions",
      'INVALID_ARGUMENT',
    );
  }
  const queue: CoordinatorQueue = await createJobQueue({
    ...queueOptions,
    log: queueOptions.log ?? options.log ?? (() => {}),
  });
  const runner = new QueueRunner({
    queue,
    store,
    engine,
    hooks: options.hooks ?? {},
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  // Known once the server listens (its address is advertised); Discover reads it through this.
  const directory: { current?: ReplicaDirectory } = {};
  const server = await createGrpcServer({
    kit: options.kit,
    address: options.address,
    services: {
      WorkerService: createWorkerService({
        registry,
        engine,
        payloads,
        ...(secure ? { secure } : {}),
        replicas: () => directory.current,
      }),
      JobService: createJobService({ store, runner }),
      AdminService: createAdminService({ registry }),
    },
  });
  // Take jobs only once workers can reach this replica.
  const replicas = await options.replicas?.(server.address);
  directory.current = replicas;
  await runner.start();
  return {
    server,
    store,
    registry,
    engine,
    runner,
    queue,
    ...(secure ? { secure } : {}),
    finished: (jobId) => runner.finished(jobId),
    async close() {
      await replicas?.close();
      await runner.stopAll();
      await queue.close();
      await server.close(1000);
      secure?.close();
    },
  };
}
