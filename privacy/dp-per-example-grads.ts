/**
 * Per-example gradients, their norms and their clipped sum, as DP-SGD needs them: vectorized from
 * each layer's input activations and output gradients, with a loop only as the fallback.
 *
 * How (Goodfellow 2015; Opacus; "ghost clipping", Li et al. 2021): one forward pass adds a zero
 * "probe" to each trainable layer's pre-activation output z and keeps the layer's input a; one
 * backward pass of L = Σ_i loss_i with respect to the probes yields g = ∂L/∂z. Because examples do
 * not interact (no batch statistics), row i of g is example i's own gradient ∂loss_i/∂z_i. Then
 * for a linear map z_i = P_i W + b, with P_i the example's input rows (T = 1 for a dense layer on a
 * vector, T = output positions and P_i = im2col patches for a convolution):
 *
 *     ∇W_i = P_iᵀ g_i        ∇b_i = Σ_t g_i[t]
 *     ||∇W_i||² = ||a_i||²·||g_i||²                       (T = 1, never materialized)
 *               = <P_i P_iᵀ, g_i g_iᵀ>                    (ghost norm, cost T²(K+O) per example)
 *               = ||P_iᵀ g_i||²                           (materialized, cost T·K·O per example)
 *
 * choosing per layer whichever of the last two is cheaper. The clipped sum Σ_i c_i ∇W_i is then
 * Pᵀ(c ⊙ g), one matrix product per layer, with c_i = min(1, C / ||∇_i||) and ||∇_i||² summed
 * over all layers. So a DP step costs one forward and one backward (without weight gradients) plus
 * a few reductions, instead of one backward per example.
 *
 * Fallbacks: a trainable layer other than Dense and Conv2D (channels-last) gets a per-example loop
 * over that layer alone (vector-Jacobian product of its output gradient); a model that is not a
 * single chain of layers gets the per-example loop over the whole model. Layers that mix examples
 * (BatchNormalization in training mode) break per-example privacy and are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { assertArgument, makeError } from '../common/errors.js';

/** Per-example loss of a batch: `[B]` from one-hot labels `[B, classes]` and the model output. */
export type PerExampleLoss = (yTrue: tf.Tensor2D, yPred: tf.Tensor) => tf.Tensor1D;

/**
 * Categorical cross-entropy of softmax outputs per example, clipped away from log(0) exactly as
 * `crossEntropy` in training/train.ts (whose mean it is), so DP and plain training optimize the same loss.
 */
export const softmaxCrossEntropyPerExample: PerExampleLoss = (yTrue, probs) =>
  tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1)) as tf.Tensor1D;

export type PerExampleStrategy = 'auto' | 'loop';

export interface PerExampleGradientsOptions {
  /** @defaultValue {@link softmaxCrossEntropyPerExample} */
  loss?: PerExampleLoss;
  /**
   * `'auto'`: vectorized where a layer has the form, loops only where it does not. `'loop'`: one
   * backward pass per example through the whole model (the reference the vectorized form is tested
   * against; Opacus' naive baseline).
   * @defaultValue `'auto'`
   */
  strategy?: PerExampleStrategy;
}

/** How one trainable layer's per-example gradients are obtained. */
export type LayerMethod = 'dense' | 'linear-ghost' | 'linear-materialized' | 'layer-loop' | 'model-loop';

export interface ClippedBatch {
  /** Σ_i min(1, C/||∇_i||)·∇_i, one tensor per trainable variable, in `variables` order. */
  sums: tf.Tensor[];
  /** ||∇_i|| before clipping, one per example. */
  norms: tf.Tensor1D;
  /** Σ_i loss_i. */
  lossSum: tf.Scalar;
}

export interface PerExampleGradients {
  /** The trainable variables, in `model.trainableWeights` order. */
  readonly variables: readonly tf.Variable[];
  /** One entry per trainable layer: its name and how its per-example gradients are computed. */
  readonly layers: readonly { name: string; method: LayerMethod }[];
  /** ||∇_i|| for each example of the batch (over all trainable variables). */
  norms(x: tf.Tensor, y: tf.Tensor2D): tf.Tensor1D;
  /** The per-example gradients themselves, `[B, ...variable shape]` per variable (tests, diagnostics). */
  grads(x: tf.Tensor, y: tf.Tensor2D): tf.Tensor[];
  /**
   * Clips every example's gradient to L2 norm `clipNorm` and sums them; `scale` multiplies the
   * result (DP-SGD folds its 1/(expected batch size) in here to save a pass).
   */
  clippedSum(x: tf.Tensor, y: tf.Tensor2D, clipNorm: number, scale?: number): ClippedBatch;
  /** Frees the engine's own tensors (patch-extraction filters); the model is untouched. */
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------
// Model analysis
// ---------------------------------------------------------------------------------------------

type Activation = (x: tf.Tensor) => tf.Tensor;

interface LinearStep {
  kind: 'linear';
  layer: tf.layers.Layer;
  /** Kernel reshaped as [K, O] when computing; its own shape otherwise. */
  kernel: tf.Variable;
  bias: tf.Variable | undefined;
  activation: Activation;
  /** Output shape without the batch dimension. */
  outShape: number[];
  /** Rows per example (output positions) T, input width K, output width O. */
  t: number;
  k: number;
  o: number;
  method: 'dense' | 'linear-ghost' | 'linear-materialized';
  /** Conv2D only: its geometry. */
  conv?: ConvGeometry;
}

interface ConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  padding: 'same' | 'valid';
  /** Padding TensorFlow applies for this geometry: [top, bottom], [left, right]. */
  pads: [[number, number], [number, number]];
  kh: number;
  kw: number;
  cin: number;
  /** One output position whose window is exactly the unpadded input: the patch is the input itself. */
  whole: boolean;
  /** One-hot depthwise filters [kh, kw, cin, kh*kw] extracting patches; made on first use. */
  eye?: tf.Tensor4D;
}

interface LayerLoopStep {
  kind: 'layer-loop';
  layer: tf.layers.Layer;
  vars: tf.Variable[];
  outShape: number[];
}

interface ApplyStep {
  kind: 'apply';
  layer: tf.layers.Layer;
}

type Step = LinearStep | LayerLoopStep | ApplyStep;

/** TF.js keeps these on the layer objects; the public typings hide them. */
interface LayerInternals {
  activation?: { apply(x: tf.Tensor): tf.Tensor };
  inboundNodes?: { inboundLayers: tf.layers.Layer[]; inputShapes: unknown }[];
}

const internals = (layer: tf.layers.Layer) => layer as unknown as LayerInternals;

const varOf = (w: tf.LayerVariable) => (w as unknown as { val: tf.Variable }).val;

/** A layer's output shape without the batch dimension; throws for multi-output or undefined shapes. */
function staticShape(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape;
  if (!Array.isArray(shape) || shape.some((d) => Array.isArray(d))) {
    throw makeError(`layer '${layer.name}' has several outputs`, 'INVALID_MODEL', { layer: layer.name });
  }
  const rest = (shape as (number | null)[]).slice(1);
  if (rest.some((d) => d === null)) {
    throw makeError(`layer '${layer.name}' has an undefined output dimension`, 'INVALID_MODEL', {
      layer: layer.name,
    });
  }
  return rest as number[];
}

/** The model's layers as one chain (input -> l1 -> l2 -> ... -> output), or undefined if it is not one. */
function chainOf(model: tf.LayersModel): tf.layers.Layer[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  let prev: tf.layers.Layer | undefined;
  for (const layer of layers) {
    const nodes = internals(layer).inboundNodes ?? [];
    // A Sequential wraps its layers in an inner model: the first layer's node is its InputLayer.
    const own = nodes.filter((n) => n.inboundLayers.length > 0);
    if (own.length !== 1) return undefined;
    const inbound = own[0]!.inboundLayers;
    if (inbound.length !== 1) return undefined;
    const from = inbound[0]!;
    if (prev === undefined ? from.getClassName() !== 'InputLayer' : from !== prev) return undefined;
    prev = layer;
  }
  return layers.length > 0 ? layers : undefined;
}

function pair(v: unknown, what: string, layer: string): [number, number] {
  const a = typeof v === 'number' ? [v, v] : (v as number[]);
  if (!Array.isArray(a) || a.length !== 2) {
    throw makeError(`layer '${layer}': cannot read ${what}`, 'INVALID_MODEL', { layer });
  }
  return [a[0]!, a[1]!];
}

/** Output size and padding of one spatial dimension, as TensorFlow defines 'same' and 'valid'. */
function convDim(size: number, k: number, s: number, d: number, padding: 'same' | 'valid') {
  const eff = (k - 1) * d + 1;
  if (padding === 'valid') return { out: Math.ceil((size - eff + 1) / s), before: 0, after: 0 };
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

function convStep(layer: tf.layers.Layer, vars: tf.Variable[]): LinearStep | undefined {
  const cfg = layer.getConfig();
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') return undefined;
  const padding = cfg.padding;
  if (padding !== 'same' && padding !== 'valid') return undefined;
  const [h, w, cin] = inputShape(layer).slice(1);
  const kernel = vars[0]!;
  const [kh, kw, kc, cout] = kernel.shape as [number, number, number, number];
  if (h === undefined || w === undefined || cin === undefined || kc !== cin) return undefined;
  const strides = pair(cfg.strides, 'strides', layer.name);
  const dilations = pair(cfg.dilationRate, 'dilation rate', layer.name);
  const dh = convDim(h, kh, strides[0], dilations[0], padding);
  const dw = convDim(w, kw, strides[1], dilations[1], padding);
  const t = dh.out * dw.out;
  const k = kh * kw * cin;
  const unpadded = dh.before + dh.after + dw.before + dw.after === 0;
  const whole = t === 1 && unpadded && kh === h && kw === w && dilations[0] === 1 && dilations[1] === 1;
  return {
    kind: 'linear',
    layer,
    kernel,
    bias: vars[1],
    activation: activationOf(layer),
    outShape: staticShape(layer),
    t,
    k,
    o: cout,
    method: linearMethod(t, k, cout),
    conv: {
      strides,
      dilations,
      padding,
      pads: [
        [dh.before, dh.after],
        [dw.before, dw.after],
      ],
      kh,
      kw,
      cin,
      whole,
    },
  };
}

/** A single-input layer's static input shape, batch dimension included (null). */
function inputShape(layer: tf.layers.Layer): (number | undefined)[] {
  const node = (internals(layer).inboundNodes ?? []).find((n) => n.inboundLayers.length > 0);
  const s = node?.inputShapes;
  if (!Array.isArray(s)) return [];
  const shape = (Array.isArray(s) && Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
  return shape.map((d) => d ?? undefined);
}

/** Ghost norms cost T²(K+O) per example, materialized per-example gradients T·K·O. */
function linearMethod(t: number, k: number, o: number): LinearStep['method'] {
  if (t === 1) return 'dense';
  return t * t * (k + o) < t * k * o ? 'linear-ghost' : 'linear-materialized';
}

function activationOf(layer: tf.layers.Layer): Activation {
  const act = internals(layer).activation;
  return act ? (x) => act.apply(x) : (x) => x;
}

function denseStep(layer: tf.layers.Layer, vars: tf.Variable[]): LinearStep | undefined {
  const kernel = vars[0]!;
  if (kernel.shape.length !== 2) return undefined;
  const [k, o] = kernel.shape as [number, number];
  const outShape = staticShape(layer);
  const t = outShape.slice(0, -1).reduce((a, b) => a * b, 1);
  return {
    kind: 'linear',
    layer,
    kernel,
    bias: vars[1],
    activation: activationOf(layer),
    outShape,
    t,
    k,
    o,
    method: linearMethod(t, k, o),
  };
}

const MIXING_LAYERS = new Set(['BatchNormalization']);

function buildSteps(chain: tf.layers.Layer[]): Step[] {
  return chain.map((layer): Step => {
    const cls = layer.getClassName();
    if (MIXING_LAYERS.has(cls)) {
      throw makeError(
        `layer '${layer.name}' (${cls}) mixes the examples of a batch, so per-example gradients (and DP-SGD) are undefined; ` +
          `remove it or replace it by a per-example normalization (LayerNormalization, GroupNormalization)`,
        'INVALID_MODEL',
        { layer: layer.name, problems: [`${cls} is not compatible with per-example DP`] },
      );
    }
    const vars = layer.trainableWeights.map(varOf);
    if (vars.length === 0) return { kind: 'apply', layer };
    const all = layer.weights.length === vars.length;
    let step: LinearStep | undefined;
    if (all && cls === 'Dense' && vars.length <= 2) step = denseStep(layer, vars);
    else if (all && cls === 'Conv2D' && vars.length <= 2) step = convStep(layer, vars);
    return step ?? { kind: 'layer-loop', layer, vars, outShape: staticShape(layer) };
  });
}

// ---------------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------------

interface NormPart {
  /** ||∇_i||² of this layer's variables, [B]. */
  sq: tf.Tensor1D;
  /** Linear layers: the per-example rows [B, T, K] (when formed) and output gradients [B, T, O]. */
  p3?: tf.Tensor3D;
  /** Whether `p3` is in (channel, row, column) order. */
  crs?: boolean;
  g3?: tf.Tensor3D;
  /**
   * Materialized per-example kernel gradients: [B, K, O] in kernel order (dense), or [K, B, O]
   * in (channel, row, column) order (convolutions; `kbo`), which spares a rank-5 transpose.
   */
  per?: tf.Tensor3D;
  kbo?: boolean;
  /** Layer-loop fallback: per-example gradients of each variable, [B, ...shape]. */
  perVar?: tf.Tensor[];
  /** Dense layer on vectors: its input [B, K] and output gradient [B, O] as they are. */
  a2?: tf.Tensor2D;
  g2?: tf.Tensor2D;
}

interface Backward {
  /** Per weighted step: its input activation and ∂L/∂(pre-activation output). */
  pairs: { a: tf.Tensor; g: tf.Tensor }[];
  lossSum: tf.Scalar;
}

/** Creates the per-example gradient engine for `model` (analyzed once; reuse it across batches). */
export function createPerExampleGradients(
  model: tf.LayersModel,
  options: PerExampleGradientsOptions = {},
): PerExampleGradients {
  const lossFn = options.loss ?? softmaxCrossEntropyPerExample;
  const strategy = options.strategy ?? 'auto';
  assertArgument(strategy === 'auto' || strategy === 'loop', `unknown strategy '${String(strategy)}'`);
  const variables = model.trainableWeights.map(varOf);
  assertArgument(variables.length > 0, `model '${model.name}' has no trainable weights`);
  const chain = strategy === 'auto' ? chainOf(model) : undefined;
  if (chain === undefined) {
    const bn = model.layers.find((l) => MIXING_LAYERS.has(l.getClassName()));
    if (bn) buildSteps([bn]); // throws the explanation
    return modelLoop(model, variables, lossFn);
  }
  const steps = buildSteps(chain);
  const weighted = steps.filter((s): s is LinearStep | LayerLoopStep => s.kind !== 'apply');
  // Every trainable variable must belong to exactly one weighted step, or the sums would miss some.
  const position = new Map(variables.map((v, i) => [v.id, i]));
  const covered = weighted.flatMap((s) =>
    s.kind === 'linear' ? [s.kernel, ...(s.bias ? [s.bias] : [])] : s.vars,
  );
  if (covered.length !== variables.length || covered.some((v) => !position.has(v.id))) {
    return modelLoop(model, variables, lossFn);
  }

  const backward = (x: tf.Tensor, y: tf.Tensor2D): Backward => {
    const b = x.shape[0];
    const probes = weighted.map((s) =>
      s.kind === 'linear' && s.bias
        ? tf.add(tf.zeros([b, ...s.outShape]), s.bias) // broadcastTo (Tile) is 10x slower on WASM
        : tf.zeros([b, ...s.outShape]),
    );
    const acts: tf.Tensor[] = [];
    const f = (...ps: tf.Tensor[]) => {
      let h = x;
      let k = 0;
      for (const step of steps) {
        if (step.kind === 'apply') {
          h = step.layer.apply(h, { training: true }) as tf.Tensor;
          continue;
        }
        acts.push(h === x ? h : tf.keep(h));
        if (step.kind === 'layer-loop') {
          h = tf.add(step.layer.apply(h, { training: true }) as tf.Tensor, ps[k++]!);
          continue;
        }
        h = step.activation(linearForward(step, h, ps[k++]!));
      }
      return tf.sum<tf.Scalar>(lossFn(y, h));
    };
    const { value, grads } = tf.valueAndGrads(f)(probes);
    tf.dispose(probes);
    return { pairs: grads.map((g, i) => ({ a: acts[i]!, g })), lossSum: value };
  };

  const release = (x: tf.Tensor, bw: Backward) => {
    for (const p of bw.pairs) {
      if (p.a !== x) p.a.dispose();
      p.g.dispose();
    }
  };

  /** Per-example squared norms of one step, and whatever the clipped sum will reuse. */
  const stepNormSq = (step: LinearStep | LayerLoopStep, a: tf.Tensor, g: tf.Tensor): NormPart => {
    const b = g.shape[0];
    if (step.kind === 'layer-loop') {
      const perVar = layerLoopGrads(step, a, g);
      const sq = tf.addN(perVar.map((t) => tf.sum(tf.square(tf.reshape(t, [b, -1])), 1)));
      return { sq: sq as tf.Tensor1D, perVar };
    }
    const g3 = tf.reshape<tf.Rank.R3>(g, [b, step.t, step.o]);
    if (step.method === 'linear-materialized') {
      const kbo = step.conv !== undefined && !step.conv.whole;
      const per = kbo
        ? convPerExampleKBO(step, a, g3)
        : tf.matMul<tf.Tensor3D>(patches(step, a).p3, g3, true, false);
      let sq = tf.sum(tf.square(per), kbo ? [0, 2] : [1, 2]);
      if (step.bias) sq = tf.add(sq, tf.sum(tf.square(tf.sum(g3, 1)), 1));
      return { sq: sq as tf.Tensor1D, g3, per, kbo };
    }
    if (step.method === 'dense' && !step.conv && a.rank === 2 && g.rank === 2) {
      // The common case (a dense layer on vectors) without a single reshape: kernel launches are
      // most of a small model's step time.
      const gsq = tf.sum(tf.square(g), 1);
      const asq = tf.sum(tf.square(a), 1);
      const sq = tf.mul(step.bias ? tf.add(asq, 1) : asq, gsq);
      return { sq: sq as tf.Tensor1D, a2: a as tf.Tensor2D, g2: g as tf.Tensor2D };
    }
    const { p3, crs } = patches(step, a);
    let sq: tf.Tensor;
    if (step.method === 'dense') {
      // ||a⊗g||² + ||g||² = ||g||²·(||a||² + 1): neither outer product is ever formed.
      const gsq = tf.sum(tf.square(tf.reshape(g3, [b, step.o])), 1);
      const asq = tf.sum(tf.square(tf.reshape(p3, [b, step.k])), 1);
      sq = tf.mul(step.bias ? tf.add(asq, 1) : asq, gsq);
    } else {
      // Ghost norm: <P_i P_iᵀ, g_i g_iᵀ>, two [T, T] Gram matrices per example.
      const pp = tf.matMul(p3, p3, false, true);
      const gg = tf.matMul(g3, g3, false, true);
      sq = tf.sum(tf.mul(pp, gg), [1, 2]);
      if (step.bias) sq = tf.add(sq, tf.sum(tf.square(tf.sum(g3, 1)), 1));
    }
    return { sq: sq as tf.Tensor1D, p3, crs, g3 };
  };

  const layersInfo: { name: string; method: LayerMethod }[] = weighted.map((s) => ({
    name: s.layer.name,
    method: s.kind === 'linear' ? s.method : 'layer-loop',
  }));

  /** Writes tensors into the slot of each variable. */
  const place = (out: (tf.Tensor | undefined)[], v: tf.Variable, t: tf.Tensor) => {
    out[position.get(v.id)!] = t;
  };

  return {
    variables,
    layers: layersInfo,
    dispose() {
      for (const s of steps) {
        if (s.kind === 'linear' && s.conv?.eye) {
          s.conv.eye.dispose();
          delete s.conv.eye;
        }
      }
    },

    norms(x, y) {
      return tf.tidy(() => {
        const bw = backward(x, y);
        const sq = weighted.map((s, i) => stepNormSq(s, bw.pairs[i]!.a, bw.pairs[i]!.g).sq);
        const out = tf.sqrt<tf.Tensor1D>(tf.addN(sq));
        release(x, bw);
        return out;
      });
    },

    grads(x, y) {
      return tf.tidy(() => {
        const bw = backward(x, y);
        const b = x.shape[0];
        const out: (tf.Tensor | undefined)[] = [];
        weighted.forEach((s, i) => {
          const { a, g } = bw.pairs[i]!;
          if (s.kind === 'layer-loop') {
            layerLoopGrads(s, a, g).forEach((t, j) => place(out, s.vars[j]!, t));
            return;
          }
          const g3 = tf.reshape<tf.Rank.R3>(g, [b, s.t, s.o]);
          place(out, s.kernel, tf.reshape(perExampleKernel(s, a, g3), [b, ...s.kernel.shape]));
          if (s.bias) place(out, s.bias, tf.sum(g3, 1));
        });
        release(x, bw);
        return out as tf.Tensor[];
      });
    },

    clippedSum(x, y, clipNorm, scale = 1) {
      assertArgument(clipNorm > 0 && Number.isFinite(clipNorm), `clipNorm must be > 0, got ${clipNorm}`);
      return tf.tidy(() => {
        const bw = backward(x, y);
        const b = x.shape[0];
        const parts = weighted.map((s, i) => stepNormSq(s, bw.pairs[i]!.a, bw.pairs[i]!.g));
        const norms = tf.sqrt<tf.Tensor1D>(
          parts.length === 1 ? parts[0]!.sq : tf.addN(parts.map((p) => p.sq)),
        );
        // Opacus' factor C / (||g|| + 1e-6) capped at 1, times `scale`: min(scale·C / (||g|| + 1e-6), scale).
        const factor = tf.minimum<tf.Tensor1D>(tf.div(scale * clipNorm, tf.add(norms, 1e-6)), scale);
        let column: tf.Tensor2D | undefined;
        const out: (tf.Tensor | undefined)[] = [];
        weighted.forEach((s, i) => {
          const part = parts[i]!;
          if (part.a2 && part.g2 && s.kind === 'linear') {
            // Σ_i c_i a_i ⊗ g_i = aᵀ (c ⊙ g), and the bias sum Σ_i c_i g_i.
            column ??= tf.reshape(factor, [b, 1]);
            const gc = tf.mul(part.g2, column);
            place(out, s.kernel, tf.matMul(part.a2, gc, true, false));
            if (s.bias) place(out, s.bias, tf.sum(gc, 0));
            return;
          }
          if (s.kind === 'layer-loop') {
            part.perVar!.forEach((t, j) => {
              const flat = tf.matMul(tf.reshape(factor, [1, b]), tf.reshape(t, [b, -1]));
              place(out, s.vars[j]!, tf.reshape(flat, s.vars[j]!.shape));
            });
            return;
          }
          const g3 = part.g3!;
          if (part.per && part.kbo) {
            const w = tf.sum(tf.mul(part.per, tf.reshape(factor, [1, b, 1])), 1);
            place(out, s.kernel, toKernel(s, w, true, false));
          } else if (part.per) {
            const flat = tf.matMul(tf.reshape(factor, [1, b]), tf.reshape(part.per, [b, s.k * s.o]));
            place(out, s.kernel, tf.reshape(flat, s.kernel.shape));
          } else {
            // Σ_i c_i P_iᵀ g_i = Pᵀ (c ⊙ g): one product over all rows of the batch.
            const gc = tf.mul(g3, tf.reshape(factor, [b, 1, 1]));
            const w = tf.matMul(
              tf.reshape(part.p3!, [b * s.t, s.k]),
              tf.reshape(gc, [b * s.t, s.o]),
              true,
              false,
            );
            place(out, s.kernel, toKernel(s, w, part.crs!, false));
          }
          if (s.bias) {
            const gb = s.t === 1 ? tf.reshape(g3, [b, s.o]) : tf.sum(g3, 1);
            place(out, s.bias, tf.reshape(tf.matMul(tf.reshape(factor, [1, b]), gb), s.bias.shape));
          }
        });
        release(x, bw);
        return { sums: out as tf.Tensor[], norms, lossSum: bw.lossSum };
      });
    },
  };
}

/**
 * z = P W + probe for a dense layer (any rank) or a Conv2D, without the activation. The probe
 * already holds the bias broadcast to z's shape, so adding it costs no more than the bias add of
 * the plain forward pass. Unfused ops on purpose: TF.js' fused ops compute every input's gradient
 * in their backward pass, and we must not pay for weight gradients we never use.
 */
function linearForward(step: LinearStep, h: tf.Tensor, probe: tf.Tensor): tf.Tensor {
  if (step.conv) {
    const c = step.conv;
    const z = tf.conv2d(
      h as tf.Tensor4D,
      step.kernel as unknown as tf.Tensor4D,
      c.strides,
      c.padding,
      'NHWC',
      c.dilations,
    );
    return tf.add(z, probe);
  }
  if (h.rank === 2) return tf.add(tf.matMul(h as tf.Tensor2D, step.kernel as unknown as tf.Tensor2D), probe);
  const b = h.shape[0];
  const z = tf.matMul(tf.reshape(h, [-1, step.k]), step.kernel);
  return tf.add(tf.reshape(z, [b, ...step.outShape]), probe);
}

/**
 * The layer input as per-example rows [B, T, K]: the activation itself for a dense layer, or the
 * im2col patches of a convolution. `crs`: rows are in (channel, row, column) order rather than the
 * kernel's (row, column, channel) order (see {@link toKernel}).
 */
function patches(step: LinearStep, a: tf.Tensor): { p3: tf.Tensor3D; crs: boolean } {
  const b = a.shape[0];
  const c = step.conv;
  if (!c || c.whole) return { p3: tf.reshape(a, [b, step.t, step.k]), crs: false };
  // im2col by a depthwise convolution with one-hot filters: output channel c*kh*kw + r*kw + s is
  // input channel c at tap (r, s). XNNPACK runs it far faster than a gather on the WASM backend.
  c.eye ??= tf.keep(
    tf.tidy(() => {
      const m = c.kh * c.kw;
      const eye = tf.reshape(tf.oneHot(tf.range(0, m, 1, 'int32'), m), [c.kh, c.kw, 1, m]);
      return tf.tile(eye, [1, 1, c.cin, 1]).toFloat() as tf.Tensor4D;
    }),
  );
  const out = tf.depthwiseConv2d(a as tf.Tensor4D, c.eye, c.strides, c.padding, 'NHWC', c.dilations);
  return { p3: tf.reshape(out, [b, step.t, step.k]), crs: true };
}

/** Per-example kernel gradients [B, K, O] in kernel order. */
function perExampleKernel(step: LinearStep, a: tf.Tensor, g3: tf.Tensor3D): tf.Tensor3D {
  if (!step.conv || step.conv.whole) return tf.matMul<tf.Tensor3D>(patches(step, a).p3, g3, true, false);
  const c = step.conv;
  const b = a.shape[0];
  const kbo = tf.reshape(convPerExampleKBO(step, a, g3), [c.cin, c.kh, c.kw, b, step.o]);
  return tf.reshape(tf.transpose(kbo, [3, 1, 2, 0, 4]), [b, step.k, step.o]);
}

/** A [K, O] (or [B, K, O] when `batched`) gradient in patch order, reshaped to the kernel's shape. */
function toKernel(step: LinearStep, w: tf.Tensor, crs: boolean, batched: boolean): tf.Tensor {
  const lead = batched ? [w.shape[0]] : [];
  if (!crs) return tf.reshape(w, [...lead, ...step.kernel.shape]);
  const c = step.conv!;
  const r = tf.reshape(w, [...lead, c.cin, c.kh, c.kw, step.o]);
  return tf.transpose(r, batched ? [0, 2, 3, 1, 4] : [1, 2, 0, 3]);
}

/**
 * Per-example kernel gradients of a convolution, [K, B, O] with K in (channel, row, column) order, without im2col:
 * ∇W_i[r, s, c, o] = Σ_(y,x) a_i[y·sy + r·dy, x·sx + s·dx, c] · g_i[y, x, o] is a correlation of
 * each example's input with its own output gradient, i.e. ONE depthwise convolution with the
 * examples as channels: input [cin, H, W, B], filter [Ho, Wo, B, O] dilated by the stride, stride
 * equal to the dilation (Rochette et al. 2019 do the same with grouped convolutions).
 */
function convPerExampleKBO(step: LinearStep, a: tf.Tensor, g: tf.Tensor): tf.Tensor3D {
  const c = step.conv!;
  const b = a.shape[0];
  const padded = c.pads.some(([x, y]) => x > 0 || y > 0)
    ? tf.pad(a as tf.Tensor4D, [[0, 0], c.pads[0], c.pads[1], [0, 0]])
    : a;
  const aT = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
  const gT = tf.transpose(tf.reshape<tf.Rank>(g, [b, ...step.outShape]), [1, 2, 0, 3]) as tf.Tensor4D;
  let out = tf.depthwiseConv2d(aT, gT, c.dilations, 'valid', 'NHWC', c.strides);
  // 'same' padding may leave rows or columns past the last tap: they belong to no kernel position.
  if (out.shape[1] !== c.kh || out.shape[2] !== c.kw)
    out = tf.slice(out, [0, 0, 0, 0], [c.cin, c.kh, c.kw, b * step.o]);
  return tf.reshape(out, [step.k, b, step.o]);
}

/** Fallback for a layer without a vectorized form: one vector-Jacobian product per example. */
function layerLoopGrads(step: LayerLoopStep, a: tf.Tensor, g: tf.Tensor): tf.Tensor[] {
  const b = a.shape[0];
  const per: tf.Tensor[][] = step.vars.map(() => []);
  for (let i = 0; i < b; i++) {
    const ai = tf.slice(a, i, 1);
    const gi = tf.slice(g, i, 1);
    const { grads } = tf.variableGrads(
      () => tf.sum<tf.Scalar>(tf.mul(step.layer.apply(ai, { training: true }) as tf.Tensor, gi)),
      step.vars,
    );
    step.vars.forEach((v, j) => per[j]!.push(grads[v.name]!));
  }
  return per.map((list) => tf.stack(list));
}

/** Fallback for models that are not a chain: one full backward pass per example. */
function modelLoop(
  model: tf.LayersModel,
  variables: tf.Variable[],
  lossFn: PerExampleLoss,
): PerExampleGradients {
  const perExample = (x: tf.Tensor, y: tf.Tensor2D) => {
    const b = x.shape[0];
    const grads: tf.Tensor[][] = variables.map(() => []);
    const losses: tf.Scalar[] = [];
    for (let i = 0; i < b; i++) {
      const xi = tf.slice(x, i, 1);
      const yi = tf.slice(y, i, 1);
      const r = tf.variableGrads(
        () => tf.sum<tf.Scalar>(lossFn(yi, model.apply(xi, { training: true }) as tf.Tensor)),
        variables,
      );
      variables.forEach((v, j) => grads[j]!.push(r.grads[v.name]!));
      losses.push(r.value);
    }
    return { per: grads.map((list) => tf.stack(list)), lossSum: tf.addN<tf.Scalar>(losses) };
  };
  const normsOf = (per: tf.Tensor[], b: number) =>
    tf.sqrt(tf.addN(per.map((t) => tf.sum(tf.square(tf.reshape(t, [b, -1])), 1)))) as tf.Tensor1D;
  return {
    variables,
    layers: model.layers
      .filter((l) => l.trainableWeights.length > 0)
      .map((l) => ({ name: l.name, method: 'model-loop' as const })),
    dispose() {},
    norms: (x, y) => tf.tidy(() => normsOf(perExample(x, y).per, x.shape[0])),
    grads: (x, y) => tf.tidy(() => perExample(x, y).per),
    clippedSum(x, y, clipNorm, scale = 1) {
      assertArgument(clipNorm > 0 && Number.isFinite(clipNorm), `clipNorm must be > 0, got ${clipNorm}`);
      return tf.tidy(() => {
        const b = x.shape[0];
        const { per, lossSum } = perExample(x, y);
        const norms = normsOf(per, b);
        const factor = tf.mul(tf.minimum(tf.div(clipNorm, tf.add(norms, 1e-6)), 1), scale);
        const sums = per.map((t, j) =>
          tf.reshape(tf.matMul(tf.reshape(factor, [1, b]), tf.reshape(t, [b, -1])), variables[j]!.shape),
        );
        return { sums, norms, lossSum };
      });
    },
  };
}
