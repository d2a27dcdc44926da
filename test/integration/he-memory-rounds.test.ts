/**
 * Memory stays flat over a long secure-aggregation job: SEAL objects live in a WASM heap that
 * garbage collection never frees and that never shrinks, so one ciphertext, encryptor or context
 * not deleted per round would show as steady growth.
 *
 * What is measured: each worker process runs with `--expose-gc` and `AIDOC_MEMORY_REPORT`
 * (common/memory-report.ts), so after every task it collects garbage and reports its memory. The
 * WASM heap is part of `external`, which after a full collection holds little else, so it moves
 * only when SEAL's memory does (RSS, by contrast, moves by tens of MiB with allocator and V8 page
 * retention: it is printed, not judged). `heapUsed` after a full collection catches JavaScript
 * leaks. The coordinator shares this test's process: its RSS, after a collection, is judged with
 * an allowance for the versions its in-memory job store keeps (327 KB per round here).
 *
 * The job has 100 rounds (the "a 100-round job"; AIDOC_HE_MEMORY_ROUNDS changes it). The
 * model is an 82k-parameter MLP (21 ciphertexts per update), so a per-round leak of one update's
 * ciphertexts (21 x 32 KiB) at a worker adds 0.7 MiB per round, ~50 MiB between the windows
 * compared; an opener-only leak of the sum (21 x 64 KiB per opening, a third of the rounds)
 * ~30 MiB. The WASM heap grows in steps whose headroom (~10 MiB) can hide a smaller leak for a
 * while (bench/he-memory.ts measures it). The minimum over a window of rounds is compared between
 * round ROUNDS/4 (heaps reach their working size in the first ~10 rounds) and the end.
 */
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { useTrainingBackend } from '../../training/backend.js';
import { startTestFederation, waitForWorkers, type TestFederation } from '../helpers/federation.js';

jest.setTimeout(300_000);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROUNDS = Number(process.env.AIDOC_HE_MEMORY_ROUNDS ?? 100);
const PARAMS = 81_794;
const MiB = 1024 * 1024;

interface Report {
  jobId: string;
  round: number;
  kind: string;
  rss: number;
  heapUsed: number;
  external: number;
  gc: boolean;
}

/** The worker's report after each training task of `jobId`, by round. */
function trainingReports(file: string, jobId: string): Report[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Report)
    .filter((r) => r.jobId === jobId && r.kind === 'TASK_KIND_TRAIN')
    .sort((a, b) => a.round - b.round);
}

function mlpTopology(): unknown {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [30], units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const t = m.toJSON(undefined, false);
  expect(m.countParams()).toBe(PARAMS);
  m.dispose();
  return t;
}

let f: TestFederation | undefined;
afterAll(async () => {
  await f?.close();
});

test(`${ROUNDS} secure rounds: coordinator and worker memory stay flat`, async () => {
  await useTrainingBackend('wasm');
  f = await startTestFederation({ heartbeatMs: 500 });
  const reports = [0, 1, 2].map((i) => join(f!.dir, `memory-${i}.jsonl`));
  [0, 1, 2].forEach((i) =>
    f!.startWorker(i, [], { NODE_OPTIONS: '--expose-gc', AIDOC_MEMORY_REPORT: reports[i]! }),
  );
  await waitForWorkers(f.coordinator, 3);
  const vendor = createGrpcClient(await f.kit('vendor'), 'JobService');
  const { job } = await vendor.SubmitJob({
    spec: {
      model: { topologyJson: JSON.stringify(mlpTopology()) },
      datasetSchemaId: 'wdbc-v1',
      rounds: ROUNDS,
      localEpochs: 1,
      batchSize: 64,
      learningRate: 0.01,
      minWorkers: 3,
      roundDeadlineMs: 60_000,
      seed: 5,
      secureAggregation: 'SECURE_AGGREGATION_MODE_ON',
      privacy: { mode: 'none' },
    },
  });
  vendor.close();
  const jobId = job!.jobId;
  const samples: number[] = [];
  const started = Date.now();
  for await (const e of f.coordinator.store.watch(jobId)) {
    if (e.body.type === 'round_closed') {
      gc();
      samples.push(process.memoryUsage().rss);
    }
    if (e.body.type === 'job_completed' || e.body.type === 'job_failed' || e.body.type === 'job_cancelled')
      break;
  }
  const done = await f.coordinator.finished(jobId);
  expect({ state: done.state, reason: done.reason }).toEqual({ state: 'completed', reason: undefined });
  expect(samples).toHaveLength(ROUNDS);
  const seconds = (Date.now() - started) / 1000;

  const window = Math.max(5, Math.floor(ROUNDS / 10));
  const from = Math.floor(ROUNDS / 4);
  const min = (xs: number[]) => Math.min(...xs);
  const growthOf = (xs: number[]) => min(xs.slice(-window)) - min(xs.slice(from, from + window));
  const workers = reports.map((file) => trainingReports(file, jobId));
  for (const w of workers) {
    expect(w.map((r) => r.round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    expect(w.every((r) => r.gc)).toBe(true);
  }
  const growth = {
    coordinator: growthOf(samples),
    external: workers.map((w) => growthOf(w.map((r) => r.external))),
    heapUsed: workers.map((w) => growthOf(w.map((r) => r.heapUsed))),
    rss: workers.map((w) => growthOf(w.map((r) => r.rss))),
  };
  if (process.env.AIDOC_HE_MEMORY_TRACE)
    process.stderr.write(
      `${JSON.stringify(workers.map((w) => w.map((r) => [r.external, r.heapUsed, r.rss].map((x) => +(x / MiB).toFixed(1)))))}\n`,
    );
  const mib = (xs: number[]) => xs.map((g) => (g / MiB).toFixed(1)).join(', ');
  process.stderr.write(
    `he-memory-rounds: ${ROUNDS} rounds in ${seconds.toFixed(0)} s; growth from round ${from + 1} to the end: ` +
      `coordinator RSS ${(growth.coordinator / MiB).toFixed(1)} MiB (at ${(samples.at(-1)! / MiB).toFixed(0)} MiB); ` +
      `workers external (WASM heap) ${mib(growth.external)} MiB, JS heap ${mib(growth.heapUsed)} MiB, ` +
      `RSS ${mib(growth.rss)} MiB (not judged)\n`,
  );
  const versions = (ROUNDS - from) * PARAMS * 4;
  expect(growth.coordinator).toBeLessThan(versions + 12 * MiB);
  for (const g of growth.external) expect(g).toBeLessThan(4 * MiB);
  for (const g of growth.heapUsed) expect(g).toBeLessThan(8 * MiB);
});
