/**
 * TF.js Layers model files (model.json + one weights shard) in a folder, the format stock
 * TensorFlow.js loads with `tf.loadLayersModel('file://DIR/model.json')` under tfjs-node, or with
 * `tf.io.fromMemory`/`browserFiles` elsewhere. @tensorflow/tfjs alone has no file:// handler in
 * Node, so we read and write the files ourselves.
 *
 * Writes are atomic: the files go to a sibling temporary folder that is renamed into place, so a
 * crash never leaves a half-written model behind.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeError } from '../common/errors.js';

export const WEIGHTS_FILE = 'group1-shard1of1.bin';

export interface ModelArtifactsBytes {
  /** model.json text. */
  modelJson: string;
  /** Concatenated weight data, as described by the manifest in model.json. */
  weights: Uint8Array;
}

/** Serializes a model to the two files of the TF.js Layers format, in memory. */
export async function modelToBytes(model: tf.LayersModel): Promise<ModelArtifactsBytes> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) {
    throw makeError('TensorFlow.js returned no weights when saving the model', 'INTERNAL');
  }
  const data = artifacts.weightData;
  const weights = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
  };
  return { modelJson: JSON.stringify(modelJson), weights };
}

export async function modelFromBytes(bytes: ModelArtifactsBytes): Promise<tf.LayersModel> {
  const json = JSON.parse(bytes.modelJson) as tf.io.ModelJSON;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffer = bytes.weights.buffer.slice(
    bytes.weights.byteOffset,
    bytes.weights.byteOffset + bytes.weights.byteLength,
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: buffer as ArrayBuffer,
    }),
  );
}

/** Writes model.json and the weights shard into `dir` atomically; refuses to overwrite unless asked. */
export async function saveModelFolder(
  bytes: ModelArtifactsBytes,
  dir: string,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  if (existsSync(dir) && !options.overwrite) {
    throw makeError(`${dir} already exists; choose another folder or allow overwriting`, 'INVALID_ARGUMENT', {
      dir,
    });
  }
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    await writeFile(join(tmp, 'model.json'), bytes.modelJson);
    await writeFile(join(tmp, WEIGHTS_FILE), bytes.weights);
    if (existsSync(dir)) await rm(dir, { recursive: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export async function readModelFolder(dir: string): Promise<ModelArtifactsBytes> {
  const jsonPath = join(dir, 'model.json');
  let modelJson: string;
  try {
    modelJson = await readFile(jsonPath, 'utf8');
  } catch {
    throw makeError(`no model.json in ${dir}`, 'NOT_FOUND', { dir });
  }
  const parsed = JSON.parse(modelJson) as tf.io.ModelJSON;
  const paths = parsed.weightsManifest?.flatMap((g) => g.paths) ?? [];
  const parts = await Promise.all(paths.map((p) => readFile(join(dir, p))));
  const total = parts.reduce((a, b) => a + b.byteLength, 0);
  const weights = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weights.set(p, off);
    off += p.byteLength;
  }
  return { modelJson, weights };
}
