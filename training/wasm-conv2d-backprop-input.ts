/**
 * A faster `Conv2DBackpropInput` kernel for the TensorFlow.js WASM backend. The one tfjs-backend-wasm
 * 4.22 ships is a scalar C++ loop; in a LeNet-5 training step it took more than half of all kernel
 * time. This one turns the input gradient into one ordinary convolution (or one matrix product)
 * run by the backend's own XNNPACK kernels.
 *
 * Method: along one spatial axis, with forward stride s, dilation d, kernel size K, top/left
 * padding pt, input size H and forward output size O,
 *
 *   dx[h] = sum over k, o with o*s + k*d - pt = h of  dy[o] * w[k]
 *
 * - Stride 1: the full correlation of dy with the flipped filter (taps k -> K-1-k, input and
 *   output channels swapped), at dilation d, padded by (K-1)*d - pt before and H - O + pt after, so
 *   the result is exactly H long.
 * - Stride s > 1, without inserting zeros into dy: split dx by phase. Write h + pt = q*s + p with
 *   0 <= p < s; only taps k = p + t*s reach phase p, from dy[q - t]. So every phase is a stride-1
 *   correlation of the same dy with its own sub-filter of M = ceil(K/s) taps, and all s_h*s_w
 *   phases go into ONE convolution as extra output channels (filter [M_h, M_w, Co, s_h*s_w*Ci]).
 *   Its output [B, Q, R, s_h, s_w, Ci] is interleaved back to [B, Q*s_h, R*s_w, Ci] by one
 *   transpose (depth-to-space, as in sub-pixel convolution) and cropped to [B, H, W, Ci]. That is
 *   M^2 multiply-adds per output instead of the K^2 of the zero-inserted form. The filter gets
 *   c = -pt mod s leading zero taps when that adds no tap, which lines phase 0 up with dx row 0.
 * - Thin results (few input channels; every CNN's first layer has 1 or 3, and tfjs computes that
 *   layer's input gradient although nothing uses it) would fill 1 of XNNPACK's 8 output lanes.
 *   The same split then blocks n x n output positions into channels (stride n over dy, M+n-1
 *   taps); `planAxes` picks n from a cost model of the convolution (see there).
 * - A forward output of size 1 along an axis (LeNet-5's C5: 5x5 input, 5x5 kernel) is computed as
 *   if the stride were K: one tap per phase, so the convolution is 1x1. A 1x1 convolution with a
 *   filter larger than dy runs as the matrix product w [KH*KW*Ci, Co] x dy^T [Co, B], which streams
 *   the filter instead of copying it three times (our layout, tfjs's, XNNPACK's packing).
 *
 * The reshuffled filter is built by copying contiguous runs of the WASM heap, as the backend's own
 * Slice kernel does: its Reverse and GatherV2 kernels are scalar loops that cost ~250 us on an 8k
 * filter. Everything on dy and dx runs in the backend's kernels (Conv2D, BatchMatMul, Transpose,
 * Slice). The filter changes every training step, so it is rebuilt on every call; XNNPACK packs it
 * when the operator is created, and the operator is freed with it.
 *
 * Measured (process CPU time, best of 9, on this 2-core machine shared with other jobs, Node 20,
 * SIMD), the backend's kernel -> this one. LeNet-5 at batch 32: C1 (32x28x28x1, 5x5 -> 6, same)
 * 5.7 -> 1.1 ms, C3 (32x14x14x6, 5x5 -> 16) 9.4 -> 1.7 ms, C5 (32x5x5x16, 5x5 -> 120) 1.8 -> 0.2 ms;
 * one whole LeNet-5 training step 35 -> 19 ms. fedavg-cnn's C2 (32x14x14x32, 5x5 -> 64, same)
 * 321 -> 25 ms; 3x3 stride 2 (32x16x16x16 -> 32, same) 11 -> 1.6 ms. Calls under ~8k
 * multiply-adds go to the backend's kernel, which wins there (see `nativeBelowMacs`).
 *
 * Contract (as for the filter-gradient kernel next to this file):
 * - The result has exactly `inputShape`. The forward output's height and width are taken from
 *   `dy`'s shape, not recomputed from `dimRoundingMode` (tfjs-core's conv2d gradient does not pass
 *   it on). Only the top/left padding comes from `pad`. dx rows and columns the forward pass never
 *   read are zeros.
 * - An optional non-standard `dilations` attribute is honoured with strides 1 (tfjs-core refuses
 *   gradients of dilated convolutions, and conv2d refuses strides and dilations both > 1).
 * - NCHW, non-float32 and tiny calls go to the backend's own kernel unchanged.
 * - Every intermediate is released before returning, on the JS side and in the WASM heap.
 * - Peak extra WASM memory: the reshuffled filter twice (ours and XNNPACK's packed copy), a cropped
 *   dy when explicit padding exceeds the kernel, and up to two more dx-sized buffers.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BACKEND_NAME,
  pair,
  topLeftPadding,
  view,
  wasmKernel,
  type KernelArgs,
  type WasmKernel,
} from './wasm-kernel-utils.js';
import { assertArgument, makeError } from '../common/errors.js';

const KERNEL_NAME = 'Conv2DBackpropInput';

type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Attributes read by this kernel: tfjs-core's `Conv2DBackpropInputAttrs` plus `dilations`. */
export interface WasmConv2DBackpropInputAttrs {
  inputShape: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** Not part of tfjs-core's attributes (see the module comment). Defaults to 1. */
  dilations?: number | [number, number];
}

/** Options of `registerWasmConv2DBackpropInput`. */
export interface WasmConv2DBackpropInputOptions {
  /**
   * Below this many multiply-adds of the forward convolution (dy size x KH x KW x Ci), calls go
   * to the backend's own kernel, which is faster there: ours pays a fixed 10-30 us for its 3-5
   * kernel calls. Measured crossover on this machine: between 4.3k multiply-adds (backend 17 us,
   * ours 28 us) and 18k (backend 37 us, ours 29 us). 0 sends every NHWC float32 call to ours.
   * @defaultValue 8192
   */
  nativeBelowMacs?: number;
}

/** How a call is computed; see `planWasmConv2DBackpropInput`. */
export interface WasmConv2DBackpropInputPlan {
  /** 'native': the backend's kernel; 'zeros': dy reaches no dx element. */
  route: 'native' | 'zeros' | 'conv' | 'matmul';
  /** Output positions blocked into channels, per axis (1 = none). */
  blocks: [number, number];
  /** dx rows/columns produced per convolution output position, per axis (phases x blocks). */
  factors: [number, number];
  /** Convolution taps per axis. */
  taps: [number, number];
  /** Whether dy is cropped (explicit padding wider than the kernel). */
  cropsDy: boolean;
  /** Whether the interleaved result is cropped to the input size. */
  cropsDx: boolean;
}

const DEFAULT_NATIVE_BELOW_MACS = 8192;
/** Largest output blocking tried per axis (see planAxes). */
const MAX_BLOCK = 4;

/** The kernel registered before ours (the backend's own); tiny, NCHW and odd calls go there. */
let original: KernelConfig | undefined;
let nativeBelowMacs = DEFAULT_NATIVE_BELOW_MACS;

/**
 * Replaces the WASM backend's `Conv2DBackpropInput` kernel with this one. Idempotent (a second
 * call only updates the options). Call it after `@tensorflow/tfjs-backend-wasm` has been imported
 * (its kernels register on import); the backend need not be initialized yet. The original kernel
 * is kept, with its setup function, for the calls passed on to it.
 *
 * It replaces the original because it was measured faster on every training-sized shape tried
 * (4-15x, see the module comment); calls too small to win go to the original (`nativeBelowMacs`).
 */
export function registerWasmConv2DBackpropInput(options: WasmConv2DBackpropInputOptions = {}): void {
  const threshold = options.nativeBelowMacs ?? DEFAULT_NATIVE_BELOW_MACS;
  assertArgument(
    typeof threshold === 'number' && threshold >= 0,
    `nativeBelowMacs must be a number >= 0, got ${String(threshold)}`,
    { nativeBelowMacs: options.nativeBelowMacs },
  );
  nativeBelowMacs = threshold;
  const current = tf.getKernel(KERNEL_NAME, BACKEND_NAME);
  if (current?.kernelFunc === (conv2DBackpropInput as unknown as KernelFunc)) return;
  if (current === undefined) {
    throw makeError(
      `the wasm backend's ${KERNEL_NAME} kernel is not registered; import '@tensorflow/tfjs-backend-wasm' ` +
        `before calling registerWasmConv2DBackpropInput()`,
      'BACKEND_UNAVAILABLE',
      { kernel: KERNEL_NAME },
    );
  }
  original = current;
  tf.unregisterKernel(KERNEL_NAME, BACKEND_NAME);
  tf.registerKernel({
    kernelName: KERNEL_NAME,
    backendName: BACKEND_NAME,
    kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
    // The original's setup binds its C++ function; keeping it keeps the fallback working whenever
    // the backend is (re)initialized after this call.
    ...(current.setupFunc !== undefined ? { setupFunc: current.setupFunc } : {}),
    ...(current.disposeFunc !== undefined ? { disposeFunc: current.disposeFunc } : {}),
  });
}

/** The backend's own kernel, for comparisons (tests, benchmarks); undefined before registration. */
export function originalWasmConv2DBackpropInput(): KernelFunc | undefined {
  return original?.kernelFunc;
}

/**
 * How the registered kernel would compute a call with these shapes and attributes (for tests and
 * for reading profiles); computes nothing.
 */
export function planWasmConv2DBackpropInput(
  dyShape: number[],
  filterShape: number[],
  attrs: WasmConv2DBackpropInputAttrs,
): WasmConv2DBackpropInputPlan {
  const p = makePlan(dyShape, filterShape, attrs);
  if (p.route === 'native' || p.route === 'zeros') {
    return { route: p.route, blocks: [1, 1], factors: [1, 1], taps: [0, 0], cropsDy: false, cropsDx: false };
  }
  const { h, w } = p;
  return {
    route: p.route,
    blocks: [h.n, w.n],
    factors: [h.f, w.f],
    taps: [h.u, w.u],
    cropsDy: p.cropsDy,
    cropsDx: p.cropsDx,
  };
}

/**
 * The plan along one spatial axis. The convolution runs over dy with stride `n` and `u` taps and
 * yields, per output position, one block of `f = n*s` consecutive dx rows (phase-major).
 */
interface AxisPlan {
  /** Phase stride: the forward stride, or K when the forward output has size 1. */
  s: number;
  /** Blocking: dy positions the convolution advances per step. */
  n: number;
  /** dx rows per convolution output position (n*s). */
  f: number;
  /** Taps of the convolution (taps per phase + n - 1). */
  u: number;
  /**
   * For each convolution filter row (tap u, block row a, phase r, in that order), the forward
   * filter tap it holds, or -1 for a zero tap.
   */
  rows: number[];
  /** Convolution padding before/after dy; negative means crop dy by that much. */
  before: number;
  after: number;
  /** Convolution output size (blocks of f rows). */
  q: number;
  /** Offset of dx row 0 in the interleaved result of q*f rows. */
  offset: number;
}

/**
 * One axis, following the module comment: dx row h sits at j = h + pt + c = q*f + a*s + r, and
 * filter row (u, a, r) of the convolution holds forward tap (m - 1 - u + a)*s + r - c.
 */
function planAxis(
  k: number,
  stride: number,
  d: number,
  pt: number,
  size: number,
  outSize: number,
  n: number,
): AxisPlan {
  // With one forward output only o = 0 exists, so any stride >= K gives the same dx; K is the
  // cheapest (one tap per phase, no empty phases).
  const s = outSize === 1 && d === 1 ? k : stride;
  // Leading zero taps c that align phase 0 with dx row 0, unless they would add a tap.
  const shift = (s - (pt % s)) % s;
  const c = Math.ceil((k + shift) / s) === Math.ceil(k / s) ? shift : 0;
  const m = Math.ceil((k + c) / s);
  const f = n * s;
  const u = m + n - 1;
  const ptc = pt + c;
  const q0 = Math.floor(ptc / f);
  const q = Math.floor((ptc + size - 1) / f) - q0 + 1;
  const rows: number[] = [];
  for (let ui = 0; ui < u; ui++) {
    for (let a = 0; a < n; a++) {
      for (let r = 0; r < s; r++) {
        const tap = (m - 1 - ui + a) * s + r - c;
        rows.push(tap >= 0 && tap < k ? tap : -1);
      }
    }
  }
  return {
    s,
    n,
    f,
    u,
    rows,
    before: (m - 1) * d - q0 * n,
    after: q * n - outSize + q0 * n,
    q,
    offset: ptc - q0 * f,
  };
}

/**
 * Picks the blocking per axis from a cost model of XNNPACK's convolution on WASM SIMD: time grows
 * with output positions x taps x output channels rounded up to a multiple of 8 (its register
 * tile). Blocking a thin result fills the lanes at the price of more taps. On LeNet-5's first
 * layer (32x28x28x1, 5x5 -> 6) the convolution took 2.64 ms unblocked and 1.25, 1.02, 1.64, 1.35 ms
 * blocked 2x2, 2x3 (the model's pick), 3x3, 4x4; the model's costs are 1 : 0.36 : 0.30 : 0.50 :
 * 0.32, the same ranking but for 4x4, which it slightly overrates.
 */
function planAxes(
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [dh, dw]: [number, number],
  [pt, pl]: [number, number],
  [H, W, Ci]: [number, number, number],
  [OH, OW]: [number, number],
): [AxisPlan, AxisPlan] {
  const lanes = (c: number) => 8 * Math.ceil(c / 8);
  const cost = (h: AxisPlan, w: AxisPlan) => h.q * w.q * h.u * w.u * lanes(h.f * w.f * Ci);
  let best: [AxisPlan, AxisPlan] = [planAxis(kh, sh, dh, pt, H, OH, 1), planAxis(kw, sw, dw, pl, W, OW, 1)];
  let bestCost = cost(...best);
  for (let nh = 1; nh <= (dh === 1 ? MAX_BLOCK : 1); nh++) {
    for (let nw = 1; nw <= (dw === 1 ? MAX_BLOCK : 1); nw++) {
      const h = planAxis(kh, sh, dh, pt, H, OH, nh);
      const w = planAxis(kw, sw, dw, pl, W, OW, nw);
      // A bigger block must also pay for its larger filter and reshuffles: ask for 10% less work.
      if (cost(h, w) < 0.9 * bestCost) {
        best = [h, w];
        bestCost = cost(h, w);
      }
    }
  }
  return best;
}

type Plan =
  | { route: 'native' }
  | { route: 'zeros' }
  | {
      route: 'conv' | 'matmul';
      h: AxisPlan;
      w: AxisPlan;
      /** dy rows and columns left after cropping. */
      rowsKept: number;
      colsKept: number;
      cropsDy: boolean;
      cropsDx: boolean;
    };

function makePlan(dyShape: number[], filterShape: number[], a: WasmConv2DBackpropInputAttrs): Plan {
  const [dh, dw] = pair(a.dilations);
  const [sh, sw] = pair(a.strides);
  const [KH, KW, Ci, Co] = filterShape as [number, number, number, number];
  const [B, H, W] = a.inputShape;
  const [, OH, OW] = dyShape as [number, number, number, number];
  const forwardMacs = dyShape.reduce((p, v) => p * v, 1) * KH * KW * Ci;
  if (dh === 1 && dw === 1 && forwardMacs < nativeBelowMacs) return { route: 'native' };
  if (B * H * W * Ci === 0 || OH * OW * Co * KH * KW === 0) return { route: 'zeros' };
  // Sizes come from dy (see the module comment).
  const padding = topLeftPadding(
    a.inputShape,
    [KH, KW, Ci, Co],
    [sh, sw],
    [dh, dw],
    a.pad,
    a.dimRoundingMode,
  );
  const [h, w] = planAxes([KH, KW], [sh, sw], [dh, dw], padding, [H, W, Ci], [OH, OW]);
  const rowsKept = OH + Math.min(h.before, 0) + Math.min(h.after, 0);
  const colsKept = OW + Math.min(w.before, 0) + Math.min(w.after, 0);
  // Explicit padding wider than the kernel can leave no dy row that reaches a dx row.
  if (rowsKept <= 0 || colsKept <= 0) return { route: 'zeros' };
  const pads = [h.before, h.after, w.before, w.after];
  // A 1x1 convolution is a matrix product; streaming a filter larger than dy beats copying it.
  const matmul =
    h.u === 1 && w.u === 1 && pads.every((p) => p === 0) && h.f * w.f * Ci * Co > B * h.q * w.q * Co;
  return {
    route: matmul ? 'matmul' : 'conv',
    h,
    w,
    rowsKept,
    colsKept,
    cropsDy: pads.some((p) => p < 0),
    cropsDx: h.offset !== 0 || w.offset !== 0 || h.q * h.f !== H || w.q * w.f !== W,
  };
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs['dy'];
  const filter = inputs['filter'];
  const a = attrs as unknown as WasmConv2DBackpropInputAttrs;
  assertArgument(dy !== undefined && filter !== undefined, `${KERNEL_NAME} needs inputs 'dy' and 'filter'`);
  const [dh, dw] = pair(a.dilations);
  const [sh, sw] = pair(a.strides);
  const nhwcFloat =
    (a.dataFormat ?? 'NHWC') === 'NHWC' && dy.dtype === 'float32' && filter.dtype === 'float32';
  assertArgument(
    (dh === 1 && dw === 1) || (nhwcFloat && sh === 1 && sw === 1),
    `${KERNEL_NAME} on the wasm backend supports dilations only with strides 1 on NHWC float32 inputs ` +
      `(got strides [${sh},${sw}], dilations [${dh},${dw}])`,
    { strides: a.strides, dilations: a.dilations, dataFormat: a.dataFormat },
  );
  const plan = nhwcFloat ? makeCheckedPlan(dy, filter, a) : ({ route: 'native' } as const);
  if (plan.route === 'native') {
    if (original === undefined) throw makeError(`${KERNEL_NAME}: the original kernel is missing`, 'INTERNAL');
    return (original.kernelFunc as unknown as WasmKernel)(args);
  }
  const [B, H, W, Ci] = a.inputShape;
  if (plan.route === 'zeros') return zeros(backend, [B, H, W, Ci]);
  const { h, w } = plan;
  const Co = dy.shape[3] ?? 0;
  const outChannels = h.f * w.f * Ci;

  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => {
    temps.push(t);
    return t;
  };
  const transpose = (x: TensorInfo, shape: number[], perm: number[]) =>
    keep(wasmKernel('Transpose')({ inputs: { x: view(x, shape) }, backend, attrs: { perm } }));
  try {
    // The forward filter's taps, rearranged and zero-filled: [u_h*f_h, u_w*f_w, Ci, Co].
    const identity = (rows: number[], k: number | undefined) =>
      rows.length === k && rows.every((r, i) => r === i);
    const taps =
      identity(h.rows, filter.shape[0]) && identity(w.rows, filter.shape[1])
        ? filter
        : keep(gatherTaps(backend, filter, h.rows, w.rows));
    let out: TensorInfo;
    if (plan.route === 'matmul') {
      // [f_h*f_w*Ci, Co] x [Co, B*Q*R] = [f_h, f_w*Ci, B*Q, R] -> [B*Q, f_h, R, f_w*Ci].
      const N = B * h.q * w.q;
      const dyT = transpose(dy, [N, Co], [1, 0]);
      const mm = keep(
        wasmKernel('BatchMatMul')({
          inputs: { a: view(taps, [1, outChannels, Co]), b: view(dyT, [1, Co, N]) },
          backend,
          attrs: { transposeA: false, transposeB: false },
        }),
      );
      out = transpose(mm, [h.f, w.f * Ci, B * h.q, w.q], [2, 0, 3, 1]);
    } else {
      // Filter [u_h, u_w, Co, f_h*f_w*Ci]: Co in front of (phase, Ci).
      const filt = transpose(taps, [h.u, h.f, w.u, w.f * Ci, Co], [0, 2, 4, 1, 3]);
      let x: TensorInfo = dy;
      if (plan.cropsDy) {
        x = keep(
          wasmKernel('Slice')({
            inputs: { x: dy },
            backend,
            attrs: {
              begin: [0, Math.max(-h.before, 0), Math.max(-w.before, 0), 0],
              size: [B, plan.rowsKept, plan.colsKept, Co],
            },
          }),
        );
      }
      out = keep(
        wasmKernel('Conv2D')({
          inputs: { x, filter: view(filt, [h.u, w.u, Co, outChannels]) },
          backend,
          attrs: {
            strides: [h.n, w.n],
            dilations: [dh, dw],
            pad: [
              [0, 0],
              [Math.max(h.before, 0), Math.max(h.after, 0)],
              [Math.max(w.before, 0), Math.max(w.after, 0)],
              [0, 0],
            ],
            dataFormat: 'NHWC',
          },
        }),
      );
      if (out.shape[1] !== h.q || out.shape[2] !== w.q || out.shape[3] !== outChannels) {
        throw makeError(
          `${KERNEL_NAME}: internal shape error, got [${out.shape.join(',')}] for [${B},${h.q},${w.q},${outChannels}]`,
          'INTERNAL',
        );
      }
      // Depth-to-space: [B*Q, R, f_h, f_w*Ci] -> [B*Q, f_h, R, f_w*Ci]; a no-op when f_h or R is 1.
      if (h.f > 1 && w.q > 1) out = transpose(out, [B * h.q, w.q, h.f, w.f * Ci], [0, 2, 1, 3]);
    }
    // `out` is [B, Q*f_h, R*f_w, Ci]; dx is the H x W window at the phase offsets.
    if (!plan.cropsDx) {
      temps.splice(temps.indexOf(out), 1);
      return view(out, [B, H, W, Ci]);
    }
    // Crop through a [B, Q*f_h, R*f_w*Ci] view: B*H contiguous runs.
    const cropped = wasmKernel('Slice')({
      inputs: { x: view(out, [B, h.q * h.f, w.q * w.f * Ci]) },
      backend,
      attrs: { begin: [0, h.offset, w.offset * Ci], size: [B, H, W * Ci] },
    });
    return view(cropped, [B, H, W, Ci]);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** makePlan after checking what it relies on; throws INVALID_ARGUMENT on inconsistent shapes. */
function makeCheckedPlan(dy: TensorInfo, filter: TensorInfo, a: WasmConv2DBackpropInputAttrs): Plan {
  assertArgument(
    dy.shape.length === 4 && filter.shape.length === 4 && a.inputShape.length === 4,
    `${KERNEL_NAME} needs rank-4 dy, filter and inputShape`,
    { dyShape: dy.shape, filterShape: filter.shape, inputShape: a.inputShape },
  );
  const [B, , , Ci] = a.inputShape;
  assertArgument(
    dy.shape[0] === B && filter.shape[2] === Ci && filter.shape[3] === dy.shape[3],
    `${KERNEL_NAME}: shapes disagree: inputShape [${a.inputShape.join(',')}], dy [${dy.shape.join(',')}], ` +
      `filter [${filter.shape.join(',')}]`,
    { inputShape: a.inputShape, dyShape: dy.shape, filterShape: filter.shape },
  );
  return makePlan(dy.shape, filter.shape, a);
}

/**
 * out[i, j] = filter[rows[i], cols[j]] (a Ci x Co block), zeros where an index is -1. Copies
 * contiguous heap runs the way the backend's Slice kernel does; a filter is small (LeNet-5's
 * largest has 48k values), and the backend's Reverse/GatherV2 kernels are scalar loops.
 */
function gatherTaps(backend: BackendWasm, filter: TensorInfo, rows: number[], cols: number[]): TensorInfo {
  const [, KW, Ci, Co] = filter.shape as [number, number, number, number];
  const block = Ci * Co;
  const out = backend.makeOutput([rows.length, cols.length, Ci, Co], 'float32');
  // Views taken after makeOutput, which may grow (and so detach) the heap.
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  let o = 0;
  for (const r of rows) {
    for (const c of cols) {
      if (r < 0 || c < 0) {
        dst.fill(0, o, o + block);
      } else {
        const i = (r * KW + c) * block;
        if (block >= 32) dst.set(src.subarray(i, i + block), o);
        else for (let e = 0; e < block; e++) dst[o + e] = src[i + e] ?? 0;
      }
      o += block;
    }
  }
  return out;
}

function zeros(backend: BackendWasm, shape: number[], dtype: DataType = 'float32'): TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}
