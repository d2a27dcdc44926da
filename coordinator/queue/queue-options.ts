/**
 * Options of a job queue, and the one place that validates them and fills defaults. Both
 * implementations take the compiled form; fields only one of them uses say so.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { assertArgument, makeError } from '../../common/errors.js';

export interface JobQueueOptions {
  /**
   * Queue name. Replicas with the same name (and Redis) share jobs. Letters, digits, '.', '_', '-'.
   * @defaultValue 'aidoc-jobs'
   */
  name?: string;
  /**
   * `redis://[user:password@]host:port[/db]`. Without it the queue is in-process: jobs live in this
   * process only and are lost when it exits. An empty string counts as absent.
   * @defaultValue undefined (in-process)
   */
  redisUrl?: string;
  /**
   * Handler runs per job (the first included) before a job whose handler keeps throwing retryable
   * errors fails. Recoveries from a dead replica do not count here (see `maxRecoveries`).
   * @defaultValue 3
   */
  attempts?: number;
  /** Wait before retrying after a retryable error. @defaultValue 1,000 ms */
  retryDelayMs?: number;
  /**
   * Redis only. How long a replica's claim on a running job lasts without renewal (renewed every
   * half of it while the replica is alive). A Redis outage shorter than about half of this does
   * not cost a running job its claim. @defaultValue 30,000 ms
   */
  lockDurationMs?: number;
  /**
   * Redis only. How often each replica looks for jobs whose claim expired. A dead replica's job is
   * picked up by another replica within lockDurationMs + stalledIntervalMs. @defaultValue 30,000 ms
   */
  stalledIntervalMs?: number;
  /**
   * Redis only. How many times one job may be recovered from a dead replica before it fails
   * (a job that kills every replica it runs on must not take the whole deployment down).
   * @defaultValue 2
   */
  maxRecoveries?: number;
  /**
   * Redis only. How often a running job re-reads its cancel flag, in case the cancel message on
   * the pub/sub channel was missed during a disconnect. @defaultValue 1,000 ms
   */
  cancelPollMs?: number;
  /** Redis only. First segment of every Redis key and channel of the queue. @defaultValue 'aidoc' */
  prefix?: string;
  /** Names this replica in events and logs. @defaultValue '<hostname>-<pid>-<4 random hex>' */
  replicaId?: string;
  /** Where the queue reports what it is and does. @defaultValue a line on stderr */
  log?: (line: string) => void;
}

export type CompiledJobQueueOptions = Required<Omit<JobQueueOptions, 'redisUrl'>> & {
  redisUrl: string | undefined;
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const schema = z
  .object({
    name: z.string().regex(NAME, "use 1-128 of A-Z a-z 0-9 . _ - (no ':')").default('aidoc-jobs'),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    attempts: z.number().int().min(1).max(100).default(3),
    retryDelayMs: z.number().int().min(0).max(3_600_000).default(1000),
    lockDurationMs: z.number().int().min(500).max(3_600_000).default(30_000),
    stalledIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
    maxRecoveries: z.number().int().min(0).max(100).default(2),
    cancelPollMs: z.number().int().min(50).max(600_000).default(1000),
    prefix: z.string().regex(NAME, "use A-Z a-z 0-9 . _ - (no ':')").default('aidoc'),
    replicaId: z.string().min(1).max(200).optional(),
    log: z.custom<(line: string) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();

/** Validates and fills defaults; throws INVALID_ARGUMENT listing every problem. */
export function compileJobQueueOptions(options: JobQueueOptions = {}): CompiledJobQueueOptions {
  // An empty URL (an unset environment variable spelled out) means no Redis, as absent does.
  const parsed = schema.safeParse(options.redisUrl === '' ? { ...options, redisUrl: undefined } : options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw makeError(
      `invalid job queue options:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'INVALID_ARGUMENT',
      { problems },
    );
  }
  const o = parsed.data;
  return {
    ...o,
    redisUrl: o.redisUrl,
    replicaId: o.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`,
    log: o.log ?? ((line: string) => process.stderr.write(`[job-queue] ${line}\n`)),
  };
}

/** Throws INVALID_ARGUMENT unless `jobId` is usable as a queue id (see QueueJob.jobId). */
export function assertJobId(jobId: unknown): asserts jobId is string {
  assertArgument(
    typeof jobId === 'string' && NAME.test(jobId) && !/^\d+$/.test(jobId),
    `invalid job id ${JSON.stringify(jobId)}: use 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit, not all digits`,
    { jobId },
  );
}
