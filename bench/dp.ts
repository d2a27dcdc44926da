/**
 * Differential privacy benchmark.
 *
 *   npm run bench -- dp [--seconds 6] [--batch 32] [--rounds 6] [--loop]
 *   npm run bench -- dp --skip-ratio --accuracy [--baseline] [--epsilon 1] [--delta 1e-5]
 *       [--model logreg|wdbc-mlp] [--fl-rounds 10] [--fl-batch 1000] [--lr 2] [--clip 1]
 *       [--splits 0,1,...,9] [--repeats 3] [--average-tail 0.5] [--scaling local|pooled]
 *       [--init glorot|zeros] [--features 20,...,29] [--transform none|log] [--accounting auto|rdp]
 *   npm run bench -- dp --skip-ratio --mia [--epsilon 1] [--members 1000]
 *
 * Default: DP-SGD throughput (records per second, Poisson batches of expected size --batch,
 * clipped per-example gradients, crypto Gaussian noise) divided by plain `trainLocal` throughput at
 * the same batch size, for `wdbc-mlp` and `lenet5`: `mlpThroughputRatio`, `cnnThroughputRatio`.
 * Plain and DP windows alternate (--rounds pairs, order flipped every pair) and the ratio is the
 * median of the per-pair ratios, so load from other processes hits both alike. `--loop` also
 * measures the naive per-example loop (Opacus' baseline) for comparison.
 *
 * `--accuracy`: WDBC split over three simulated hospitals (IID), FedAvg of their record-level
 * DP-SGD updates, test accuracy on a held-out stratified 20% after every round; each hospital's
 * noise multiplier is calibrated so that ALL its rounds x local steps stay within (--epsilon, --delta).
 * The defaults are the settings chosen on split seeds 100-105 (not among the reported 0-9):
 * logistic regression (`logreg`, a 30->2 softmax Dense topology), full-batch steps (q = 1),
 * 10 rounds of one step, learning rate 2, clip norm 1. Full-batch steps are accounted exactly as one
 * Gaussian mechanism (`--accounting rdp`: the RDP accountant, as before). `--init zeros` starts the
 * logistic regression from zero weights, `--features` keeps only the listed columns of the 30
 * (20..29: the "worst" values), `--transform log` takes log(x + 1e-3) of every feature first.
 * `--noise-multiplier` overrides the calibrated sigma: research only, no guarantee then.
 *
 * `--mia`: a loss-threshold membership-inference attack (Yeom et al. 2018) on models trained with
 * and without DP, against the advantage bound epsilon implies.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../datasets/dataset.js';
import { subset, trainTestSplit } from '../datasets/dataset.js';
import { partitionIid } from '../datasets/partition.js';
import { applyScaler, fitScaler } from '../datasets/scaler.js';
import { loadWdbc } from '../datasets/wdbc.js';
import { loadMnistPackage } from '../datasets/mnist-package.js';
import { planDpSgd } from '../privacy/dp-accounting.js';
import type { DpSgdPlan } from '../privacy/dp-accounting.js';
import { trainDpSgd } from '../privacy/dp-sgd.js';
import type { DpSgdOptions } from '../privacy/dp-sgd.js';
import {
  membershipAdvantageBound,
  membershipInference,
  perExampleLosses,
} from '../privacy/membership-inference.js';
import { createSecureRandom } from '../privacy/secure-random.js';
import { useTrainingBackend } from '../training/backend.js';
import { syntheticDataset } from './bench-synthetic.js';
import { buildBuiltinModel } from '../training/models.js';
import { evaluate, trainLocal } from '../training/train.js';
import { getFlatWeights, setFlatWeights } from '../training/weights.js';

const log = (s: string) => process.stderr.write(s + '\n');
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Throughput ratio
// ---------------------------------------------------------------------------------------------

async function ratio(
  model: string,
  shape: number[],
  classes: number,
  batchSize: number,
  seconds: number,
  rounds: number,
  loop: boolean,
) {
  const data = syntheticDataset(batchSize * 64, shape, classes);
  const m = buildBuiltinModel(model, 1);
  const plainRun = () => trainLocal(m, data, { batchSize, learningRate: 0.01 });
  const dpOptions: DpSgdOptions = { batchSize, learningRate: 0.01, noiseMultiplier: 1, clipNorm: 1 };
  const dpRun = () => trainDpSgd(m, data, dpOptions);
  const loopRun = () => trainDpSgd(m, data, { ...dpOptions, perExample: 'loop', steps: 8 });
  const window = async (run: () => Promise<{ samples: number }>, secs: number) => {
    let samples = 0;
    const start = performance.now();
    while ((performance.now() - start) / 1000 < secs) samples += (await run()).samples;
    return { samples, seconds: (performance.now() - start) / 1000 };
  };
  await plainRun(); // warm-up: kernels compiled, buffers sized
  await dpRun();
  // Load from other processes drifts: alternate the order of the two windows in every round and
  // take the median of the per-round ratios (pooled rates are reported too).
  const totals = { plain: { samples: 0, seconds: 0 }, dp: { samples: 0, seconds: 0 } };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['plain', 'dp'] as const) : (['dp', 'plain'] as const);
    const rate = { plain: 0, dp: 0 };
    for (const key of order) {
      const w = await window(key === 'plain' ? plainRun : dpRun, seconds / rounds);
      totals[key].samples += w.samples;
      totals[key].seconds += w.seconds;
      rate[key] = w.samples / w.seconds;
    }
    ratios.push(rate.dp / rate.plain);
  }
  ratios.sort((x, y) => x - y);
  const median =
    ratios.length % 2 === 1
      ? ratios[(ratios.length - 1) / 2]!
      : (ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2;
  const plain = totals.plain.samples / totals.plain.seconds;
  const dp = totals.dp.samples / totals.dp.seconds;
  let naive: number | undefined;
  if (loop) {
    await loopRun();
    const w = await window(loopRun, seconds / 2);
    naive = w.samples / w.seconds;
  }
  m.dispose();
  return { plain, dp, ratio: median, pooledRatio: dp / plain, ratios, naive };
}

// ---------------------------------------------------------------------------------------------
// Federated WDBC with record-level DP
// ---------------------------------------------------------------------------------------------

export interface WdbcDpOptions {
  epsilon: number;
  delta: number;
  rounds: number;
  localEpochs: number;
  batchSize: number;
  clipNorm: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  model: string;
  hospitals: number;
  /** Seeds of the train/test split and of the partition into hospitals; results pool over them. */
  splits: number[];
  /** Independent runs per split (fresh noise, initialization seed + run). */
  repeats: number;
  /** Also train without DP (plain FedAvg, same rounds) as a reference. */
  baseline: boolean;
  /**
   * 'local': every party standardizes with its own statistics; 'pooled': everyone uses the
   * statistics of the pooled training records (as if they were public reference values).
   */
  scaling: 'local' | 'pooled';
  /** Local epochs of the non-private baseline. */
  baselineEpochs: number;
  /** Also report the average of the global models over this last fraction of the rounds. */
  averageTail: number;
  /** Seeded noise for a reproducible research run (no privacy); default crypto. */
  noiseSeed?: number;
  /** Initial weights of `logreg`: Glorot-uniform from the seed, or all zeros. */
  init: 'glorot' | 'zeros';
  /** Feature columns used (indices into the 30); all by default. */
  features?: number[];
  /** Per-record transform before scaling: none, or log(x + 1e-3) of every (non-negative) feature. */
  transform: 'none' | 'log';
  /** 'auto': exact Gaussian accounting when q = 1 (what workers do); 'rdp': the RDP accountant. */
  accounting: 'auto' | 'rdp';
  /** Research only: use this noise multiplier instead of the calibrated one (NO guarantee). */
  noiseMultiplier?: number;
}

/** A logistic-regression model (30 -> 2 softmax), for comparison with the wdbc-mlp. */
function buildModel(
  name: string,
  seed: number,
  features = 30,
  init: 'glorot' | 'zeros' = 'glorot',
): tf.LayersModel {
  if (name !== 'logreg') return buildBuiltinModel(name, seed);
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [features],
        units: 2,
        activation: 'softmax',
        kernelInitializer:
          init === 'zeros' ? tf.initializers.zeros() : tf.initializers.glorotUniform({ seed }),
      }),
    ],
  });
}

/**
 * One split: a stratified 20% test set, the rest dealt IID to the hospitals. Every party
 * standardizes its own records with its own statistics (a scaler never leaves its owner).
 */
async function wdbcSplit(
  seed: number,
  hospitals: number,
  scaling: 'local' | 'pooled',
  features?: number[],
  transform: 'none' | 'log' = 'none',
) {
  const identity = {
    kind: 'none' as const,
    center: new Array<number>(30).fill(0),
    scale: new Array<number>(30).fill(1),
  };
  let { dataset: raw } = await loadWdbc({ scaler: identity });
  if (transform === 'log') raw = { ...raw, x: raw.x.map((v) => Math.log(v + 1e-3)) };
  if (features) {
    const f = features.length;
    const x = new Float32Array(raw.n * f);
    for (let i = 0; i < raw.n; i++) for (let j = 0; j < f; j++) x[i * f + j] = raw.x[i * 30 + features[j]!]!;
    raw = { ...raw, x, featureShape: [f] };
  }
  const split = trainTestSplit(raw, { testFraction: 0.2, seed, stratify: true });
  const pooled = fitScaler(split.train, 'standard');
  const scale = (d: Dataset) => applyScaler(d, scaling === 'local' ? fitScaler(d, 'standard') : pooled);
  const test = scale(split.test);
  const parts = partitionIid(split.train.n, hospitals, seed);
  const locals = parts.map((idx) => scale(subset(split.train, idx)));
  return { test, hospitals: locals };
}

type LocalTrainer = (model: tf.LayersModel, data: Dataset, hospital: number) => Promise<unknown>;

/** FedAvg over the hospitals for `rounds` rounds; test accuracy and loss after each round. */
async function fedAvg(
  buildModel: (name: string, seed: number) => tf.LayersModel,
  model: string,
  initSeed: number,
  rounds: number,
  hospitals: Dataset[],
  test: Dataset,
  train: LocalTrainer,
  averageFrom: number,
) {
  const global = buildModel(model, initSeed);
  const local = buildModel(model, initSeed);
  const probe = buildModel(model, initSeed);
  const accuracy: number[] = [];
  const loss: number[] = [];
  const averaged: number[] = [];
  let weights = getFlatWeights(global);
  const tail = new Float64Array(weights.length);
  let tailCount = 0;
  for (let r = 1; r <= rounds; r++) {
    const sum = new Float64Array(weights.length);
    let total = 0;
    for (let h = 0; h < hospitals.length; h++) {
      const data = hospitals[h]!;
      setFlatWeights(local, weights);
      await train(local, data, h);
      // Weighted by record counts (public: each hospital's registered dataset size).
      const w = getFlatWeights(local);
      for (let i = 0; i < w.length; i++) sum[i]! += data.n * w[i]!;
      total += data.n;
    }
    weights = Float32Array.from(sum, (v) => v / total);
    setFlatWeights(global, weights);
    const ev = await evaluate(global, test);
    accuracy.push(ev.accuracy);
    loss.push(ev.loss);
    // Iterate averaging (Polyak–Ruppert) of the global models from round `averageFrom` on: pure
    // post-processing of what the server already holds, so it costs no privacy.
    if (r >= averageFrom) {
      for (let i = 0; i < weights.length; i++) tail[i]! += weights[i]!;
      tailCount++;
      setFlatWeights(
        probe,
        Float32Array.from(tail, (v) => v / tailCount),
      );
      averaged.push((await evaluate(probe, test)).accuracy);
    } else {
      averaged.push(ev.accuracy);
    }
  }
  global.dispose();
  local.dispose();
  probe.dispose();
  return { accuracy, loss, averaged };
}

const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
const sd = (v: number[]) => {
  const m = mean(v);
  return v.length > 1 ? Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / (v.length - 1)) : 0;
};

function summarize(runs: { accuracy: number[]; loss: number[]; averaged: number[] }[], rounds: number) {
  const finals = runs.map((r) => r.accuracy[rounds - 1]!);
  const avgFinals = runs.map((r) => r.averaged[rounds - 1]!);
  return {
    accuracy: round(mean(finals)),
    accuracySd: round(sd(finals)),
    accuracyMin: round(Math.min(...finals)),
    accuracyMax: round(Math.max(...finals)),
    averagedAccuracy: round(mean(avgFinals)),
    averagedAccuracySd: round(sd(avgFinals)),
    averagedAccuracyMin: round(Math.min(...avgFinals)),
    runs: runs.length,
    curve: Array.from({ length: rounds }, (_, r) => ({
      round: r + 1,
      accuracy: round(mean(runs.map((x) => x.accuracy[r]!))),
      accuracySd: round(sd(runs.map((x) => x.accuracy[r]!))),
      averagedAccuracy: round(mean(runs.map((x) => x.averaged[r]!))),
      loss: round(mean(runs.map((x) => x.loss[r]!))),
    })),
  };
}

export async function federatedWdbc(o: WdbcDpOptions) {
  const random = o.noiseSeed === undefined ? createSecureRandom() : createSecureRandom({ seed: o.noiseSeed });
  // Plans depend only on a hospital's record count (and the job settings): calibrate once per count.
  const planCache = new Map<number, DpSgdPlan>();
  const planFor = (n: number) => {
    let plan = planCache.get(n);
    if (!plan) {
      plan = planDpSgd({
        targetEpsilon: o.epsilon,
        delta: o.delta,
        datasetSize: n,
        expectedBatchSize: o.batchSize,
        localEpochs: o.localEpochs,
        rounds: o.rounds,
        accounting: o.accounting,
      });
      planCache.set(n, plan);
    }
    return plan;
  };
  const build = (name: string, seed: number) => buildModel(name, seed, o.features?.length ?? 30, o.init);
  type Run = Awaited<ReturnType<typeof fedAvg>>;
  const dpRuns: Run[] = [];
  const plainRuns: Run[] = [];
  const averageFrom = Math.max(1, Math.ceil(o.rounds * (1 - o.averageTail)) + 1);
  let testRecords = 0;
  for (const seed of o.splits) {
    const { test, hospitals } = await wdbcSplit(seed, o.hospitals, o.scaling, o.features, o.transform);
    testRecords = test.n;
    const plans = hospitals.map((h) => planFor(h.n));
    for (let rep = 0; rep < o.repeats; rep++) {
      const dp = await fedAvg(
        build,
        o.model,
        seed + rep,
        o.rounds,
        hospitals,
        test,
        (model, data, h) =>
          trainDpSgd(model, data, {
            noiseMultiplier: o.noiseMultiplier ?? plans[h]!.noiseMultiplier,
            clipNorm: o.clipNorm,
            sampleRate: plans[h]!.sampleRate,
            steps: plans[h]!.stepsPerRound,
            learningRate: o.learningRate,
            optimizer: o.optimizer,
            random,
          }),
        averageFrom,
      );
      dpRuns.push(dp);
      let line = `  split ${seed} run ${rep + 1}: DP accuracy by round ${dp.accuracy.map((a) => (100 * a).toFixed(1)).join(' ')}`;
      if (o.baseline) {
        const plain = await fedAvg(
          build,
          o.model,
          seed + rep,
          o.rounds,
          hospitals,
          test,
          (model, data) =>
            trainLocal(model, data, {
              epochs: o.baselineEpochs,
              batchSize: 16,
              learningRate: 0.1,
              seed: seed + rep,
            }),
          averageFrom,
        );
        plainRuns.push(plain);
        line += ` | non-private final ${(100 * plain.accuracy[o.rounds - 1]!).toFixed(1)}`;
      }
      log(line);
    }
  }
  const plans = [...planCache.entries()].sort((a, b) => b[0] - a[0]);
  return {
    ...summarize(dpRuns, o.rounds),
    ...(o.baseline ? { nonPrivate: summarize(plainRuns, o.rounds) } : {}),
    testRecords,
    hospitalPlans: plans.map(([records, p]) => ({
      records,
      sampleRate: round(p.sampleRate, 6),
      stepsPerRound: p.stepsPerRound,
      totalSteps: p.totalSteps,
      noiseMultiplier: round(p.noiseMultiplier, 6),
      epsilon: round(p.epsilon, 6),
      order: p.order,
      accounting: p.accounting,
    })),
    epsilon: Math.max(...plans.map(([, p]) => p.epsilon)),
    delta: o.delta,
    settings: { ...o },
  };
}

// ---------------------------------------------------------------------------------------------
// Membership inference
// ---------------------------------------------------------------------------------------------

interface MiaOptions {
  epsilon: number;
  delta: number;
  seed: number;
  members: number;
  /** Epochs of the non-private model (long, to overfit as an unprotected model would). */
  epochs: number;
  /** DP-SGD settings of the private model. */
  dpEpochs: number;
  dpBatch: number;
  dpLearningRate: number;
  dpClip: number;
}

async function mia(o: MiaOptions) {
  // Members and non-members: two disjoint random halves of one random draw, so the attack's prior is 1/2.
  const pool = await loadMnistPackage({ count: 2 * o.members, seed: o.seed });
  const members = subset(
    pool,
    Int32Array.from({ length: o.members }, (_, i) => i),
  );
  const nonMembers = subset(
    pool,
    Int32Array.from({ length: o.members }, (_, i) => o.members + i),
  );
  const out: Record<string, unknown> = {};
  for (const mode of ['plain', 'dp'] as const) {
    const m = buildBuiltinModel('fedavg-2nn', o.seed);
    let epsilon = Infinity;
    if (mode === 'plain') {
      await trainLocal(m, members, { epochs: o.epochs, batchSize: 32, learningRate: 0.1, seed: o.seed });
    } else {
      const plan = planDpSgd({
        targetEpsilon: o.epsilon,
        delta: o.delta,
        datasetSize: members.n,
        expectedBatchSize: o.dpBatch,
        localEpochs: o.dpEpochs,
      });
      await trainDpSgd(m, members, {
        noiseMultiplier: plan.noiseMultiplier,
        clipNorm: o.dpClip,
        sampleRate: plan.sampleRate,
        steps: plan.stepsPerRound,
        learningRate: o.dpLearningRate,
      });
      epsilon = plan.epsilon;
    }
    const inLoss = await perExampleLosses(m, members);
    const outLoss = await perExampleLosses(m, nonMembers);
    const attack = membershipInference(inLoss, outLoss);
    const trainAcc = (await evaluate(m, members)).accuracy;
    const testAcc = (await evaluate(m, nonMembers)).accuracy;
    m.dispose();
    const bound = Number.isFinite(epsilon) ? membershipAdvantageBound(epsilon, o.delta) : undefined;
    out[mode] = {
      epsilon: Number.isFinite(epsilon) ? round(epsilon, 4) : 'Infinity',
      trainAccuracy: round(trainAcc),
      testAccuracy: round(testAcc),
      bestThresholdAdvantage: round(attack.advantage),
      yeomAdvantage: round(attack.yeomAdvantage),
      auc: round(attack.auc),
      ...(bound
        ? { boundHypothesisTesting: round(bound.hypothesisTesting), boundYeom: round(bound.yeom) }
        : {}),
    };
    log(`  ${mode}: ${JSON.stringify(out[mode])}`);
  }
  return {
    dataset: `mnist package, ${o.members} members / ${o.members} non-members`,
    model: 'fedavg-2nn',
    ...out,
  };
}

// ---------------------------------------------------------------------------------------------

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '6' },
      batch: { type: 'string', default: '32' },
      rounds: { type: 'string', default: '6' },
      loop: { type: 'boolean', default: false },
      accuracy: { type: 'boolean', default: false },
      mia: { type: 'boolean', default: false },
      'skip-ratio': { type: 'boolean', default: false },
      epsilon: { type: 'string', default: '1' },
      delta: { type: 'string', default: '1e-5' },
      'fl-rounds': { type: 'string', default: '10' },
      'local-epochs': { type: 'string', default: '1' },
      'fl-batch': { type: 'string', default: '1000' },
      clip: { type: 'string', default: '1' },
      lr: { type: 'string', default: '2' },
      optimizer: { type: 'string', default: 'sgd' },
      model: { type: 'string', default: 'logreg' },
      seed: { type: 'string', default: '0' },
      'noise-seed': { type: 'string' },
      init: { type: 'string', default: 'glorot' },
      features: { type: 'string' },
      transform: { type: 'string', default: 'none' },
      accounting: { type: 'string', default: 'auto' },
      'noise-multiplier': { type: 'string' },
      members: { type: 'string', default: '1000' },
      repeats: { type: 'string', default: '3' },
      splits: { type: 'string', default: '0,1,2,3,4,5,6,7,8,9' },
      baseline: { type: 'boolean', default: false },
      'baseline-epochs': { type: 'string', default: '5' },
      scaling: { type: 'string', default: 'local' },
      'average-tail': { type: 'string', default: '0.5' },
      'mia-epochs': { type: 'string', default: '30' },
      'mia-dp-epochs': { type: 'string', default: '15' },
      'mia-dp-batch': { type: 'string', default: '128' },
      'mia-dp-lr': { type: 'string', default: '0.1' },
      'mia-dp-clip': { type: 'string', default: '1' },
    },
  });
  const backend = await useTrainingBackend('wasm');
  const result: Record<string, unknown> = { backend };
  const batch = Number(values.batch);
  if (!values['skip-ratio']) {
    const seconds = Number(values.seconds);
    const rounds = Number(values.rounds);
    log(`throughput, batch ${batch}, ${seconds}s per method per model, ${rounds} alternating windows`);
    const mlp = await ratio('wdbc-mlp', [30], 2, batch, seconds, rounds, values.loop);
    log(
      `  wdbc-mlp: plain ${mlp.plain.toFixed(0)}/s  dp ${mlp.dp.toFixed(0)}/s  median ratio ${mlp.ratio.toFixed(3)}` +
        ` (per window: ${mlp.ratios.map((r) => r.toFixed(2)).join(' ')})` +
        (mlp.naive ? `  naive loop ${mlp.naive.toFixed(0)}/s` : ''),
    );
    const cnn = await ratio('lenet5', [28, 28, 1], 10, batch, seconds, rounds, values.loop);
    log(
      `  lenet5:   plain ${cnn.plain.toFixed(0)}/s  dp ${cnn.dp.toFixed(0)}/s  median ratio ${cnn.ratio.toFixed(3)}` +
        ` (per window: ${cnn.ratios.map((r) => r.toFixed(2)).join(' ')})` +
        (cnn.naive ? `  naive loop ${cnn.naive.toFixed(0)}/s` : ''),
    );
    Object.assign(result, {
      batchSize: batch,
      mlpThroughputRatio: round(mlp.ratio, 3),
      cnnThroughputRatio: round(cnn.ratio, 3),
      pooledRatios: { wdbcMlp: round(mlp.pooledRatio, 3), lenet5: round(cnn.pooledRatio, 3) },
      samplesPerSecond: {
        wdbcMlp: {
          plain: Math.round(mlp.plain),
          dp: Math.round(mlp.dp),
          ...(mlp.naive ? { naiveLoop: Math.round(mlp.naive) } : {}),
        },
        lenet5: {
          plain: Math.round(cnn.plain),
          dp: Math.round(cnn.dp),
          ...(cnn.naive ? { naiveLoop: Math.round(cnn.naive) } : {}),
        },
      },
    });
    const noise = createSecureRandom();
    const buf = new Float32Array(1 << 21);
    noise.fillGaussian(buf);
    const t0 = performance.now();
    noise.fillGaussian(buf);
    result.gaussianPerSecond = Math.round(buf.length / ((performance.now() - t0) / 1000));
  }
  if (values.accuracy) {
    const o: WdbcDpOptions = {
      epsilon: Number(values.epsilon),
      delta: Number(values.delta),
      rounds: Number(values['fl-rounds']),
      localEpochs: Number(values['local-epochs']),
      batchSize: Number(values['fl-batch']),
      clipNorm: Number(values.clip),
      learningRate: Number(values.lr),
      optimizer: values.optimizer === 'adam' ? 'adam' : 'sgd',
      model: values.model,
      hospitals: 3,
      splits: values.splits.split(',').map(Number),
      repeats: Number(values.repeats),
      baseline: values.baseline,
      scaling: values.scaling === 'pooled' ? 'pooled' : 'local',
      baselineEpochs: Number(values['baseline-epochs']),
      averageTail: Number(values['average-tail']),
      ...(values['noise-seed'] !== undefined ? { noiseSeed: Number(values['noise-seed']) } : {}),
      init: values.init === 'zeros' ? 'zeros' : 'glorot',
      ...(values.features !== undefined ? { features: values.features.split(',').map(Number) } : {}),
      transform: values.transform === 'log' ? 'log' : 'none',
      accounting: values.accounting === 'rdp' ? 'rdp' : 'auto',
      ...(values['noise-multiplier'] !== undefined
        ? { noiseMultiplier: Number(values['noise-multiplier']) }
        : {}),
    };
    log(`WDBC over 3 hospitals, record-level DP at epsilon ${o.epsilon}, delta ${o.delta}`);
    result.wdbcFederatedDp = await federatedWdbc(o);
  }
  if (values.mia) {
    log('membership inference (loss threshold)');
    result.membershipInference = await mia({
      epsilon: Number(values.epsilon),
      delta: Number(values.delta),
      seed: Number(values.seed),
      members: Number(values.members),
      epochs: Number(values['mia-epochs']),
      dpEpochs: Number(values['mia-dp-epochs']),
      dpBatch: Number(values['mia-dp-batch']),
      dpLearningRate: Number(values['mia-dp-lr']),
      dpClip: Number(values['mia-dp-clip']),
    });
  }
  return result;
}
