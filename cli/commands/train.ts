import { resolve } from 'node:path';
import { makeError } from '../../common/errors.js';
import { wdbcPaths } from '../../datasets/wdbc.js';
import { loadSchema } from '../../datasets/schema.js';
import type { TrainingBackendName } from '../../training/backend.js';
import { runCentralTraining } from '../../training/central-run.js';
import { modelToBytes, saveModelFolder } from '../../training/model-files.js';
import type { CliCommand } from '../command.js';
import { intFlag, numberFlag, optionalString } from '../flags.js';
import { modelArg } from '../model-arg.js';

export const trainFlags = {
  model: {
    type: 'string',
    valueName: 'NAME|FILE',
    default: 'wdbc-mlp',
    description: 'Built-in model or TF.js Layers topology JSON',
  },
  data: { type: 'string', valueName: 'CSV', description: 'Dataset CSV (default: the shipped WDBC set)' },
  schema: {
    type: 'string',
    valueName: 'JSON',
    description: 'Dataset schema (default: the shipped WDBC schema)',
  },
  epochs: { type: 'string', valueName: 'N', default: '20', description: 'Passes over the training data' },
  'batch-size': { type: 'string', valueName: 'N', default: '16', description: 'Records per gradient step' },
  lr: { type: 'string', valueName: 'X', default: '0.05', description: 'Learning rate' },
  optimizer: { type: 'string', valueName: 'sgd|adam', default: 'sgd', description: 'Local optimizer' },
  seed: {
    type: 'string',
    valueName: 'N',
    default: '0',
    description: 'Seed for weights, split and shuffling',
  },
  'test-fraction': {
    type: 'string',
    valueName: 'X',
    default: '0.2',
    description: 'Share of records held out for testing',
  },
  backend: {
    type: 'string',
    valueName: 'wasm|cpu|node-gpu',
    default: 'wasm',
    description: 'TensorFlow.js backend',
  },
  out: {
    type: 'string',
    valueName: 'DIR',
    description: 'Write the trained model (TF.js Layers format) here',
  },
  json: { type: 'boolean', description: 'Print one JSON summary line on stdout' },
} as const;

export const trainCommand: CliCommand = {
  path: ['train'],
  summary: 'Train a model centrally on one dataset, with a held-out test split',
  details: `Examples:
  aidoc train                                   # wdbc-mlp on the shipped WDBC breast-cancer data
  aidoc train --data my.csv --schema my.json --model topology.json --epochs 20 --out ./model

Progress goes to stderr; with --json, stdout carries one line:
  {"model":..,"testAccuracy":..,"history":[{"epoch":1,"trainLoss":..,"testLoss":..,"testAccuracy":..},..]}`,
  flags: trainFlags,
  async run({ flags, io, signal }) {
    const data = optionalString(flags, 'data');
    const schemaPath = optionalString(flags, 'schema');
    if ((data === undefined) !== (schemaPath === undefined)) {
      throw makeError(
        '--data and --schema go together: give both, or neither to use the shipped WDBC set',
        'INVALID_ARGUMENT',
      );
    }
    const paths = data && schemaPath ? { csv: resolve(data), schema: resolve(schemaPath) } : wdbcPaths();
    const schema = await loadSchema(paths.schema, { signal });
    const modelName = optionalString(flags, 'model') ?? 'wdbc-mlp';
    const optimizer = optionalString(flags, 'optimizer');
    if (optimizer !== 'sgd' && optimizer !== 'adam') {
      throw makeError(`--optimizer must be sgd or adam, got '${optimizer}'`, 'INVALID_ARGUMENT');
    }
    const epochs = intFlag(flags, 'epochs', 1);
    const result = await runCentralTraining({
      model: await modelArg(modelName),
      csv: paths.csv,
      schema,
      epochs,
      batchSize: intFlag(flags, 'batch-size', 1),
      learningRate: numberFlag(flags, 'lr'),
      optimizer,
      seed: intFlag(flags, 'seed', 0),
      testFraction: numberFlag(flags, 'test-fraction'),
      backend: optionalString(flags, 'backend') as TrainingBackendName,
      signal,
      onEpoch: (e) =>
        io.err(
          `epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${e.trainLoss.toFixed(4)}  test loss ${e.testLoss.toFixed(4)}  test accuracy ${(100 * e.testAccuracy).toFixed(2)}%`,
        ),
    });
    const out = optionalString(flags, 'out');
    if (out) await saveModelFolder(await modelToBytes(result.model), resolve(out));
    result.model.dispose();
    const summary = {
      model: modelName,
      dataset: schema.name,
      backend: result.backend,
      trainRecords: result.trainRecords,
      testRecords: result.testRecords,
      testAccuracy: result.testAccuracy,
      seconds: +result.seconds.toFixed(2),
      ...(out ? { out: resolve(out) } : {}),
      history: result.history,
    };
    if (flags.json) io.out(JSON.stringify(summary));
    else {
      io.out(
        `${modelName} on ${schema.name}: test accuracy ${(100 * result.testAccuracy).toFixed(2)}% on ${result.testRecords} held-out records (${result.trainRecords} trained on, ${summary.seconds}s, ${result.backend})`,
      );
      if (out) io.out(`model written to ${resolve(out)} (model.json + weights, TF.js Layers format)`);
    }
  },
};
