/**
 * The WASM Conv2DBackpropFilter kernel against the pure-JS 'cpu' backend as ground truth: filter
 * gradients over a table of convolution shapes, memory hygiene, and one training step of a small
 * CNN whose weights must move identically on both backends.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { isError } from '../../common/errors.js';
import {
  expectSameTrainingStep,
  pair,
  relativeError,
  seeded,
  use,
  type Pad,
  type Rounding,
} from '../helpers/wasm-conv.js';
import { registerWasmConv2DBackpropFilter } from '../../training/wasm-conv2d-backprop-filter.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  rounding?: Rounding;
}

const CASES: Case[] = [
  { name: '1x1 kernel, batch 1', x: [1, 5, 5, 3], k: [1, 1], co: 4, strides: 1, pad: 'valid' },
  {
    name: '1x1 kernel, stride 2 > kernel, odd size',
    x: [2, 7, 7, 2],
    k: [1, 1],
    co: 3,
    strides: 2,
    pad: 'valid',
  },
  { name: 'batch 1, one channel in and out', x: [1, 6, 6, 1], k: [3, 3], co: 1, strides: 1, pad: 'valid' },
  { name: '3x3 same, stride 1, batch 3', x: [3, 8, 8, 2], k: [3, 3], co: 5, strides: 1, pad: 'same' },
  { name: 'same, even kernel: asymmetric pad', x: [2, 9, 6, 2], k: [4, 4], co: 3, strides: 1, pad: 'same' },
  {
    name: 'same, stride 2, even input: asymmetric pad',
    x: [2, 8, 8, 3],
    k: [3, 3],
    co: 4,
    strides: 2,
    pad: 'same',
  },
  { name: 'same, stride 2, odd input', x: [2, 7, 9, 1], k: [3, 3], co: 4, strides: 2, pad: 'same' },
  { name: 'same, unequal strides [1,2]', x: [2, 9, 11, 3], k: [3, 2], co: 4, strides: [1, 2], pad: 'same' },
  { name: 'same, unequal strides [3,2]', x: [2, 10, 9, 2], k: [2, 3], co: 3, strides: [3, 2], pad: 'same' },
  {
    name: 'valid, stride 3 > kernel 2 (cropped tail)',
    x: [2, 10, 11, 1],
    k: [2, 2],
    co: 3,
    strides: 3,
    pad: 'valid',
  },
  {
    name: 'valid 5x5, stride 2 on 28x28 (cropped tail)',
    x: [3, 28, 28, 1],
    k: [5, 5],
    co: 8,
    strides: 2,
    pad: 'valid',
  },
  { name: 'valid, kernel as large as input', x: [3, 5, 5, 2], k: [5, 5], co: 2, strides: 1, pad: 'valid' },
  { name: 'numeric pad 1', x: [2, 6, 6, 2], k: [3, 3], co: 3, strides: 1, pad: 1 },
  { name: 'numeric pad 2, stride 2', x: [2, 7, 7, 2], k: [3, 3], co: 3, strides: 2, pad: 2 },
  {
    name: 'explicit asymmetric pads, strides [2,1]',
    x: [2, 7, 8, 2],
    k: [3, 3],
    co: 3,
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  {
    name: 'explicit pads wider than the kernel',
    x: [2, 5, 6, 1],
    k: [2, 2],
    co: 2,
    strides: 1,
    pad: [
      [0, 0],
      [3, 0],
      [2, 4],
      [0, 0],
    ],
  },
  {
    name: "dimRoundingMode 'ceil' grows the output",
    x: [2, 6, 6, 2],
    k: [3, 3],
    co: 3,
    strides: 2,
    pad: 0,
    rounding: 'ceil',
  },
  {
    name: "dimRoundingMode 'round', pad 1",
    x: [2, 7, 7, 1],
    k: [4, 4],
    co: 2,
    strides: 2,
    pad: 1,
    rounding: 'round',
  },
  {
    name: "dimRoundingMode 'floor', pad 1",
    x: [2, 7, 7, 1],
    k: [4, 4],
    co: 2,
    strides: 2,
    pad: 1,
    rounding: 'floor',
  },
  { name: 'dilation 2, valid', x: [2, 9, 9, 2], k: [3, 3], co: 3, strides: 1, pad: 'valid', dilations: 2 },
  {
    name: 'dilations [2,3], same',
    x: [1, 10, 11, 3],
    k: [3, 2],
    co: 4,
    strides: 1,
    pad: 'same',
    dilations: [2, 3],
  },
  {
    name: 'dilation 2 and stride 2 together',
    x: [2, 11, 10, 2],
    k: [2, 3],
    co: 2,
    strides: 2,
    pad: 'same',
    dilations: 2,
  },
  { name: 'many channels, batch 3', x: [3, 10, 10, 12], k: [5, 5], co: 16, strides: 1, pad: 'same' },
];

interface Prepared {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
  dyShape: [number, number, number, number];
}

/** Inputs for a case; dy has the forward output shape as tfjs computes it. */
function prepare(c: Case, seed: number): Prepared {
  const [KH, KW] = c.k;
  const Ci = c.x[3];
  const wSize = KH * KW * Ci * c.co;
  const x = seeded(
    c.x.reduce((a, b) => a * b, 1),
    seed,
  );
  const w = seeded(wSize, seed + 1);
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [KH, KW, Ci, c.co],
    c.strides,
    c.dilations ?? 1,
    c.pad,
    c.rounding,
  );
  const dyShape = info.outShape;
  const dy = seeded(
    dyShape.reduce((a, b) => a * b, 1),
    seed + 2,
  );
  return { x, w, dy, dyShape };
}

/**
 * The filter gradient on 'cpu' through tf.grad, where cpu's own kernel is right. Two detours:
 * - dilations: tfjs refuses gradients of dilated convolutions, so differentiate the equivalent
 *   convolution with a zero-inserted (dilated) filter and keep every dilation-th tap;
 * - dimRoundingMode: tfjs-core does not pass it to the gradient kernel and cpu then reads dy with
 *   the wrong size, so differentiate the equivalent convolution with explicit extra bottom/right
 *   padding, which yields the same output size by plain flooring.
 */
function cpuReference(c: Case, p: Prepared): Float32Array {
  const [KH, KW] = c.k;
  const [B, H, W, Ci] = c.x;
  const [dh, dw] = pair(c.dilations);
  const [sh, sw] = pair(c.strides);
  return tf.tidy(() => {
    const x = tf.tensor4d(p.x, c.x);
    const dy = tf.tensor4d(p.dy, p.dyShape);
    const effH = (KH - 1) * dh + 1;
    const effW = (KW - 1) * dw + 1;
    let pad: Pad = c.pad;
    if (c.rounding !== undefined) {
      if (typeof c.pad !== 'number') throw new Error('rounding cases need a numeric pad');
      const [, OH, OW] = p.dyShape;
      const extraH = Math.max(0, (OH - 1) * sh + effH - (H + 2 * c.pad));
      const extraW = Math.max(0, (OW - 1) * sw + effW - (W + 2 * c.pad));
      pad = [
        [0, 0],
        [c.pad, c.pad + extraH],
        [c.pad, c.pad + extraW],
        [0, 0],
      ];
    }
    // Zero-inserted filter of the effective size; equal to the plain filter when dilations are 1.
    const wFull = tf.buffer([effH, effW, Ci, c.co], 'float32');
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++)
        for (let ci = 0; ci < Ci; ci++)
          for (let co = 0; co < c.co; co++)
            wFull.set(p.w[((kh * KW + kw) * Ci + ci) * c.co + co] ?? 0, kh * dh, kw * dw, ci, co);
    const grad = tf.grad((wd: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x, wd as tf.Tensor4D, c.strides, pad), dy)),
    );
    const g = grad(wFull.toTensor()) as tf.Tensor4D;
    expect(B).toBe(p.dyShape[0]);
    return tf
      .stridedSlice(g, [0, 0, 0, 0], [effH, effW, Ci, c.co], [dh, dw, 1, 1])
      .dataSync() as Float32Array;
  });
}

/**
 * The filter gradient on 'wasm': through tf.grad (the path training takes) when tfjs allows it,
 * and through runKernel with our `dilations` attribute when the convolution is dilated.
 */
function wasmGradient(c: Case, p: Prepared): Float32Array {
  const [KH, KW] = c.k;
  const filterShape: [number, number, number, number] = [KH, KW, c.x[3], c.co];
  return tf.tidy(() => {
    const x = tf.tensor4d(p.x, c.x);
    const dy = tf.tensor4d(p.dy, p.dyShape);
    if (c.dilations !== undefined) {
      const attrs = {
        strides: c.strides,
        pad: c.pad,
        dataFormat: 'NHWC',
        filterShape,
        dilations: c.dilations,
      };
      const g = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, attrs);
      expect(g.shape).toEqual(filterShape);
      return g.dataSync() as Float32Array;
    }
    const grad = tf.grad((w: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.rounding), dy)),
    );
    const g = grad(tf.tensor4d(p.w, filterShape));
    expect(g.shape).toEqual(filterShape);
    return g.dataSync() as Float32Array;
  });
}

beforeAll(async () => {
  registerWasmConv2DBackpropFilter();
  await use('wasm');
});

afterAll(async () => {
  await use('cpu');
});

describe('registerWasmConv2DBackpropFilter', () => {
  test('registers one kernel for wasm, idempotently', () => {
    const first = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    expect(first).toBeDefined();
    registerWasmConv2DBackpropFilter();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(first?.kernelFunc);
  });

  test.each(CASES.map((c, i) => [c.name, c, i] as const))('matches cpu: %s', async (_name, c, i) => {
    await use('cpu');
    const p = prepare(c, 1000 + 10 * i);
    const expected = cpuReference(c, p);
    await use('wasm');
    const actual = wasmGradient(c, p);
    // The reference must be non-trivial for the comparison to mean anything.
    expect(expected.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    expect(relativeError(actual, expected)).toBeLessThan(1e-4);
  });

  test('fills in dy-sized outputs cpu gets wrong (dimRoundingMode ceil)', async () => {
    // Documents why cpuReference detours: cpu's own gradient disagrees with the explicit-pad form.
    const c = CASES.find((k) => k.rounding === 'ceil');
    if (c === undefined) throw new Error('table lost its ceil case');
    await use('cpu');
    const p = prepare(c, 7);
    const cpuDirect = tf.tidy(() => {
      const x = tf.tensor4d(p.x, c.x);
      const dy = tf.tensor4d(p.dy, p.dyShape);
      const grad = tf.grad((w: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, 'ceil'), dy)),
      );
      return grad(tf.tensor4d(p.w, [c.k[0], c.k[1], c.x[3], c.co])).dataSync();
    });
    const expected = cpuReference(c, p);
    expect(relativeError(cpuDirect, expected)).toBeGreaterThan(1e-2);
    await use('wasm');
    expect(relativeError(wasmGradient(c, p), expected)).toBeLessThan(1e-4);
  });

  test('rejects NCHW with INVALID_ARGUMENT', async () => {
    await use('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 3, 3]);
    let caught: unknown;
    try {
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad: 'valid',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 2, 3],
        },
      );
    } catch (e) {
      caught = e;
    }
    tf.dispose([x, dy]);
    expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect(String((caught as Error).message)).toMatch(/NHWC/);
  });

  test('returns zeros for an empty batch', async () => {
    await use('wasm');
    const g = tf.tidy(() =>
      tf.engine().runKernel<tf.Tensor>(
        'Conv2DBackpropFilter',
        { x: tf.zeros([0, 5, 5, 2]), dy: tf.zeros([0, 3, 3, 4]) },
        {
          strides: 1,
          pad: 'valid',
          dataFormat: 'NHWC',
          filterShape: [3, 3, 2, 4],
        },
      ),
    );
    expect(g.shape).toEqual([3, 3, 2, 4]);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    g.dispose();
  });

  test('leaks nothing: tensors, backend data ids and WASM heap stay flat', async () => {
    await use('wasm');
    const backend = tf.backend() as BackendWasm;
    // The Emscripten module's heap view; its type lives in @types/emscripten, not installed here.
    const heapBytes = (): number =>
      (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength;
    // Cropped-tail case (Slice), many input channels (final Transpose) and a large dy, so a
    // leaked XNNPACK operator (it packs a copy of dy) would grow the heap by ~1 MB per call.
    const x = tf.tensor4d(seeded(16 * 28 * 28 * 2, 5), [16, 28, 28, 2]);
    const w = tf.tensor4d(seeded(5 * 5 * 2 * 16, 6), [5, 5, 2, 16]);
    const step = (): void => {
      tf.tidy(() => {
        const g = tf.grad((v: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(x, v as tf.Tensor4D, [1, 2], 'valid'))),
        )(w);
        g.dataSync();
      });
    };
    for (let i = 0; i < 3; i++) step();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    const heap = heapBytes();
    for (let i = 0; i < 40; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    expect(heapBytes()).toBe(heap);
    tf.dispose([x, w]);
  });
});

describe('a small CNN trains on wasm as on cpu', () => {
  const SHAPE: [number, number, number] = [12, 12, 2];
  const CLASSES = 3;

  function buildModel(): tf.Sequential {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: SHAPE,
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    return model;
  }

  test('one model.fit step moves every weight the same on both backends', async () => {
    await expectSameTrainingStep(buildModel, SHAPE, CLASSES);
  });
});
