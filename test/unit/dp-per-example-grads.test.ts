import * as tf from '@tensorflow/tfjs';
import { isError } from '../../common/errors.js';
import { createPerExampleGradients } from '../../privacy/dp-per-example-grads.js';
import { useTrainingBackend } from '../../training/backend.js';
import { buildBuiltinModel } from '../../training/models.js';
import { createRng } from '../../datasets/rng.js';

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

/** Seeded inputs in [-1, 1) and one-hot labels. */
function batch(b: number, shape: number[], classes: number, seed: number) {
  const rng = createRng(seed);
  const f = shape.reduce((a, c) => a * c, 1);
  const x = tf.tensor(
    Float32Array.from({ length: b * f }, () => 2 * rng.next() - 1),
    [b, ...shape],
  );
  const y = tf
    .oneHot(
      tf.tensor1d(
        Int32Array.from({ length: b }, () => rng.int(classes)),
        'int32',
      ),
      classes,
    )
    .toFloat() as tf.Tensor2D;
  return { x, y };
}

/**
 * The reference: one tf.variableGrads per example through model.apply, written independently of
 * the module under test (its own loss, its own loop).
 */
function loopGrads(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor2D): Float32Array[][] {
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const out: Float32Array[][] = vars.map(() => []);
  for (let i = 0; i < x.shape[0]; i++) {
    const { grads, value } = tf.variableGrads(() => {
      const p = model.apply(tf.slice(x, i, 1), { training: true }) as tf.Tensor;
      return tf.neg(tf.sum(tf.mul(tf.slice(y, i, 1), tf.log(tf.clipByValue(p, 1e-7, 1))))) as tf.Scalar;
    }, vars);
    vars.forEach((v, j) => out[j]!.push(grads[v.name]!.dataSync() as Float32Array));
    tf.dispose([value, ...Object.values(grads)]);
  }
  return out;
}

/** max |a - b| relative to max(1e-3, max |b|) over the whole tensor. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

function checkAgainstLoop(model: tf.LayersModel, b: number, classes: number, seed: number) {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const { x, y } = batch(b, shape, classes, seed);
  const engine = createPerExampleGradients(model);
  const ref = loopGrads(model, x, y);

  // Per-example gradients.
  const per = engine.grads(x, y);
  per.forEach((t, j) => {
    const data = t.dataSync();
    const size = data.length / b;
    for (let i = 0; i < b; i++)
      expect(relErr(data.subarray(i * size, (i + 1) * size), ref[j]![i]!)).toBeLessThan(1e-5);
  });

  // Norms (ghost or materialized, never compared to themselves).
  const refNorms = Array.from({ length: b }, (_, i) =>
    Math.sqrt(ref.reduce((acc, g) => acc + g[i]!.reduce((s, v) => s + v * v, 0), 0)),
  );
  const norms = engine.norms(x, y);
  expect(relErr(norms.dataSync(), refNorms)).toBeLessThan(1e-5);

  // Clipped sum at the median norm: about half the examples are clipped.
  const clip = [...refNorms].sort((p, q) => p - q)[Math.floor(b / 2)]!;
  const factors = refNorms.map((n) => Math.min(1, clip / (n + 1e-6)));
  const scale = 0.25;
  const { sums, lossSum, norms: n2 } = engine.clippedSum(x, y, clip, scale);
  sums.forEach((t, j) => {
    const expected = new Float64Array(ref[j]![0]!.length);
    for (let i = 0; i < b; i++) ref[j]![i]!.forEach((v, k) => (expected[k]! += scale * factors[i]! * v));
    expect(relErr(t.dataSync(), expected)).toBeLessThan(1e-5);
  });
  expect(lossSum.dataSync()[0]).toBeGreaterThan(0);
  tf.dispose([x, y, norms, n2, lossSum, ...per, ...sums]);
  return engine.layers.map((l) => l.method);
}

describe('per-example gradients (vectorized) equal the per-example loop to 1e-5', () => {
  test('wdbc-mlp: dense layers, norms without materializing', () => {
    const m = buildBuiltinModel('wdbc-mlp', 3);
    expect(checkAgainstLoop(m, 12, 2, 1)).toEqual(['dense', 'dense', 'dense']);
    m.dispose();
  });

  test('lenet5: convolutions (same and valid padding) by one depthwise correlation, pooling, dense', () => {
    const m = buildBuiltinModel('lenet5', 4);
    // C1 and C3 materialize per-example kernels (cheaper there); C5 has one output position.
    expect(checkAgainstLoop(m, 4, 10, 2)).toEqual([
      'linear-materialized',
      'linear-materialized',
      'dense',
      'dense',
      'dense',
    ]);
    m.dispose();
  });

  test('convolutions with stride 2 and padding same, a non-square kernel, no bias, ghost norms', () => {
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 4],
          filters: 32,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(1),
          biasInitializer: 'randomNormal',
        }),
        tf.layers.conv2d({
          filters: 5,
          kernelSize: [2, 3],
          strides: [1, 2],
          padding: 'same',
          useBias: false,
          activation: 'tanh',
          kernelInitializer: init(2),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }),
      ],
    });
    const methods = checkAgainstLoop(m, 5, 3, 3);
    // 4x4 outputs, K=36, O=32: T(K+O) < K*O, so the first conv uses ghost norms.
    expect(methods).toEqual(['linear-ghost', 'linear-materialized', 'dense']);
    m.dispose();
  });

  test('dense on sequences, and a layer without a vectorized form (Conv1D) through the layer loop', () => {
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const m = tf.sequential({
      layers: [
        tf.layers.conv1d({
          inputShape: [6, 3],
          filters: 4,
          kernelSize: 2,
          activation: 'relu',
          kernelInitializer: init(4),
        }),
        tf.layers.dense({ units: 5, activation: 'elu', kernelInitializer: init(5) }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0 }),
        tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init(6) }),
      ],
    });
    expect(checkAgainstLoop(m, 6, 2, 4)).toEqual(['layer-loop', 'linear-materialized', 'dense']);
    m.dispose();
  });

  test('a model that is not a chain falls back to the whole-model loop', () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3, activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(sum) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    expect(checkAgainstLoop(m, 5, 2, 5)).toEqual(['model-loop', 'model-loop', 'model-loop']);
    m.dispose();
  });

  test('refuses BatchNormalization, which mixes the examples of a batch', () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 3 }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    let error: unknown;
    try {
      createPerExampleGradients(m);
    } catch (e) {
      error = e;
    }
    expect(isError(error, 'INVALID_MODEL')).toBe(true);
    m.dispose();
  });

  test('does not leak tensors', () => {
    const init = tf.initializers.glorotUniform({ seed: 1 });
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 4],
          filters: 32,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          kernelInitializer: init,
        }),
        tf.layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: init }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init }),
      ],
    });
    const { x, y } = batch(5, [8, 8, 4], 2, 9);
    const before = tf.memory().numTensors;
    const engine = createPerExampleGradients(m);
    for (let i = 0; i < 3; i++) {
      const r = engine.clippedSum(x, y, 1);
      tf.dispose([...r.sums, r.norms, r.lossSum]);
      tf.dispose(engine.norms(x, y));
      tf.dispose(engine.grads(x, y));
    }
    engine.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    m.dispose();
  });
});
