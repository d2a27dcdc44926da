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
import { createHeWorker, serveOpenRequests, type HeWorker } from './he-worker.js';
import { applyClientDpToUpdate } from './client-dp.js';
import { CLIENT_DP_FEATURE } from '../privacy/client-dp.js';
import { sleep } from '../common/sleep.js';

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
function localSplit(data: WorkerDataset, validationFraction: number) {
  const ds = data.dataset;
  if (validationFraction <= 0 || ds.n < 2) {
    const scaler = fitScaler(ds, data.scaling);
    return { train: applyScaler(ds, scaler), test: undefined };
  }
  const { train, test } = trainTestSplit(ds, { testFraction: validationFraction, seed: 0, stratify: true });
  const scaler = fitScaler(train, data.scaling);
  return { train: applyScaler(train, scaler), test: applyScaler(test, scaler) };
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
  const noiseByJob = new Map<string, number>();
  let wait = backoff.initialMs;
  try {
    while (!options.signal.aborted) {
      const client = createGrpcClient(options.kit, 'WorkerService', {
        address: options.address,
        channelOptions: options.wireTap ? { interceptors: [tapInterceptor(options.wireTap)] } : {},
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
          { deadlineMs: 10_000, signal: options.signal },
        );
        log(`registered with the coordinator as ${reg.workerId}`);
        wait = backoff.initialMs;
        await serve(client, reg.sessionId, reg.heartbeatIntervalMs || 2000);
      } catch (e) {
        if (options.signal.aborted) break;
        const msg = e instanceof Error ? e.message : String(e);
        log(`connection to the coordinator lost (${msg}); retrying in ${wait} ms`);
        await sleep(wait, options.signal);
        wait = Math.min(backoff.maxMs, wait * 2);
      } finally {
        client.close();
      }
    }
  } finally {
    for (const m of models.values()) m.dispose();
    he?.close();
  }

  /** Heartbeats and pulls tasks until the session ends (throws) or the worker stops. */
  async function serve(client: WorkerServiceClient, sessionId: string, heartbeatMs: number): Promise<void> {
    const session = new AbortController();
    const stop = () => session.abort();
    options.signal.addEventListener('abort', stop, { once: true });
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
          await handle(client, sessionId, task, controller.signal);
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
        }
      }
    } finally {
      session.abort();
      options.signal.removeEventListener('abort', stop);
      await heartbeats;
      await opening;
    }
    if (failure && !options.signal.aborted) throw failure as Error;
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
    const { train, test } = split(cfg?.validationFraction ?? 0);
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
    const privacy = cfg?.privacy;
    if (privacy?.mode === 'record') {
      // Record-level DP-SGD: Poisson sampling at q = B/N, per-example clipping to C, Gaussian noise
      // sigma*C from node:crypto. Sigma is calibrated here, for this dataset, so the whole job stays
      // within the target; the round is charged to the budget file before training starts.
      const q = Math.min(1, plain.batchSize / train.n);
      const steps = Math.max(1, Math.round(plain.epochs / q));
      const delta = privacy.targetDelta || 1e-5;
      let sigma = privacy.noiseMultiplier > 0 ? privacy.noiseMultiplier : noiseByJob.get(task.jobId);
      if (sigma === undefined) {
        sigma = calibrateNoiseMultiplier({
          targetEpsilon: privacy.targetEpsilon,
          delta,
          sampleRate: q,
          steps,
          rounds: Math.max(1, cfg?.totalRounds ?? 1),
        }).noiseMultiplier;
        noiseByJob.set(task.jobId, sigma);
      }
      const spent = await budget.charge(
        { datasetId, jobId: task.jobId, noiseMultiplier: sigma, sampleRate: q, steps, delta },
        privacy.targetEpsilon,
      );
      r = await trainDpSgd(model, train, {
        ...plain,
        noiseMultiplier: sigma,
        clipNorm: privacy.clipNorm || 1,
        sampleRate: q,
        steps,
      });
      metrics.epsilon = spent.jobEpsilon;
      metrics.epsilon_dataset_total = spent.datasetEpsilon;
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
