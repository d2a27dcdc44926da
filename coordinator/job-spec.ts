/**
 * A training job as the coordinator runs it, and the one place that turns a vendor's request into
 * a validated, fully-defaulted spec. Every problem is listed at once (INVALID_JOB_SPEC); a job
 * that fails here is never queued, and never retried.
 */
import { z } from 'zod';
import { makeError } from '../common/errors.js';
import { checkStrategySpec } from './create-strategy.js';
import { calibrateClientDp } from '../privacy/client-dp.js';
import { computeEpsilon } from '../privacy/rdp-accountant.js';
import type { ModelSpec } from '../training/model-spec.js';

/** The consent purpose of a job that names none. */
export const DEFAULT_PURPOSE = 'medical-research';
/** What a purpose may look like (the ConsentRegistry stores its keccak256; owners type it). */
export const PURPOSE_PATTERN = /^[a-z0-9][a-z0-9._/:-]{0,127}$/;

const modelSchema = z.union([
  z.object({ builtin: z.string().min(1) }).strict(),
  z.object({ topology: z.unknown() }).strict(),
]);

export const jobSpecSchema = z
  .object({
    /** A label for humans. @defaultValue 'job' */
    name: z.string().max(200).default('job'),
    model: modelSchema,
    /** Only workers holding a dataset with this schema id take part. */
    schemaId: z.string().min(1, 'schemaId is required (the dataset schema the job trains on)'),
    /** @defaultValue 10 */
    rounds: z.number().int().min(1).max(100_000).default(10),
    /** Local epochs per round. @defaultValue 1 */
    localEpochs: z.number().int().min(1).max(1000).default(1),
    /** @defaultValue 16 */
    batchSize: z.number().int().min(1).max(65_536).default(16),
    /** Local learning rate. @defaultValue 0.05 */
    learningRate: z.number().positive().max(100).default(0.05),
    /** @defaultValue { name: 'fedavg', params: {} } */
    strategy: z
      .object({ name: z.string().default('fedavg'), params: z.record(z.string(), z.number()).default({}) })
      .default({ name: 'fedavg', params: {} }),
    /** Fewest updates a round may close with. @defaultValue 1 */
    minWorkers: z.number().int().min(1).default(1),
    /** Fraction of eligible workers sampled per round, in (0, 1]. @defaultValue 1 */
    fraction: z.number().gt(0).max(1).default(1),
    /** Time a selected worker has to deliver its update. @defaultValue 60,000 */
    roundDeadlineMs: z.number().int().min(100).max(86_400_000).default(60_000),
    /** Attempts per round (the first plus retries with other workers). @defaultValue 3 */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** How long a round waits for enough eligible workers before the job fails. @defaultValue 30,000 */
    quorumWaitMs: z.number().int().min(0).default(30_000),
    /** Share of each worker's records kept for local evaluation. @defaultValue 0.2 */
    validationFraction: z.number().min(0).lt(1).default(0.2),
    /** Seeds initial weights, sampling and local shuffling (never privacy noise). @defaultValue 0 */
    seed: z.number().int().min(0).default(0),
    /**
     * Differential privacy. `record` (the default): every worker runs DP-SGD and calibrates its noise
     * so the whole job (all rounds, all local steps) stays within `targetEpsilon` at `delta` for each
     * of its patients; `none` trains without DP and must be asked for explicitly.
     * @defaultValue { mode: 'record', targetEpsilon: 1, delta: 1e-5, clipNorm: 1 }
     */
    privacy: z
      .object({
        mode: z.enum(['record', 'none']).default('record'),
        targetEpsilon: z.number().positive().max(1000).default(1),
        delta: z.number().gt(0).lt(1).default(1e-5),
        clipNorm: z.number().positive().default(1),
        /** Fixed sigma instead of calibrating from targetEpsilon. */
        noiseMultiplier: z.number().nonnegative().optional(),
        /**
         * Client-level DP (docs/privacy.md), independent of `mode`: each worker clips its round update
         * and adds its share of Gaussian noise before it is encrypted, so every opened sum is the
         * Gaussian mechanism with sensitivity one hospital's whole contribution. Give
         * `noiseMultiplier` (sigma), or `targetEpsilon` and sigma is calibrated for the job's rounds
         * (both: sigma must keep the job within the target).
         * @defaultValue off
         */
        clientLevel: z
          .object({
            /** S: the L2 clip of a delta for a worker with an equal share of the round's records. */
            clipNorm: z
              .number()
              .positive('must be > 0 (the L2 norm an update is clipped to)')
              .finite('must be finite'),
            /** sigma: noise stddev of an opened sum over its sensitivity S/m. */
            noiseMultiplier: z
              .number()
              .positive('must be > 0 (client-level DP without noise protects nothing)')
              .finite('must be finite')
              .optional(),
            /** Epsilon the whole job may spend at client level; sigma is calibrated from it. */
            targetEpsilon: z.number().positive('must be > 0').max(1000, 'must be <= 1000').optional(),
            /** @defaultValue 1e-5 (keep it below 1 / the number of hospitals) */
            delta: z.number().gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)').default(1e-5),
            /**
             * k: the fewest contributions a round opens. Each worker adds the noise share of 1/k, so
             * a sum of k or more carries at least sigma; rounds with fewer are retried. Lower than the
             * workers selected, it tolerates dropouts at the cost of more noise per worker.
             * @defaultValue every worker selected for the round
             */
            minContributors: z
              .number()
              .int('must be a whole number')
              .min(1, 'must be >= 1')
              .max(1024, 'must be <= 1024')
              .optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ mode: 'record', targetEpsilon: 1, delta: 1e-5, clipNorm: 1 }),
    /** Fee per round in AIDOC base units (a decimal integer string); "0" means no fee and no escrow. @defaultValue '0' */
    feePerRound: z
      .string()
      .regex(
        /^\d{1,40}$/,
        'must be a whole number of AIDOC base units, e.g. "1000000000000000000" for 1 AIDOC',
      )
      .default('0'),
    /**
     * Aggregate updates under homomorphic encryption: the coordinator sums ciphertexts it cannot
     * read, and one participating hospital opens only the verified sum (docs/secure-aggregation.md).
     * Turn it off only where the coordinator may see each hospital's update.
     * @defaultValue true
     */
    secureAggregation: z.boolean().default(true),
    /**
     * What the records are used for: workers train only on records whose owners granted this
     * purpose on the ledger's ConsentRegistry (`aidoc owner consent grant --purpose ...`).
     * @defaultValue DEFAULT_PURPOSE ('medical-research')
     */
    purpose: z
      .string()
      .regex(
        PURPOSE_PATTERN,
        'must be 1 to 128 characters: lowercase letters, digits and - _ . / :, starting with a letter or digit (e.g. "medical-research" or "research/breast-cancer")',
      )
      .default(DEFAULT_PURPOSE),
    /** Start from these weights (a committed version) instead of fresh ones. */
    fromVersion: z.string().optional(),
  })
  .strict();

export type JobSpecInput = z.input<typeof jobSpecSchema>;
type ParsedJobSpec = z.output<typeof jobSpecSchema>;

/** Client-level DP as the coordinator runs it: sigma is always resolved. */
export interface ClientLevelDp {
  clipNorm: number;
  /** sigma, as given or calibrated from `targetEpsilon` for the job's rounds. */
  noiseMultiplier: number;
  targetEpsilon?: number;
  delta: number;
  minContributors?: number;
}

export type JobSpec = Omit<ParsedJobSpec, 'model' | 'privacy'> & {
  model: ModelSpec;
  privacy: Omit<ParsedJobSpec['privacy'], 'clientLevel'> & { clientLevel?: ClientLevelDp };
};

/** Validates and fills defaults; throws INVALID_JOB_SPEC listing every problem. */
export function compileJobSpec(input: unknown): JobSpec {
  const parsed = jobSpecSchema.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || 'spec'}: ${issue.message}`);
  } else {
    problems.push(
      ...checkStrategySpec(parsed.data.strategy.name, parsed.data.strategy.params).map(
        (p) => `strategy: ${p}`,
      ),
    );
  }
  const clientLevel = parsed.success ? resolveClientLevel(parsed.data, problems) : undefined;
  if (problems.length > 0 || !parsed.success) {
    throw makeError(
      `the job spec is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'INVALID_JOB_SPEC',
      { problems },
    );
  }
  const { clientLevel: _given, ...privacy } = parsed.data.privacy;
  return { ...parsed.data, privacy: { ...privacy, ...(clientLevel ? { clientLevel } : {}) } };
}

/** Resolves sigma of client-level DP (calibrated for the job's rounds), or records why it cannot. */
function resolveClientLevel(spec: ParsedJobSpec, problems: string[]): ClientLevelDp | undefined {
  const c = spec.privacy.clientLevel;
  if (!c) return undefined;
  const where = 'privacy.clientLevel';
  const base = {
    clipNorm: c.clipNorm,
    delta: c.delta,
    ...(c.targetEpsilon !== undefined ? { targetEpsilon: c.targetEpsilon } : {}),
    ...(c.minContributors !== undefined ? { minContributors: c.minContributors } : {}),
  };
  if (c.targetEpsilon === undefined) {
    if (c.noiseMultiplier === undefined) {
      problems.push(
        `${where}: give noiseMultiplier (sigma), or targetEpsilon to have sigma calibrated for the job's ${spec.rounds} round(s)`,
      );
      return undefined;
    }
    return { ...base, noiseMultiplier: c.noiseMultiplier };
  }
  let calibrated: number;
  try {
    calibrated = calibrateClientDp({ targetEpsilon: c.targetEpsilon, delta: c.delta, rounds: spec.rounds });
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
    return undefined;
  }
  if (c.noiseMultiplier === undefined) return { ...base, noiseMultiplier: calibrated };
  if (c.noiseMultiplier < calibrated) {
    const spent = calibrateSpend(c.noiseMultiplier, c.delta, spec.rounds);
    problems.push(
      `${where}: noiseMultiplier ${c.noiseMultiplier} spends epsilon ${spent.toPrecision(4)} over ${spec.rounds} round(s), above targetEpsilon ${c.targetEpsilon}; raise it to at least ${calibrated.toPrecision(6)} or drop it to have sigma calibrated`,
    );
    return undefined;
  }
  return { ...base, noiseMultiplier: c.noiseMultiplier };
}

function calibrateSpend(sigma: number, delta: number, rounds: number): number {
  return computeEpsilon({ noiseMultiplier: sigma, sampleRate: 1, steps: rounds, delta }).epsilon;
}
