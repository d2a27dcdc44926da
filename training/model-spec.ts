/**
 * A job's model: a built-in name or a user-supplied TF.js Layers topology (the `modelTopology`
 * of a model.json, or the whole model.json). User topologies are validated before anything is
 * trained, and every problem is reported at once so a vendor can fix the file in one pass.
 */
import * as tf from '@tensorflow/tfjs';
import { makeError } from '../common/errors.js';
import { buildBuiltinModel, builtinModelInfo, isBuiltinModel } from './models.js';

/** Layer types local training, per-example DP and aggregation are known to handle. */
export const SUPPORTED_LAYERS = new Set([
  'InputLayer',
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'Activation',
]);

export const SUPPORTED_ACTIVATIONS = new Set([
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
]);

/** Initializers that take a seed; we set it so a job's starting weights are reproducible. */
const SEEDED_INITIALIZERS = new Set([
  'GlorotUniform',
  'GlorotNormal',
  'HeUniform',
  'HeNormal',
  'LeCunUniform',
  'LeCunNormal',
  'VarianceScaling',
  'RandomUniform',
  'RandomNormal',
  'TruncatedNormal',
]);

export const DEFAULT_MAX_PARAMS = 20_000_000;

export interface ModelRequirements {
  /** Feature shape of one record, without the batch dimension. */
  inputShape: number[];
  numClasses: number;
  /** @defaultValue 20,000,000 */
  maxParams?: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Accepts a whole model.json ({modelTopology, weightsManifest}) or a bare topology. */
function topologyOf(input: unknown): Json | undefined {
  if (!isObject(input)) return undefined;
  if (isObject(input.modelTopology)) return input.modelTopology;
  return input;
}

function layersOf(topology: Json): Json[] | undefined {
  const config = topology.config;
  if (Array.isArray(config)) return config.filter(isObject); // very old Keras: config is the layer list
  if (isObject(config) && Array.isArray(config.layers)) return config.layers.filter(isObject);
  return undefined;
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Returns every problem with the topology; empty when it is usable. Builds the model to count parameters. */
export async function checkTopology(input: unknown, req: ModelRequirements): Promise<string[]> {
  const problems: string[] = [];
  const topology = topologyOf(input);
  if (!topology) return ['the model file is not a JSON object with a TF.js Layers topology'];
  const className = topology.class_name;
  if (className !== 'Sequential' && className !== 'Model' && className !== 'Functional') {
    problems.push(
      `top-level class_name must be Sequential, Model or Functional, got ${JSON.stringify(className)}`,
    );
  }
  const layers = layersOf(topology);
  if (!layers || layers.length === 0) {
    problems.push('the topology has no layers (expected config.layers to be a non-empty list)');
    return problems;
  }
  layers.forEach((layer, i) => {
    const type = layer.class_name;
    const cfg = isObject(layer.config) ? layer.config : {};
    const where = `layer ${i} (${typeof cfg.name === 'string' ? cfg.name : String(type)})`;
    if (typeof type !== 'string' || !SUPPORTED_LAYERS.has(type)) {
      problems.push(
        `${where}: layer type ${JSON.stringify(type)} is not supported; supported: ${[...SUPPORTED_LAYERS].join(', ')}`,
      );
    }
    const act = cfg.activation;
    if (act !== undefined && (typeof act !== 'string' || !SUPPORTED_ACTIVATIONS.has(act))) {
      problems.push(`${where}: activation ${JSON.stringify(act)} is not supported`);
    }
    if (cfg.data_format !== undefined && cfg.data_format !== 'channels_last') {
      problems.push(`${where}: only data_format 'channels_last' (NHWC) is supported`);
    }
  });
  const first = layers[0]!;
  const firstCfg = isObject(first.config) ? first.config : {};
  const declared = firstCfg.batch_input_shape ?? firstCfg.batchInputShape;
  if (!Array.isArray(declared)) {
    problems.push('the first layer must declare batch_input_shape, e.g. [null, 30]');
  } else if (!sameShape(declared.slice(1) as (number | null)[], req.inputShape)) {
    problems.push(
      `input shape ${JSON.stringify(declared.slice(1))} does not match the dataset's feature shape ${JSON.stringify(req.inputShape)}`,
    );
  }
  if (problems.length > 0) return problems;

  let model: tf.LayersModel | undefined;
  try {
    model = await buildFromTopology(topology, 0);
    const out = model.outputs[0]?.shape ?? [];
    if (model.outputs.length !== 1 || !sameShape(out.slice(1), [req.numClasses])) {
      problems.push(
        `the output shape ${JSON.stringify(out.slice(1))} must be [${req.numClasses}] (one probability per class)`,
      );
    }
    const lastLayer = model.layers[model.layers.length - 1];
    const lastAct = (lastLayer?.getConfig() as { activation?: unknown }).activation;
    if (lastAct !== 'softmax') {
      problems.push(
        `the last layer must use a softmax activation (got ${JSON.stringify(lastAct ?? 'none')})`,
      );
    }
    const params = model.countParams();
    const cap = req.maxParams ?? DEFAULT_MAX_PARAMS;
    if (params > cap) problems.push(`the model has ${params} parameters, more than the cap of ${cap}`);
  } catch (e) {
    problems.push(`TensorFlow.js cannot build the topology: ${(e as Error).message}`);
  } finally {
    model?.dispose();
  }
  return problems;
}

/** Sets a deterministic seed on every seedable initializer, in a deep copy of the topology. */
function withSeeds(topology: Json, seed: number): Json {
  // A JSON copy, not structuredClone: tfjs-layers tells arrays apart with `instanceof Array`, which
  // fails for arrays made in another realm (structuredClone under Jest's VM).
  const copy = JSON.parse(JSON.stringify(topology)) as Json;
  let k = 0;
  for (const layer of layersOf(copy) ?? []) {
    if (!isObject(layer.config)) continue;
    for (const [key, value] of Object.entries(layer.config)) {
      if (
        key.endsWith('initializer') &&
        isObject(value) &&
        SEEDED_INITIALIZERS.has(String(value.class_name))
      ) {
        const cfg = isObject(value.config) ? value.config : {};
        value.config = { ...cfg, seed: seed * 1000 + k++ };
      }
    }
  }
  return copy;
}

async function buildFromTopology(topology: Json, seed: number): Promise<tf.LayersModel> {
  const seeded = withSeeds(topology, seed);
  return tf.models.modelFromJSON({ modelTopology: seeded } as unknown as tf.io.ModelJSON);
}

export type ModelSpec = { builtin: string } | { topology: unknown };

/**
 * Builds the model a spec names, checked against the dataset's shape. Throws INVALID_MODEL listing
 * every problem.
 */
export async function buildModel(spec: ModelSpec, req: ModelRequirements, seed = 0): Promise<tf.LayersModel> {
  if ('builtin' in spec) {
    const info = builtinModelInfo(spec.builtin);
    const problems: string[] = [];
    if (!sameShape(info.inputShape, req.inputShape)) {
      problems.push(
        `model '${spec.builtin}' takes inputs of shape ${JSON.stringify(info.inputShape)} but the dataset's records have shape ${JSON.stringify(req.inputShape)}`,
      );
    }
    if (info.numClasses !== req.numClasses) {
      problems.push(
        `model '${spec.builtin}' predicts ${info.numClasses} classes but the dataset has ${req.numClasses}`,
      );
    }
    if (problems.length) throw invalidModel(problems);
    return buildBuiltinModel(spec.builtin, seed);
  }
  const problems = await checkTopology(spec.topology, req);
  if (problems.length) throw invalidModel(problems);
  return buildFromTopology(topologyOf(spec.topology)!, seed);
}

function invalidModel(problems: string[]) {
  return makeError(
    `the model cannot be used:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    'INVALID_MODEL',
    { problems },
  );
}

export { isBuiltinModel };
