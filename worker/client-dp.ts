/**
 * The worker's side of client-level DP (privacy/client-dp.ts): when a TRAIN task carries
 * `config.client_dp`, the delta is clipped and noised here, before `encodeUpdate` encrypts it (or
 * sends it plain). With secure aggregation the worker first checks the setting against the signed
 * round setup the opener will hold it to: the same weight denominator D (else the clip would not
 * bound what is summed), a quorum of at least k (the opener refuses smaller sums, so no opened sum
 * has less noise than promised), and a value bound that cannot clamp the noised values.
 *
 * What stays here: the update's norm and whether it was clipped (data-dependent; logged locally).
 */
import { makeError } from '../common/errors.js';
import {
  applyClientDp,
  checkClientDpRound,
  clientDpValueBound,
  type ClientDpRound,
} from '../privacy/client-dp.js';
import { decodeHeRoundSetup } from '../privacy/he-protocol.js';
import { createSecureRandom, type SecureRandom } from '../privacy/secure-random.js';
import type { Task__Output } from '../protos/generated/aidoc/v1/Task.js';

/** node:crypto, made on first use; tests pass a seeded source instead. */
let processRandom: SecureRandom | undefined;

/** The task's client-level DP setting, or undefined when the job has none. */
export function clientDpOf(task: Pick<Task__Output, 'config'>): ClientDpRound | undefined {
  const c = task.config?.clientDp;
  if (!c) return undefined;
  const round: ClientDpRound = {
    clipNorm: c.clipNorm,
    noiseMultiplier: c.noiseMultiplier,
    selected: c.selected,
    minContributors: c.minContributors,
    weightDenominator: Number(c.weightDenominator),
  };
  checkClientDpRound(round);
  return round;
}

/** Refuses a secure round whose setup would not deliver the noise the setting promises. */
function checkAgainstRoundSetup(task: Pick<Task__Output, 'extension'>, round: ClientDpRound): void {
  const setup = decodeHeRoundSetup(task.extension);
  const problems: string[] = [];
  if (setup.weightDenominator !== round.weightDenominator)
    problems.push(
      `the round setup weighs updates by n/${setup.weightDenominator}, the DP setting by n/${round.weightDenominator}`,
    );
  if (setup.minWorkers < round.minContributors)
    problems.push(
      `the opener would open a sum of ${setup.minWorkers} contribution(s), the noise is split over ${round.minContributors}`,
    );
  const need = clientDpValueBound(round);
  if (setup.valueBound < need)
    problems.push(`the value bound ${setup.valueBound} would clamp noised values (they reach ${need})`);
  if (problems.length > 0) {
    throw makeError(
      `client-level DP refused for this round: ${problems.join('; ')}. The coordinator's round setup does not match its DP setting`,
      'VERIFICATION_FAILED',
      { problems },
    );
  }
}

/**
 * Clips and noises `delta` when the task asks for client-level DP; returns it unchanged otherwise.
 * `numExamples` is the weight the update is sent with. Noise comes from node:crypto unless `random`
 * is given (a seeded source is for tests only: it protects nothing).
 */
export function applyClientDpToUpdate(
  task: Pick<Task__Output, 'config' | 'extension' | 'updateEncoding' | 'jobId' | 'round'>,
  delta: Float32Array,
  numExamples: number,
  log: (line: string) => void,
  random: SecureRandom = (processRandom ??= createSecureRandom()),
): Float32Array {
  const round = clientDpOf(task);
  if (!round) return delta;
  if (task.updateEncoding === 'PAYLOAD_ENCODING_CKKS') checkAgainstRoundSetup(task, round);
  const applied = applyClientDp(delta, numExamples, round, random);
  log(
    `job ${task.jobId} round ${task.round}: client-level DP: update norm ${applied.norm.toPrecision(4)} ` +
      `${applied.clipped ? 'clipped to' : 'within'} ${(round.clipNorm / round.selected).toPrecision(4)}, ` +
      `noise stddev ${applied.noiseStddev.toPrecision(4)} per value (sigma ${round.noiseMultiplier}, k ${round.minContributors})`,
  );
  return applied.delta;
}
