/**
 * Raw data never leaves a worker: record every byte a worker sends during a job (each gRPC
 * message as serialized for the wire, before TLS) and look for any record's feature values in it,
 * as float32, as float64, and as the text of the CSV.
 */
import { readFile } from 'node:fs/promises';
import { loadKit } from '../../common/pki-kit.js';
import { runWorker } from '../../worker/daemon.js';
import { loadWorkerDataset } from '../../worker/worker-dataset.js';
import { startTestFederation, waitForWorkers, type TestFederation } from '../helpers/federation.js';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { applyScaler, fitScaler } from '../../datasets/scaler.js';

let f: TestFederation;
afterAll(async () => {
  await f?.close();
});

/** Byte patterns that would betray a record: adjacent feature pairs in float32/float64, raw and scaled. */
function recordPatterns(x: Float32Array, rows: number, cols: number): Buffer[] {
  const out: Buffer[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const a = x[r * cols + c]!;
      const b = x[r * cols + c + 1]!;
      // Zeros (WDBC has some) would match any zero run in a weight vector; they identify nobody.
      if (a === 0 || b === 0) continue;
      const f32 = Buffer.alloc(8);
      f32.writeFloatLE(a, 0);
      f32.writeFloatLE(b, 4);
      out.push(f32);
      const f64 = Buffer.alloc(8);
      f64.writeDoubleLE(a, 0);
      out.push(f64);
    }
  }
  return out;
}

test('every byte a worker sends during a job is free of its records', async () => {
  // This worker runs inside Jest, where the DP accountant's calibration is several times slower
  // than in a plain process: heartbeats every 2 s leave it 12 s before it counts as dropped.
  f = await startTestFederation({ heartbeatMs: 2000 });
  f.startWorker(1);
  f.startWorker(2);
  const data = await loadWorkerDataset(f.files[0]!.csv, f.files[0]!.schema);
  const sent: Buffer[] = [];
  const methods = new Set<string>();
  const controller = new AbortController();
  const worker = runWorker({
    kit: await loadKit(f.fed.workers[0]!.dir),
    data,
    signal: controller.signal,
    wireTap: (method, bytes) => {
      methods.add(method.split('/').pop()!);
      sent.push(Buffer.from(bytes));
    },
  });
  await waitForWorkers(f.coordinator, 3);
  const vendor = createGrpcClient(await f.kit('vendor'), 'JobService');
  const { job } = await vendor.SubmitJob({
    spec: {
      model: { builtin: 'wdbc-mlp' },
      datasetSchemaId: 'wdbc-v1',
      rounds: 3,
      minWorkers: 3,
      localEpochs: 1,
      batchSize: 16,
      learningRate: 0.05,
    },
  });
  vendor.close();
  const done = await f.coordinator.finished(job!.jobId);
  controller.abort();
  await worker;
  expect({ state: done.state, reason: done.reason }).toEqual({ state: 'completed', reason: undefined });
  expect(done.rounds.every((r) => r.participants.includes('hospital-a'))).toBe(true);

  const wire = Buffer.concat(sent);
  // The tap saw the whole protocol, including the updates themselves.
  expect([...methods]).toEqual(
    expect.arrayContaining(['Register', 'PullTask', 'FetchPayload', 'PushUpdate', 'ReportEvaluation']),
  );
  expect(wire.length).toBeGreaterThan(3 * 1554 * 4);

  const { dataset } = data;
  const cols = dataset.featureShape[0]!;
  const scaled = applyScaler(dataset, fitScaler(dataset, 'standard'));
  const patterns = [
    ...recordPatterns(dataset.x, dataset.n, cols),
    ...recordPatterns(scaled.x, scaled.n, cols),
  ];
  const leaks = patterns.filter((p) => wire.includes(p));
  expect(leaks).toEqual([]);

  // Nor as text: no CSV row, no owner id.
  const text = wire.toString('latin1');
  const rows = (await readFile(f.files[0]!.csv, 'utf8')).trim().split('\n').slice(1);
  for (const row of rows) {
    const cells = row.split(',');
    expect(text.includes(cells.slice(0, 3).join(','))).toBe(false);
    expect(text.includes(cells[cells.length - 1]!)).toBe(false); // owner id, e.g. owner-0042
  }
  // The test can fail: the same search finds a record planted in the captured bytes.
  const planted = Buffer.concat([wire, patterns[0]!]);
  expect(patterns.filter((p) => planted.includes(p)).length).toBeGreaterThan(0);
});
