/**
 * A hospital's privacy budget, kept by its worker: the RDP curve each dataset has spent over every
 * job and round, and per job, in a file that survives restarts. A round that would take a dataset
 * past the cap its hospital set is refused BEFORE training, and a spend is written (fsynced) before
 * the update it pays for leaves the worker, so a crash can over-count but never under-count.
 *
 * Alongside each RDP curve it keeps mu^2 = sum steps/sigma^2 for as long as every step charged to
 * that curve was full-batch (q = 1): such steps compose exactly into one Gaussian mechanism, whose
 * exact (epsilon, delta) (privacy/gaussian-accounting.ts) is used then; it is never above the RDP
 * bound, and both are valid, so the smaller is reported. One subsampled step (q < 1), or a curve
 * from a file written before this field existed, turns it off for good (RDP only).
 */
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeError } from '../common/errors.js';
import { gaussianEpsilon } from '../privacy/gaussian-accounting.js';
import { createRdpAccountant, type RdpAccountant } from '../privacy/rdp-accountant.js';

interface Curve {
  orders: number[];
  rdp: number[];
  /**
   * sum of steps/sigma^2 over the charged steps while all were full-batch; null (or absent: a file
   * from before) once any step was not, or when that is unknown.
   */
  gaussianMuSquared?: number | null;
}

interface BudgetFile {
  version: 1;
  datasets: Record<string, { total: Curve; jobs: Record<string, Curve> }>;
}

export interface RoundSpend {
  datasetId: string;
  jobId: string;
  noiseMultiplier: number;
  sampleRate: number;
  steps: number;
  delta: number;
}

export interface SpendResult {
  /** The dataset's epsilon over all jobs after this round. */
  datasetEpsilon: number;
  /** The job's epsilon for this dataset after this round. */
  jobEpsilon: number;
}

export interface SpendPreview extends SpendResult {
  /** The job's epsilon for this dataset before this round. */
  jobEpsilonBefore: number;
}

export class PrivacyBudget {
  #state: BudgetFile = { version: 1, datasets: {} };

  private constructor(
    readonly file: string | undefined,
    /** The hospital's cap on each dataset's total epsilon. */
    readonly cap: number,
  ) {}

  /** Opens (or creates) the budget file; without a file the budget lives in memory only. */
  static async open(file: string | undefined, cap: number): Promise<PrivacyBudget> {
    if (!(cap > 0)) throw makeError(`the epsilon cap must be > 0, got ${cap}`, 'INVALID_ARGUMENT');
    const b = new PrivacyBudget(file, cap);
    if (file) {
      try {
        b.#state = JSON.parse(await readFile(file, 'utf8')) as BudgetFile;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw makeError(
            `cannot read the privacy budget file ${file}: ${(e as Error).message}; refusing to train without knowing what was spent`,
            'INVALID_ARGUMENT',
            { file },
          );
        }
      }
    }
    return b;
  }

  #accountant(curve: Curve | undefined): RdpAccountant {
    return createRdpAccountant(curve ? { orders: curve.orders, rdp: curve.rdp } : {});
  }

  /** Epsilon of a curve at `delta`: RDP, or the exact Gaussian one when all its steps were q = 1. */
  #epsilon(curve: Curve | undefined, delta: number): number {
    if (!curve) return 0;
    const rdp = this.#accountant(curve).getEpsilon(delta).epsilon;
    const mu2 = curve.gaussianMuSquared;
    if (typeof mu2 !== 'number') return rdp;
    return Math.min(rdp, gaussianEpsilon(Math.sqrt(mu2), delta));
  }

  /** Epsilon spent so far by a dataset (all jobs) at `delta`. */
  spent(datasetId: string, delta: number): number {
    return this.#epsilon(this.#state.datasets[datasetId]?.total, delta);
  }

  /** The RDP curve a job has spent on a dataset so far (undefined before its first round). */
  jobCurve(datasetId: string, jobId: string): Readonly<Curve> | undefined {
    return this.#state.datasets[datasetId]?.jobs[jobId];
  }

  /**
   * What `charge` would leave the dataset and the job at, without charging or checking anything:
   * the job's increment (`jobEpsilon - jobEpsilonBefore`) is what the coordinator records on the
   * chain for this round.
   */
  preview(s: RoundSpend): SpendPreview {
    const d = this.#state.datasets[s.datasetId];
    const step = { noiseMultiplier: s.noiseMultiplier, sampleRate: s.sampleRate, steps: s.steps };
    const jobBefore = this.#accountant(d?.jobs[s.jobId]);
    return {
      datasetEpsilon: this.#accountant(d?.total).compose(step).getEpsilon(s.delta).epsilon,
      jobEpsilon: this.#accountant(d?.jobs[s.jobId]).compose(step).getEpsilon(s.delta).epsilon,
      jobEpsilonBefore: d?.jobs[s.jobId] ? jobBefore.getEpsilon(s.delta).epsilon : 0,
    };
  }

  /**
   * What charging this round would bring the dataset and the job to, or PRIVACY_BUDGET_EXHAUSTED
   * if it would pass the cap or the job's target. Charges nothing: a worker checks before training
   * and charges (`charge`) only once its update is about to leave, so a round cancelled before
   * anything was released costs nothing.
   */
  check(s: RoundSpend, jobTarget: number): SpendResult {
    return this.#compose(s, jobTarget).result;
  }

  /**
   * Charges one round to the dataset and the job, durably, or refuses with PRIVACY_BUDGET_EXHAUSTED
   * (and charges nothing) if the dataset's total would pass the cap or the job's would pass `jobTarget`.
   */
  async charge(s: RoundSpend, jobTarget: number): Promise<SpendResult> {
    const { next, result } = this.#compose(s, jobTarget);
    this.#state.datasets[s.datasetId] = next;
    await this.#save();
    return result;
  }

  #compose(s: RoundSpend, jobTarget: number) {
    const d = this.#state.datasets[s.datasetId] ?? { total: undefined as unknown as Curve, jobs: {} };
    const step = { noiseMultiplier: s.noiseMultiplier, sampleRate: s.sampleRate, steps: s.steps };
    const next = (curve: Curve | undefined): Curve => {
      const a = this.#accountant(curve).compose(step);
      // A new curve starts exact (mu^2 = 0); an existing one without the field is of unknown history.
      const before = curve === undefined ? 0 : curve.gaussianMuSquared;
      const exact =
        typeof before === 'number' && s.sampleRate === 1 && s.noiseMultiplier > 0
          ? before + s.steps / s.noiseMultiplier ** 2
          : null;
      return { orders: [...a.orders], rdp: [...a.rdp], gaussianMuSquared: exact };
    };
    const total = next(d.total);
    const job = next(d.jobs[s.jobId]);
    const datasetEpsilon = this.#epsilon(total, s.delta);
    const jobEpsilon = this.#epsilon(job, s.delta);
    const before = this.spent(s.datasetId, s.delta);
    if (datasetEpsilon > this.cap) {
      throw makeError(
        `dataset ${s.datasetId} has spent epsilon ${before.toFixed(3)} of its cap ${this.cap}; this round would take it to ${datasetEpsilon.toFixed(3)}, so it is refused before training`,
        'PRIVACY_BUDGET_EXHAUSTED',
        { datasetId: s.datasetId, spent: before, cap: this.cap, wouldBe: datasetEpsilon },
      );
    }
    if (jobEpsilon > jobTarget * (1 + 1e-9)) {
      throw makeError(
        `job ${s.jobId} would spend epsilon ${jobEpsilon.toFixed(3)} of dataset ${s.datasetId}, past the job's target ${jobTarget}; refused before training`,
        'PRIVACY_BUDGET_EXHAUSTED',
        { datasetId: s.datasetId, jobId: s.jobId, wouldBe: jobEpsilon, target: jobTarget },
      );
    }
    const result: SpendResult = { datasetEpsilon, jobEpsilon };
    return { next: { total, jobs: { ...d.jobs, [s.jobId]: job } }, result };
  }

  async #save(): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(this.#state));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
