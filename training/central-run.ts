/**
 * Centralized training on one CSV dataset with a held-out test split: what a hospital runs to
 * sanity-check a model on its own data, and the baseline federated runs are compared against.
 * Scaling statistics are fitted on the training part only, then applied to the test part.
 */
import type * as tf from '@tensorflow/tfjs';
import { loadCsvDataset } from '../datasets/csv.js';
import { trainTestSplit } from '../datasets/dataset.js';
import { applyScaler, fitScaler } from '../datasets/scaler.js';
import type { DatasetSchema } from '../datasets/schema.js';
import { type TrainingBackendName, useTrainingBackend } from './backend.js';
import { buildModel, type ModelSpec } from './model-spec.js';
import { evaluate, type TrainOptions, trainLocal } from './train.js';

export interface CentralRunOptions {
  model: ModelSpec;
  csv: string;
  schema: DatasetSchema;
  /** @defaultValue 20 */
  epochs?: number;
  /** @defaultValue 16 */
  batchSize?: number;
  /** @defaultValue 0.05 */
  learningRate?: number;
  /** @defaultValue 'sgd' */
  optimizer?: TrainOptions['optimizer'];
  /** Seeds initial weights, the split and shuffling. @defaultValue 0 */
  seed?: number;
  /** @defaultValue 0.2 */
  testFraction?: number;
  /** @defaultValue 'wasm' */
  backend?: TrainingBackendName;
  signal?: AbortSignal;
  onEpoch?: (e: EpochRecord) => void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
}

export interface CentralRunResult {
  model: tf.LayersModel;
  backend: TrainingBackendName;
  trainRecords: number;
  testRecords: number;
  history: EpochRecord[];
  testAccuracy: number;
  seconds: number;
}

export async function runCentralTraining(o: CentralRunOptions): Promise<CentralRunResult> {
  const started = performance.now();
  const backend = await useTrainingBackend(o.backend ?? 'wasm');
  const f = o.schema.features.length;
  // Load unscaled, split, then fit scaling on the training part so no test statistic leaks in.
  const identity = {
    kind: 'none' as const,
    center: new Array<number>(f).fill(0),
    scale: new Array<number>(f).fill(1),
  };
  const { dataset } = await loadCsvDataset(o.csv, o.schema, { scaler: identity, signal: o.signal });
  const seed = o.seed ?? 0;
  const split = trainTestSplit(dataset, { testFraction: o.testFraction ?? 0.2, seed, stratify: true });
  const scaler = fitScaler(split.train, o.schema.scaling);
  const train = applyScaler(split.train, scaler);
  const test = applyScaler(split.test, scaler);
  const model = await buildModel(
    o.model,
    { inputShape: train.featureShape, numClasses: train.numClasses },
    seed,
  );
  const epochs = o.epochs ?? 20;
  const history: EpochRecord[] = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const r = await trainLocal(model, train, {
        epochs: 1,
        batchSize: o.batchSize ?? 16,
        learningRate: o.learningRate ?? 0.05,
        optimizer: o.optimizer ?? 'sgd',
        seed: seed * 100_003 + epoch,
        signal: o.signal,
      });
      const ev = await evaluate(model, test, { signal: o.signal });
      const rec = { epoch, trainLoss: r.loss, testLoss: ev.loss, testAccuracy: ev.accuracy };
      history.push(rec);
      o.onEpoch?.(rec);
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    model,
    backend,
    trainRecords: train.n,
    testRecords: test.n,
    history,
    testAccuracy: history[history.length - 1]?.testAccuracy ?? NaN,
    seconds: (performance.now() - started) / 1000,
  };
}
