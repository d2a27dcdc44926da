/**
 * Record-level DP-SGD: the local training a worker runs by default, with the same shape as
 * `trainLocal(model, data, options)` so the worker can swap one for the other.
 *
 * Each step (Abadi et al. 2016, with Poisson sampling as the RDP accountant assumes):
 *   1. sample a batch by including each record independently with probability q (crypto source);
 *   2. compute every sampled example's gradient, clip it to L2 norm C, sum;
 *   3. add N(0, σ²C²) to every coordinate of the sum (crypto source);
 *   4. divide by the expected batch size qN (not the realized one, which is data-dependent), and
 *      take an optimizer step.
 * The released sequence of noisy sums is the sampled Gaussian mechanism with noise multiplier σ
 * composed over the steps, so the model — and anything computed from it — is (ε, δ)-DP for every
 * record of `data` with ε from the RDP accountant (exactly, as one Gaussian mechanism, when q = 1). The optimizer (SGD, Adam) and FedProx's proximal
 * term only post-process the noisy sums and the (already private) weights.
 *
 * NOT covered by the guarantee: the `loss` and `clippedFraction` this function returns are computed
 * from the records without noise. They are local diagnostics; never send them off the worker as
 * they are.
 */
import * as tf from '@tensorflow/tfjs';
import { assertArgument, throwIfAborted } from '../common/errors.js';
import type { Dataset } from '../datasets/dataset.js';
import { batchTensors } from '../training/train.js';
import type { TrainOptions, TrainResult } from '../training/train.js';
import type { LayerMethod, PerExampleLoss, PerExampleStrategy } from './dp-per-example-grads.js';
import { createPerExampleGradients } from './dp-per-example-grads.js';
import { fullBatchMu, gaussianEpsilon } from './gaussian-accounting.js';
import type { RdpAccountant } from './rdp-accountant.js';
import { createRdpAccountant } from './rdp-accountant.js';
import type { SecureRandom } from './secure-random.js';
import { createSecureRandom } from './secure-random.js';

/** The privacy knobs of DP-SGD, apart from the plain training options. */
export interface DpSgdPrivacyOptions {
  /**
   * σ: the noise standard deviation divided by the clipping norm. 0 adds no noise (clipping only,
   * epsilon infinite); use it only to measure the cost of noise.
   */
  noiseMultiplier: number;
  /** C: every example's gradient is scaled down to at most this L2 norm. @defaultValue 1 */
  clipNorm?: number;
  /**
   * q: the Poisson sampling probability of each record per step.
   * @defaultValue min(1, batchSize / data.n): `batchSize` is the EXPECTED batch size
   */
  sampleRate?: number;
  /**
   * Number of DP-SGD steps; overrides `epochs`.
   * @defaultValue max(1, round(epochs / q)): one "epoch" is 1/q steps, N records in expectation
   */
  steps?: number;
  /** With a delta, the result reports the epsilon spent (by this call, or in total with `accountant`). @defaultValue none */
  delta?: number;
  /**
   * An accountant holding what this dataset already spent (earlier rounds); this call's steps are
   * composed into it, and a reported epsilon is then the running total.
   * @defaultValue none: a fresh accountant for this call
   */
  accountant?: RdpAccountant;
  /**
   * Where sampling and noise come from. Pass a seeded source only in tests: a known seed gives no privacy.
   * @defaultValue `createSecureRandom()` (node:crypto)
   */
  random?: SecureRandom;
  /** Per-example loss. @defaultValue categorical cross-entropy of softmax outputs (as trainLocal) */
  loss?: PerExampleLoss;
  /** `'loop'` forces Opacus' naive per-example loop (for comparison). @defaultValue `'auto'` */
  perExample?: PerExampleStrategy;
}

/**
 * Options of {@link trainDpSgd}: the plain training options plus the privacy ones. `batchSize` is
 * the expected batch size (q·N); `seed` is accepted for signature compatibility and changes nothing,
 * because everything random here is privacy noise (see `random`).
 */
export interface DpSgdOptions extends TrainOptions, DpSgdPrivacyOptions {}

export interface DpSgdResult extends TrainResult {
  noiseMultiplier: number;
  clipNorm: number;
  sampleRate: number;
  /** Fraction of sampled examples whose gradient norm exceeded clipNorm. Local diagnostic, NOT private. */
  clippedFraction: number;
  /** How each trainable layer's per-example gradients were computed. */
  layers: { name: string; method: LayerMethod }[];
  /** Epsilon spent at `delta` (this call, or the accountant's running total); only with `delta`. */
  epsilon?: number;
  delta?: number;
  /** The RDP order that gives `epsilon`; NaN when it is the exact full-batch (q = 1) accounting. */
  order?: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function resolveOptions(o: DpSgdOptions, n: number) {
  const r = {
    epochs: o.epochs ?? 1,
    batchSize: o.batchSize ?? 32,
    learningRate: o.learningRate ?? 0.05,
    optimizer: o.optimizer ?? 'sgd',
    proximalMu: o.proximalMu ?? 0,
    noiseMultiplier: o.noiseMultiplier,
    clipNorm: o.clipNorm ?? 1,
  };
  assertArgument(
    Number.isFinite(r.noiseMultiplier) && r.noiseMultiplier >= 0,
    `noiseMultiplier must be a finite number >= 0, got ${r.noiseMultiplier}`,
  );
  assertArgument(
    Number.isFinite(r.clipNorm) && r.clipNorm > 0,
    `clipNorm must be a finite number > 0, got ${r.clipNorm}`,
  );
  assertArgument(r.epochs > 0 && Number.isFinite(r.epochs), `epochs must be > 0, got ${r.epochs}`);
  assertArgument(r.batchSize > 0, `batchSize must be > 0, got ${r.batchSize}`);
  assertArgument(
    r.learningRate > 0 && Number.isFinite(r.learningRate),
    `learningRate must be > 0, got ${r.learningRate}`,
  );
  assertArgument(r.proximalMu >= 0, `proximalMu must be >= 0, got ${r.proximalMu}`);
  const sampleRate = o.sampleRate ?? Math.min(1, r.batchSize / n);
  assertArgument(sampleRate > 0 && sampleRate <= 1, `sampleRate must be in (0, 1], got ${sampleRate}`);
  const steps = o.steps ?? Math.max(1, Math.round(r.epochs / sampleRate));
  assertArgument(Number.isInteger(steps) && steps >= 1, `steps must be an integer >= 1, got ${steps}`);
  if (o.delta !== undefined)
    assertArgument(o.delta > 0 && o.delta < 1, `delta must be in (0, 1), got ${o.delta}`);
  return { ...r, sampleRate, steps };
}

/**
 * Trains `model` in place on `data` with record-level DP-SGD. Same call shape as `trainLocal`;
 * `options.noiseMultiplier` is required.
 */
export async function trainDpSgd(
  model: tf.LayersModel,
  data: Dataset,
  options: DpSgdOptions,
): Promise<DpSgdResult> {
  assertArgument(data.n > 0, `dataset '${data.name}' has no records to train on`);
  const o = resolveOptions(options, data.n);
  const started = performance.now();
  const random = options.random ?? createSecureRandom();
  const engine = createPerExampleGradients(model, { loss: options.loss, strategy: options.perExample });
  const vars = engine.variables;
  const sizes = vars.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  // Plain SGD is applied by hand with the learning rate folded into the scale of the clipped sum and
  // of the noise: one kernel per variable instead of three, which matters for small models.
  const sgd = o.optimizer === 'sgd';
  const optimizer = sgd ? undefined : tf.train.adam(o.learningRate);
  const anchor = o.proximalMu > 0 ? vars.map((v) => tf.keep(v.clone())) : [];
  // Dividing by the EXPECTED batch size keeps the sensitivity of the average at C/(qN) whatever the
  // realized batch; dividing by the realized size would leak it.
  const scale = (sgd ? o.learningRate : 1) / (o.sampleRate * data.n);
  const noiseStd = o.noiseMultiplier * o.clipNorm * scale;
  const proxScale = (sgd ? o.learningRate : 1) * o.proximalMu;
  const noise = new Float32Array(total);
  const stepsPerEpoch = Math.max(1, Math.round(1 / o.sampleRate));
  const epochs = Math.ceil(o.steps / stepsPerEpoch);

  let samples = 0;
  let clipped = 0;
  let stepsDone = 0;
  let epochLossSum = 0;
  let epochSamples = 0;
  let lastLoss = NaN;
  try {
    for (let step = 0; step < o.steps; step++) {
      throwIfAborted(options.signal, 'DP-SGD training');
      const idx = random.poissonSample(data.n, o.sampleRate);
      samples += idx.length;
      epochSamples += idx.length;
      if (o.noiseMultiplier > 0) random.fillGaussian(noise, noiseStd);
      tf.tidy(() => {
        let sums: tf.Tensor[];
        if (idx.length > 0) {
          const { x, y } = batchTensors(data, idx, 0, idx.length);
          const r = engine.clippedSum(x, y, o.clipNorm, scale);
          sums = r.sums;
          // Local diagnostics (reads from WASM memory, no kernel launches).
          epochLossSum += r.lossSum.dataSync()[0]!;
          for (const n of r.norms.dataSync()) if (n > o.clipNorm) clipped++;
        } else {
          // An empty batch still releases a noisy (all-noise) step: the accountant counts every step.
          sums = vars.map((v) => tf.zeros(v.shape));
        }
        let offset = 0;
        const grads = vars.map((v, k) => {
          let g = sums[k]!;
          if (o.noiseMultiplier > 0) {
            g = tf.add(g, tf.tensor(noise.subarray(offset, offset + sizes[k]!), v.shape));
          }
          offset += sizes[k]!;
          if (o.proximalMu > 0) g = tf.add(g, tf.mul(proxScale, tf.sub(v, anchor[k]!)));
          return { name: v.name, tensor: g };
        });
        if (optimizer) optimizer.applyGradients(grads);
        else grads.forEach(({ tensor }, k) => vars[k]!.assign(tf.sub(vars[k]!, tensor)));
      });
      stepsDone++;
      const endOfEpoch = (step + 1) % stepsPerEpoch === 0 || step === o.steps - 1;
      if (endOfEpoch) {
        lastLoss = epochSamples > 0 ? epochLossSum / epochSamples : NaN;
        epochLossSum = 0;
        epochSamples = 0;
      }
      options.onProgress?.({
        epoch: Math.floor(step / stepsPerEpoch),
        epochs,
        batch: step % stepsPerEpoch,
        batches: stepsPerEpoch,
        ...(endOfEpoch ? { epochLoss: lastLoss } : {}),
      });
      // WASM kernels run synchronously; yielding lets timers and aborts through between steps.
      await yieldToEventLoop();
    }
  } finally {
    optimizer?.dispose();
    engine.dispose();
    tf.dispose(anchor);
    // Conservative on abort or error: the steps taken changed the model in place, so they count.
    options.accountant?.compose({
      noiseMultiplier: o.noiseMultiplier,
      sampleRate: o.sampleRate,
      steps: stepsDone,
    });
  }

  const result: DpSgdResult = {
    samples,
    steps: o.steps,
    loss: lastLoss,
    seconds: (performance.now() - started) / 1000,
    noiseMultiplier: o.noiseMultiplier,
    clipNorm: o.clipNorm,
    sampleRate: o.sampleRate,
    clippedFraction: samples > 0 ? clipped / samples : 0,
    layers: [...engine.layers],
  };
  if (options.delta !== undefined && !options.accountant && o.sampleRate === 1) {
    // Full-batch steps alone: exactly one Gaussian mechanism (privacy/gaussian-accounting.ts).
    const epsilon = gaussianEpsilon(fullBatchMu(o.noiseMultiplier, o.steps), options.delta);
    Object.assign(result, { epsilon, delta: options.delta, order: NaN });
  } else if (options.delta !== undefined) {
    const accountant =
      options.accountant ??
      createRdpAccountant().compose({
        noiseMultiplier: o.noiseMultiplier,
        sampleRate: o.sampleRate,
        steps: o.steps,
      });
    const { epsilon, order } = accountant.getEpsilon(options.delta);
    Object.assign(result, { epsilon, delta: options.delta, order });
  }
  return result;
}

/**
 * A `trainLocal`-shaped function that trains with record-level DP-SGD under fixed privacy
 * settings: the worker's plug-in for jobs whose privacy mode is "record". The job's own training
 * options (epochs, batch size, learning rate, optimizer, proximal term, signal, progress) pass through.
 */
export function withRecordLevelDp(
  privacy: DpSgdPrivacyOptions,
): (model: tf.LayersModel, data: Dataset, options?: TrainOptions) => Promise<DpSgdResult> {
  return (model, data, options = {}) => trainDpSgd(model, data, { ...options, ...privacy });
}
