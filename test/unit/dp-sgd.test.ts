import * as tf from '@tensorflow/tfjs';
import { isError } from '../../common/errors.js';
import { trainTestSplit } from '../../datasets/dataset.js';
import type { Dataset } from '../../datasets/dataset.js';
import { loadWdbc } from '../../datasets/wdbc.js';
import { dpSgdEpsilon, dpSgdSchedule, planDpSgd } from '../../privacy/dp-accounting.js';
import { trainDpSgd, withRecordLevelDp } from '../../privacy/dp-sgd.js';
import { computeEpsilon, createRdpAccountant } from '../../privacy/rdp-accountant.js';
import { createSecureRandom } from '../../privacy/secure-random.js';
import { useTrainingBackend } from '../../training/backend.js';
import { buildBuiltinModel } from '../../training/models.js';
import { evaluate, trainLocal } from '../../training/train.js';
import type { TrainProgress } from '../../training/train.js';
import { getFlatWeights } from '../../training/weights.js';

let wdbc: Dataset;
beforeAll(async () => {
  await useTrainingBackend('wasm');
  wdbc = (await loadWdbc()).dataset;
});

const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('trainDpSgd', () => {
  test('without noise, q = 1 and a clip norm never reached, one step equals plain full-batch SGD', async () => {
    const plain = buildBuiltinModel('wdbc-mlp', 2);
    await trainLocal(plain, wdbc, { batchSize: wdbc.n, learningRate: 0.1 });
    const dp = buildBuiltinModel('wdbc-mlp', 2);
    const r = await trainDpSgd(dp, wdbc, {
      noiseMultiplier: 0,
      clipNorm: 1e6,
      sampleRate: 1,
      steps: 1,
      learningRate: 0.1,
    });
    expect(r).toMatchObject({ steps: 1, samples: wdbc.n, clippedFraction: 0 });
    expect(maxAbsDiff(getFlatWeights(dp), getFlatWeights(plain))).toBeLessThan(1e-6);
    plain.dispose();
    dp.dispose();
  });

  test('adds N(0, (sigma C / qN)^2) per coordinate: the update of a zero-gradient loss is pure noise', async () => {
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const before = getFlatWeights(m);
    const sigma = 2;
    const clipNorm = 0.5;
    const q = 0.1;
    await trainDpSgd(m, wdbc, {
      noiseMultiplier: sigma,
      clipNorm,
      sampleRate: q,
      steps: 1,
      learningRate: 1,
      loss: (_y, p) => tf.mul(tf.sum(p, -1), 0), // depends on the output, gradient 0
      random: createSecureRandom({ seed: 11 }),
    });
    const delta = getFlatWeights(m).map((v, i) => v - before[i]!);
    const n = delta.length;
    const mean = delta.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(delta.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const expected = (sigma * clipNorm) / (q * wdbc.n);
    // n = 1554 coordinates: the sample sd is within ~1.8% of the truth (1 se); allow 4 se.
    expect(Math.abs(sd / expected - 1)).toBeLessThan(4 / Math.sqrt(2 * n));
    expect(Math.abs(mean)).toBeLessThan((4 * expected) / Math.sqrt(n));
    m.dispose();
  });

  test('learns WDBC under DP, reproducibly for a seeded source, and reports epsilon from the accountant', async () => {
    const { train, test } = trainTestSplit(wdbc, { seed: 1 });
    const run = async (seed: number) => {
      const m = buildBuiltinModel('wdbc-mlp', 1);
      const r = await trainDpSgd(m, train, {
        noiseMultiplier: 1,
        clipNorm: 1,
        batchSize: 64,
        epochs: 5,
        learningRate: 0.5,
        delta: 1e-5,
        random: createSecureRandom({ seed }),
      });
      const acc = (await evaluate(m, test)).accuracy;
      const w = getFlatWeights(m);
      m.dispose();
      return { r, acc, w };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(b.w.buffer))).toBe(true);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(c.w.buffer))).toBe(false);
    expect(a.acc).toBeGreaterThan(0.9);
    const q = 64 / train.n;
    const steps = Math.round(5 / q);
    expect(a.r).toMatchObject({ steps, sampleRate: q, noiseMultiplier: 1, clipNorm: 1, delta: 1e-5 });
    expect(a.r.epsilon).toBe(
      computeEpsilon({ noiseMultiplier: 1, sampleRate: q, steps, delta: 1e-5 }).epsilon,
    );
    expect(a.r.clippedFraction).toBeGreaterThan(0);
    expect(a.r.layers.map((l) => l.method)).toEqual(['dense', 'dense', 'dense']);
  });

  test('composes into a running accountant across calls (rounds)', async () => {
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const accountant = createRdpAccountant();
    const opts = { noiseMultiplier: 1.1, sampleRate: 0.05, steps: 7, delta: 1e-5, accountant };
    await trainDpSgd(m, wdbc, opts);
    const r2 = await trainDpSgd(m, wdbc, opts);
    const once = computeEpsilon({ noiseMultiplier: 1.1, sampleRate: 0.05, steps: 14, delta: 1e-5 }).epsilon;
    expect(r2.epsilon).toBeCloseTo(once, 10);
    m.dispose();
  });

  test('reports progress per step with epoch losses, and stops (still accounting the steps taken) on abort', async () => {
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const events: TrainProgress[] = [];
    const r = await trainDpSgd(m, wdbc, {
      noiseMultiplier: 1,
      sampleRate: 0.25,
      epochs: 2,
      onProgress: (e) => events.push(e),
    });
    expect(r.steps).toBe(8);
    expect(events).toHaveLength(8);
    expect(events.filter((e) => e.epochLoss !== undefined).map((e) => e.epoch)).toEqual([0, 1]);
    expect(events.every((e) => e.epochs === 2 && e.batches === 4)).toBe(true);

    const controller = new AbortController();
    const accountant = createRdpAccountant();
    let seen = 0;
    const p = trainDpSgd(m, wdbc, {
      noiseMultiplier: 1,
      sampleRate: 0.1,
      steps: 1000,
      accountant,
      signal: controller.signal,
      onProgress: () => {
        if (++seen === 3) controller.abort();
      },
    });
    expect(isError(await p.catch((e: unknown) => e), 'ABORTED')).toBe(true);
    const spent = accountant.getEpsilon(1e-5).epsilon;
    expect(spent).toBeCloseTo(
      computeEpsilon({ noiseMultiplier: 1, sampleRate: 0.1, steps: 3, delta: 1e-5 }).epsilon,
      10,
    );
    m.dispose();
  });

  test('withRecordLevelDp has the trainLocal shape and passes the job options through', async () => {
    const train = withRecordLevelDp({ noiseMultiplier: 0.8, clipNorm: 2, delta: 1e-5 });
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const r = await train(m, wdbc, { batchSize: 100, epochs: 1, learningRate: 0.1 });
    expect(r).toMatchObject({ noiseMultiplier: 0.8, clipNorm: 2, sampleRate: 100 / wdbc.n, steps: 6 });
    expect(r.epsilon).toBeGreaterThan(0);
    m.dispose();
  });

  test('rejects invalid settings with INVALID_ARGUMENT', async () => {
    const m = buildBuiltinModel('wdbc-mlp', 1);
    for (const bad of [
      { noiseMultiplier: -1 },
      { noiseMultiplier: 1, clipNorm: 0 },
      { noiseMultiplier: 1, sampleRate: 1.5 },
      { noiseMultiplier: 1, steps: 0 },
      { noiseMultiplier: 1, delta: 1 },
    ]) {
      const error = await trainDpSgd(m, wdbc, bad).catch((e: unknown) => e);
      expect(isError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
    m.dispose();
  });
});

describe('DP-SGD accounting glue', () => {
  test('schedule: q = B/N and round(epochs/q) steps per round', () => {
    expect(dpSgdSchedule({ datasetSize: 152, expectedBatchSize: 64, localEpochs: 1 })).toEqual({
      sampleRate: 64 / 152,
      stepsPerRound: 2,
    });
    expect(dpSgdSchedule({ datasetSize: 1000, sampleRate: 0.01, stepsPerRound: 7 })).toEqual({
      sampleRate: 0.01,
      stepsPerRound: 7,
    });
    expect(dpSgdSchedule({ datasetSize: 10, expectedBatchSize: 64 }).sampleRate).toBe(1);
  });

  test('epsilon of a job composes rounds x steps; the plan is the smallest noise within the target', () => {
    const e = dpSgdEpsilon({
      noiseMultiplier: 1.2,
      sampleRate: 0.02,
      stepsPerRound: 50,
      rounds: 4,
      delta: 1e-5,
    });
    expect(e.totalSteps).toBe(200);
    expect(e.epsilon).toBe(
      computeEpsilon({ noiseMultiplier: 1.2, sampleRate: 0.02, steps: 200, delta: 1e-5 }).epsilon,
    );

    const plan = planDpSgd({
      targetEpsilon: 1,
      delta: 1e-5,
      datasetSize: 640,
      expectedBatchSize: 64,
      localEpochs: 1,
      rounds: 10,
    });
    expect(plan).toMatchObject({ sampleRate: 0.1, stepsPerRound: 10, totalSteps: 100 });
    expect(plan.epsilon).toBeLessThanOrEqual(1);
    const at = (sigma: number) =>
      dpSgdEpsilon({
        noiseMultiplier: sigma,
        sampleRate: plan.sampleRate,
        stepsPerRound: 10,
        rounds: 10,
        delta: 1e-5,
      }).epsilon;
    expect(at(plan.noiseMultiplier)).toBeLessThanOrEqual(1);
    expect(at(plan.noiseMultiplier * (1 - 1e-5))).toBeGreaterThan(1);
  });
});
