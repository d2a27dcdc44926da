/**
 * The WASM Conv2DBackpropInput kernel against the pure-JS 'cpu' backend as ground truth: input
 * gradients over a table of convolution shapes that covers every route of the kernel, dispatch to
 * the backend's own kernel, memory hygiene, and one training step of a small CNN whose weights
 * must move identically on both backends.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
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
import {
  originalWasmConv2DBackpropInput,
  planWasmConv2DBackpropInput,
  registerWasmConv2DBackpropInput,
} from '../../training/wasm-conv2d-backprop-input.js';
import type { WasmConv2DBackpropInputPlan } from '../../training/wasm-conv2d-backprop-input.js';
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
  /** What the kernel is expected to do with it (checked, so the table keeps covering each route). */
  expect: Partial<WasmConv2DBackpropInputPlan>;
}

const CONV: Partial<WasmConv2DBackpropInputPlan> = { route: 'conv', blocks: [1, 1] };

const CASES: Case[] = [
  { name: '1x1 kernel, batch 1', x: [1, 5, 5, 3], k: [1, 1], co: 4, strides: 1, pad: 'valid', expect: CONV },
  {
    name: '1x1 kernel, stride 2 > kernel, odd size',
    x: [2, 7, 7, 2],
    k: [1, 1],
    co: 3,
    strides: 2,
    pad: 'valid',
    expect: { cropsDx: true },
  },
  {
    name: 'one channel in and out (blocked)',
    x: [1, 6, 6, 1],
    k: [3, 3],
    co: 1,
    strides: 1,
    pad: 'valid',
    expect: { route: 'conv', blocks: [2, 3] },
  },
  {
    name: '3x3 same, stride 1, batch 3',
    x: [3, 8, 8, 2],
    k: [3, 3],
    co: 5,
    strides: 1,
    pad: 'same',
    expect: {},
  },
  {
    name: 'same, even kernel: asymmetric pad',
    x: [2, 9, 6, 2],
    k: [4, 4],
    co: 3,
    strides: 1,
    pad: 'same',
    expect: {},
  },
  {
    name: 'same, stride 2, even input: asymmetric pad',
    x: [2, 8, 8, 3],
    k: [3, 3],
    co: 4,
    strides: 2,
    pad: 'same',
    expect: { route: 'conv', factors: [2, 2], taps: [2, 2], cropsDx: false },
  },
  {
    name: 'same, stride 2, odd input, one channel',
    x: [2, 7, 9, 1],
    k: [3, 3],
    co: 4,
    strides: 2,
    pad: 'same',
    expect: { cropsDx: true },
  },
  {
    name: 'same, unequal strides [1,2]',
    x: [2, 9, 11, 3],
    k: [3, 2],
    co: 4,
    strides: [1, 2],
    pad: 'same',
    expect: {},
  },
  {
    name: 'same, unequal strides [3,2]',
    x: [2, 10, 9, 2],
    k: [2, 3],
    co: 3,
    strides: [3, 2],
    pad: 'same',
    expect: {},
  },
  {
    name: 'valid, stride 3 > kernel 2 (uncovered tail)',
    x: [2, 10, 11, 1],
    k: [2, 2],
    co: 3,
    strides: 3,
    pad: 'valid',
    expect: { cropsDx: true },
  },
  {
    name: 'valid 5x5, stride 2 on 28x28',
    x: [3, 28, 28, 1],
    k: [5, 5],
    co: 8,
    strides: 2,
    pad: 'valid',
    expect: { route: 'conv', factors: [2, 4], taps: [3, 4] },
  },
  {
    name: 'kernel as large as input (1x1 output): matrix product',
    x: [3, 5, 5, 2],
    k: [5, 5],
    co: 2,
    strides: 1,
    pad: 'valid',
    expect: { route: 'matmul', factors: [5, 5], cropsDx: false },
  },
  {
    name: "LeNet-5 C5's shape (1x1 output, many filters)",
    x: [4, 5, 5, 16],
    k: [5, 5],
    co: 24,
    strides: 1,
    pad: 'valid',
    expect: { route: 'matmul' },
  },
  {
    name: 'patchify (stride = kernel) with a large filter: matrix product, then interleave',
    x: [2, 12, 12, 2],
    k: [4, 4],
    co: 4,
    strides: 4,
    pad: 'valid',
    expect: { route: 'matmul', factors: [4, 4], taps: [1, 1] },
  },
  {
    name: "LeNet-5 C1's shape (one input channel, same)",
    x: [2, 28, 28, 1],
    k: [5, 5],
    co: 6,
    strides: 1,
    pad: 'same',
    expect: { route: 'conv', blocks: [2, 3], cropsDx: true },
  },
  {
    name: 'three input channels, blocked 1x2',
    x: [2, 16, 16, 3],
    k: [3, 3],
    co: 8,
    strides: 1,
    pad: 'same',
    expect: { route: 'conv', blocks: [1, 2] },
  },
  {
    name: 'one input channel, stride 2, blocked',
    x: [2, 13, 12, 1],
    k: [3, 3],
    co: 4,
    strides: 2,
    pad: 'same',
    expect: { route: 'conv', cropsDx: true },
  },
  {
    name: "LeNet-5 C3's shape",
    x: [2, 14, 14, 6],
    k: [5, 5],
    co: 16,
    strides: 1,
    pad: 'valid',
    expect: CONV,
  },
  { name: 'rectangular 1x3 kernel', x: [2, 6, 9, 2], k: [1, 3], co: 3, strides: 1, pad: 'same', expect: {} },
  { name: 'numeric pad 1', x: [2, 6, 6, 2], k: [3, 3], co: 3, strides: 1, pad: 1, expect: {} },
  { name: 'numeric pad 2, stride 2', x: [2, 7, 7, 2], k: [3, 3], co: 3, strides: 2, pad: 2, expect: {} },
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
    expect: {},
  },
  {
    name: 'explicit pads wider than the kernel (dy cropped)',
    x: [2, 5, 6, 2],
    k: [2, 2],
    co: 2,
    strides: 1,
    pad: [
      [0, 0],
      [3, 0],
      [2, 4],
      [0, 0],
    ],
    expect: { cropsDy: true },
  },
  {
    name: 'explicit pads wider than the kernel, stride 2',
    x: [2, 9, 9, 2],
    k: [3, 3],
    co: 3,
    strides: 2,
    pad: [
      [0, 0],
      [4, 1],
      [1, 5],
      [0, 0],
    ],
    expect: { cropsDy: true },
  },
  {
    name: "dimRoundingMode 'ceil' grows the output",
    x: [2, 8, 8, 2],
    k: [3, 3],
    co: 3,
    strides: 2,
    pad: 1,
    rounding: 'ceil',
    expect: {},
  },
  {
    name: "dimRoundingMode 'round', pad 1",
    x: [2, 7, 7, 1],
    k: [4, 4],
    co: 2,
    strides: 2,
    pad: 1,
    rounding: 'round',
    expect: {},
  },
  {
    name: 'dilation 2, valid',
    x: [2, 9, 9, 2],
    k: [3, 3],
    co: 3,
    strides: 1,
    pad: 'valid',
    dilations: 2,
    expect: CONV,
  },
  {
    name: 'dilations [2,3], same, thin (no blocking with dilations)',
    x: [1, 10, 11, 1],
    k: [3, 2],
    co: 4,
    strides: 1,
    pad: 'same',
    dilations: [2, 3],
    expect: CONV,
  },
  {
    name: 'many channels, batch 3',
    x: [3, 10, 10, 12],
    k: [5, 5],
    co: 16,
    strides: 1,
    pad: 'same',
    expect: CONV,
  },
];

interface Prepared {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
  dyShape: [number, number, number, number];
}

function filterShape(c: Case): [number, number, number, number] {
  return [c.k[0], c.k[1], c.x[3], c.co];
}

/** Inputs for a case; dy has the forward output shape as tfjs computes it. */
function prepare(c: Case, seed: number): Prepared {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    filterShape(c),
    c.strides,
    c.dilations ?? 1,
    c.pad,
    c.rounding,
  );
  const dyShape = info.outShape;
  return {
    x: seeded(size(c.x), seed),
    w: seeded(size(filterShape(c)), seed + 1),
    dy: seeded(size(dyShape), seed + 2),
    dyShape,
  };
}

function attrsOf(c: Case) {
  return {
    inputShape: c.x,
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC' as const,
    ...(c.dilations !== undefined ? { dilations: c.dilations } : {}),
  };
}

/**
 * The input gradient on 'cpu' through tf.grad, where cpu's own kernel is right. Two detours, as
 * for the filter kernel:
 * - dilations: tfjs refuses gradients of dilated convolutions, so differentiate the equivalent
 *   convolution with a zero-inserted (dense) filter;
 * - dimRoundingMode: tfjs-core does not pass it to the gradient kernel and cpu then reads dy with
 *   the wrong size, so differentiate the equivalent convolution with explicit extra bottom/right
 *   padding, which yields the same output size by plain flooring.
 */
function cpuReference(c: Case, p: Prepared): Float32Array {
  const [KH, KW, Ci, Co] = filterShape(c);
  const [, H, W] = c.x;
  const [dh, dw] = pair(c.dilations);
  const [sh, sw] = pair(c.strides);
  return tf.tidy(() => {
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
    const wFull = tf.buffer([effH, effW, Ci, Co], 'float32');
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++)
        for (let ci = 0; ci < Ci; ci++)
          for (let co = 0; co < Co; co++)
            wFull.set(p.w[((kh * KW + kw) * Ci + ci) * Co + co] ?? 0, kh * dh, kw * dw, ci, co);
    const w = wFull.toTensor() as tf.Tensor4D;
    const grad = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w, c.strides, pad), dy)),
    );
    const g = grad(tf.tensor4d(p.x, c.x));
    expect(g.shape).toEqual(c.x);
    return g.dataSync() as Float32Array;
  });
}

/**
 * The input gradient on 'wasm': through tf.grad (the path training takes) when tfjs allows it,
 * and through runKernel with our `dilations` attribute when the convolution is dilated.
 */
function wasmGradient(c: Case, p: Prepared): Float32Array {
  return tf.tidy(() => {
    const dy = tf.tensor4d(p.dy, p.dyShape);
    const w = tf.tensor4d(p.w, filterShape(c));
    if (c.dilations !== undefined) {
      const g = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: w }, { ...attrsOf(c) });
      expect(g.shape).toEqual(c.x);
      return g.dataSync() as Float32Array;
    }
    const grad = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w, c.strides, c.pad, 'NHWC', 1, c.rounding), dy)),
    );
    const g = grad(tf.tensor4d(p.x, c.x));
    expect(g.shape).toEqual(c.x);
    return g.dataSync() as Float32Array;
  });
}

type RawKernel = (args: {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs: object;
}) => TensorInfo;

beforeAll(async () => {
  registerWasmConv2DBackpropFilter();
  // Every NHWC call through our kernel, however small, so the small table cases test it.
  registerWasmConv2DBackpropInput({ nativeBelowMacs: 0 });
  await use('wasm');
});

afterAll(async () => {
  await use('cpu');
});

describe('registerWasmConv2DBackpropInput', () => {
  test('replaces the backend kernel once, keeping it (and its setup) for fallback', () => {
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm');
    const original = originalWasmConv2DBackpropInput();
    expect(ours).toBeDefined();
    expect(original).toBeDefined();
    expect(original).not.toBe(ours?.kernelFunc);
    // The backend's setup binds its C++ function; it must still run on backend initialization.
    expect(ours?.setupFunc).toBeDefined();
    registerWasmConv2DBackpropInput({ nativeBelowMacs: 0 });
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(ours?.kernelFunc);
    expect(originalWasmConv2DBackpropInput()).toBe(original);
  });

  test('rejects a bad option with INVALID_ARGUMENT', () => {
    let caught: unknown;
    try {
      registerWasmConv2DBackpropInput({ nativeBelowMacs: -1 });
    } catch (e) {
      caught = e;
    }
    expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });

  test.each(CASES.map((c, i) => [c.name, c, i] as const))('matches cpu: %s', async (_name, c, i) => {
    const p = prepare(c, 2000 + 10 * i);
    const plan = planWasmConv2DBackpropInput(p.dyShape, filterShape(c), {
      ...attrsOf(c),
      ...(c.rounding !== undefined ? { dimRoundingMode: c.rounding } : {}),
    });
    expect(plan).toMatchObject(c.expect);
    await use('cpu');
    const expected = cpuReference(c, p);
    await use('wasm');
    const actual = wasmGradient(c, p);
    // The reference must be non-trivial for the comparison to mean anything.
    expect(expected.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    expect(relativeError(actual, expected)).toBeLessThan(1e-4);
  });

  test('the table covers every route', () => {
    const plans = CASES.map((c) => {
      const p = prepare(c, 1);
      return planWasmConv2DBackpropInput(p.dyShape, filterShape(c), attrsOf(c));
    });
    expect(new Set(plans.map((p) => p.route))).toEqual(new Set(['conv', 'matmul']));
    expect(plans.some((p) => p.blocks[0] * p.blocks[1] > 1)).toBe(true);
    expect(plans.some((p) => p.cropsDy)).toBe(true);
    expect(plans.some((p) => p.cropsDx)).toBe(true);
    expect(plans.some((p) => p.route === 'matmul' && p.taps[0] === 1 && p.factors[0] > 1)).toBe(true);
  });

  test('conv2dTranspose (the same kernel) matches cpu', async () => {
    const x = seeded(2 * 4 * 5 * 3, 77);
    const w = seeded(3 * 3 * 5 * 3, 78);
    const run = () =>
      tf.tidy(() =>
        tf
          .conv2dTranspose(
            tf.tensor4d(x, [2, 4, 5, 3]),
            tf.tensor4d(w, [3, 3, 5, 3]),
            [2, 8, 10, 5],
            2,
            'same',
          )
          .dataSync(),
      );
    await use('cpu');
    const expected = run();
    await use('wasm');
    expect(relativeError(run(), expected)).toBeLessThan(1e-4);
  });

  test('small calls go to the backend kernel by default, bit for bit', async () => {
    await use('wasm');
    registerWasmConv2DBackpropInput();
    try {
      const c = CASES[0]!;
      const p = prepare(c, 5);
      expect(planWasmConv2DBackpropInput(p.dyShape, filterShape(c), attrsOf(c)).route).toBe('native');
      // Larger than the threshold: ours.
      expect(
        planWasmConv2DBackpropInput([32, 10, 10, 16], [5, 5, 6, 16], {
          ...attrsOf(c),
          inputShape: [32, 14, 14, 6],
        }).route,
      ).toBe('conv');
      const backend = tf.backend();
      const dy = tf.tensor4d(p.dy, p.dyShape);
      const w = tf.tensor4d(p.w, filterShape(c));
      const viaRegistry = tf
        .engine()
        .runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: w }, attrsOf(c));
      const original = originalWasmConv2DBackpropInput() as unknown as RawKernel;
      const direct = original({ inputs: { dy, filter: w }, backend, attrs: attrsOf(c) });
      expect(Array.from(viaRegistry.dataSync())).toEqual(
        Array.from(backend.readSync(direct.dataId) as Float32Array),
      );
      backend.disposeData(direct.dataId);
      tf.dispose([dy, w, viaRegistry]);
    } finally {
      registerWasmConv2DBackpropInput({ nativeBelowMacs: 0 });
    }
  });

  test('passes NCHW on to the backend kernel', async () => {
    await use('wasm');
    const backend = tf.backend();
    const dy = tf.tensor4d(seeded(2 * 3 * 4 * 4, 9), [2, 3, 4, 4]);
    const w = tf.tensor4d(seeded(3 * 3 * 2 * 3, 10), [3, 3, 2, 3]);
    const attrs = { inputShape: [2, 2, 6, 6], strides: 1, pad: 'valid', dataFormat: 'NCHW' };
    const viaRegistry = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: w }, attrs);
    const original = originalWasmConv2DBackpropInput() as unknown as RawKernel;
    const direct = original({ inputs: { dy, filter: w }, backend, attrs });
    expect(viaRegistry.shape).toEqual([2, 2, 6, 6]);
    expect(Array.from(viaRegistry.dataSync())).toEqual(
      Array.from(backend.readSync(direct.dataId) as Float32Array),
    );
    backend.disposeData(direct.dataId);
    tf.dispose([dy, w, viaRegistry]);
  });

  test('rejects strides and dilations both > 1 with INVALID_ARGUMENT', async () => {
    await use('wasm');
    const dy = tf.zeros([1, 3, 3, 2]);
    const w = tf.zeros([3, 3, 1, 2]);
    let caught: unknown;
    try {
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        { inputShape: [1, 9, 9, 1], strides: 2, pad: 'valid', dataFormat: 'NHWC', dilations: 2 },
      );
    } catch (e) {
      caught = e;
    }
    tf.dispose([dy, w]);
    expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect(String((caught as Error).message)).toMatch(/dilations/);
  });

  test('returns zeros for an empty batch and for pads so wide that dy reaches nothing', async () => {
    await use('wasm');
    const empty = tf.tidy(() =>
      tf
        .engine()
        .runKernel<tf.Tensor>(
          'Conv2DBackpropInput',
          { dy: tf.zeros([0, 3, 3, 4]), filter: tf.ones([3, 3, 2, 4]) },
          { inputShape: [0, 5, 5, 2], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
        ),
    );
    expect(empty.shape).toEqual([0, 5, 5, 2]);
    empty.dispose();
    // Forward: 2x2 input padded by 3 on top, 2x2 kernel: output rows 0-1 read only padding.
    const attrs = {
      inputShape: [1, 2, 2, 1],
      strides: 1,
      pad: [
        [0, 0],
        [3, 0],
        [0, 0],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    };
    const dy = tf.ones([1, 4, 1, 1]);
    const w = tf.ones([2, 2, 1, 1]);
    const g = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: w }, attrs);
    // dy rows 0 and 1 read only padding; x row 0 is read by (dy row 2, tap 1) and (row 3, tap 0),
    // x row 1 only by (row 3, tap 1).
    expect(Array.from(g.dataSync())).toEqual([2, 2, 1, 1]);
    const none = tf.tidy(() =>
      tf.engine().runKernel<tf.Tensor>(
        'Conv2DBackpropInput',
        { dy: tf.ones([1, 2, 1, 1]), filter: w },
        {
          ...attrs,
          pad: [
            [0, 0],
            [5, 0],
            [0, 0],
            [0, 0],
          ],
        },
      ),
    );
    expect(Array.from(none.dataSync())).toEqual([0, 0, 0, 0]);
    tf.dispose([dy, w, g, none]);
  });

  test('leaks nothing: tensors, backend data ids and WASM heap stay flat', async () => {
    await use('wasm');
    const backend = tf.backend() as BackendWasm;
    // The Emscripten module's heap view; its type lives in @types/emscripten, not installed here.
    const heapBytes = (): number =>
      (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength;
    // One call per route: blocked conv with a dx crop, conv with a dy crop, matrix product. A
    // leaked XNNPACK operator (it packs a copy of its weights) would grow the heap.
    const calls: { dyShape: number[]; w: tf.Tensor4D; attrs: NamedAttrMap }[] = [
      {
        dyShape: [16, 14, 14, 8],
        w: tf.tensor4d(seeded(3 * 3 * 1 * 8, 1), [3, 3, 1, 8]),
        attrs: { inputShape: [16, 28, 27, 1], strides: 2, pad: 'same', dataFormat: 'NHWC' },
      },
      {
        dyShape: [8, 12, 12, 16],
        w: tf.tensor4d(seeded(2 * 2 * 4 * 16, 2), [2, 2, 4, 16]),
        attrs: {
          inputShape: [8, 12, 12, 4],
          strides: 1,
          pad: [
            [0, 0],
            [3, 0],
            [0, 3],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      },
      {
        dyShape: [16, 1, 1, 64],
        w: tf.tensor4d(seeded(5 * 5 * 16 * 64, 3), [5, 5, 16, 64]),
        attrs: { inputShape: [16, 5, 5, 16], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
      },
    ];
    const dys = calls.map((c, i) =>
      tf.tensor4d(
        seeded(
          c.dyShape.reduce((a, b) => a * b, 1),
          10 + i,
        ),
        c.dyShape as [number, number, number, number],
      ),
    );
    const step = (): void => {
      calls.forEach((c, i) => {
        const g = tf
          .engine()
          .runKernel<tf.Tensor>('Conv2DBackpropInput', { dy: dys[i]!, filter: c.w }, c.attrs);
        g.dataSync();
        g.dispose();
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
    tf.dispose([...dys, ...calls.map((c) => c.w)]);
  });
});

describe('a small CNN trains on wasm as on cpu', () => {
  const B = 6;
  const SHAPE: [number, number, number] = [14, 14, 2];
  const CLASSES = 3;

  // Every conv's input gradient below the first one matters to the weights: the second layer's
  // (stride 2, cropped), the third's (1x1 output, the matrix-product route).
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
        tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
        tf.layers.conv2d({ filters: 6, kernelSize: 7, padding: 'valid', activation: 'tanh' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    return model;
  }

  test('one model.fit step moves every weight the same on both backends', async () => {
    // The shapes of the second and third layers' input gradients take the routes named above.
    const plan = (
      dy: number[],
      f: number[],
      inputShape: [number, number, number, number],
      strides: number,
      pad: Pad,
    ) => planWasmConv2DBackpropInput(dy, f, { inputShape, strides, pad, dataFormat: 'NHWC' });
    expect(plan([B, 7, 7, 5], [3, 3, 4, 5], [B, 14, 14, 4], 2, 'same')).toMatchObject({
      route: 'conv',
      cropsDx: false,
    });
    expect(plan([B, 1, 1, 6], [7, 7, 5, 6], [B, 7, 7, 5], 1, 'valid')).toMatchObject({ route: 'matmul' });

    await expectSameTrainingStep(buildModel, SHAPE, CLASSES);
  });
});
