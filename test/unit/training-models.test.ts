import * as tf from '@tensorflow/tfjs';
import { useTrainingBackend } from '../../training/backend.js';
import { BUILTIN_MODELS, buildBuiltinModel, builtinModelInfo } from '../../training/models.js';
import { getFlatWeights, layoutSize, setFlatWeights, weightLayout } from '../../training/weights.js';
import { isError } from '../../common/errors.js';

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

describe('built-in models', () => {
  test('parameter counts match the published figures', () => {
    expect(builtinModelInfo('fedavg-2nn').params).toBe(199_210);
    expect(builtinModelInfo('fedavg-cnn').params).toBe(1_663_370);
    // LeNet-5 as in LeCun et al. 1998 (C1 156, C3 2,416, C5 48,120, F6 10,164, output 850).
    expect(builtinModelInfo('lenet5').params).toBe(61_706);
    expect(builtinModelInfo('wdbc-mlp')).toMatchObject({ inputShape: [30], numClasses: 2 });
  });

  test('lenet5 has the classic feature-map shapes', () => {
    const m = buildBuiltinModel('lenet5');
    const shapes = m.layers.map((l) => (l.outputShape as number[]).slice(1));
    expect(shapes).toEqual([
      [28, 28, 6],
      [14, 14, 6],
      [10, 10, 16],
      [5, 5, 16],
      [1, 1, 120],
      [120],
      [84],
      [10],
    ]);
    m.dispose();
  });

  test('every built-in predicts a probability vector over its classes', () => {
    for (const name of BUILTIN_MODELS) {
      const info = builtinModelInfo(name);
      const m = buildBuiltinModel(name);
      const p = tf.tidy(
        () => (m.predict(tf.zeros([2, ...info.inputShape])) as tf.Tensor).arraySync() as number[][],
      );
      expect(p).toHaveLength(2);
      expect(p[0]).toHaveLength(info.numClasses);
      expect(p[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      m.dispose();
    }
  });

  test('initial weights are a function of the seed', () => {
    const a = getFlatWeights(buildBuiltinModel('wdbc-mlp', 7));
    const b = getFlatWeights(buildBuiltinModel('wdbc-mlp', 7));
    const c = getFlatWeights(buildBuiltinModel('wdbc-mlp', 8));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  test('unknown built-in names are refused with the list of choices', () => {
    try {
      buildBuiltinModel('resnet-9000');
      throw new Error('expected a failure');
    } catch (e) {
      expect(isError(e, 'INVALID_MODEL')).toBe(true);
      expect((e as Error).message).toContain('wdbc-mlp');
    }
  });
});

describe('flat weights', () => {
  test('layout covers every weight, in model order, and round-trips', () => {
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const layout = weightLayout(m);
    expect(layout.map((s) => s.shape)).toEqual([[30, 32], [32], [32, 16], [16], [16, 2], [2]]);
    expect(layoutSize(layout)).toBe(m.countParams());
    const flat = getFlatWeights(m);
    const changed = flat.map((v, i) => v + i * 1e-3);
    setFlatWeights(m, changed);
    expect(Array.from(getFlatWeights(m))).toEqual(Array.from(changed));
    m.dispose();
  });

  test('a vector of the wrong length or with NaN is refused', () => {
    const m = buildBuiltinModel('wdbc-mlp', 1);
    expect(() => setFlatWeights(m, new Float32Array(10))).toThrow(/10 values but model .* needs 1554/);
    const bad = getFlatWeights(m);
    bad[5] = NaN;
    expect(() => setFlatWeights(m, bad)).toThrow(/non-finite value at index 5/);
    m.dispose();
  });
});

describe('training backend', () => {
  test('node-gpu fails with a clear message when tfjs-node-gpu is not installed', async () => {
    await expect(useTrainingBackend('node-gpu')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/tfjs-node-gpu.*not installed/),
    });
    expect(tf.getBackend()).toBe('wasm');
  });

  test('an unknown backend name is refused', async () => {
    await expect(useTrainingBackend('tpu' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

test('wdbc-logreg: 62 parameters, all zero at the start whatever the seed', () => {
  const w = getFlatWeights(buildBuiltinModel('wdbc-logreg', 7));
  expect(w).toHaveLength(62);
  expect(w.every((x) => x === 0)).toBe(true);
  expect(builtinModelInfo('wdbc-logreg')).toMatchObject({ inputShape: [30], numClasses: 2 });
});
