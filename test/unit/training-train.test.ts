import { useTrainingBackend } from '../../training/backend.js';
import { buildBuiltinModel } from '../../training/models.js';
import { evaluate, trainLocal, type TrainProgress } from '../../training/train.js';
import { getFlatWeights, setFlatWeights } from '../../training/weights.js';
import { runCentralTraining } from '../../training/central-run.js';
import { loadSchema } from '../../datasets/schema.js';
import { loadWdbc, wdbcPaths } from '../../datasets/wdbc.js';
import { loadMnistPackage } from '../../datasets/mnist-package.js';
import { trainTestSplit } from '../../datasets/dataset.js';

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

describe('local training', () => {
  test('is bit-for-bit repeatable for a seed and differs for another seed', async () => {
    const { dataset } = await loadWdbc();
    const run = async (seed: number) => {
      const m = buildBuiltinModel('wdbc-mlp', 1);
      await trainLocal(m, dataset, { epochs: 2, batchSize: 16, seed });
      const w = getFlatWeights(m);
      m.dispose();
      return Buffer.from(w.buffer);
    };
    const a = await run(5);
    expect(a.equals(await run(5))).toBe(true);
    expect(a.equals(await run(6))).toBe(false);
  });

  test('reports progress per batch and the epoch loss at the end of each epoch', async () => {
    const { dataset } = await loadWdbc();
    const events: TrainProgress[] = [];
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const r = await trainLocal(m, dataset, { epochs: 2, batchSize: 100, onProgress: (e) => events.push(e) });
    m.dispose();
    expect(events).toHaveLength(2 * 6);
    expect(events.filter((e) => e.epochLoss !== undefined).map((e) => e.epoch)).toEqual([0, 1]);
    expect(r).toMatchObject({ samples: 2 * 569, steps: 12 });
    expect(r.loss).toBeGreaterThan(0);
  });

  test('stops between batches when its signal is aborted', async () => {
    const { dataset } = await loadWdbc();
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const controller = new AbortController();
    let batches = 0;
    const p = trainLocal(m, dataset, {
      epochs: 50,
      batchSize: 8,
      signal: controller.signal,
      onProgress: () => {
        if (++batches === 3) controller.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(batches).toBe(3);
    m.dispose();
  });

  test('FedProx keeps the weights closer to where training started', async () => {
    const { dataset } = await loadWdbc();
    const start = getFlatWeights(buildBuiltinModel('wdbc-mlp', 2));
    const drift = async (proximalMu: number) => {
      const m = buildBuiltinModel('wdbc-mlp', 2);
      setFlatWeights(m, start);
      await trainLocal(m, dataset, { epochs: 3, batchSize: 16, learningRate: 0.1, proximalMu });
      const w = getFlatWeights(m);
      m.dispose();
      return Math.sqrt(w.reduce((s, v, i) => s + (v - start[i]!) ** 2, 0));
    };
    expect(await drift(1)).toBeLessThan(0.8 * (await drift(0)));
  });
});

describe('centralized training reaches the expected accuracy', () => {
  test('wdbc-mlp reaches >= 96% held-out accuracy (mean over five different splits)', async () => {
    // One split holds out 114 records, so one record moves accuracy by 0.9 points; the mean over
    // five seeds (each its own split, initialization and shuffling) is the figure that means something.
    const paths = wdbcPaths();
    const schema = await loadSchema(paths.schema);
    const accuracies: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const r = await runCentralTraining({ model: { builtin: 'wdbc-mlp' }, csv: paths.csv, schema, seed });
      r.model.dispose();
      expect(r.testRecords).toBe(114);
      accuracies.push(r.testAccuracy);
    }
    const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
    expect(mean).toBeGreaterThanOrEqual(0.96);
    expect(Math.min(...accuracies)).toBeGreaterThanOrEqual(0.94);
  });

  test('lenet5 trains on the mnist package digits (accuracy well above chance)', async () => {
    const ds = await loadMnistPackage({ count: 1500, seed: 1 });
    const { train, test } = trainTestSplit(ds, { testFraction: 0.2, seed: 1 });
    const m = buildBuiltinModel('lenet5', 1);
    const before = await evaluate(m, test);
    await trainLocal(m, train, { epochs: 3, batchSize: 32, learningRate: 0.1, seed: 1 });
    const after = await evaluate(m, test);
    m.dispose();
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThan(0.7);
  });
});
