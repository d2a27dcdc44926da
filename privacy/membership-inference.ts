/**
 * A membership-inference check: the loss-threshold attack of Yeom et al. 2018 ("Privacy Risk in
 * Machine Learning: Analyzing the Connection to Overfitting", CSF 2018), and the most any attack
 * can achieve against a model that is (epsilon, delta)-DP.
 *
 * The attack guesses "member" when a record's loss under the model is at most a threshold τ.
 * Its membership advantage is TPR − FPR (Yeom's Adv = Pr[guess member | member] − Pr[guess member |
 * non-member]). We report it at the best threshold chosen with the answers known (an optimistic,
 * upper estimate of what an attacker reaches), at Yeom's threshold (the mean training loss, which
 * Yeom's attacker is assumed to know), and the area under the ROC curve.
 *
 * Bounds on any attack's advantage:
 * - ε-DP: Adv <= e^ε − 1 (Yeom et al. 2018, Theorem 1); vacuous above ε = ln 2.
 * - (ε, δ)-DP: Adv <= (e^ε − 1 + 2δ) / (e^ε + 1), from the hypothesis-testing view of DP
 *   (Kairouz, Oh and Viswanath 2015: every test of "record in" vs "record out" has
 *   FPR + e^ε·FNR >= 1 − δ and FNR + e^ε·FPR >= 1 − δ; adding the two bounds 1 − FPR − FNR).
 *   This is the bound to compare against; it holds for each record, so for the average too.
 */
import * as tf from '@tensorflow/tfjs';
import { assertArgument, throwIfAborted } from '../common/errors.js';
import type { Dataset } from '../datasets/dataset.js';
import { batchTensors } from '../training/train.js';
import { softmaxCrossEntropyPerExample } from './dp-per-example-grads.js';

export interface MembershipInferenceResult {
  /** max over thresholds τ of TPR − FPR, for "member iff loss <= τ" (at least 0: τ = −∞). */
  advantage: number;
  /** The threshold achieving it. */
  threshold: number;
  tpr: number;
  fpr: number;
  /** TPR − FPR at τ = the mean member loss (Yeom et al.'s attacker). */
  yeomAdvantage: number;
  /** Area under the ROC curve of the loss score (0.5: no better than a coin). */
  auc: number;
  members: number;
  nonMembers: number;
}

/** Runs the loss-threshold attack on losses of known members and non-members. */
export function membershipInference(
  memberLosses: ArrayLike<number>,
  nonMemberLosses: ArrayLike<number>,
): MembershipInferenceResult {
  const m = memberLosses.length;
  const n = nonMemberLosses.length;
  assertArgument(m > 0 && n > 0, 'need at least one member and one non-member loss');
  const all: { loss: number; member: boolean }[] = [];
  for (let i = 0; i < m; i++) all.push({ loss: memberLosses[i]!, member: true });
  for (let i = 0; i < n; i++) all.push({ loss: nonMemberLosses[i]!, member: false });
  assertArgument(
    all.every((e) => !Number.isNaN(e.loss)),
    'losses must not be NaN',
  );
  all.sort((a, b) => a.loss - b.loss);

  // Sweep τ upwards through the distinct losses; ties move together.
  let tp = 0;
  let fp = 0;
  let best = { advantage: 0, threshold: -Infinity, tpr: 0, fpr: 0 };
  // AUC = Pr[member loss < non-member loss] + Pr[tie] / 2 (Mann–Whitney).
  let aucSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    let tieM = 0;
    let tieN = 0;
    while (j < all.length && all[j]!.loss === all[i]!.loss) {
      if (all[j]!.member) tieM++;
      else tieN++;
      j++;
    }
    // Members in this tie group beat every non-member with a higher loss, and half-tie with the group.
    aucSum += tieM * (n - fp - tieN) + 0.5 * tieM * tieN;
    tp += tieM;
    fp += tieN;
    const adv = tp / m - fp / n;
    if (adv > best.advantage) best = { advantage: adv, threshold: all[i]!.loss, tpr: tp / m, fpr: fp / n };
    i = j;
  }

  let meanMember = 0;
  for (let i = 0; i < m; i++) meanMember += memberLosses[i]!;
  meanMember /= m;
  let tpY = 0;
  let fpY = 0;
  for (let i = 0; i < m; i++) if (memberLosses[i]! <= meanMember) tpY++;
  for (let i = 0; i < n; i++) if (nonMemberLosses[i]! <= meanMember) fpY++;

  return {
    ...best,
    yeomAdvantage: tpY / m - fpY / n,
    auc: aucSum / (m * n),
    members: m,
    nonMembers: n,
  };
}

export interface MembershipAdvantageBound {
  /** e^ε − 1: Yeom et al. 2018, Theorem 1, for pure ε-DP (ignores δ). */
  yeom: number;
  /** (e^ε − 1 + 2δ) / (e^ε + 1): the hypothesis-testing bound for (ε, δ)-DP (Kairouz et al. 2015). */
  hypothesisTesting: number;
}

/** The largest membership advantage an (ε, δ)-DP training run allows any attack. */
export function membershipAdvantageBound(epsilon: number, delta: number): MembershipAdvantageBound {
  assertArgument(epsilon >= 0 && !Number.isNaN(epsilon), `epsilon must be >= 0, got ${epsilon}`);
  assertArgument(delta >= 0 && delta <= 1, `delta must be in [0, 1], got ${delta}`);
  const e = Math.exp(epsilon);
  return {
    yeom: Math.expm1(epsilon),
    hypothesisTesting: Math.min(1, Number.isFinite(e) ? (Math.expm1(epsilon) + 2 * delta) / (e + 1) : 1),
  };
}

/** Each record's cross-entropy loss under `model` (the attack's score), in record order. */
export async function perExampleLosses(
  model: tf.LayersModel,
  data: Dataset,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<Float64Array> {
  const batchSize = options.batchSize ?? 256;
  const out = new Float64Array(data.n);
  const order = Int32Array.from({ length: data.n }, (_, i) => i);
  for (let from = 0; from < data.n; from += batchSize) {
    throwIfAborted(options.signal, 'membership inference');
    const to = Math.min(data.n, from + batchSize);
    const { x, y } = batchTensors(data, order, from, to);
    const losses = tf.tidy(() => softmaxCrossEntropyPerExample(y, model.predict(x) as tf.Tensor));
    out.set(await losses.data(), from);
    tf.dispose([x, y, losses]);
  }
  return out;
}
