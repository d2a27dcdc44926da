/**
 * Built-in models. Each is a TF.js Layers model whose initial weights are a pure function of
 * the seed, so the coordinator can reproduce a job's starting point exactly.
 *
 * All classifiers end in a softmax over `numClasses` (binary tasks use two classes), so one loss
 * (categorical cross-entropy) and one accuracy serve every model, and a saved model predicts class
 * probabilities in stock TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs';
import { makeError } from '../common/errors.js';

export interface BuiltinModelInfo {
  name: string;
  description: string;
  inputShape: number[];
  numClasses: number;
  /** Trainable parameters, checked by tests against the published figure where there is one. */
  params: number;
}

type Builder = (seed: number) => tf.LayersModel;

/** Deterministic per-layer seeds: layer i of a model built with `seed` gets seed*1000+i. */
function seeds(seed: number) {
  let i = 0;
  return () => tf.initializers.glorotUniform({ seed: seed * 1000 + i++ });
}

const builders: Record<string, { info: Omit<BuiltinModelInfo, 'params'>; build: Builder }> = {
  'wdbc-mlp': {
    info: {
      name: 'wdbc-mlp',
      description: 'MLP 30-32-16-2 for the WDBC breast-cancer features (binary: malignant/benign)',
      inputShape: [30],
      numClasses: 2,
    },
    build: (seed) => {
      const init = seeds(seed);
      return tf.sequential({
        name: 'wdbc_mlp',
        layers: [
          tf.layers.dense({ inputShape: [30], units: 32, activation: 'relu', kernelInitializer: init() }),
          tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init() }),
          tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init() }),
        ],
      });
    },
  },
  'wdbc-logreg': {
    info: {
      name: 'wdbc-logreg',
      description:
        'Logistic regression 30->2 (softmax) for WDBC, zero initial weights: the fewest parameters, the best accuracy under record-level DP',
      inputShape: [30],
      numClasses: 2,
    },
    // Zero start: under DP noise a random start is as large as the signal (bench/RESULTS.md, DP section 2).
    build: () =>
      tf.sequential({
        name: 'wdbc_logreg',
        layers: [
          tf.layers.dense({
            inputShape: [30],
            units: 2,
            activation: 'softmax',
            kernelInitializer: 'zeros',
            biasInitializer: 'zeros',
          }),
        ],
      }),
  },
  lenet5: {
    info: {
      name: 'lenet5',
      description:
        'LeNet-5 (LeCun et al. 1998) on 28x28x1: C1 conv5x5x6 (same) - S2 avgpool - C3 conv5x5x16 - S4 avgpool - C5 conv5x5x120 - F6 84 - 10',
      inputShape: [28, 28, 1],
      numClasses: 10,
    },
    build: (seed) => {
      const init = seeds(seed);
      return tf.sequential({
        name: 'lenet5',
        layers: [
          // The original takes 32x32 inputs; padding 28x28 by 2 ('same') keeps C1 at 28x28x6.
          tf.layers.conv2d({
            inputShape: [28, 28, 1],
            filters: 6,
            kernelSize: 5,
            padding: 'same',
            activation: 'tanh',
            kernelInitializer: init(),
          }),
          tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), // 14x14x6
          tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh', kernelInitializer: init() }), // 10x10x16
          tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), // 5x5x16
          tf.layers.conv2d({ filters: 120, kernelSize: 5, activation: 'tanh', kernelInitializer: init() }), // 1x1x120
          tf.layers.flatten(),
          tf.layers.dense({ units: 84, activation: 'tanh', kernelInitializer: init() }),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
        ],
      });
    },
  },
  'fedavg-2nn': {
    info: {
      name: 'fedavg-2nn',
      description: 'The 2NN of McMahan et al. 2017: 784-200-200-10 with ReLU (199,210 parameters)',
      inputShape: [28, 28, 1],
      numClasses: 10,
    },
    build: (seed) => {
      const init = seeds(seed);
      return tf.sequential({
        name: 'fedavg_2nn',
        layers: [
          tf.layers.flatten({ inputShape: [28, 28, 1] }),
          tf.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init() }),
          tf.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init() }),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
        ],
      });
    },
  },
  'fedavg-cnn': {
    info: {
      name: 'fedavg-cnn',
      description:
        'The CNN of McMahan et al. 2017: conv5x5x32 - maxpool - conv5x5x64 - maxpool - 512 - 10 (1,663,370 parameters)',
      inputShape: [28, 28, 1],
      numClasses: 10,
    },
    build: (seed) => {
      const init = seeds(seed);
      return tf.sequential({
        name: 'fedavg_cnn',
        layers: [
          tf.layers.conv2d({
            inputShape: [28, 28, 1],
            filters: 32,
            kernelSize: 5,
            padding: 'same',
            activation: 'relu',
            kernelInitializer: init(),
          }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.conv2d({
            filters: 64,
            kernelSize: 5,
            padding: 'same',
            activation: 'relu',
            kernelInitializer: init(),
          }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: init() }),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
        ],
      });
    },
  },
};

export const BUILTIN_MODELS: readonly string[] = Object.keys(builders);

export function isBuiltinModel(name: string): boolean {
  return Object.hasOwn(builders, name);
}

/** Builds a built-in model with weights drawn from `seed`. */
export function buildBuiltinModel(name: string, seed = 0): tf.LayersModel {
  const entry = builders[name];
  if (!entry) {
    throw makeError(
      `unknown built-in model '${name}'; choose one of: ${BUILTIN_MODELS.join(', ')}, or pass a TF.js Layers topology file`,
      'INVALID_MODEL',
      { model: name, problems: [`unknown built-in model '${name}'`] },
    );
  }
  return entry.build(seed);
}

export function builtinModelInfo(name: string): BuiltinModelInfo {
  const model = buildBuiltinModel(name, 0);
  try {
    const entry = builders[name]!;
    return { ...entry.info, params: model.countParams() };
  } finally {
    model.dispose();
  }
}
