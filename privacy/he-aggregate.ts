/**
 * The coordinator's side of secure aggregation: a streaming sum of ciphertexts, with no key.
 *
 * Everything here works from `HeParams` alone (through `HeContext`): the coordinator loads a
 * ciphertext, checks it was made under the federation's parameters (parms id, size, scale), and
 * adds it in place into the running sum for its position as soon as it arrives. A contribution
 * whose stream later turns out bad (out of order, truncated, digest mismatch) is rolled back by
 * subtracting what was added, so the sum always holds exactly the committed contributions.
 *
 * Each contribution is admitted only with a valid signed header (he-contribution.ts) from a
 * registered worker of this job and round, naming this round's opener and this setup; at most one
 * live or committed contribution per worker, at most `plan.maxWorkers` in all (the precision plan
 * guarantees exact sums only up to that many).
 */
import type { KeyObject } from 'node:crypto';
import { makeError } from '../common/errors.js';
import { loadHeCiphertext, saveHeCiphertext } from './he-cipher.js';
import type { HeContext, HePrecisionPlan } from './he-context.js';
import type { HeOpenRequest, HeSignedContribution } from './he-contribution.js';
import {
  createCiphertextDigest,
  heSetupDigest,
  heSignedContributionSchema,
  verifyContributionSignature,
} from './he-contribution.js';
import type { HeLayout } from './he-pack.js';
import { deleteAll } from './he-seal.js';
import type { CipherText } from './he-seal.js';

export interface HeAggregatorOptions {
  ctx: HeContext;
  plan: HePrecisionPlan;
  layout: HeLayout;
  jobId: string;
  round: number;
  /** The worker this round's contributions must name as opener. */
  openerId: string;
  /** Registered signing key of a worker picked for this round; `undefined` if it is not one. */
  workerKey: (workerId: string) => KeyObject | undefined;
}

/** Receives one contribution's ciphertexts, in order. */
export interface HeContributionSink {
  readonly workerId: string;
  readonly state: 'open' | 'committed' | 'aborted';
  /**
   * Loads, checks and adds ciphertext `index` into the sum. Throws VERIFICATION_FAILED (and aborts
   * the contribution, rolling back what it added) if it is out of order, extra, or not a valid
   * ciphertext under these parameters.
   */
  add(index: number, wire: Uint8Array): void;
  /** Ends the stream: all ciphertexts arrived and their digest matches the signed header. */
  commit(): void;
  /** Removes this contribution's ciphertexts from the sum (idempotent; no-op once committed). */
  abort(): void;
}

export interface HeAggregator {
  /** Admits a contribution by its signed header (throws PERMISSION_DENIED / VERIFICATION_FAILED). */
  begin(contribution: unknown): HeContributionSink;
  /** Committed contributions, in commit order. */
  readonly committed: readonly HeSignedContribution[];
  /** Contributions still streaming. */
  readonly pending: number;
  /** The request for the opener: the summed ciphertexts and the committed headers. */
  openRequest(): HeOpenRequest;
  /** Frees the running sum. */
  delete(): void;
}

export function createHeAggregator(options: HeAggregatorOptions): HeAggregator {
  const { ctx, plan, layout, jobId, round, openerId, workerKey } = options;
  const evaluator = ctx.seal.Evaluator(ctx.context);
  const setupDigest = heSetupDigest(ctx.params, plan, layout);
  const sum: (CipherText | undefined)[] = new Array<CipherText | undefined>(layout.ciphertextCount).fill(
    undefined,
  );
  const counts = new Array<number>(layout.ciphertextCount).fill(0);
  const committed: HeSignedContribution[] = [];
  const live = new Map<string, HeContributionSink>();
  let deleted = false;

  const addInto = (index: number, ct: CipherText): void => {
    const current = sum[index];
    if (current === undefined) {
      sum[index] = ct;
    } else {
      try {
        evaluator.add(current, ct, current);
      } finally {
        ct.delete();
      }
    }
    counts[index] = (counts[index] ?? 0) + 1;
  };

  const subtractFrom = (index: number, wire: Uint8Array): void => {
    const current = sum[index];
    if (current === undefined) throw makeError('rollback of an empty position', 'INTERNAL', { index });
    if (counts[index] === 1) {
      // This contribution is all the position holds: drop it (a zero ciphertext would be transparent).
      current.delete();
      sum[index] = undefined;
    } else {
      const ct = loadHeCiphertext(ctx, wire);
      try {
        evaluator.sub(current, ct, current);
      } finally {
        ct.delete();
      }
    }
    counts[index] = (counts[index] ?? 1) - 1;
  };

  const reject = (reason: string, info: Record<string, unknown> = {}): never => {
    throw makeError(`contribution rejected: ${reason}`, 'VERIFICATION_FAILED', info);
  };

  return {
    get committed() {
      return committed;
    },
    get pending() {
      return [...live.values()].filter((s) => s.state === 'open').length;
    },

    begin(input) {
      if (deleted) throw makeError('aggregator was deleted', 'INTERNAL');
      const parsed = heSignedContributionSchema.safeParse(input);
      if (!parsed.success) {
        return reject('malformed header', {
          problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      const contribution: HeSignedContribution = parsed.data;
      const h = contribution.header;
      if (h.jobId !== jobId || h.round !== round) {
        return reject(
          `made for job ${h.jobId} round ${h.round}, this is job ${jobId} round ${round} (replay?)`,
          {
            workerId: h.workerId,
          },
        );
      }
      const key = workerKey(h.workerId);
      if (key === undefined) {
        throw makeError(
          `contribution rejected: ${h.workerId} is not a registered worker of this round`,
          'PERMISSION_DENIED',
          {
            workerId: h.workerId,
          },
        );
      }
      if (!verifyContributionSignature(contribution, key)) {
        return reject(`signature does not verify with ${h.workerId}'s registered key`, {
          workerId: h.workerId,
        });
      }
      if (h.setupDigest !== setupDigest)
        reject('made under other HE parameters or layout', { workerId: h.workerId });
      if (h.openerId !== openerId) reject(`names opener ${h.openerId}, this round's opener is ${openerId}`);
      if (h.ciphertextCount !== layout.ciphertextCount) {
        reject(`announces ${h.ciphertextCount} ciphertexts, the layout has ${layout.ciphertextCount}`);
      }
      const previous = live.get(h.workerId);
      if (previous !== undefined && previous.state !== 'aborted') {
        reject(`a second update from ${h.workerId} in this round`, { workerId: h.workerId });
      }
      const admitted = committed.length + [...live.values()].filter((s) => s.state === 'open').length;
      if (admitted >= plan.maxWorkers) {
        reject(`the precision plan allows at most ${plan.maxWorkers} contributions per sum`);
      }

      const digest = createCiphertextDigest();
      const added: Uint8Array[] = [];
      let state: HeContributionSink['state'] = 'open';
      const rollback = (): void => {
        for (let i = added.length - 1; i >= 0; i--) subtractFrom(i, added[i] ?? new Uint8Array());
        added.length = 0;
      };
      const sink: HeContributionSink = {
        workerId: h.workerId,
        get state() {
          return state;
        },
        add(index, wire) {
          if (state !== 'open') reject(`stream of ${h.workerId} is ${state}`);
          try {
            if (index !== added.length) {
              reject(
                `ciphertext ${index} arrived where ${added.length} was expected (reordered or duplicated)`,
              );
            }
            if (index >= layout.ciphertextCount) reject(`more than ${layout.ciphertextCount} ciphertexts`);
            const ct = loadHeCiphertext(ctx, wire);
            digest.update(index, wire);
            addInto(index, ct);
            added.push(wire);
          } catch (e) {
            sink.abort();
            throw e;
          }
        },
        commit() {
          if (state !== 'open') reject(`stream of ${h.workerId} is ${state}`);
          const received = added.length;
          if (received !== layout.ciphertextCount) {
            sink.abort();
            reject(`truncated: ${received} of ${layout.ciphertextCount} ciphertexts`, {
              workerId: h.workerId,
            });
          }
          if (digest.digest() !== h.ciphertextDigest) {
            sink.abort();
            reject('ciphertexts do not match the signed digest', { workerId: h.workerId });
          }
          state = 'committed';
          added.length = 0;
          committed.push(contribution);
        },
        abort() {
          if (state !== 'open') return;
          state = 'aborted';
          rollback();
        },
      };
      live.set(h.workerId, sink);
      return sink;
    },

    openRequest() {
      if (committed.length === 0) throw makeError('no committed contribution to open', 'QUORUM_NOT_MET');
      const open = [...live.values()].filter((s) => s.state === 'open').map((s) => s.workerId);
      if (open.length > 0) {
        // Their partial streams are in the sum: commit or abort them first.
        throw makeError('contributions are still streaming', 'INTERNAL', { workers: open });
      }
      const aggregate = sum.map((ct, i) => {
        if (ct === undefined) throw makeError('aggregate position is empty', 'INTERNAL', { index: i });
        return saveHeCiphertext(ctx, ct);
      });
      return { jobId, round, aggregate, contributions: [...committed] };
    },

    delete() {
      if (deleted) return;
      deleted = true;
      deleteAll(evaluator, ...sum);
      sum.fill(undefined);
    },
  };
}
