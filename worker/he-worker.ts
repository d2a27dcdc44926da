/**
 * The hospital's side of secure aggregation — a client mod, in Flower's terms: the daemon's plain
 * loop stays as it is, and this module (1) turns a TRAIN delta into a signed, encrypted contribution
 * when the task asks for CKKS, and (2) answers open requests when this hospital is a round's opener.
 *
 * What leaves the hospital: ciphertexts under the federation key, a signed header (job, round,
 * worker, opener, nonce, digests, the tag seed sealed to the opener), and — as opener — only a sum
 * it has verified to be exactly the sum of at least `max(job minWorkers, kit floor)` registered
 * hospitals' contributions of that round, in a round it never opened before (the opener ledger on
 * disk in `stateDir`). The opener's X25519 key and the signing keys it checks come from this
 * hospital's own kit, never from the coordinator.
 */
import { makeError, isError, type AidocError } from '../common/errors.js';
import type { WorkerServiceClient } from '../coordinator/transport/grpc-client.js';
import {
  chunkedMessages,
  describePayload,
  float32ToBytes,
  receiveChunked,
} from '../coordinator/transport/payload-stream.js';
import { createHeDecryptor, createHeEncryptor } from '../privacy/he-cipher.js';
import type { HeDecryptor, HeEncryptor } from '../privacy/he-cipher.js';
import { createHeContext, loadHeSecretKey } from '../privacy/he-context.js';
import type { HeContext, HeSecretKey } from '../privacy/he-context.js';
import { encryptHeContribution } from '../privacy/he-contribution.js';
import type { HeWorkerMaterial } from '../privacy/he-kit.js';
import { createCiphertextQueue, verifyAndOpen, type HeCiphertextSource } from '../privacy/he-opener.js';
import { createFileOpenerLedger, type HeFileOpenerLedger } from '../privacy/he-opener-ledger.js';
import {
  createCiphertextDeframer,
  decodeHeOpenContext,
  decodeHeRoundSetup,
  encodeHeContribution,
  frameCiphertexts,
  heRoundGeometry,
  type HeTypedBlob,
} from '../privacy/he-protocol.js';
import type { OpenRequest__Output } from '../protos/generated/aidoc/v1/OpenRequest.js';
import type { PayloadHeader__Output } from '../protos/generated/aidoc/v1/PayloadHeader.js';
import type { Task__Output } from '../protos/generated/aidoc/v1/Task.js';
import { sleep } from '../common/sleep.js';

/**
 * What an opener tells the coordinator when it refuses: always this, whatever the reason. The
 * reason stays in the hospital's log (a detailed refusal would be an oracle for a coordinator
 * probing the opener with crafted aggregates).
 */
export const OPENER_REFUSAL = 'the aggregate failed the opener checks';

export interface HeWorkerOptions {
  material: HeWorkerMaterial;
  /** Folder for the opener ledger; must persist across restarts of this worker. */
  stateDir: string;
  /** @defaultValue no logging */
  log?: (line: string) => void;
}

export interface HeEncryptedUpdate {
  /** UpdateHeader.extension: the signed contribution header. */
  extension: HeTypedBlob;
  /** The CKKS payload: framed ciphertexts. */
  payload: Buffer;
  ciphertexts: number;
  /** Values outside the precision plan's bound, clamped (stays local). */
  clamped: number;
}

export interface HeWorker {
  /** Encrypts Δ·n/D for the task's round setup (Task.extension) and signs it. */
  encryptUpdate(
    task: Pick<Task__Output, 'jobId' | 'round' | 'extension'>,
    delta: Float32Array,
    numExamples: number,
    signal?: AbortSignal,
  ): Promise<HeEncryptedUpdate>;
  /** Verifies and opens an aggregate: the plaintext sum, or the refusal to send. */
  /** `aggregate`: the framed ciphertexts, or the ciphertexts as they arrive (decrypted meanwhile). */
  open(
    request: Pick<OpenRequest__Output, 'jobId' | 'round' | 'context'>,
    aggregate: Buffer | HeCiphertextSource,
    signal?: AbortSignal,
  ): Promise<{ sum: Float32Array } | { refusal: string; reason: string }>;
  /** The opener ledger (tests look at it). */
  readonly ledger: HeFileOpenerLedger;
  close(): void;
}

export async function createHeWorker(options: HeWorkerOptions): Promise<HeWorker> {
  const { material } = options;
  const log = options.log ?? (() => {});
  const ctx: HeContext = await createHeContext(material.params);
  let secretKey: HeSecretKey | undefined;
  let ledger: HeFileOpenerLedger | undefined;
  try {
    secretKey = loadHeSecretKey(ctx, material.secretKey);
    ledger = createFileOpenerLedger(options.stateDir);
  } catch (e) {
    secretKey?.delete();
    ctx.delete();
    throw e;
  }
  const sk = secretKey;
  const openerLedger = ledger;
  // One encryptor and one decryptor for the worker's life, made on first use: building one costs
  // time and WASM heap, which never shrinks (he-memory.test.ts).
  let encryptor: HeEncryptor | undefined;
  let decryptor: HeDecryptor | undefined;
  const encryptorFor = (): HeEncryptor => (encryptor ??= createHeEncryptor(ctx, sk));
  const decryptorFor = (): HeDecryptor => (decryptor ??= createHeDecryptor(ctx, sk));
  const checkParams = (digest: string): void => {
    if (digest !== material.paramsDigest) {
      throw makeError(
        "the round was set up under other HE parameters than this hospital's kit holds",
        'INVALID_ARGUMENT',
      );
    }
  };

  return {
    ledger: openerLedger,

    async encryptUpdate(task, delta, numExamples, signal) {
      const setup = decodeHeRoundSetup(task.extension);
      checkParams(setup.paramsDigest);
      if (setup.valueCount !== delta.length) {
        throw makeError(
          `the round setup is for ${setup.valueCount} values, the model has ${delta.length}`,
          'INVALID_ARGUMENT',
        );
      }
      const opener = material.registry.get(setup.openerId);
      if (!opener) {
        throw makeError(
          `the round's opener ${setup.openerId} is not registered in this kit`,
          'INVALID_ARGUMENT',
        );
      }
      if (!(numExamples >= 1 && numExamples <= setup.weightDenominator)) {
        throw makeError(
          `trained on ${numExamples} examples, more than the round's weight denominator ${setup.weightDenominator}`,
          'INVALID_ARGUMENT',
        );
      }
      const { plan, layout } = heRoundGeometry(material.params, setup);
      // Δ·n/D: bounded by |Δ| (n ≤ D), so valueBound need only cover a delta coordinate. The packer
      // scales each value as it quantizes it (no scaled copy of a large update).
      const weight = numExamples / setup.weightDenominator;
      const encrypted = await encryptHeContribution({
        ctx,
        secretKey: sk,
        plan,
        layout,
        values: delta,
        scale: weight,
        jobId: task.jobId,
        round: task.round,
        workerId: material.workerId,
        openerId: setup.openerId,
        openerPublicKey: opener.openerKey,
        signingKey: material.signingKey,
        encryptor: encryptorFor(),
        ...(signal ? { signal } : {}),
      });
      if (encrypted.clamped > 0) {
        log(
          `job ${task.jobId} round ${task.round}: ${encrypted.clamped} update values exceeded ±${plan.valueBound} and were clamped`,
        );
      }
      return {
        extension: encodeHeContribution(encrypted.contribution),
        payload: frameCiphertexts(encrypted.ciphertexts),
        ciphertexts: encrypted.ciphertexts.length,
        clamped: encrypted.clamped,
      };
    },

    async open(request, aggregate, signal) {
      try {
        const context = decodeHeOpenContext(request.context);
        const setup = context.setup;
        checkParams(setup.paramsDigest);
        const { plan, layout } = heRoundGeometry(material.params, setup);
        let ciphertexts: Uint8Array[] | HeCiphertextSource;
        if (Buffer.isBuffer(aggregate)) {
          const framed: Uint8Array[] = [];
          const deframer = createCiphertextDeframer((_i, wire) => framed.push(wire));
          deframer.push(aggregate);
          deframer.end();
          ciphertexts = framed;
        } else {
          ciphertexts = aggregate;
        }
        const opened = await verifyAndOpen(
          {
            jobId: request.jobId,
            round: request.round,
            aggregate: ciphertexts,
            contributions: context.contributions,
          },
          {
            ctx,
            secretKey: sk,
            plan,
            layout,
            openerId: material.workerId,
            openerPrivateKey: material.openerPrivateKey,
            // From this hospital's kit: the coordinator cannot add a worker or swap a key.
            workerKey: (id) => material.registry.get(id)?.signingKey,
            minWorkers: Math.max(setup.minWorkers, material.minContributors),
            ledger: openerLedger,
            decryptor: decryptorFor(),
            ...(signal ? { signal } : {}),
          },
        );
        log(
          `opened job ${request.jobId} round ${request.round}: the sum of ${opened.contributors.length} contributions (${opened.contributors.join(', ')})`,
        );
        const sum = Float32Array.from(opened.sum);
        opened.sum.fill(0);
        return { sum };
      } catch (e) {
        if (!(
          isError(e, 'VERIFICATION_FAILED') ||
          isError(e, 'QUORUM_NOT_MET') ||
          isError(e, 'INVALID_ARGUMENT')
        ))
          throw e;
        const err = e as AidocError;
        const reason = typeof err.info.reason === 'string' ? err.info.reason : err.code;
        log(`refused to open job ${request.jobId} round ${request.round} (${reason}): ${err.message}`);
        return { refusal: OPENER_REFUSAL, reason };
      }
    },

    close() {
      encryptor?.delete();
      decryptor?.delete();
      encryptor = undefined;
      decryptor = undefined;
      sk.delete();
      ctx.delete();
      openerLedger.close();
    },
  };
}

/**
 * The opener loop of one session: long-poll PullOpenRequest, fetch the aggregate, verify and open
 * it, push the sum (or the refusal). Returns when `signal` aborts; throws when the transport fails
 * (the daemon then reconnects). A request that fails on its own is logged and the loop goes on.
 */
export async function serveOpenRequests(args: {
  client: WorkerServiceClient;
  sessionId: string;
  he: HeWorker;
  signal: AbortSignal;
  pollWaitMs: number;
  log: (line: string) => void;
}): Promise<void> {
  const { client, sessionId, he, signal, log } = args;
  while (!signal.aborted) {
    let r;
    try {
      r = await client.PullOpenRequest({ sessionId, waitMs: args.pollWaitMs }, { signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const request = r.request;
    if (!request) {
      if (r.none?.retryAfterMs) await sleep(r.none.retryAfterMs, signal);
      continue;
    }
    const controller = new AbortController();
    const onStop = () => controller.abort(new Error('the worker is stopping'));
    signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(
      () => controller.abort(new Error('the open deadline passed')),
      Math.max(0, Number(request.deadlineUnixMs) - Date.now()),
    );
    try {
      // The aggregate is opened as it arrives: each ciphertext is decrypted while the next ones are
      // in flight. Nothing is sent back unless the whole stream also passed its transport checks
      // (order, length, SHA-256 against the digest the request names).
      const declared = request.aggregate?.header;
      const queue = createCiphertextQueue(declared?.elementCount ?? 0);
      const deframer = createCiphertextDeframer((_i, wire) => queue.push(wire));
      const parts = client.FetchPayload(
        { sessionId, ref: request.aggregate?.ref ?? '' },
        { signal: controller.signal },
      );
      const receiving = receiveChunked<PayloadHeader__Output>(parts, {
        payloadOf: (h) => h,
        signal: controller.signal,
        onHeader: (h) => {
          if (!h.sha256.equals(declared?.sha256 ?? Buffer.alloc(0)))
            throw makeError('the fetched aggregate is not the one the request names', 'VERIFICATION_FAILED');
          return (chunk) => deframer.push(chunk);
        },
      }).then(
        () => {
          try {
            deframer.end(); // throws on a truncated last frame
            queue.end();
          } catch (e) {
            queue.fail(e);
            throw e;
          }
        },
        (e: unknown) => {
          queue.fail(e);
          throw e;
        },
      );
      controller.signal.addEventListener('abort', () => queue.fail(controller.signal.reason), { once: true });
      const [received, opening] = await Promise.allSettled([
        receiving,
        he.open(request, queue, controller.signal),
      ]);
      if (received.status === 'rejected') {
        if (opening.status === 'fulfilled' && 'sum' in opening.value) opening.value.sum.fill(0);
        throw received.reason;
      }
      if (opening.status === 'rejected') throw opening.reason;
      const result = opening.value;
      const body = 'sum' in result ? float32ToBytes(result.sum) : Buffer.alloc(0);
      const { header, chunks } = describePayload(body);
      await client.PushOpenResult(
        chunkedMessages(
          {
            sessionId,
            openId: request.openId,
            nonce: request.nonce,
            refusalReason: 'refusal' in result ? result.refusal : '',
            payload: header,
          },
          chunks,
        ),
        { signal: controller.signal },
      );
      if ('sum' in result) result.sum.fill(0);
    } catch (e) {
      if (signal.aborted) return;
      log(
        `open request ${request.openId} (job ${request.jobId} round ${request.round}) failed: ${(e as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }
}
