/**
 * WorkerService over the round engine: maps the wire (aidoc.v1) to the registry and the engine.
 * The worker's identity is its certificate's (ctx.caller.name), never a field it sends.
 *
 * Updates arrive PLAIN_F32 (buffered, checked, handed to the engine whole) or, when the job uses
 * secure aggregation, CKKS (each chunk handed to the engine as it arrives, so ciphertexts are
 * added while the stream is still coming). PullOpenRequest / PushOpenResult are the opener's
 * side of secure aggregation (coordinator/secure-aggregation.ts).
 */
import { isError, makeError } from '../common/errors.js';
import type { FetchPayloadRequest__Output } from '../protos/generated/aidoc/v1/FetchPayloadRequest.js';
import type { PayloadPart } from '../protos/generated/aidoc/v1/PayloadPart.js';
import type { Task } from '../protos/generated/aidoc/v1/Task.js';
import type { OpenResultHeader__Output } from '../protos/generated/aidoc/v1/OpenResultHeader.js';
import type { UpdateHeader__Output } from '../protos/generated/aidoc/v1/UpdateHeader.js';
import type { CallContext, WorkerServiceImplementation } from './transport/grpc-server.js';
import { MAX_CHUNK_BYTES } from './transport/chunks.js';
import { bytesToFloat32, describePayload, receiveChunked } from './transport/payload-stream.js';
import type { UpdateStream } from './round-aggregator.js';
import type { PayloadStore, RoundEngine, TaskAssignment } from './round-engine.js';
import type { SecureAggregation } from './secure-aggregation.js';
import type { WorkerRegistry } from './worker-registry.js';
import type { ReplicaDirectory } from './replica-directory.js';

/** Longest a PullTask may be held open. */
const MAX_POLL_MS = 25_000;

export function toWireTask(t: TaskAssignment, payloads: PayloadStore): Task {
  const item = payloads.get(t.weightsRef);
  const { header } = describePayload(new Uint8Array(0));
  return {
    taskId: t.taskId,
    jobId: t.jobId,
    round: t.round,
    kind: t.kind === 'train' ? 'TASK_KIND_TRAIN' : 'TASK_KIND_EVALUATE',
    model:
      'builtin' in t.model
        ? { builtin: t.model.builtin }
        : { topologyJson: JSON.stringify(t.model.topology) },
    datasetSchemaId: t.schemaId,
    weights: {
      ref: t.weightsRef,
      header: {
        ...header,
        encoding: 'PAYLOAD_ENCODING_PLAIN_F32',
        byteLength: item.bytes.byteLength,
        sha256: item.sha256,
        chunkCount: Math.ceil(item.bytes.byteLength / MAX_CHUNK_BYTES),
        chunkSize: MAX_CHUNK_BYTES,
        elementCount: item.elements,
      },
    },
    config: {
      localEpochs: t.config.epochs,
      batchSize: t.config.batchSize,
      learningRate: t.config.learningRate,
      strategy: {
        name: t.config.proximalMu > 0 ? 'fedprox' : 'fedavg',
        params: t.config.proximalMu > 0 ? { mu: t.config.proximalMu } : {},
      },
      seed: t.config.seed,
      validationFraction: t.validationFraction,
      totalRounds: t.config.privacy?.totalRounds ?? 0,
      privacy: t.config.privacy
        ? {
            mode: 'record',
            targetEpsilon: t.config.privacy.targetEpsilon,
            targetDelta: t.config.privacy.delta,
            clipNorm: t.config.privacy.clipNorm,
            noiseMultiplier: t.config.privacy.noiseMultiplier ?? 0,
          }
        : { mode: 'none' },
      ...(t.config.clientDp ? { clientDp: t.config.clientDp } : {}),
    },
    deadlineUnixMs: t.deadline,
    nonce: t.nonce,
    updateEncoding: t.updateEncoding === 'ckks' ? 'PAYLOAD_ENCODING_CKKS' : 'PAYLOAD_ENCODING_PLAIN_F32',
    purpose: t.purpose,
    ...(t.extension ? { extension: t.extension } : {}),
  };
}

export function createWorkerService(deps: {
  registry: WorkerRegistry<TaskAssignment>;
  engine: RoundEngine;
  payloads: PayloadStore;
  /** The opener mailbox; absent when the coordinator's kit has no HE setup. */
  secure?: SecureAggregation;
  /** The live replicas, when this coordinator shares a queue with others. */
  replicas?: () => ReplicaDirectory | undefined;
}): WorkerServiceImplementation {
  const { registry, engine, payloads, secure } = deps;
  const session = (sessionId: string, ctx: CallContext) => registry.session(sessionId, ctx.caller.name);
  return {
    async Discover() {
      const dir = deps.replicas?.();
      if (!dir) return { replicas: [], replicaId: '' };
      return { replicas: await dir.list(), replicaId: dir.self.replicaId };
    },

    Register(req, ctx) {
      const caps = req.capabilities;
      const rec = registry.register({
        workerId: ctx.caller.name,
        fingerprint: ctx.caller.fingerprint,
        peer: ctx.peer,
        capabilities: {
          cores: caps?.cores ?? 0,
          memoryBytes: Number(caps?.memoryBytes ?? 0),
          backend: caps?.backend ?? '',
          softwareVersion: caps?.softwareVersion ?? '',
          features: caps?.features ?? [],
          datasets: (caps?.datasets ?? []).map((d) => ({
            datasetId: d.datasetId ?? '',
            schemaId: d.schemaId ?? '',
            featureShape: (d.featureShape ?? []).map(Number),
            numClasses: d.numClasses ?? 0,
            records: Number(d.consentedRecordCount || d.recordCount || 0),
          })),
        },
      });
      return {
        workerId: rec.workerId,
        sessionId: rec.sessionId,
        heartbeatIntervalMs: registry.heartbeatIntervalMs,
        maxChunkBytes: MAX_CHUNK_BYTES,
        serverTimeUnixMs: Date.now(),
      };
    },

    Heartbeat(req, ctx) {
      if (!registry.isKnownSession(req.sessionId ?? ''))
        return { reregister: true, nextHeartbeatMs: registry.heartbeatIntervalMs };
      const { cancelled } = registry.heartbeat(req.sessionId ?? '', ctx.caller.name, req.taskId ?? '');
      return {
        nextHeartbeatMs: registry.heartbeatIntervalMs,
        cancelledTaskIds: cancelled,
        reregister: false,
      };
    },

    async PullTask(req, ctx) {
      const wait = Math.min(MAX_POLL_MS, req.waitMs || MAX_POLL_MS);
      const task = await registry.pull(req.sessionId ?? '', ctx.caller.name, wait, ctx.signal);
      if (!task) return { none: { retryAfterMs: 0, reason: 'no task' } };
      return { task: toWireTask(task, payloads) };
    },

    *FetchPayload(req: FetchPayloadRequest__Output, ctx): Generator<PayloadPart> {
      session(req.sessionId, ctx);
      const item = payloads.get(req.ref);
      // A payload meant for one worker (an aggregate to open) is absent for everyone else.
      if (item.audience !== undefined && item.audience !== ctx.caller.name)
        throw makeError(`payload '${req.ref}' is unknown or expired`, 'NOT_FOUND', { ref: req.ref });
      // The store already holds the digest: no re-hashing of the whole payload for every worker.
      const chunkCount = Math.ceil(item.bytes.byteLength / MAX_CHUNK_BYTES);
      const { header } = describePayload(new Uint8Array(0));
      yield {
        header: {
          ...header,
          encoding: item.encoding ?? 'PAYLOAD_ENCODING_PLAIN_F32',
          contentType: item.contentType ?? '',
          byteLength: item.bytes.byteLength,
          sha256: item.sha256,
          chunkCount,
          chunkSize: MAX_CHUNK_BYTES,
          elementCount: item.elements,
        },
      };
      for (let seq = 0; seq < chunkCount; seq++) {
        yield {
          chunk: { seq, data: item.bytes.subarray(seq * MAX_CHUNK_BYTES, (seq + 1) * MAX_CHUNK_BYTES) },
        };
      }
      yield { trailer: { chunkCount } };
    },

    async PushUpdate(requests, ctx) {
      let taskId: string | undefined;
      let stream: UpdateStream | undefined;
      let received;
      try {
        received = await receiveChunked<UpdateHeader__Output>(requests, {
          payloadOf: (h) => h.payload,
          signal: ctx.signal,
          onHeader: (h) => {
            session(h.sessionId, ctx);
            const expected = engine.expectedLength(h.taskId);
            if (expected === undefined) {
              throw makeError(
                `task ${h.taskId} is not open: its round has closed or it never existed; the late update is rejected`,
                'VERIFICATION_FAILED',
                { taskId: h.taskId },
              );
            }
            taskId = h.taskId;
            if (engine.expectedEncoding(h.taskId) === 'ckks') {
              if (h.payload?.encoding !== 'PAYLOAD_ENCODING_CKKS') {
                throw makeError(
                  `update encoding ${String(h.payload?.encoding)} is not the task's CKKS: this job uses secure aggregation`,
                  'VERIFICATION_FAILED',
                );
              }
              const s = (stream = engine.beginEncryptedUpdate(ctx.caller.name, submissionOf(h), h.extension));
              return (chunk: Buffer) => s.write(chunk);
            }
            if (h.payload?.encoding !== 'PAYLOAD_ENCODING_PLAIN_F32') {
              throw makeError(
                `update encoding ${String(h.payload?.encoding)} is not the task's PLAIN_F32`,
                'VERIFICATION_FAILED',
              );
            }
            if (Number(h.payload.byteLength) !== expected * 4) {
              throw makeError(
                `update announces ${Number(h.payload.byteLength)} bytes; the model's ${expected} float32 values take ${expected * 4}`,
                'VERIFICATION_FAILED',
              );
            }
            return undefined;
          },
        });
        // Streamed (CKKS): every ciphertext is in the sum already; commit it now the digest checked.
        stream?.end();
      } catch (e) {
        stream?.abort();
        // Malformed on the wire (encoding, length, chunks, digest): the task fails with the reason.
        if (taskId !== undefined && isError(e, 'VERIFICATION_FAILED'))
          engine.rejectUpdate(ctx.caller.name, taskId, `malformed update: ${e.message}`);
        throw e;
      }
      if (!stream)
        engine.acceptUpdate(ctx.caller.name, submissionOf(received.header), bytesToFloat32(received.data));
      return { sha256: received.payload.sha256, byteLength: received.payload.byteLength };
    },

    ReportEvaluation(req, ctx) {
      session(req.sessionId, ctx);
      engine.acceptEvaluation(ctx.caller.name, {
        taskId: req.taskId,
        jobId: req.jobId,
        round: req.round,
        numExamples: Number(req.numExamples),
        metrics: req.metrics ?? {},
        nonce: req.nonce,
      });
      return {};
    },

    ReportFailure(req, ctx) {
      session(req.sessionId, ctx);
      engine.acceptFailure(ctx.caller.name, req.taskId, req.code ? `${req.code}: ${req.detail}` : req.detail);
      return {};
    },

    async PullOpenRequest(req, ctx) {
      const wait = Math.min(MAX_POLL_MS, req.waitMs || MAX_POLL_MS);
      if (!secure) {
        session(req.sessionId, ctx);
        return {
          none: { retryAfterMs: MAX_POLL_MS, reason: 'secure aggregation is not set up on this coordinator' },
        };
      }
      const request = await secure.pullOpenRequest(req.sessionId, ctx.caller.name, wait, ctx.signal);
      return request ? { request } : { none: { retryAfterMs: 0, reason: 'nothing to open' } };
    },

    async PushOpenResult(requests, ctx) {
      if (!secure) throw makeError('secure aggregation is not set up on this coordinator', 'NOT_FOUND');
      const received = await receiveChunked<OpenResultHeader__Output>(requests, {
        payloadOf: (h) => h.payload,
        signal: ctx.signal,
        onHeader: (h) => {
          session(h.sessionId, ctx);
          const expected = secure.expectedOpenResult(ctx.caller.name, h.openId);
          if (!expected) throw makeError(`open request ${h.openId} is not pending for you`, 'NOT_FOUND');
          const length = Number(h.payload?.byteLength ?? 0);
          if (h.refusalReason ? length !== 0 : length !== expected.byteLength) {
            throw makeError(
              `open result announces ${length} bytes; expected ${h.refusalReason ? 0 : expected.byteLength}`,
              'VERIFICATION_FAILED',
            );
          }
          if (!h.refusalReason && h.payload?.encoding !== 'PAYLOAD_ENCODING_PLAIN_F32')
            throw makeError('an opened sum must be PLAIN_F32', 'VERIFICATION_FAILED');
        },
      });
      const h = received.header;
      secure.acceptOpenResult(ctx.caller.name, {
        openId: h.openId,
        nonce: h.nonce,
        refusal: h.refusalReason,
        ...(h.refusalReason ? {} : { sum: bytesToFloat32(received.data) }),
      });
      return {};
    },
  };
}

function submissionOf(h: UpdateHeader__Output) {
  return {
    taskId: h.taskId,
    jobId: h.jobId,
    round: h.round,
    numExamples: Number(h.numExamples),
    metrics: h.metrics ?? {},
    nonce: h.nonce,
  };
}
