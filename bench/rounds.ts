/**
 * Round latency of the federated protocol against the number of worker processes and the model
 * size, with the coordinator's own share of the time.
 *
 *   npm run bench -- rounds [--workers 1,2,5,10,20] [--models wdbc-mlp,fedavg-2nn,fedavg-cnn]
 *                           [--rounds N] [--records N] [--batch 32] [--heartbeat-ms 15000]
 *
 * Setup: a real federation (mutual TLS, provisioned kits), the coordinator in this process, and
 * every hospital a separate `bench-worker` process holding a small synthetic dataset of the model's
 * input shape (64 records, 16 for fedavg-cnn; 20% of them held out for the federated evaluation;
 * 1 local epoch), so a round costs protocol + aggregation more than training. Each (model, workers) cell is one FedAvg
 * job with minWorkers = workers and fraction 1, so every worker takes part in every round.
 *
 * Measured per round, from the coordinator's side (instrumentation wraps the instances' methods
 * in this process; no coordinator code is changed):
 * - round: `round_started` -> `round_closed` (train phase, aggregation, federated evaluation, commit);
 * - train phase: `round_started` -> the last update accepted (workers fetch the global weights,
 *   train, stream the delta back; the coordinator verifies and accumulates each update);
 * - aggregate: the last update -> evaluation tasks dispatched (phase close, FedAvg mean, strategy,
 *   payload store);
 * - evaluate: evaluation tasks dispatched -> the last evaluation report (every worker fetches the
 *   new weights and scores its held-out part);
 * - commit: the last evaluation -> `round_closed` (version stored, event emitted);
 * - coordinator CPU: `process.cpuUsage()` of this process over the measured rounds, per round, and
 *   as a share of the rounds' wall time (1.00 = one core busy all the time);
 * - workers' CPU: /proc user+system time of all worker processes over the same rounds.
 * The first round of each job is a warm-up (model build, kernel compilation) and is reported
 * apart, not in the medians.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Coordinator } from '../coordinator/coordinator.js';
import type { JobEventBody } from '../coordinator/job-store.js';
import type { TaskAssignment, UpdateSubmission } from '../coordinator/round-engine.js';
import { builtinModelInfo } from '../training/models.js';
import { startBenchFederation, type BenchFederation, type BenchWorkerProcess } from './bench-worker.js';

const log = (s: string) => process.stderr.write(s + '\n');

interface RoundMarks {
  started?: number;
  startedCpu?: number;
  updates: number[];
  acceptMs: number;
  evalDispatched?: number;
  evaluations: number[];
  closed?: number;
  closedCpu?: number;
  workersCpuAtClose?: number;
}

/** Timestamps per job and round, filled by wrappers around the coordinator's instances. */
class CoordinatorProbe {
  readonly #rounds = new Map<string, Map<number, RoundMarks>>();
  /** Worker pids whose CPU is sampled at every round close. */
  workerPids: number[] = [];

  constructor(c: Coordinator) {
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const emit = c.store.emit.bind(c.store);
    c.store.emit = (jobId: string, body: JobEventBody) => {
      const t = performance.now();
      if (body.type === 'round_started' && body.attempt === 1) {
        const m = this.marks(jobId, body.round);
        m.started = t;
        m.startedCpu = cpuMs();
      } else if (body.type === 'round_closed') {
        const m = this.marks(jobId, body.summary.round);
        m.closed = t;
        m.closedCpu = cpuMs();
        m.workersCpuAtClose = this.#workersCpu();
      }
      return emit(jobId, body);
    };
    const assign = c.registry.assign.bind(c.registry);
    c.registry.assign = (workerId: string, task: TaskAssignment) => {
      if (task.kind === 'evaluate') {
        const m = this.marks(task.jobId, task.round);
        m.evalDispatched ??= performance.now();
      }
      assign(workerId, task);
    };
    const acceptUpdate = c.engine.acceptUpdate.bind(c.engine);
    c.engine.acceptUpdate = (workerId: string, s: UpdateSubmission, delta: Float32Array) => {
      const t0 = performance.now();
      acceptUpdate(workerId, s, delta);
      const t1 = performance.now();
      const m = this.marks(s.jobId, s.round);
      m.updates.push(t1);
      m.acceptMs += t1 - t0;
    };
    const acceptEvaluation = c.engine.acceptEvaluation.bind(c.engine);
    c.engine.acceptEvaluation = (workerId: string, s: UpdateSubmission) => {
      acceptEvaluation(workerId, s);
      this.marks(s.jobId, s.round).evaluations.push(performance.now());
    };
  }

  marks(jobId: string, round: number): RoundMarks {
    let job = this.#rounds.get(jobId);
    if (!job) this.#rounds.set(jobId, (job = new Map<number, RoundMarks>()));
    let m = job.get(round);
    if (!m) job.set(round, (m = { updates: [], acceptMs: 0, evaluations: [] }));
    return m;
  }

  /** Sum of the workers' CPU ms (synchronous /proc reads: a few µs each, once per round). */
  #workersCpu(): number {
    let ms = 0;
    for (const pid of this.workerPids) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ms += ((Number(rest[11]) + Number(rest[12])) * 1000) / 100;
      } catch {
        return NaN;
      }
    }
    return ms;
  }
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
};

export interface RoundsCell {
  model: string;
  params: number;
  workers: number;
  /** Synthetic records per worker (80% trained on, 20% evaluated). */
  records: number;
  measuredRounds: number;
  /** Medians over the measured rounds, ms. */
  roundMs: number;
  trainPhaseMs: number;
  firstUpdateMs: number;
  aggregateMs: number;
  evaluateMs: number;
  commitMs: number;
  /** The last update accepted -> round_closed (aggregate + evaluate + commit), median ms. */
  lastUpdateToCloseMs: number;
  /** round_closed -> the next round_started, median ms. */
  betweenRoundsMs: number;
  /** Time inside engine.acceptUpdate (length/finiteness checks, weighted add), ms per round. */
  acceptUpdateMs: number;
  /** Coordinator process CPU (user+system) per round, ms, over the measured rounds. */
  coordinatorCpuMs: number;
  /** Coordinator CPU / wall time of the measured rounds (1 = one core). */
  coordinatorShare: number;
  /** All worker processes' CPU per round, ms. */
  workersCpuMs: number;
  workersShare: number;
  /** Payload bytes on the wire per round: weights fetched for training and evaluation, updates pushed. */
  payloadMB: number;
  /** The warm-up round (model build, first kernels), ms. */
  firstRoundMs: number;
  /** Why the cell has no figures (its job failed). */
  error?: string;
}

function failedCell(
  o: { model: string; params: number; workers: number; rounds: number; records: number },
  error: string,
): RoundsCell {
  return {
    model: o.model,
    params: o.params,
    workers: o.workers,
    records: o.records,
    measuredRounds: 0,
    roundMs: NaN,
    trainPhaseMs: NaN,
    firstUpdateMs: NaN,
    aggregateMs: NaN,
    evaluateMs: NaN,
    commitMs: NaN,
    lastUpdateToCloseMs: NaN,
    betweenRoundsMs: NaN,
    acceptUpdateMs: NaN,
    coordinatorCpuMs: NaN,
    coordinatorShare: NaN,
    workersCpuMs: NaN,
    workersShare: NaN,
    payloadMB: (o.params * 4 * o.workers * 3) / 1e6,
    firstRoundMs: NaN,
    error,
  };
}

async function runCell(
  fed: BenchFederation,
  probe: CoordinatorProbe,
  o: {
    model: string;
    params: number;
    workers: number;
    rounds: number;
    batch: number;
    schemaId: string;
    records: number;
  },
): Promise<RoundsCell> {
  const { job } = await fed.vendor.SubmitJob({
    spec: {
      name: `bench-rounds-${o.model}-${o.workers}`,
      model: { builtin: o.model },
      datasetSchemaId: o.schemaId,
      rounds: o.rounds + 1,
      localEpochs: 1,
      batchSize: o.batch,
      learningRate: 0.01,
      strategy: { name: 'fedavg', params: {} },
      minWorkers: o.workers,
      fraction: 1,
      roundDeadlineMs: 600_000,
      seed: 1,
    },
  });
  const jobId = job!.jobId;
  const record = await fed.coordinator.finished(jobId);
  if (record.state !== 'completed') {
    const health = fed.coordinator.registry
      .list()
      .map((w) => `${w.workerId}:${fed.coordinator.registry.health(w)}`);
    throw new Error(
      `job ${jobId} (${o.model}, ${o.workers} workers) ended ${record.state}: ${record.reason ?? ''}\n` +
        `registry: ${health.join(' ')}\n` +
        fed.coordinator.store
          .events(jobId)
          .filter((e) => e.body.type === 'worker_dropped')
          .map((e) => `${new Date(e.time).toISOString()} ${JSON.stringify(e.body)}`)
          .join('\n') +
        `\n${fed.workerLogs().join('\n')}`,
    );
  }
  for (const r of record.rounds) {
    if (r.participants.length !== o.workers || r.failures.length > 0 || r.attempts !== 1) {
      throw new Error(
        `round ${r.round} of ${jobId} had ${r.participants.length}/${o.workers} participants and failures ${JSON.stringify(r.failures)}`,
      );
    }
  }
  const per = (round: number) => probe.marks(jobId, round);
  const measured = Array.from({ length: o.rounds }, (_, i) => i + 2);
  const need = (v: number | undefined, what: string, round: number) => {
    if (v === undefined) throw new Error(`round ${round} of ${jobId}: no ${what} mark`);
    return v;
  };
  const rows = measured.map((round) => {
    const m = per(round);
    const started = need(m.started, 'round_started', round);
    const closed = need(m.closed, 'round_closed', round);
    const lastUpdate = Math.max(...m.updates);
    const evalDispatched = need(m.evalDispatched, 'evaluation dispatch', round);
    const lastEval = m.evaluations.length ? Math.max(...m.evaluations) : evalDispatched;
    return {
      round: closed - started,
      train: lastUpdate - started,
      first: Math.min(...m.updates) - started,
      aggregate: evalDispatched - lastUpdate,
      evaluate: lastEval - evalDispatched,
      commit: closed - lastEval,
      afterLast: closed - lastUpdate,
      between: started - need(per(round - 1).closed, 'round_closed', round - 1),
      accept: m.acceptMs,
    };
  });
  const first = per(1);
  const last = per(o.rounds + 1);
  const wallMs = need(last.closed, 'round_closed', o.rounds + 1) - need(first.closed, 'round_closed', 1);
  const coordCpu = need(last.closedCpu, 'cpu', o.rounds + 1) - need(first.closedCpu, 'cpu', 1);
  const workersCpu = (last.workersCpuAtClose ?? NaN) - (first.workersCpuAtClose ?? NaN);
  const med = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
  return {
    model: o.model,
    params: o.params,
    workers: o.workers,
    records: o.records,
    measuredRounds: o.rounds,
    roundMs: med('round'),
    trainPhaseMs: med('train'),
    firstUpdateMs: med('first'),
    aggregateMs: med('aggregate'),
    evaluateMs: med('evaluate'),
    commitMs: med('commit'),
    lastUpdateToCloseMs: med('afterLast'),
    betweenRoundsMs: med('between'),
    acceptUpdateMs: med('accept'),
    coordinatorCpuMs: coordCpu / o.rounds,
    coordinatorShare: coordCpu / wallMs,
    workersCpuMs: workersCpu / o.rounds,
    workersShare: workersCpu / wallMs,
    payloadMB: (o.params * 4 * o.workers * 3) / 1e6,
    firstRoundMs: need(first.closed, 'round_closed', 1) - need(first.started, 'round_started', 1),
  };
}

/**
 * Per model: input shape, measured rounds and records per worker. fedavg-cnn gets 16 records:
 * one local pass over 64 costs ~2.5 s of CPU per worker here (WASM, one thread), which would
 * make the cell measure training, not the protocol.
 */
const MODELS: Record<
  string,
  { featureShape: number[]; numClasses: number; rounds: number; records: number }
> = {
  'wdbc-mlp': { featureShape: [30], numClasses: 2, rounds: 6, records: 64 },
  'fedavg-2nn': { featureShape: [28, 28, 1], numClasses: 10, rounds: 4, records: 64 },
  'fedavg-cnn': { featureShape: [28, 28, 1], numClasses: 10, rounds: 2, records: 16 },
};

function list(value: string, what: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error(`--${what} needs at least one value`);
  return items;
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function printTable(cells: RoundsCell[]): void {
  const head = [
    'model',
    'params',
    'workers',
    'records',
    'round ms',
    'train-phase',
    '1st update',
    'aggregate',
    'evaluate',
    'commit',
    'last upd->close',
    'between',
    'accept/round',
    'coord CPU/round',
    'coord share',
    'workers CPU/round',
    'workers share',
    'MB/round',
    'warm-up ms',
  ];
  const rows = cells.map((c) => [
    c.model,
    c.params.toLocaleString('en-US'),
    String(c.workers),
    String(c.records),
    c.error ? 'failed' : fmt(c.roundMs),
    fmt(c.trainPhaseMs),
    fmt(c.firstUpdateMs),
    fmt(c.aggregateMs, 1),
    fmt(c.evaluateMs),
    fmt(c.commitMs, 1),
    fmt(c.lastUpdateToCloseMs),
    fmt(c.betweenRoundsMs, 1),
    fmt(c.acceptUpdateMs, 1),
    fmt(c.coordinatorCpuMs),
    fmt(c.coordinatorShare, 2),
    fmt(c.workersCpuMs),
    fmt(c.workersShare, 2),
    fmt(c.payloadMB, 1),
    fmt(c.firstRoundMs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) =>
    '| ' + cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  log(line(head));
  log('| ' + widths.map((w, i) => (i === 0 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ') + ' |');
  for (const r of rows) log(line(r));
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      workers: { type: 'string', default: '1,2,5,10,20' },
      models: { type: 'string', default: 'wdbc-mlp,fedavg-2nn,fedavg-cnn' },
      rounds: { type: 'string' },
      records: { type: 'string' },
      batch: { type: 'string', default: '32' },
      // Long: a worker's event loop is blocked while a WASM batch runs, and with 20 CNN workers on
      // 2 shared cores a batch can take tens of seconds of wall time; 6 missed intervals would
      // mark the worker offline and drop it from the round (see bench/RESULTS.md).
      'heartbeat-ms': { type: 'string', default: '15000' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const workerCounts = [...new Set(list(values.workers, 'workers').map(Number))].sort((a, b) => a - b);
  if (workerCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 64))
    throw new Error('--workers takes integers in 1..64');
  const models = list(values.models, 'models');
  for (const m of models)
    if (!MODELS[m])
      throw new Error(`--models: unknown '${m}'; choose from ${Object.keys(MODELS).join(', ')}`);
  const recordsOverride = values.records === undefined ? undefined : Number(values.records);
  const batch = Number(values.batch);
  const roundsOverride = values.rounds === undefined ? undefined : Number(values.rounds);
  if (recordsOverride !== undefined && !(Number.isInteger(recordsOverride) && recordsOverride >= 2))
    throw new Error('--records must be an integer >= 2');
  if (roundsOverride !== undefined && !(Number.isInteger(roundsOverride) && roundsOverride >= 1))
    throw new Error('--rounds must be an integer >= 1');

  const started = performance.now();
  const load0 = loadavg()[0]!;
  const fed = await startBenchFederation({
    hospitals: workerCounts[workerCounts.length - 1]!,
    heartbeatIntervalMs: Number(values['heartbeat-ms']),
    verbose: values.verbose,
  });
  const probe = new CoordinatorProbe(fed.coordinator);
  log(
    `rounds bench: coordinator on ${fed.coordinator.server.address} (mutual TLS), workers ${workerCounts.join(',')}, ` +
      `models ${models.join(',')}, load average ${load0.toFixed(1)}`,
  );
  const cells: RoundsCell[] = [];
  try {
    // A worker holds one dataset: one group of processes per (input shape, records), grown in place.
    const groups = new Map<string, string[]>();
    for (const m of models) {
      const key = `${MODELS[m]!.featureShape.join('x')}-${recordsOverride ?? MODELS[m]!.records}`;
      groups.set(key, [...(groups.get(key) ?? []), m]);
    }
    for (const [groupKey, groupModels] of groups) {
      const shape = MODELS[groupModels[0]!]!;
      const records = recordsOverride ?? shape.records;
      const schemaId = `bench-synthetic-${groupKey}-${shape.numClasses}`;
      const children: BenchWorkerProcess[] = [];
      try {
        for (const n of workerCounts) {
          const t0 = performance.now();
          while (children.length < n) {
            const i = children.length;
            children.push(
              fed.startWorker(i, schemaId, {
                kind: 'synthetic',
                records,
                featureShape: shape.featureShape,
                numClasses: shape.numClasses,
                seed: 1000 + i,
              }),
            );
          }
          await fed.waitForWorkers(schemaId, n);
          probe.workerPids = children.map((c) => c.pid!).filter((p) => p !== undefined);
          log(
            `  ${n} worker process(es) with ${records} records of ${groupKey.split('-')[0]} healthy in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
          );
          for (const model of groupModels) {
            const params = builtinModelInfo(model).params;
            const rounds = roundsOverride ?? MODELS[model]!.rounds;
            const o = { model, params, workers: n, rounds, batch, schemaId, records };
            let cell: RoundsCell;
            try {
              cell = await runCell(fed, probe, o);
            } catch (e) {
              // A cell that cannot finish (e.g. workers declared offline) is reported, not fatal.
              cell = failedCell(o, (e as Error).message);
              log(`  ${model} x ${n} workers FAILED: ${cell.error!.split('\n')[0]}`);
            }
            cells.push(cell);
            log(
              `  ${model.padEnd(10)} x ${String(n).padStart(2)} workers: round ${fmt(cell.roundMs)} ms ` +
                `(train phase ${fmt(cell.trainPhaseMs)}, aggregate ${fmt(cell.aggregateMs, 1)}, evaluate ${fmt(cell.evaluateMs)}), ` +
                `coordinator ${fmt(cell.coordinatorCpuMs)} ms CPU/round = ${fmt(cell.coordinatorShare, 2)} of the wall time, ` +
                `workers ${fmt(cell.workersCpuMs)} ms CPU/round`,
            );
          }
        }
      } finally {
        await fed.stopWorkers(children);
      }
    }
  } finally {
    await fed.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const load1 = loadavg()[0]!;
  log('');
  printTable(cells);
  for (const c of cells)
    if (c.error) log(`${c.model} x ${c.workers} workers failed: ${c.error.split('\n')[0]}`);
  log(
    `\n${seconds.toFixed(0)} s in all; 1-minute load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end (2 cores)`,
  );
  return {
    table: cells,
    batch,
    heartbeatMs: Number(values['heartbeat-ms']),
    loadAverage: { start: load0, end: load1 },
    seconds: +seconds.toFixed(1),
  };
}
