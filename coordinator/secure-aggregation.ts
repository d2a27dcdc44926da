/**
 * Secure aggregation on the coordinator: the `AggregationMode` that sums homomorphic (BGV)
 * ciphertexts instead of deltas, and the opener mailbox behind WorkerService.PullOpenRequest / PushOpenResult.
 *
 * Per attempt of a round (see docs/secure-aggregation.md for the protocol and why it is safe):
 *  1. `begin` names one selected worker the opener (seeded choice) and fixes the round setup every
 *     TRAIN task carries (Task.extension): opener, precision-plan inputs, weight denominator D.
 *  2. Each update arrives as a signed contribution header (UpdateHeader.extension) and a CKKS
 *     payload of framed ciphertexts; each ciphertext is loaded, checked and added into the running
 *     sum as soon as its bytes are complete (`createHeAggregator`), never buffered per worker. A bad
 *     contribution is rolled back with the reason and the round goes on.
 *  3. At close, the summed ciphertexts and the committed headers go to the opener (an OpenRequest
 *     in its mailbox; the aggregate is fetched by reference, by the opener only). It answers with
 *     the plaintext sum S = Σ Δᵢ·nᵢ/D, or a refusal. The mean is S·D/Σnᵢ.
 *  4. An opener that drops, times out or refuses fails the attempt: the engine records it and
 *     retries the round with fresh training (new nonces, new headers, another opener).
 *
 * Custody: everything here runs on `HePublicSetup` (parameters and registered public keys) from
 * the coordinator's kit. No function in this file can take a secret key.
 */
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { makeError } from '../common/errors.js';
import { createRng } from '../datasets/rng.js';
import type { HeContext } from '../privacy/he-context.js';
import { createHeContext } from '../privacy/he-context.js';
import { createHeAggregator } from '../privacy/he-aggregate.js';
import type { HeOpenRequest, HeSignedContribution } from '../privacy/he-contribution.js';
import { heSignedContributionSchema } from '../privacy/he-contribution.js';
import type { HePublicSetup } from '../privacy/he-kit.js';
import {
  HE_CIPHERTEXTS_CONTENT_TYPE,
  createCiphertextDeframer,
  decodeHeContribution,
  encodeHeOpenContext,
  encodeHeRoundSetup,
  frameCiphertexts,
  heRoundGeometry,
  type HeRoundSetup,
} from '../privacy/he-protocol.js';
import type { OpenRequest } from '../protos/generated/aidoc/v1/OpenRequest.js';
import type { JobSpec } from './job-spec.js';
import type { PayloadStore, TaskAssignment } from './round-engine.js';
import {
  aggregationFailure,
  type AggregationMode,
  type RoundAggregator,
  type RoundAggregatorArgs,
  weightDenominator as weightDenominatorOf,
} from './round-aggregator.js';
import type { ClientFailure } from './strategy.js';
import { MAX_CHUNK_BYTES } from './transport/chunks.js';
import type { WorkerRecord, WorkerRegistry } from './worker-registry.js';
import { sleep } from '../common/sleep.js';

/** The worker feature a hospital advertises when its kit holds the HE keys. */
export const HE_FEATURE = 'ckks';

/** What a malicious-coordinator test can see and change. */
export interface SecureAggregationAdversary {
  /** Sees every committed contribution with a copy of its ciphertexts. */
  onContribution?(info: {
    jobId: string;
    round: number;
    attempt: number;
    contribution: HeSignedContribution;
    ciphertexts: readonly Uint8Array[];
  }): void;
  /** Replaces the open request before it goes to the opener. */
  interceptOpen?(
    request: HeOpenRequest,
    info: { jobId: string; round: number; attempt: number; openerId: string; setup: HeRoundSetup },
  ): HeOpenRequest | Promise<HeOpenRequest>;
}

export interface SecureAggregationOptions {
  /** Parameters and registered public keys, from the coordinator's kit (`readHePublicSetup`). */
  setup: HePublicSetup;
  registry: WorkerRegistry<TaskAssignment>;
  payloads: PayloadStore;
  /**
   * Bound on one coordinate of a delta. Workers clamp Δᵢ·nᵢ/D into [-B, B] before quantizing; with
   * nᵢ ≤ D that is a bound on |Δᵢ|, so B = 1 leaves room for any sane local step. The
   * quantization step is 2B/(2^quantBits - 1) (16 bits at 10 workers, 20 at 3).
   * @defaultValue 1
   */
  valueBound?: number;
  /**
   * Quantized values per plaintext coefficient (2: 20-bit values at 3.8 bytes per parameter; 1: 44-bit
   * at 7.6 bytes; 3: 12-bit at 2.5 bytes; for up to 16 workers).
   * @defaultValue 2
   */
  valuesPerSlot?: 1 | 2 | 3;
  /**
   * How long the opener has to answer, from the moment the round closes.
   * @defaultValue the job's round deadline, at most 60 s
   */
  openDeadlineMs?: number;
  /** How often a pending opening re-checks the opener's health. @defaultValue 100 ms */
  pollMs?: number;
  /** @defaultValue no logging */
  log?: (line: string) => void;
  /** Test hooks playing a malicious coordinator. Never set in production. @defaultValue none */
  adversary?: SecureAggregationAdversary;
}

/** The opened result or why there is none. */
interface PendingOpen {
  openId: string;
  openerId: string;
  sessionId: string;
  nonce: Buffer;
  valueCount: number;
  request: OpenRequest;
  delivered: boolean;
  settle(result: Float32Array | ClientFailure): void;
}

export interface SecureAggregation extends AggregationMode {
  /** WorkerService.PullOpenRequest: the next open request for this worker, or undefined after `waitMs`. */
  pullOpenRequest(
    sessionId: string,
    workerId: string,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<OpenRequest | undefined>;
  /** The payload length an open result must have, or undefined if `openId` is not pending for this worker. */
  expectedOpenResult(workerId: string, openId: string): { byteLength: number } | undefined;
  /** WorkerService.PushOpenResult: the opener's answer (`sum` undefined with a refusal). */
  acceptOpenResult(
    workerId: string,
    answer: { openId: string; nonce: Buffer; refusal: string; sum?: Float32Array },
  ): void;
  /**
   * Asks `openerId` to open `request` and waits for the plaintext sum. Throws an aggregation failure
   * (opener dropped, timed out or refused). Used by the round aggregator; tests use it to send a
   * crafted request through the real protocol.
   */
  requestOpen(
    openerId: string,
    request: HeOpenRequest,
    setup: HeRoundSetup,
    options: { deadlineMs: number; signal?: AbortSignal },
  ): Promise<Float32Array>;
  /** Frees the HE context and refuses pending openings. */
  close(): void;
}

export async function createSecureAggregation(options: SecureAggregationOptions): Promise<SecureAggregation> {
  const { setup, registry, payloads } = options;
  const valueBound = options.valueBound ?? 1;
  const valuesPerSlot = options.valuesPerSlot ?? 2;
  const pollMs = options.pollMs ?? 100;
  const log = options.log ?? (() => {});
  const adversary = options.adversary;
  const ctx: HeContext = await createHeContext(setup.params);
  const pending = new Map<string, PendingOpen>();
  const waiters = new Map<string, Set<() => void>>();
  let closed = false;

  const wake = (workerId: string): void => {
    for (const w of waiters.get(workerId) ?? []) w();
  };
  const nextFor = (workerId: string, sessionId: string): PendingOpen | undefined =>
    [...pending.values()].find((p) => p.openerId === workerId && p.sessionId === sessionId && !p.delivered);

  async function requestOpen(
    openerId: string,
    request: HeOpenRequest,
    roundSetup: HeRoundSetup,
    { deadlineMs, signal }: { deadlineMs: number; signal?: AbortSignal },
  ): Promise<Float32Array> {
    const fail = (kind: ClientFailure['kind'], detail: string) =>
      aggregationFailure({ workerId: openerId, kind, detail });
    const worker = registry.get(openerId);
    if (!worker || registry.health(worker) === 'offline' || closed)
      throw fail('dropped', 'the opener is offline; the aggregate was not opened');
    const sessionId = worker.sessionId;
    const framed = frameCiphertexts(request.aggregate);
    // Only the opener may fetch the aggregate (it is a sum, but nobody else needs it).
    const ref = payloads.putBytes(framed, {
      encoding: 'PAYLOAD_ENCODING_CKKS',
      contentType: HE_CIPHERTEXTS_CONTENT_TYPE,
      elements: request.aggregate.length,
      audience: openerId,
    });
    const item = payloads.get(ref);
    const deadline = Date.now() + deadlineMs;
    const openId = randomUUID();
    let outcome: Float32Array | ClientFailure | undefined;
    let wakeWaiter: () => void = () => {};
    const entry: PendingOpen = {
      openId,
      openerId,
      sessionId,
      nonce: randomBytes(16),
      valueCount: roundSetup.valueCount,
      delivered: false,
      request: {
        openId,
        jobId: request.jobId,
        round: request.round,
        aggregate: {
          ref,
          header: {
            encoding: 'PAYLOAD_ENCODING_CKKS',
            byteLength: item.bytes.byteLength,
            sha256: item.sha256,
            chunkCount: Math.ceil(item.bytes.byteLength / MAX_CHUNK_BYTES),
            chunkSize: MAX_CHUNK_BYTES,
            elementCount: request.aggregate.length,
            contentType: HE_CIPHERTEXTS_CONTENT_TYPE,
          },
        },
        context: encodeHeOpenContext({
          version: 1,
          setup: roundSetup,
          contributions: [...request.contributions],
        }),
        deadlineUnixMs: deadline,
      },
      settle(result) {
        outcome ??= result;
        wakeWaiter();
      },
    };
    entry.request.nonce = entry.nonce;
    pending.set(openId, entry);
    wake(openerId);
    try {
      while (outcome === undefined) {
        if (signal?.aborted) throw makeError('the round was cancelled while opening', 'ABORTED');
        if (closed) throw fail('cancelled', 'the coordinator is shutting down');
        const now = Date.now();
        if (now >= deadline) throw fail('timeout', `the opener did not answer within ${deadlineMs} ms`);
        const w = registry.get(openerId);
        if (!w || w.sessionId !== sessionId)
          throw fail('dropped', 'the opener re-registered (restarted) before answering');
        if (registry.health(w) === 'offline')
          throw fail('dropped', 'the opener stopped heartbeating before answering');
        await new Promise<void>((resolve) => {
          wakeWaiter = resolve;
          void sleep(Math.min(pollMs, deadline - now), signal).then(resolve);
        });
      }
      if (outcome instanceof Float32Array) return outcome;
      throw aggregationFailure(outcome);
    } finally {
      pending.delete(openId);
      payloads.delete(ref);
    }
  }

  const mode: SecureAggregation = {
    name: 'secure',
    accepts: (w: WorkerRecord) =>
      w.capabilities.features.includes(HE_FEATURE) && setup.registry.has(w.workerId),
    quorum: (spec: JobSpec) => Math.max(spec.minWorkers, setup.minContributors),

    begin(args: RoundAggregatorArgs): RoundAggregator {
      const { jobId, round, attempt, spec, workers } = args;
      const openers = workers.filter((w) => setup.registry.has(w));
      const openerId = createRng(spec.seed * 104_729 + round * 7_919 + attempt).shuffle(
        [...openers].sort(),
      )[0];
      if (openerId === undefined) throw makeError('no registered worker can open this round', 'INTERNAL');
      const weightDenominator = weightDenominatorOf(workers, (w) => args.recordsOf(w));
      const roundSetup: HeRoundSetup = {
        version: 1,
        paramsDigest: setup.paramsDigest,
        openerId,
        minWorkers: args.quorum,
        maxWorkers: Math.max(workers.length, 2),
        valuesPerSlot,
        valueBound: Math.max(valueBound, args.valueBound ?? 0),
        valueCount: args.valueCount,
        weightDenominator,
      };
      const { plan, layout } = heRoundGeometry(setup.params, roundSetup);
      const selected = new Set(workers);
      const aggregator = createHeAggregator({
        ctx,
        plan,
        layout,
        jobId,
        round,
        openerId,
        workerKey: (id): KeyObject | undefined =>
          selected.has(id) ? setup.registry.get(id)?.signingKey : undefined,
      });
      const examples = new Map<string, number>();
      const streams = new Set<{ abort(): void }>();
      let phaseClosed = false;
      let disposed = false;
      return {
        updateEncoding: 'ckks',
        taskExtension: encodeHeRoundSetup(roundSetup),
        addPlain() {
          throw makeError(
            'this job uses secure aggregation: the update must be CKKS ciphertexts with a signed contribution header, not PLAIN_F32',
            'VERIFICATION_FAILED',
          );
        },
        beginStream(workerId, numExamples, extension) {
          if (phaseClosed)
            throw makeError('the round closed; the late update is rejected', 'VERIFICATION_FAILED');
          const raw = decodeHeContribution(extension);
          const claimed = heSignedContributionSchema.safeParse(raw);
          if (claimed.success && claimed.data.header.workerId !== workerId) {
            throw makeError(
              `contribution rejected: its header names ${claimed.data.header.workerId}, but ${workerId} sent it`,
              'VERIFICATION_FAILED',
            );
          }
          if (!(Number.isInteger(numExamples) && numExamples > 0 && numExamples <= weightDenominator)) {
            throw makeError(
              `update claims ${numExamples} training examples; it must be an integer in 1..${weightDenominator}`,
              'VERIFICATION_FAILED',
            );
          }
          const sink = aggregator.begin(raw);
          const copies: Uint8Array[] | undefined = adversary?.onContribution ? [] : undefined;
          const deframer = createCiphertextDeframer((index, wire) => {
            sink.add(index, wire);
            copies?.push(Uint8Array.from(wire));
          });
          const stream = {
            write(chunk: Buffer) {
              try {
                deframer.push(chunk);
              } catch (e) {
                sink.abort();
                throw e;
              }
            },
            end() {
              try {
                deframer.end();
                sink.commit();
              } catch (e) {
                sink.abort();
                throw e;
              } finally {
                streams.delete(stream);
              }
              examples.set(workerId, numExamples);
              if (copies && claimed.success) {
                adversary?.onContribution?.({
                  jobId,
                  round,
                  attempt,
                  contribution: claimed.data,
                  ciphertexts: copies,
                });
              }
            },
            abort() {
              streams.delete(stream);
              sink.abort();
            },
          };
          streams.add(stream);
          return stream;
        },
        close() {
          phaseClosed = true;
          for (const s of [...streams]) s.abort();
        },
        async mean({ signal, failures }) {
          // An opener that missed the round or dropped will not answer: retry at once, not after the
          // open deadline. (Its contributions named it, so no other worker may open them.)
          const gone = failures.find(
            (f) => f.workerId === openerId && (f.kind === 'timeout' || f.kind === 'dropped'),
          );
          if (gone) {
            throw aggregationFailure({
              workerId: openerId,
              kind: gone.kind,
              detail: `the round's opener ${gone.kind === 'timeout' ? 'missed the round deadline' : 'dropped'}; the sum cannot be opened`,
            });
          }
          let request = aggregator.openRequest();
          if (adversary?.interceptOpen) {
            request = await adversary.interceptOpen(request, {
              jobId,
              round,
              attempt,
              openerId,
              setup: roundSetup,
            });
          }
          const total = aggregator.committed.reduce((a, c) => a + (examples.get(c.header.workerId) ?? 0), 0);
          log(
            `job ${jobId} round ${round}: asking ${openerId} to open the sum of ${aggregator.committed.length}`,
          );
          const sum = await requestOpen(openerId, request, roundSetup, {
            deadlineMs: options.openDeadlineMs ?? Math.min(spec.roundDeadlineMs, 60_000),
            signal,
          });
          // S = Σ Δᵢ·nᵢ/D  =>  mean = S·D / Σ nᵢ.
          const factor = weightDenominator / total;
          const mean = new Float32Array(sum.length);
          for (let i = 0; i < sum.length; i++) mean[i] = (sum[i] ?? 0) * factor;
          return mean;
        },
        dispose() {
          if (disposed) return;
          disposed = true;
          phaseClosed = true;
          for (const s of [...streams]) s.abort();
          aggregator.delete();
        },
      };
    },

    async pullOpenRequest(sessionId, workerId, waitMs, signal) {
      registry.session(sessionId, workerId);
      const until = Date.now() + waitMs;
      for (;;) {
        const next = nextFor(workerId, sessionId);
        if (next) {
          next.delivered = true;
          return next.request;
        }
        const left = until - Date.now();
        if (left <= 0 || signal?.aborted || closed) return undefined;
        await new Promise<void>((resolve) => {
          let set = waiters.get(workerId);
          if (!set) waiters.set(workerId, (set = new Set()));
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            set.delete(done);
            resolve();
          };
          const timer = setTimeout(done, left);
          signal?.addEventListener('abort', done, { once: true });
          set.add(done);
        });
      }
    },

    expectedOpenResult(workerId, openId) {
      const p = pending.get(openId);
      if (!p || p.openerId !== workerId) return undefined;
      return { byteLength: p.valueCount * 4 };
    },

    acceptOpenResult(workerId, answer) {
      const p = pending.get(answer.openId);
      if (!p || p.openerId !== workerId) {
        throw makeError(`open request ${answer.openId} is not pending for ${workerId}`, 'NOT_FOUND');
      }
      if (!p.nonce.equals(answer.nonce)) {
        throw makeError('the open result does not echo the request nonce', 'VERIFICATION_FAILED');
      }
      if (answer.refusal) {
        log(`opener ${workerId} refused to open: ${answer.refusal}`);
        p.settle({
          workerId,
          kind: 'error',
          detail: `the opener refused to open the aggregate: ${answer.refusal}`,
        });
        return;
      }
      if (!answer.sum || answer.sum.length !== p.valueCount) {
        throw makeError(
          `the opened sum has ${answer.sum?.length ?? 0} values, the model has ${p.valueCount}`,
          'VERIFICATION_FAILED',
        );
      }
      for (let i = 0; i < answer.sum.length; i++) {
        if (!Number.isFinite(answer.sum[i]!))
          throw makeError(`the opened sum has a non-finite value at ${i}`, 'VERIFICATION_FAILED');
      }
      p.settle(answer.sum);
    },

    requestOpen,

    close() {
      if (closed) return;
      closed = true;
      for (const p of pending.values())
        p.settle({ workerId: p.openerId, kind: 'cancelled', detail: 'shutdown' });
      for (const set of waiters.values()) for (const w of set) w();
      ctx.delete();
    },
  };
  return mode;
}
