/**
 * Fashion-MNIST over a real federation with McMahan's pathological non-IID split, against
 * centralized training of the same model on the same records.
 *
 *   npm run bench -- fmnist [--model lenet5] [--rounds 20] [--train 6000] [--test 2000]
 *                           [--workers 10] [--shards 2] [--epochs 1] [--batch 16] [--lr 0.05]
 *                           [--seed 1] [--heartbeat-ms 5000]
 *
 * Data: Debian's `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist). The first `--train`
 * records of the training file are dealt to `--workers` hospitals with `partitionShards(labels,
 * workers, shards, seed)`: sorted by label, cut into workers*shards shards, `shards` per hospital,
 * so each hospital sees about two classes. The first `--test` records of the test file are the
 * held-out TEST set, never seen by any worker.
 *
 * Federated: the coordinator in this process, each hospital a separate worker process over mutual
 * TLS, FedAvg, every worker in every round. Each worker keeps 20% of its records for the
 * federated evaluation (the job's validationFraction) and trains on the rest. After the job, every
 * committed version's weights (store.versionWeights) are scored on the TEST set here.
 *
 * Centralized: the same model from the same initial weights (same seed) trained here on exactly
 * the records the workers trained on (the union of their 80% parts, re-derived with the worker's
 * own split), with the same batch size and learning rate, for the same sample budget: one
 * "round" = `--epochs` passes over the union, i.e. each record is seen as often as in a round of
 * FedAvg. Scored on the same TEST set after each.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { makeError } from '../common/errors.js';
import { subset, trainTestSplit, type Dataset } from '../datasets/dataset.js';
import { fashionMnistFiles, FASHION_MNIST_CLASSES, loadIdxDataset } from '../datasets/idx.js';
import { partitionShards } from '../datasets/partition.js';
import { useTrainingBackend } from '../training/backend.js';
import { buildModel } from '../training/model-spec.js';
import { builtinModelInfo } from '../training/models.js';
import { evaluate, trainLocal } from '../training/train.js';
import { setFlatWeights } from '../training/weights.js';
import { startBenchFederation, writeDatasetFiles, type BenchWorkerProcess } from './bench-worker.js';

const log = (s: string) => process.stderr.write(s + '\n');

/** The worker's held-out share (the job spec's default validationFraction; not on the wire). */
const VALIDATION_FRACTION = 0.2;

export interface FmnistRoundRow {
  round: number;
  /** FedAvg global model after this round, on the TEST set. */
  fedTestAccuracy: number;
  fedTestLoss: number;
  /** Federated evaluation: mean over the workers' held-out parts (non-IID), as the coordinator records it. */
  fedWorkerEvalAccuracy: number | null;
  fedTrainLoss: number | null;
  /** Seconds from round_started to round_closed. */
  fedRoundSeconds: number | null;
  /** Centralized training after the same sample budget, on the TEST set. */
  centralTestAccuracy: number;
  centralTestLoss: number;
}

function concat(parts: Dataset[]): Dataset {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const f = parts[0]!.x.length / parts[0]!.n;
  const x = new Float32Array(n * f);
  const y = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * f);
    y.set(p.y, at);
    at += p.n;
  }
  return { ...parts[0]!, name: 'union', x, y, n };
}

const int = (v: string | undefined, name: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw makeError(`--${name} must be an integer >= ${min}`, 'INVALID_ARGUMENT');
  return n;
};

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string', default: 'lenet5' },
      rounds: { type: 'string', default: '20' },
      train: { type: 'string', default: '6000' },
      test: { type: 'string', default: '2000' },
      workers: { type: 'string', default: '10' },
      shards: { type: 'string', default: '2' },
      epochs: { type: 'string', default: '1' },
      batch: { type: 'string', default: '16' },
      lr: { type: 'string', default: '0.05' },
      seed: { type: 'string', default: '1' },
      'heartbeat-ms': { type: 'string', default: '5000' },
    },
  });
  const cfg = {
    model: values.model,
    rounds: int(values.rounds, 'rounds', 1),
    train: int(values.train, 'train', 10),
    test: int(values.test, 'test', 1),
    workers: int(values.workers, 'workers', 1),
    shards: int(values.shards, 'shards', 1),
    epochs: int(values.epochs, 'epochs', 1),
    batch: int(values.batch, 'batch', 1),
    lr: Number(values.lr),
    seed: int(values.seed, 'seed', 0),
  };
  if (!(cfg.lr > 0)) throw makeError('--lr must be > 0', 'INVALID_ARGUMENT');
  const files = fashionMnistFiles();
  if (!existsSync(files.train.images)) {
    throw makeError(
      `Fashion-MNIST is not installed at ${files.train.images}; install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`,
      'NOT_FOUND',
    );
  }
  const started = performance.now();
  const load0 = loadavg()[0]!;
  await useTrainingBackend('wasm');
  const info = builtinModelInfo(cfg.model);
  const train = await loadIdxDataset({
    ...files.train,
    name: 'fashion-mnist',
    classes: FASHION_MNIST_CLASSES,
    limit: cfg.train,
  });
  const test = await loadIdxDataset({
    ...files.test,
    name: 'fashion-mnist-test',
    classes: FASHION_MNIST_CLASSES,
    limit: cfg.test,
  });
  const parts = partitionShards(train.y, cfg.workers, cfg.shards, cfg.seed);
  const hospitals = parts.map((p) => subset(train, p));
  // Exactly what each worker trains on: its own split (worker/daemon.ts localSplit, seed 0, stratified).
  const trainedOn = concat(
    hospitals.map(
      (h) => trainTestSplit(h, { testFraction: VALIDATION_FRACTION, seed: 0, stratify: true }).train,
    ),
  );
  const labelsOf = (d: Dataset) => [...new Set(d.y)].sort((a, b) => a - b);
  log(
    `fmnist bench: ${info.name} (${info.params.toLocaleString('en-US')} params), ${cfg.train} training records ` +
      `(${trainedOn.n} trained on, the rest held out on the workers), ${cfg.test} TEST records, ${cfg.workers} workers x ${cfg.shards} shards, ` +
      `${cfg.rounds} rounds x ${cfg.epochs} local epoch(s), batch ${cfg.batch}, lr ${cfg.lr}; load average ${load0.toFixed(1)}`,
  );
  log(`  labels per hospital: ${hospitals.map((h) => `[${labelsOf(h).join(',')}]`).join(' ')}`);

  const shape = { inputShape: [28, 28, 1], numClasses: 10 };
  const spec = { builtin: cfg.model };
  const model = await buildModel(spec, shape, cfg.seed);
  const initial = await evaluate(model, test);
  const schemaId = 'fashion-mnist-28x28-v1';

  // ---- federated ----
  const fed = await startBenchFederation({
    hospitals: cfg.workers,
    heartbeatIntervalMs: int(values['heartbeat-ms'], 'heartbeat-ms', 100),
  });
  let jobRounds: { round: number; accuracy: number | null; trainLoss: number | null; seconds: number }[] = [];
  const versions: { round: number; weights: Float32Array }[] = [];
  let fedSeconds = 0;
  try {
    const children: BenchWorkerProcess[] = [];
    for (let i = 0; i < cfg.workers; i++) {
      const base = join(fed.dir, `hospital-${i}`);
      await writeDatasetFiles(base, hospitals[i]!);
      children.push(
        fed.startWorker(i, schemaId, {
          kind: 'file',
          base,
          records: hospitals[i]!.n,
          featureShape: shape.inputShape,
          numClasses: shape.numClasses,
        }),
      );
    }
    await fed.waitForWorkers(schemaId, cfg.workers);
    log(`  ${cfg.workers} worker processes healthy; submitting the FedAvg job`);
    const t0 = performance.now();
    const { job } = await fed.vendor.SubmitJob({
      spec: {
        name: `bench-fmnist-${cfg.model}`,
        model: { builtin: cfg.model },
        datasetSchemaId: schemaId,
        rounds: cfg.rounds,
        localEpochs: cfg.epochs,
        batchSize: cfg.batch,
        learningRate: cfg.lr,
        strategy: { name: 'fedavg', params: {} },
        minWorkers: cfg.workers,
        fraction: 1,
        roundDeadlineMs: 600_000,
        seed: cfg.seed,
      },
    });
    const jobId = job!.jobId;
    for await (const e of fed.coordinator.store.watch(jobId)) {
      if (e.body.type === 'round_closed') {
        const r = e.body.summary;
        log(
          `  round ${String(r.round).padStart(3)}: federated eval accuracy ${r.metrics.accuracy?.toFixed(4) ?? '-'}, ` +
            `train loss ${r.metrics.train_loss?.toFixed(4) ?? '-'}, ${r.participants.length} participants, ` +
            `${((r.closedAt - r.startedAt) / 1000).toFixed(1)} s`,
        );
      } else if (e.body.type === 'worker_dropped') {
        log(
          `  round ${e.body.round}: ${e.body.failure.workerId} ${e.body.failure.kind}: ${e.body.failure.detail}`,
        );
      }
    }
    const record = await fed.coordinator.finished(jobId);
    fedSeconds = (performance.now() - t0) / 1000;
    if (record.state !== 'completed')
      throw makeError(
        `the federated job ended ${record.state}: ${record.reason ?? ''}\n${fed.workerLogs().join('\n')}`,
        'INTERNAL',
      );
    jobRounds = record.rounds.map((r) => ({
      round: r.round,
      accuracy: r.metrics.accuracy ?? null,
      trainLoss: r.metrics.train_loss ?? null,
      seconds: (r.closedAt - r.startedAt) / 1000,
    }));
    for (const v of fed.coordinator.store.versions(jobId))
      versions.push({ round: v.round, weights: fed.coordinator.store.versionWeights(v.versionId) });
    await fed.stopWorkers(children);
  } finally {
    await fed.close();
  }
  log(
    `  federated: ${cfg.rounds} rounds in ${fedSeconds.toFixed(0)} s; scoring each version on the TEST set`,
  );
  const fedTest = new Map<number, { accuracy: number; loss: number }>();
  for (const v of versions) {
    setFlatWeights(model, v.weights);
    fedTest.set(v.round, await evaluate(model, test));
  }
  model.dispose();

  // ---- centralized ----
  const central = await buildModel(spec, shape, cfg.seed);
  const centralTest: { accuracy: number; loss: number; seconds: number }[] = [];
  const t1 = performance.now();
  try {
    for (let r = 1; r <= cfg.rounds; r++) {
      const tr = performance.now();
      await trainLocal(central, trainedOn, {
        epochs: cfg.epochs,
        batchSize: cfg.batch,
        learningRate: cfg.lr,
        seed: cfg.seed * 1_000_003 + r,
      });
      const ev = await evaluate(central, test);
      centralTest.push({ accuracy: ev.accuracy, loss: ev.loss, seconds: (performance.now() - tr) / 1000 });
      log(`  centralized after ${r * cfg.epochs} epoch(s): TEST accuracy ${ev.accuracy.toFixed(4)}`);
    }
  } finally {
    central.dispose();
  }
  const centralSeconds = (performance.now() - t1) / 1000;

  const rows: FmnistRoundRow[] = Array.from({ length: cfg.rounds }, (_, i) => {
    const round = i + 1;
    const f = fedTest.get(round);
    const j = jobRounds.find((x) => x.round === round);
    const c = centralTest[i]!;
    return {
      round,
      fedTestAccuracy: f?.accuracy ?? NaN,
      fedTestLoss: f?.loss ?? NaN,
      fedWorkerEvalAccuracy: j?.accuracy ?? null,
      fedTrainLoss: j?.trainLoss ?? null,
      fedRoundSeconds: j?.seconds ?? null,
      centralTestAccuracy: c.accuracy,
      centralTestLoss: c.loss,
    };
  });
  const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : (v * 100).toFixed(1));
  log('');
  log(
    '| round | FedAvg TEST acc % | FedAvg TEST loss | federated eval acc % (workers) | FedAvg train loss | centralized TEST acc % | centralized TEST loss | round s |',
  );
  log(
    '| ----: | ----------------: | ---------------: | -----------------------------: | ----------------: | ---------------------: | --------------------: | ------: |',
  );
  log(
    `| 0 | ${pct(initial.accuracy)} | ${initial.loss.toFixed(3)} | - | - | ${pct(initial.accuracy)} | ${initial.loss.toFixed(3)} | - |`,
  );
  for (const r of rows) {
    log(
      `| ${r.round} | ${pct(r.fedTestAccuracy)} | ${r.fedTestLoss.toFixed(3)} | ${pct(r.fedWorkerEvalAccuracy)} | ` +
        `${r.fedTrainLoss?.toFixed(3) ?? '-'} | ${pct(r.centralTestAccuracy)} | ${r.centralTestLoss.toFixed(3)} | ${r.fedRoundSeconds?.toFixed(1) ?? '-'} |`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const load1 = loadavg()[0]!;
  const last = rows[rows.length - 1]!;
  log(
    `\nafter ${cfg.rounds} rounds: FedAvg ${pct(last.fedTestAccuracy)}% vs centralized ${pct(last.centralTestAccuracy)}% on ${cfg.test} TEST records; ` +
      `federated ${fedSeconds.toFixed(0)} s, centralized ${centralSeconds.toFixed(0)} s, ${seconds.toFixed(0)} s in all; ` +
      `load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} (2 cores)`,
  );
  return {
    config: { ...cfg, params: info.params, trainedOn: trainedOn.n, validationFraction: VALIDATION_FRACTION },
    labelsPerWorker: hospitals.map(labelsOf),
    initial: { accuracy: initial.accuracy, loss: initial.loss },
    curves: {
      federated: rows.map((r) => ({
        round: r.round,
        testAccuracy: r.fedTestAccuracy,
        testLoss: r.fedTestLoss,
        workerEvalAccuracy: r.fedWorkerEvalAccuracy,
        trainLoss: r.fedTrainLoss,
        roundSeconds: r.fedRoundSeconds,
      })),
      centralized: rows.map((r, i) => ({
        round: r.round,
        epochs: (i + 1) * cfg.epochs,
        testAccuracy: r.centralTestAccuracy,
        testLoss: r.centralTestLoss,
        seconds: centralTest[i]!.seconds,
      })),
    },
    final: { federated: last.fedTestAccuracy, centralized: last.centralTestAccuracy },
    seconds: {
      federated: +fedSeconds.toFixed(1),
      centralized: +centralSeconds.toFixed(1),
      total: +seconds.toFixed(1),
    },
    loadAverage: { start: load0, end: load1 },
  };
}
