/**
 * What the WASM convolution-gradient kernel tests share: deterministic inputs, the padding and
 * rounding types, error measure, backend switching, and the check that one training step of a
 * small CNN moves every weight identically on 'wasm' and on 'cpu' (the ground truth).
 */
import * as tf from '@tensorflow/tfjs';

export type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
export type Rounding = 'floor' | 'round' | 'ceil';

/** Deterministic values in [-1, 1) from a 32-bit LCG, so both backends see the same inputs. */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function pair(v: number | [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

/** Largest absolute difference, relative to the largest magnitude in the reference. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  }
  return Number.isNaN(maxDiff) ? Infinity : maxDiff / Math.max(scale, 1e-12);
}

export async function use(backend: 'cpu' | 'wasm'): Promise<void> {
  if (tf.getBackend() !== backend) expect(await tf.setBackend(backend)).toBe(true);
}

/**
 * One `model.fit` step from the same seeded weights on 'cpu' and on 'wasm': the step must move
 * every weight tensor on cpu, and wasm must move it identically (compared on the update).
 * `buildModel` makes a compiled model over inputs of `shape`; the batch is 6 with labels 0..2.
 */
export async function expectSameTrainingStep(
  buildModel: () => tf.Sequential,
  shape: [number, number, number],
  classes: number,
): Promise<void> {
  const B = 6;
  const trainOneStep = async (backend: 'cpu' | 'wasm', initial: Float32Array[]): Promise<Float32Array[]> => {
    await use(backend);
    const model = buildModel();
    const shapes = model.getWeights().map((t) => t.shape);
    model.setWeights(initial.map((v, i) => tf.tensor(v, shapes[i])));
    const xs = tf.tensor4d(seeded(B * shape[0] * shape[1] * shape[2], 11), [B, ...shape]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 2, 1, 0], 'int32'), classes);
    const history = await model.fit(xs, ys, { batchSize: B, epochs: 1, shuffle: false, verbose: 0 });
    expect(history.history['loss']).toHaveLength(1);
    const after = model.getWeights().map((t) => t.dataSync() as Float32Array);
    tf.dispose([xs, ys]);
    model.dispose();
    return after;
  };

  await use('cpu');
  // Seeded initial weights, scaled up so the ReLUs are not all dead and every weight moves.
  const template = buildModel();
  const initial = template.getWeights().map((t, i) => seeded(t.size, 100 + i).map((v) => v * 0.5));
  template.dispose();

  const onCpu = await trainOneStep('cpu', initial);
  const onWasm = await trainOneStep('wasm', initial);
  expect(onWasm).toHaveLength(initial.length);
  for (let i = 0; i < initial.length; i++) {
    const before = initial[i] ?? new Float32Array();
    const cpu = onCpu[i] ?? new Float32Array();
    const wasm = onWasm[i] ?? new Float32Array();
    // The step changed this weight tensor on cpu...
    const moved = cpu.reduce((m, v, j) => Math.max(m, Math.abs(v - (before[j] ?? 0))), 0);
    expect(moved).toBeGreaterThan(1e-3);
    // ...and wasm moved it identically (compared on the update, the stricter quantity).
    const deltaCpu = cpu.map((v, j) => v - (before[j] ?? 0));
    const deltaWasm = wasm.map((v, j) => v - (before[j] ?? 0));
    expect(relativeError(deltaWasm, deltaCpu)).toBeLessThan(1e-4);
  }
}
