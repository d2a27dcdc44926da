/**
 * `npm run bench -- he [--rounds 4] [--wdbc-rounds 10] [--repeats 2] [--workers 5,10] [--models wdbc-mlp,mlp-1m]
 *   [--local-epochs 1] [--values-per-slot 2] [--modes plain,secure]`   (`--modes secure` alone: for profiling, no ratio)
 *
 * Diagnostics: BENCH_HE_TRACE=1 prints each worker's CPU per round and passes the workers' logs
 * through; BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles the worker processes.
 *
 * What secure aggregation costs in real rounds: a federation on this machine (coordinator in this
 * process, every hospital an `aidoc worker start` process over gRPC and mutual TLS, kits from
 * `aidoc provision`), the same job run with secure aggregation off and on, and the wall time of a
 * round compared (median over rounds 2..R of `repeats` alternating plain and secure jobs; round 1
 * carries start-up work), and the CPU seconds per round of all processes (coordinator and every
 * worker: a load-independent measure of the work added). A round here is from
 * `round_started` to `round_closed`: tasks, local training, update upload, aggregation and — with
 * secure aggregation — encryption, the keyless sum and the opening. Evaluation is off (it is the
 * same in both modes).
 *
 * Also: bytes on the wire per model parameter of one encrypted update (the serialized PushUpdate
 * messages with their 5-byte gRPC prefixes; HTTP/2 and TLS framing add ~0.1%), and the
 * coordinator's aggregation throughput (load + check + add, as contributions stream in) next to raw
 * node-seal addition of ciphertexts already in memory.
 *
 * Models: `wdbc-mlp` (1,554 parameters) and `mlp-1m`, a dense 30-1000-1000-2 net (1,034,002
 * parameters) on the WDBC features. On this machine every worker shares the same 2 cores, so
 * the work of all hospitals is serialized that in a real federation runs in parallel.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { provisionKitExtensions } from '../cli/commands/provision.js';
import { provisionFederation } from '../common/pki-federation.js';
import { loadKit } from '../common/pki-kit.js';
import { startCoordinator, type Coordinator } from '../coordinator/coordinator.js';
import type { JobRecord } from '../coordinator/job-store.js';
import { chunkedMessages, describePayload, float32ToBytes } from '../coordinator/transport/payload-stream.js';
import { freePort, workerStartArgs, writeHospitalFiles } from '../demo/federated-demo.js';
import { benchWorkerNodeArgs } from './bench-worker.js';
import { createHeAggregator } from '../privacy/he-aggregate.js';
import { loadHeCiphertext } from '../privacy/he-cipher.js';
import { createHeContext, loadHeSecretKey } from '../privacy/he-context.js';
import { deleteAll } from '../privacy/he-seal.js';
import { loadHeWorkerMaterial, type HeWorkerMaterial } from '../privacy/he-kit.js';
import type { HeOpenRequest } from '../privacy/he-contribution.js';
import {
  HE_CIPHERTEXTS_CONTENT_TYPE,
  createCiphertextDeframer,
  encodeHeOpenContext,
  encodeHeRoundSetup,
  frameCiphertexts,
  heRoundGeometry,
  type HeRoundSetup,
} from '../privacy/he-protocol.js';
import { loadAidocProtos } from '../protos/load.js';
import { useTrainingBackend } from '../training/backend.js';
import { unpackSealCiphertext } from '../privacy/he-wire.js';
import { createHeWorker } from '../worker/he-worker.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

async function modelSpec(name: string): Promise<{ spec: Record<string, unknown>; params: number }> {
  if (name === 'wdbc-mlp') return { spec: { builtin: 'wdbc-mlp' }, params: 1554 };
  if (name !== 'mlp-1m') throw new Error(`unknown model ${name}: wdbc-mlp or mlp-1m`);
  await useTrainingBackend('wasm');
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [30], units: 1000, activation: 'relu' }),
      tf.layers.dense({ units: 1000, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const params = m.countParams();
  const topology = m.toJSON(undefined, false);
  m.dispose();
  return { spec: { topology }, params };
}

interface Federation {
  dir: string;
  coordinator: Coordinator;
  workers: ChildProcess[];
  kits: string[];
  /** The tail of each worker's log. */
  logs: string[];
  close(): Promise<void>;
}

async function startFederation(n: number, valuesPerSlot: 1 | 2 | 3): Promise<Federation> {
  const dir = await mkdtemp(join(tmpdir(), 'aidoc-bench-he-'));
  const hospitals = Array.from({ length: n }, (_, i) => `hospital-${i}`);
  const fed = await provisionFederation({
    out: join(dir, 'federation'),
    workers: hospitals,
    vendors: ['bench'],
    coordinatorAddress: `127.0.0.1:${await freePort()}`,
    extensions: provisionKitExtensions,
  });
  const files = await writeHospitalFiles(dir, hospitals);
  // Generous heartbeats: ten worker processes training on two shared cores must not look dead
  // (a heartbeat that waits more than 3 intervals for a busy event loop ends the session).
  const coordinator = await startCoordinator({
    kit: await loadKit(fed.coordinator.dir),
    registry: { heartbeatIntervalMs: 3000 },
    pollMs: 20,
    secureAggregation: { valuesPerSlot },
  });
  const cli = fileURLToPath(new URL('../cli/aidoc.js', import.meta.url));
  const logs = hospitals.map(() => '');
  const workers = hospitals.map((_, i) => {
    const child = spawn(
      process.execPath,
      [...benchWorkerNodeArgs(), cli, ...workerStartArgs(fed, files, i)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr.on('data', (d: Buffer) => {
      if (process.env.BENCH_HE_TRACE) process.stderr.write(d); // the workers' logs, as they come
      logs[i] = (logs[i] + d.toString()).slice(-4000);
    });
    return child;
  });
  const until = Date.now() + 120_000;
  while (coordinator.registry.list().filter((w) => coordinator.registry.health(w) === 'healthy').length < n) {
    if (Date.now() > until)
      throw new Error(`only ${coordinator.registry.list().length} of ${n} workers registered`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    coordinator,
    workers,
    kits: fed.workers.map((w) => w.dir),
    logs,
    async close() {
      // SIGTERM first (a worker ends its sessions and, under --cpu-prof, writes its profile).
      await Promise.all(
        workers.map((w) => {
          if (w.exitCode !== null || w.signalCode !== null) return Promise.resolve();
          const exited = new Promise<void>((r) => w.once('exit', () => r()));
          w.kill('SIGTERM');
          const kill = setTimeout(() => w.kill('SIGKILL'), 10_000);
          return exited.finally(() => clearTimeout(kill));
        }),
      );
      await coordinator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The least a secure round can take on this machine with node-seal, whatever the implementation
 * around it: every worker must make `ciphertextsPerUpdate` fresh encryptions and the coordinator
 * must load and add each of them (SEAL's raw per-ciphertext costs, measured in this run), all on the
 * machine's shared cores, minus the CPU the plain round leaves idle (assumed perfectly used); then
 * the opener must at least decrypt the sum. Everything else (quantization, pads, signatures,
 * transport, the opener's checks) counts as zero here.
 */
function sealFloor(
  row: { plainRoundMs: number; plainCpuSecondsPerRound: number },
  t: Record<string, number>,
  workers: number,
): { plainIdleCpuMs: number; sealFloorRoundMs: number; sealFloorRatio: number } {
  const cores = availableParallelism();
  const cts = t.ciphertextsPerUpdate ?? 0;
  const idle = Math.max(0, cores * row.plainRoundMs - row.plainCpuSecondsPerRound * 1000);
  const work = workers * cts * ((t.rawEncryptMsPerCiphertext ?? 0) + (t.rawLoadAddMsPerCiphertext ?? 0));
  const floor =
    row.plainRoundMs + Math.max(0, work - idle) / cores + cts * (t.rawDecryptMsPerCiphertext ?? 0);
  return {
    plainIdleCpuMs: Math.round(idle),
    sealFloorRoundMs: Math.round(floor),
    sealFloorRatio: round3(floor / row.plainRoundMs),
  };
}

interface RoundTimes {
  roundMs: number[];
  /** round_started to the last update in: tasks, training, (encryption), upload, (adds). */
  updatesMs: number[];
  /** last update in to round_closed: aggregation tail (the opening, with secure aggregation). */
  closeMs: number[];
}

/** CPU seconds used so far by this process (the coordinator) and the worker processes (Linux /proc). */
function cpuSeconds(pids: number[]): { coordinator: number; each: number[] } {
  const ticks = 100; // USER_HZ on Linux
  const coordinator = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const each = pids.map((pid) => {
    try {
      // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      return 0; // A worker that exited counts for nothing more.
    }
  });
  return { coordinator, each };
}

async function runJob(
  c: Coordinator,
  spec: Record<string, unknown>,
  secureAggregation: boolean,
  pids: number[],
): Promise<{
  job: JobRecord;
  times: RoundTimes;
  cpuSecondsPerRound: number;
  coordinatorCpuSecondsPerRound: number;
}> {
  const submitted = await c.runner.submit('bench', { ...spec, secureAggregation } as never);
  // CPU from the end of round 1 (start-up work) to the end of the job.
  let cpuAfterFirst: ReturnType<typeof cpuSeconds> = { coordinator: NaN, each: [] };
  for await (const e of c.store.watch(submitted.jobId)) {
    if (e.body.type === 'round_closed' && e.body.summary.round === 1) cpuAfterFirst = cpuSeconds(pids);
    if (e.body.type === 'job_completed' || e.body.type === 'job_failed' || e.body.type === 'job_cancelled')
      break;
  }
  const job = await c.finished(submitted.jobId);
  const cpuEnd = cpuSeconds(pids);
  const rounds = job.rounds.length - 1;
  const coordinatorCpuSecondsPerRound = (cpuEnd.coordinator - cpuAfterFirst.coordinator) / rounds;
  const workerCpuSecondsPerRound = cpuEnd.each.map((c, i) => (c - (cpuAfterFirst.each[i] ?? NaN)) / rounds);
  const cpuSecondsPerRound =
    coordinatorCpuSecondsPerRound + workerCpuSecondsPerRound.reduce((a, b) => a + b, 0);
  if (process.env.BENCH_HE_TRACE)
    log(
      `    ${secureAggregation ? 'secure' : 'plain'} job: worker CPU ms per round ${workerCpuSecondsPerRound
        .map((c) => Math.round(c * 1000))
        .join(' ')}`,
    );
  if (job.state !== 'completed') throw new Error(`job ${job.jobId} ${job.state}: ${job.reason ?? ''}`);
  const times: RoundTimes = { roundMs: [], updatesMs: [], closeMs: [] };
  let started = 0;
  let lastJoined = 0;
  for (const e of c.store.events(job.jobId)) {
    if (e.body.type === 'round_started' && e.body.attempt === 1) started = lastJoined = e.time;
    if (e.body.type === 'worker_joined') lastJoined = e.time;
    if (e.body.type === 'round_closed') {
      if (e.body.summary.attempts !== 1) throw new Error(`round ${e.body.summary.round} needed a retry`);
      times.roundMs.push(e.time - started);
      times.updatesMs.push(lastJoined - started);
      times.closeMs.push(e.time - lastJoined);
    }
  }
  return { job, times, cpuSecondsPerRound, coordinatorCpuSecondsPerRound };
}

/** Bytes of the PushUpdate messages a hospital sends for one encrypted update of `params` values. */
async function wireBytes(
  material: HeWorkerMaterial,
  stateDir: string,
  params: number,
  workers: number,
  valuesPerSlot: 1 | 2 | 3,
): Promise<{ secure: number; plain: number; ciphertexts: Uint8Array[]; setup: HeRoundSetup }> {
  const serialize = loadAidocProtos().WorkerService.service.PushUpdate.requestSerialize;
  const sizeOf = (messages: Iterable<unknown>): number => {
    let total = 0;
    for (const m of messages) total += 5 + serialize(m as never).length;
    return total;
  };
  const setup: HeRoundSetup = {
    version: 1,
    paramsDigest: material.paramsDigest,
    openerId: material.workerId,
    minWorkers: workers,
    maxWorkers: workers,
    valuesPerSlot,
    valueBound: 1,
    valueCount: params,
    weightDenominator: 569,
  };
  const he = await createHeWorker({ material, stateDir });
  try {
    const delta = Float32Array.from({ length: params }, (_, i) => Math.sin(i) / 50);
    const encrypted = await he.encryptUpdate(
      { jobId: 'job-bench', round: 1, extension: encodeHeRoundSetup(setup) },
      delta,
      57,
    );
    const base = {
      sessionId: '00000000-0000-0000-0000-000000000000',
      taskId: '00000000-0000-0000-0000-000000000000',
      jobId: 'job-bench',
      round: 1,
      numExamples: 57,
      metrics: { loss: 0.5 },
      nonce: Buffer.alloc(16),
      trainMs: 1000,
    };
    const secureMsg = describePayload(encrypted.payload, {
      encoding: 'PAYLOAD_ENCODING_CKKS',
      contentType: HE_CIPHERTEXTS_CONTENT_TYPE,
      elementCount: encrypted.ciphertexts,
    });
    const plainMsg = describePayload(float32ToBytes(delta));
    const ciphertexts: Uint8Array[] = [];
    const deframer = createCiphertextDeframer((_i, w) => ciphertexts.push(w));
    deframer.push(encrypted.payload);
    deframer.end();
    return {
      secure: sizeOf(
        chunkedMessages(
          { ...base, payload: secureMsg.header, extension: encrypted.extension },
          secureMsg.chunks,
        ),
      ),
      plain: sizeOf(chunkedMessages({ ...base, payload: plainMsg.header }, plainMsg.chunks)),
      ciphertexts,
      setup,
    };
  } finally {
    he.close();
  }
}

/** The coordinator's streaming sum vs raw node-seal `add` on ciphertexts already loaded. */
async function aggregationThroughput(
  materials: HeWorkerMaterial[],
  stateDir: string,
  params: number,
  valuesPerSlot: 1 | 2 | 3,
): Promise<Record<string, number>> {
  const setupPublic = materials[0]!;
  const ctx = await createHeContext(setupPublic.params);
  try {
    const contributions: { header: unknown; cts: Uint8Array[] }[] = [];
    let setup: HeRoundSetup | undefined;
    let encryptMs = Infinity;
    for (const [i, m] of materials.entries()) {
      const he = await createHeWorker({ material: m, stateDir: join(stateDir, String(i)) });
      try {
        setup ??= {
          version: 1,
          paramsDigest: m.paramsDigest,
          openerId: materials[0]!.workerId,
          minWorkers: materials.length,
          maxWorkers: materials.length,
          valuesPerSlot,
          valueBound: 1,
          valueCount: params,
          weightDenominator: 569,
        };
        const delta = Float32Array.from({ length: params }, (_, j) => Math.sin(j + i) / 50);
        const t = performance.now();
        const e = await he.encryptUpdate(
          { jobId: 'job-bench', round: 1, extension: encodeHeRoundSetup(setup) },
          delta,
          50,
        );
        if (i > 0) encryptMs = Math.min(encryptMs, performance.now() - t); // 0 builds the encryptor
        const cts: Uint8Array[] = [];
        const d = createCiphertextDeframer((_j, w) => cts.push(w));
        d.push(e.payload);
        d.end();
        contributions.push({ header: JSON.parse(e.extension.data.toString('utf8')), cts });
      } finally {
        he.close();
      }
    }
    const { plan, layout } = heRoundGeometry(setupPublic.params, setup!);
    const keys = new Map(materials.map((m) => [m.workerId, m.registry.get(m.workerId)!.signingKey]));
    const stream = (open = false): number => {
      const agg = createHeAggregator({
        ctx,
        plan,
        layout,
        jobId: 'job-bench',
        round: 1,
        openerId: materials[0]!.workerId,
        workerKey: (id) => keys.get(id),
      });
      const t = performance.now();
      for (const c of contributions) {
        const sink = agg.begin(c.header);
        c.cts.forEach((w, i) => sink.add(i, w));
        sink.commit();
      }
      const ms = performance.now() - t;
      if (open) request = agg.openRequest();
      agg.delete();
      return ms;
    };
    let request: HeOpenRequest | undefined;
    const aggregateMs = Math.min(stream(), stream(true));
    // The opener's side, alone: verify + decrypt + unpack the sum (what a real opener does).
    const opener = await createHeWorker({ material: materials[0]!, stateDir: join(stateDir, 'opener') });
    let openMs: number;
    try {
      const t = performance.now();
      const opened = await opener.open(
        {
          jobId: 'job-bench',
          round: 1,
          context: encodeHeOpenContext({
            version: 1,
            setup: setup!,
            contributions: [...request!.contributions],
          }),
        },
        frameCiphertexts(request!.aggregate),
      );
      openMs = performance.now() - t;
      if (!('sum' in opened)) throw new Error(`the bench's own sum was refused: ${opened.reason}`);
    } finally {
      opener.close();
    }
    const evaluator = ctx.seal.Evaluator(ctx.context);
    const loaded = contributions[0]!.cts.slice(0, 64).map((w) => loadHeCiphertext(ctx, w));
    let rawAddMs = Infinity;
    for (let pass = 0; pass < 3; pass++) {
      const t = performance.now();
      const [acc, ...rest] = loaded;
      for (const ct of rest) evaluator.add(acc!, ct, acc);
      rawAddMs = Math.min(rawAddMs, (performance.now() - t) / (loaded.length - 1));
    }
    for (const ct of loaded) ct.delete();
    // The floor for anything that receives ciphertexts as bytes: SEAL's own load, then add.
    let rawLoadAddMs = Infinity;
    const sample = contributions[0]!.cts.slice(0, 64);
    for (let pass = 0; pass < 3; pass++) {
      const sealBytes = sample.map((w) => unpackSealCiphertext(w));
      const acc = loadHeCiphertext(ctx, sample[0]!);
      const t = performance.now();
      for (const bytes of sealBytes.slice(1)) {
        const ct = ctx.seal.CipherText();
        ct.loadArray(ctx.context, bytes);
        evaluator.add(acc, ct, acc);
        ct.delete();
      }
      rawLoadAddMs = Math.min(rawLoadAddMs, (performance.now() - t) / (sealBytes.length - 1));
      acc.delete();
    }
    // SEAL's own cost per ciphertext of the two steps no implementation on node-seal can skip:
    // a fresh seeded secret-key encryption (worker) and a decryption (opener).
    const sk = loadHeSecretKey(ctx, setupPublic.secretKey);
    const keygen = ctx.seal.KeyGenerator(ctx.context, sk.key);
    const publicKey = keygen.createPublicKey();
    const encryptor = ctx.seal.Encryptor(ctx.context, publicKey, sk.key);
    const decryptor = ctx.seal.Decryptor(ctx.context, sk.key);
    const plain = ctx.seal.PlainText({ coeffCount: ctx.slotCount });
    let rawEncryptMs = Infinity;
    let rawDecryptMs = Infinity;
    try {
      plain.setZero();
      for (let pass = 0; pass < 3; pass++) {
        const t = performance.now();
        for (let i = 0; i < 64; i++) encryptor.encryptSymmetricSerializable(plain).delete();
        rawEncryptMs = Math.min(rawEncryptMs, (performance.now() - t) / 64);
      }
      const sum = request!.aggregate.slice(0, 32).map((w) => loadHeCiphertext(ctx, w));
      for (let pass = 0; pass < 3; pass++) {
        const t = performance.now();
        for (const ct of sum) decryptor.decrypt(ct, plain);
        rawDecryptMs = Math.min(rawDecryptMs, (performance.now() - t) / sum.length);
      }
      for (const ct of sum) ct.delete();
    } finally {
      deleteAll(plain, decryptor, encryptor, publicKey, keygen);
      sk.delete();
    }
    evaluator.delete();
    const perCiphertext = aggregateMs / (materials.length * layout.ciphertextCount);
    const paramsPerCiphertext = layout.dataSlotsPerCiphertext * plan.valuesPerSlot;
    return {
      encryptMsPerUpdate: Math.round(encryptMs),
      openMs: Math.round(openMs),
      coordinatorMsPerUpdate: Math.round(aggregateMs / materials.length),
      coordinatorMsPerCiphertext: round3(perCiphertext),
      coordinatorMParamsPerSec: round3(((materials.length * params) / aggregateMs) * 1e-3),
      rawAddMsPerCiphertext: round3(rawAddMs),
      rawAddMParamsPerSec: round3((paramsPerCiphertext / rawAddMs) * 1e-3),
      coordinatorVsRawAdd: round3(perCiphertext / rawAddMs),
      rawLoadAddMsPerCiphertext: round3(rawLoadAddMs),
      coordinatorVsRawLoadAdd: round3(perCiphertext / rawLoadAddMs),
      rawEncryptMsPerCiphertext: round3(rawEncryptMs),
      rawDecryptMsPerCiphertext: round3(rawDecryptMs),
      ciphertextsPerUpdate: layout.ciphertextCount,
    };
  } finally {
    ctx.delete();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const rounds = Number(flag(args, 'rounds', '4'));
  const wdbcRounds = Number(flag(args, 'wdbc-rounds', '10'));
  const workerCounts = flag(args, 'workers', '5,10').split(',').map(Number);
  const models = flag(args, 'models', 'wdbc-mlp,mlp-1m').split(',');
  const localEpochs = Number(flag(args, 'local-epochs', '1'));
  const repeats = Number(flag(args, 'repeats', '2'));
  // Quantized values per plaintext coefficient (2: 20-bit quantization at <= 16 workers; 3: 12-bit).
  const valuesPerSlot = Number(flag(args, 'values-per-slot', '2'));
  if (valuesPerSlot !== 1 && valuesPerSlot !== 2 && valuesPerSlot !== 3)
    throw new Error('--values-per-slot must be 1, 2 or 3');
  // For profiling one mode alone (the ratio then is not reported).
  const modes = flag(args, 'modes', 'plain,secure')
    .split(',')
    .map((m) => m === 'secure');
  if (!(rounds >= 2 && wdbcRounds >= 2)) throw new Error('--rounds must be at least 2 (round 1 is warm-up)');
  const results: Record<string, unknown>[] = [];
  let bytes: { secure: number; plain: number; params: number } | undefined;
  let throughput: Record<string, number> | undefined;
  for (const n of workerCounts) {
    log(`he bench: starting ${n} hospital workers`);
    const fed = await startFederation(n, valuesPerSlot);
    try {
      const materials = await Promise.all(fed.kits.map(async (k) => loadHeWorkerMaterial(await loadKit(k))));
      for (const name of models) {
        const { spec: model, params } = await modelSpec(name);
        const spec = {
          model,
          schemaId: 'wdbc-v1',
          rounds: name === 'wdbc-mlp' ? wdbcRounds : rounds,
          localEpochs,
          batchSize: 16,
          learningRate: 0.01,
          minWorkers: n,
          fraction: 1,
          roundDeadlineMs: 600_000,
          quorumWaitMs: 120_000,
          validationFraction: 0,
          seed: 7,
          // The cost of secure aggregation alone: DP is the same on both sides, so leave it out.
          privacy: { mode: 'none' },
        };
        // Plain and secure jobs alternate (`repeats` times each) so a change in the machine's load
        // falls on both; each job's round 1 (start-up work) is left out.
        const plain: RoundTimes = { roundMs: [], updatesMs: [], closeMs: [] };
        const secure: RoundTimes = { roundMs: [], updatesMs: [], closeMs: [] };
        const cpu = { plain: [] as number[], secure: [] as number[] };
        const coordinatorCpu = { plain: [] as number[], secure: [] as number[] };
        const pids = fed.workers.map((w) => w.pid ?? 0);
        try {
          for (let rep = 0; rep < repeats; rep++) {
            for (const on of modes) {
              const r = await runJob(fed.coordinator, spec, on, pids);
              const into = on ? secure : plain;
              for (const k of ['roundMs', 'updatesMs', 'closeMs'] as const)
                into[k].push(...r.times[k].slice(1));
              (on ? cpu.secure : cpu.plain).push(r.cpuSecondsPerRound);
              (on ? coordinatorCpu.secure : coordinatorCpu.plain).push(r.coordinatorCpuSecondsPerRound);
            }
          }
        } catch (e) {
          fed.logs.forEach((l, i) => log(`--- worker ${i} ---\n${l}`));
          throw e;
        }
        const m = (t: RoundTimes, k: keyof RoundTimes) => median(t[k]);
        const ratio = m(secure, 'roundMs') / m(plain, 'roundMs');
        const row: Record<string, string | number> & {
          plainRoundMs: number;
          plainCpuSecondsPerRound: number;
        } = {
          model: name,
          params,
          workers: n,
          plainRoundMs: Math.round(m(plain, 'roundMs')),
          secureRoundMs: Math.round(m(secure, 'roundMs')),
          roundTimeRatio: round3(ratio),
          plainUpdatesMs: Math.round(m(plain, 'updatesMs')),
          secureUpdatesMs: Math.round(m(secure, 'updatesMs')),
          plainCloseMs: Math.round(m(plain, 'closeMs')),
          secureCloseMs: Math.round(m(secure, 'closeMs')),
          plainCpuSecondsPerRound: round3(median(cpu.plain)),
          secureCpuSecondsPerRound: round3(median(cpu.secure)),
          cpuRatio: round3(median(cpu.secure) / median(cpu.plain)),
          // The coordinator's share of those CPU seconds (it runs in this process).
          plainCoordinatorCpuSecondsPerRound: round3(median(coordinatorCpu.plain)),
          secureCoordinatorCpuSecondsPerRound: round3(median(coordinatorCpu.secure)),
        };
        log(
          `  ${name} (${params} params), ${n} workers: round ${row.plainRoundMs} ms plain, ${row.secureRoundMs} ms secure = x${row.roundTimeRatio} ` +
            `(updates in after ${row.plainUpdatesMs} / ${row.secureUpdatesMs} ms; close ${row.plainCloseMs} / ${row.secureCloseMs} ms; ` +
            `CPU of all processes ${row.plainCpuSecondsPerRound} / ${row.secureCpuSecondsPerRound} s per round = x${row.cpuRatio}, ` +
            `of which the coordinator ${row.plainCoordinatorCpuSecondsPerRound} / ${row.secureCoordinatorCpuSecondsPerRound} s)`,
        );
        results.push(row);
        if (name === 'mlp-1m' && n === Math.max(...workerCounts)) {
          const w = await wireBytes(materials[0]!, join(fed.dir, 'bench-wire'), params, n, valuesPerSlot);
          bytes = { secure: w.secure, plain: w.plain, params };
          log(
            `  wire: one encrypted update ${w.secure} B = ${(w.secure / params).toFixed(3)} B/param (plain float32 update ${(w.plain / params).toFixed(3)} B/param)`,
          );
          throughput = await aggregationThroughput(
            materials,
            join(fed.dir, 'bench-agg'),
            params,
            valuesPerSlot,
          );
          log(
            `  one process, no contention: encrypt one update ${throughput.encryptMsPerUpdate} ms, open the sum ${throughput.openMs} ms`,
          );
          const floor = sealFloor(row, throughput, n);
          Object.assign(row, floor);
          log(
            `  SEAL's floor on this machine: ${n} x ${throughput.ciphertextsPerUpdate} x (encrypt ${throughput.rawEncryptMsPerCiphertext} + load/add ${throughput.rawLoadAddMsPerCiphertext} ms) ` +
              `less the plain round's idle CPU (${floor.plainIdleCpuMs} ms), over ${availableParallelism()} cores, plus decrypting the sum ` +
              `(${throughput.ciphertextsPerUpdate} x ${throughput.rawDecryptMsPerCiphertext} ms): a secure round of at least ${floor.sealFloorRoundMs} ms = x${floor.sealFloorRatio}`,
          );
          log(
            `  coordinator: ${throughput.coordinatorMsPerCiphertext} ms per ciphertext (${throughput.coordinatorMParamsPerSec} M params/s); ` +
              `raw node-seal add ${throughput.rawAddMsPerCiphertext} ms (${throughput.rawAddMParamsPerSec} M params/s), ` +
              `raw loadArray + add ${throughput.rawLoadAddMsPerCiphertext} ms`,
          );
        }
      }
    } finally {
      await fed.close();
    }
  }
  const headline = results.find((r) => r.model === 'mlp-1m' && r.workers === Math.max(...workerCounts));
  return {
    roundTimeRatio: headline?.roundTimeRatio ?? null,
    sealFloorRatio: headline?.sealFloorRatio ?? null,
    bytesPerParam: bytes ? round3(bytes.secure / bytes.params) : null,
    plainBytesPerParam: bytes ? round3(bytes.plain / bytes.params) : null,
    rounds,
    repeats,
    localEpochs,
    valuesPerSlot,
    results,
    ...(throughput ?? {}),
  };
}
