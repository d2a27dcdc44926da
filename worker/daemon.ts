/**
 * The hospital worker: runs next to the data and dials out to the coordinator (it never opens an
 * inbound port). It registers what it offers (shapes and counts, never records), heartbeats, and
 * pulls tasks: TRAIN (fetch the global weights, train locally, send back the delta) and EVALUATE
 * (score the global weights on the locally held-out records, send back the metrics). When the
 * coordinator goes away it reconnects with exponential backoff.
 *
 * What leaves this process: capabilities, weight deltas, record counts and aggregate metrics.
 * Records, owner ids and scaling statistics stay here. With secure aggregation (on by default; the
 * task says CKKS) the delta leaves only encrypted and signed, and this worker may be asked to open
 * a round's verified sum (worker/he-worker.ts, the client mod: the plain loop below is unchanged).
 * With a ledger (`chain`), each task first reads the owners' consent to the job's purpose and, before
 * training, the dataset's on-chain privacy budget (worker/chain-checks.ts).
 */
import os from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import * as grpc from '@grpc/grpc-js';
import { AidocError, isError, makeError } from '../common/errors.js';
import type { Kit } from '../common/pki-kit.js';
import { hasHeSetup, loadHeWorkerMaterial, type HeWorkerMaterial } from '../privacy/he-kit.js';
import { HE_CIPHERTEXTS_CONTENT_TYPE, type HeTypedBlob } from '../privacy/he-protocol.js';
import { createGrpcClient, type WorkerServiceClient } from '../coordinator/transport/grpc-client.js';
import {
  bytesToFloat32,
  chunkedMessages,
  describePayload,
  float32ToBytes,
  receiveChunked,
} from '../coordinator/transport/payload-stream.js';
import type { Dataset } from '../datasets/dataset.js';
import { trainTestSplit } from '../datasets/dataset.js';
import { applyScaler, fitScaler } from '../datasets/scaler.js';
import type { ScalingKind } from '../datasets/schema.js';
import type { PayloadHeader__Output } from '../protos/generated/aidoc/v1/PayloadHeader.js';
import type { Task__Output } from '../protos/generated/aidoc/v1/Task.js';
import { useTrainingBackend, type TrainingBackendName } from '../training/backend.js';
import { buildModel, type ModelSpec } from '../training/model-spec.js';
import { evaluate, trainLocal } from '../training/train.js';
import { getFlatWeights, setFlatWeights } from '../training/weights.js';
import { calibrateNoiseMultiplier } from '../privacy/calibrate.js';
import { trainDpSgd } from '../privacy/dp-sgd.js';
import { PrivacyBudget } from './privacy-budget.js';
import { createConsentedSplits, requireOwnerIds, type ChainChecks } from './chain-checks.js';
import { DEFAULT_PURPOSE } from '../coordinator/job-spec.js';
import { createHeWorker, serveOpenRequests, type HeWorker } from './he-worker.js';
import { applyClientDpToUpdate } from './client-dp.js';
import { CLIENT_DP_FEATURE } from '../privacy/client-dp.js';
import { sleep } from '../common/sleep.js';
import { reportMemory } from '../common/memory-report.js';

export interface WorkerDataset {
  /** Unscaled records; the worker fits scaling on its own training part. */
  dataset: Dataset;
  schemaId: string;
  scaling: ScalingKind;
}

export interface WorkerOptions {
  /** The hospital's kit; with `dir`, its HE keys are loaded from there. */
  kit: Pick<Kit, 'certPem' | 'keyPem' | 'caPem' | 'manifest'> & { dir?: string };
  data: WorkerDataset;
  /** Overrides the kit's coordinator address. */
  address?: string;
  /** @defaultValue 'wasm' */
  backend?: TrainingBackendName;
  /** Stops the worker (it finishes by unregistering nothing: the coordinator notices the silence). */
  signal: AbortSignal;
  /** @defaultValue no logging */
  log?: (line: string) => void;
  /** Reconnect backoff: first wait and cap. @defaultValue { initialMs: 250, maxMs: 5000 } */
  backoff?: { initialMs: number; maxMs: number };
  /** With several coordinator replicas: how often to re-ask which are live. @defaultValue 3,000 ms */
  discoveryMs?: number;
  /** Long-poll wait per PullTask. @defaultValue 10,000 ms */
  pollWaitMs?: number;
  /** Sees every message this worker sends, serialized as on the wire (before TLS). For audits and tests. */
  wireTap?: (method: string, bytes: Buffer) => void;
  /**
   * This hospital's privacy budget (epsilon cap per dataset, spends kept across restarts).
   * @defaultValue an in-memory budget with a cap of 10
   */
  budget?: PrivacyBudget;
  /**
   * The HE material for secure aggregation (false: take part in plain jobs only).
   * @defaultValue loaded from the kit folder when the kit was provisioned with it
   */
  secureAggregation?: HeWorkerMaterial | false;
  /**
   * A folder that persists across restarts: the opener ledger lives here (an update must never be
   * in two opened sums, restart or not). Use a writable volume when the kit is mounted read-only.
   * @defaultValue `<kit dir>/state`
   */
  stateDir?: string;
  /**
   * The ledger to check before each task (worker/chain-checks.ts): the records' owners' consent to
   * the job's purpose, and the dataset's on-chain privacy budget. The caller closes it.
   * @defaultValue none: consent and budget are not checked on the chain (the local budget still is)
   */
  chain?: ChainChecks;
}

/** A coordinator replica as Discover names it. */
interface Replica {
  replicaId: string;
  address: string;
}

/** The host part of host:port (brackets kept off IPv6 literals). */
function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address) ?? /^([^:]+)(?::\d+)?$/.exec(address);
  return m?.[1] ?? address;
}

function tapInterceptor(tap: (method: string, bytes: Buffer) => void): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      sendMessage(message, next) {
        tap(options.method_definition.path, options.method_definition.requestSerialize(message));
        next(message);
      },
    });
}

/** The local split is fixed for the worker's lifetime so evaluation always uses the same held-out records. */
function rawSplit(data: WorkerDataset, validationFraction: number): { train: Dataset; test?: Dataset } {
  const ds = data.dataset;
  if (validationFraction <= 0 || ds.n < 2) return { train: ds };
  return trainTestSplit(ds, { testFraction: validationFraction, seed: 0, stratify: true });
}

/** Scaling is fitted on the records trained on, and only on them. */
function scaleSplit(data: WorkerDataset, raw: { train: Dataset; test?: Dataset }) {
  const scaler = fitScaler(raw.train, data.scaling);
  return {
    train: applyScaler(raw.train, scaler),
    test: raw.test ? applyScaler(raw.test, scaler) : undefined,
  };
}

function localSplit(data: WorkerDataset, validationFraction: number) {
  return scaleSplit(data, rawSplit(data, validationFraction));
}

/** The secure-aggregation client mod, if this worker's kit holds the HE keys. */
async function openHeWorker(
  options: WorkerOptions,
  log: (line: string) => void,
): Promise<HeWorker | undefined> {
  const { kit } = options;
  let material = options.secureAggregation;
  if (material === false) return undefined;
  if (material === undefined) {
    if (kit.dir === undefined || !hasHeSetup(kit.manifest)) return undefined;
    material = await loadHeWorkerMaterial({ dir: kit.dir, manifest: kit.manifest });
  }
  const stateDir = options.stateDir ?? (kit.dir !== undefined ? join(kit.dir, 'state') : undefined);
  if (stateDir === undefined) {
    throw makeError('secure aggregation needs a stateDir for the opener ledger', 'INVALID_ARGUMENT');
  }
  return createHeWorker({ material, stateDir, log });
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const log = options.log ?? (() => {});
  const backend = await useTrainingBackend(options.backend ?? 'wasm');
  const he = await openHeWorker(options, log);
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 5000 };
  const splits = new Map<number, ReturnType<typeof localSplit>>();
  const models = new Map<string, tf.LayersModel>();
  const split = (fraction: number) => {
    let s = splits.get(fraction);
    if (!s) splits.set(fraction, (s = localSplit(options.data, fraction)));
    return s;
  };
  const ds = options.data.dataset;
  // Unique across the federation: the chain's PrivacyLedger and the coordinator key spends by it.
  const datasetId = `${options.kit.manifest.name}/${ds.name}`;
  const budget = options.budget ?? (await PrivacyBudget.open(undefined, 10));
  const noiseByJob = new Map<string, { sigma: number; sampleRate: number; steps: number }>();
  const { chain } = options;
  if (chain) {
    requireOwnerIds(ds);
    log(chain.description);
    const b = await chain.budgetOf(datasetId);
    log(
      b
        ? `dataset ${datasetId} on the ledger: epsilon ${b.spent.toFixed(3)} spent of its cap ${b.cap}`
        : `dataset ${datasetId} is not registered on the ledger: every round will be refused until the operator registers it`,
    );
  } else {
    log('no ledger configured (--rpc): consent and the privacy budget are not checked on the chain');
  }
  const raws = new Map<number, ReturnType<typeof rawSplit>>();
  const consentedSplit = chain
    ? createConsentedSplits({
        chain,
        datasetId,
        ownerIds: requireOwnerIds(ds),
        raw: (fraction) => {
          let r = raws.get(fraction);
          if (!r) raws.set(fraction, (r = rawSplit(options.data, fraction)));
          return r;
        },
        scale: (raw) => scaleSplit(options.data, raw),
        log,
      })
    : undefined;
  const bootstrap = options.address ?? options.kit.manifest.coordinatorAddress;
  const channelOptions = options.wireTap ? { interceptors: [tapInterceptor(options.wireTap)] } : {};
  // Tasks from several replicas run one at a time: they share the models, the budget and the cores.
  let taskChain: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = taskChain.then(fn, fn);
    taskChain = run.catch(() => {});
    return run;
  };
  try {
    const replicas = await discover();
    if (replicas === undefined) await sessionLoop(bootstrap, options.signal);
    else await clusterLoop(replicas);
  } finally {
    for (const m of models.values()) m.dispose();
    he?.close();
  }

  /**
   * Asks the bootstrap address which coordinator replicas are live: undefined when the coordinator
   * runs alone (one session to the bootstrap address), else the list. Retries until it gets an answer.
   */
  async function discover(): Promise<Replica[] | undefined> {
    let wait = backoff.initialMs;
    while (!options.signal.aborted) {
      try {
        return await askReplicas(10_000);
      } catch (e) {
        if (options.signal.aborted) break;
        log(`cannot reach the coordinator at ${bootstrap} (${(e as Error).message}); retrying in ${wait} ms`);
        await sleep(wait, options.signal);
        wait = Math.min(backoff.maxMs, wait * 2);
      }
    }
    return undefined;
  }

  /** One Discover call to the bootstrap address: the live replicas, or undefined for a lone coordinator. */
  async function askReplicas(deadlineMs: number): Promise<Replica[] | undefined> {
    const client = createGrpcClient(options.kit, 'WorkerService', { address: bootstrap, channelOptions });
    try {
      const r = await client.Discover({}, { deadlineMs, signal: options.signal });
      const list = r.replicas.filter((x) => x.address && x.replicaId);
      return list.length > 0 ? list : undefined;
    } finally {
      client.close();
    }
  }

  /** Keeps one session per live replica, re-asking the bootstrap address every few seconds. */
  async function clusterLoop(first: Replica[]): Promise<void> {
    const sessions = new Map<string, { address: string; stop: AbortController; done: Promise<void> }>();
    const bootstrapHost = hostOf(bootstrap);
    let replicas = first;
    while (!options.signal.aborted) {
      const live = new Set(replicas.map((r) => r.replicaId));
      for (const r of replicas) {
        const s = sessions.get(r.replicaId);
        if (s && s.address === r.address) continue;
        s?.stop.abort();
        const stop = new AbortController();
        const onAbort = () => stop.abort();
        options.signal.addEventListener('abort', onAbort, { once: true });
        log(`coordinator replica ${r.replicaId} at ${r.address}: opening a session`);
        // The replicas share one certificate, issued for the name workers dial.
        const tlsName = hostOf(r.address) !== bootstrapHost ? bootstrapHost : undefined;
        const done = sessionLoop(r.address, stop.signal, tlsName).finally(() =>
          options.signal.removeEventListener('abort', onAbort),
        );
        sessions.set(r.replicaId, { address: r.address, stop, done });
      }
      for (const [id, s] of sessions) {
        if (live.has(id)) continue;
        log(`coordinator replica ${id} is gone from the directory: closing its session`);
        s.stop.abort();
        sessions.delete(id);
      }
      await sleep(options.discoveryMs ?? 3000, options.signal);
      if (options.signal.aborted) break;
      // Unreachable for now: keep the sessions we have.
      const next = await askReplicas(5000).catch(() => undefined);
      if (next) replicas = next;
    }
    await Promise.allSettled([...sessions.values()].map((s) => s.done));
  }

  /** One coordinator (replica): register, serve, and reconnect with backoff until `signal` aborts. */
  async function sessionLoop(address: string, signal: AbortSignal, tlsName?: string): Promise<void> {
    let wait = backoff.initialMs;
    while (!signal.aborted) {
      const client = createGrpcClient(options.kit, 'WorkerService', {
        address,
        channelOptions: tlsName
          ? { ...channelOptions, 'grpc.ssl_target_name_override': tlsName }
          : channelOptions,
      });
      try {
        const reg = await client.Register(
          {
            capabilities: {
              cores: os.availableParallelism(),
              memoryBytes: os.totalmem(),
              backend,
              softwareVersion: '0.1.0',
              features: [...(he ? ['plain', 'ckks'] : ['plain']), CLIENT_DP_FEATURE],
              datasets: [
                {
                  datasetId,
                  schemaId: options.data.schemaId,
                  schemaName: ds.name,
                  featureShape: ds.featureShape,
                  numClasses: ds.numClasses,
                  classNames: ds.classes,
                  recordCount: ds.n,
                  consentedRecordCount: ds.n,
                },
              ],
            },
          },
          { deadlineMs: 10_000, signal },
        );
        log(`registered with the coordinator at ${address} as ${reg.workerId}`);
        wait = backoff.initialMs;
        await serve(client, reg.sessionId, reg.heartbeatIntervalMs || 2000, signal);
      } catch (e) {
        if (signal.aborted) break;
        const msg = e instanceof Error ? e.message : String(e);
        log(`connection to the coordinator at ${address} lost (${msg}); retrying in ${wait} ms`);
        await sleep(wait, signal);
        wait = Math.min(backoff.maxMs, wait * 2);
      } finally {
        client.close();
      }
    }
  }

  /** Heartbeats and pulls tasks until the session ends (throws) or the worker stops. */
  async function serve(
    client: WorkerServiceClient,
    sessionId: string,
    heartbeatMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const session = new AbortController();
    const stop = () => session.abort();
    signal.addEventListener('abort', stop, { once: true });
    const current: { taskId?: string; controller?: AbortController } = {};
    let failure: unknown;
    const heartbeats = (async () => {
      while (!session.signal.aborted) {
        await sleep(heartbeatMs, session.signal);
        if (session.signal.aborted) return;
        try {
          const r = await client.Heartbeat(
            { sessionId, taskId: current.taskId ?? '' },
            { deadlineMs: heartbeatMs * 3 },
          );
          if (r.reregister) throw makeError('the coordinator no longer knows this session', 'NOT_FOUND');
          if (current.taskId && r.cancelledTaskIds.includes(current.taskId))
            current.controller?.abort(new Error('the coordinator cancelled the task'));
        } catch (e) {
          failure = e;
          session.abort();
        }
      }
    })();
    // As a round's opener, this worker answers open requests alongside its own tasks.
    const opening = he
      ? serveOpenRequests({
          client,
          sessionId,
          he,
          signal: session.signal,
          pollWaitMs: options.pollWaitMs ?? 10_000,
          log,
        }).catch((e: unknown) => {
          failure = e;
          session.abort();
        })
      : Promise.resolve();
    try {
      while (!session.signal.aborted) {
        let task: Task__Output | null | undefined;
        try {
          const r = await client.PullTask(
            { sessionId, waitMs: options.pollWaitMs ?? 10_000 },
            { signal: session.signal },
          );
          task = r.task;
        } catch (e) {
          if (session.signal.aborted) break;
          throw e;
        }
        if (!task) continue;
        const controller = new AbortController();
        const onStop = () => controller.abort(new Error('the worker is stopping'));
        session.signal.addEventListener('abort', onStop, { once: true });
        const untilDeadline = setTimeout(
          () => controller.abort(new Error('the round deadline passed')),
          Math.max(0, Number(task.deadlineUnixMs) - Date.now()),
        );
        current.taskId = task.taskId;
        current.controller = controller;
        try {
          const t = task;
          await oneAtATime(() => {
            controller.signal.throwIfAborted();
            return handle(client, sessionId, t, controller.signal);
          });
        } catch (e) {
          if (isRetryableTransport(e)) throw e;
          const detail = e instanceof Error ? e.message : String(e);
          log(`task ${task.taskId} (job ${task.jobId} round ${task.round}) failed: ${detail}`);
          if (!controller.signal.aborted) {
            await client
              .ReportFailure({
                sessionId,
                taskId: task.taskId,
                code: e instanceof AidocError ? e.code : '',
                detail,
              })
              .catch(() => {});
          }
        } finally {
          clearTimeout(untilDeadline);
          session.signal.removeEventListener('abort', onStop);
          current.taskId = undefined;
          current.controller = undefined;
          reportMemory({ jobId: task.jobId, round: task.round, kind: task.kind });
        }
      }
    } finally {
      session.abort();
      signal.removeEventListener('abort', stop);
      await heartbeats;
      await opening;
    }
    if (failure && !signal.aborted) throw failure as Error;
  }

  async function fetchWeights(
    client: WorkerServiceClient,
    sessionId: string,
    ref: string,
    signal: AbortSignal,
  ): Promise<Float32Array> {
    const parts = client.FetchPayload({ sessionId, ref }, { signal });
    const received = await receiveChunked<PayloadHeader__Output>(parts, { payloadOf: (h) => h, signal });
    return bytesToFloat32(received.data);
  }

  async function modelFor(spec: ModelSpec, seed: number): Promise<tf.LayersModel> {
    const key = JSON.stringify(spec);
    let m = models.get(key);
    if (!m) {
      m = await buildModel(spec, { inputShape: ds.featureShape, numClasses: ds.numClasses }, seed);
      models.set(key, m);
    }
    return m;
  }

  async function handle(
    client: WorkerServiceClient,
    sessionId: string,
    task: Task__Output,
    signal: AbortSignal,
  ): Promise<void> {
    if (task.datasetSchemaId !== options.data.schemaId) {
      throw makeError(
        `this worker holds schema '${options.data.schemaId}', the task needs '${task.datasetSchemaId}'`,
        'INVALID_ARGUMENT',
      );
    }
    const spec: ModelSpec = task.model?.builtin
      ? { builtin: task.model.builtin }
      : { topology: JSON.parse(task.model?.topologyJson ?? 'null') as unknown };
    const cfg = task.config;
    const global = await fetchWeights(client, sessionId, task.weights?.ref ?? '', signal);
    const model = await modelFor(spec, 0);
    setFlatWeights(model, global);
    const fraction = cfg?.validationFraction ?? 0;
    const chosen: { train: Dataset; test?: Dataset; requireEnough?: () => void } = consentedSplit
      ? await consentedSplit(task.purpose || DEFAULT_PURPOSE, fraction)
      : split(fraction);
    const { train, test } = chosen;
    if (task.kind === 'TASK_KIND_EVALUATE') {
      const ev = test ? await evaluate(model, test, { signal }) : undefined;
      await client.ReportEvaluation({
        sessionId,
        taskId: task.taskId,
        jobId: task.jobId,
        round: task.round,
        numExamples: ev?.n ?? 0,
        metrics: ev ? { accuracy: ev.accuracy, loss: ev.loss } : {},
        nonce: task.nonce,
      });
      return;
    }
    chosen.requireEnough?.();
    const started = performance.now();
    const mu = cfg?.strategy?.params?.mu ?? 0;
    const plain = {
      epochs: cfg?.localEpochs || 1,
      batchSize: cfg?.batchSize || 32,
      learningRate: cfg?.learningRate || 0.05,
      seed: Number(cfg?.seed ?? 0),
      proximalMu: mu,
      signal,
    };
    const metrics: Record<string, number> = {};
    let r;
    /** Charges the privacy budget; called once the update is ready to leave. */
    let release: (() => Promise<void>) | undefined;
    const privacy = cfg?.privacy;
    if (privacy?.mode === 'record') {
      // Record-level DP-SGD: Poisson sampling at q = B/N, per-example clipping to C, Gaussian noise
      // sigma*C from node:crypto. Sigma is calibrated here, for this dataset, so the whole job stays
      // within the target. The round is checked against the budget before training starts and
      // charged to the budget file (durably) just before the update leaves: an update never sent
      // (the round cancelled, the coordinator gone) released nothing and costs nothing.
      const q = Math.min(1, plain.batchSize / train.n);
      const steps = Math.max(1, Math.round(plain.epochs / q));
      const delta = privacy.targetDelta || 1e-5;
      let sigma = privacy.noiseMultiplier > 0 ? privacy.noiseMultiplier : undefined;
      if (sigma === undefined) {
        const cached = noiseByJob.get(task.jobId);
        if (cached && cached.sampleRate === q && cached.steps === steps) sigma = cached.sigma;
        else {
          // First round, or the records trained on changed (consent): noise for what is left of
          // the job, on top of what its earlier rounds spent, within the job's target.
          const spentCurve = cached ? budget.jobCurve(datasetId, task.jobId) : undefined;
          const totalRounds = Math.max(1, cfg?.totalRounds ?? 1);
          sigma = calibrateNoiseMultiplier({
            targetEpsilon: privacy.targetEpsilon,
            delta,
            sampleRate: q,
            steps,
            rounds: spentCurve ? Math.max(1, totalRounds - task.round + 1) : totalRounds,
            ...(spentCurve ? { spent: spentCurve } : {}),
          }).noiseMultiplier;
          noiseByJob.set(task.jobId, { sigma, sampleRate: q, steps });
        }
      }
      const spend = { datasetId, jobId: task.jobId, noiseMultiplier: sigma, sampleRate: q, steps, delta };
      budget.check(spend, privacy.targetEpsilon);
      if (chain) {
        // Before training: what the coordinator will record on chain for this round.
        const p = budget.preview(spend);
        await chain.checkBudget(datasetId, Math.max(0, p.jobEpsilon - p.jobEpsilonBefore));
      }
      release = async () => {
        const spent = await budget.charge(spend, privacy.targetEpsilon);
        metrics.epsilon = spent.jobEpsilon;
        metrics.epsilon_dataset_total = spent.datasetEpsilon;
      };
      r = await trainDpSgd(model, train, {
        ...plain,
        noiseMultiplier: sigma,
        clipNorm: privacy.clipNorm || 1,
        sampleRate: q,
        steps,
      });
      metrics.noise_multiplier = sigma;
    } else {
      r = await trainLocal(model, train, plain);
    }
    // DP-SGD's training loss is computed on the records without noise: it is not covered by epsilon
    // and stays on the worker. Only plain jobs report it.
    // Nor is it covered by client-level DP, so client-level jobs do not report it either.
    if (privacy?.mode !== 'record' && !task.config?.clientDp) metrics.loss = r.loss;
    const local = getFlatWeights(model);
    const delta = new Float32Array(local.length);
    for (let i = 0; i < local.length; i++) delta[i] = local[i]! - global[i]!;
    const trainMs = Math.round(performance.now() - started);
    // Client-level DP (when the task asks): clip and noise before the update is encoded.
    const update = applyClientDpToUpdate(task, delta, train.n, log);
    const { header, chunks, extension } = await encodeUpdate(task, update, train.n, signal);
    signal.throwIfAborted();
    await release?.();
    await client.PushUpdate(
      chunkedMessages(
        {
          sessionId,
          taskId: task.taskId,
          jobId: task.jobId,
          round: task.round,
          numExamples: train.n,
          metrics,
          nonce: task.nonce,
          payload: header,
          trainMs,
          ...(extension ? { extension } : {}),
        },
        chunks,
      ),
      { signal },
    );
  }

  /** The update as the task asks for it: plain float32, or encrypted and signed (secure aggregation). */
  async function encodeUpdate(
    task: Task__Output,
    delta: Float32Array,
    numExamples: number,
    signal: AbortSignal,
  ): Promise<ReturnType<typeof describePayload> & { extension?: HeTypedBlob }> {
    if (task.updateEncoding !== 'PAYLOAD_ENCODING_CKKS') return describePayload(float32ToBytes(delta));
    if (!he) {
      throw makeError(
        "the job uses secure aggregation, but this worker's kit has no HE keys; re-provision the federation with 'aidoc provision'",
        'BACKEND_UNAVAILABLE',
      );
    }
    const encrypted = await he.encryptUpdate(task, delta, numExamples, signal);
    return {
      ...describePayload(encrypted.payload, {
        encoding: 'PAYLOAD_ENCODING_CKKS',
        contentType: HE_CIPHERTEXTS_CONTENT_TYPE,
        elementCount: encrypted.ciphertexts,
      }),
      extension: encrypted.extension,
    };
  }
}

/** Transport failures end the session (reconnect); task-level errors are reported and the worker goes on. */
function isRetryableTransport(e: unknown): boolean {
  return (
    e instanceof AidocError &&
    (e.info.retryable === true || isError(e, 'TIMEOUT') || e.info.grpcStatus === 'UNAVAILABLE')
  );
}
