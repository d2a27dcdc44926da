/**
 * How one attempt of a round turns the updates it accepts into the records-weighted mean delta
 * Σ nᵢ·Δᵢ / Σ nᵢ that strategies consume. The round engine owns the loop and never looks inside:
 *
 * - the plain aggregator (here) adds decoded deltas into a running sum (`UpdateAccumulator`);
 * - the secure aggregator (`secure-aggregation.ts`) adds BGV ciphertexts as they stream in and,
 *   when the round closes, has the attempt's opener decrypt the verified sum.
 *
 * So secure aggregation wraps the accumulation and the opening, the way Flower pairs a server
 * workflow with a client mod; the engine's loop reads the same with either. Failures of the
 * aggregation itself (the opener dropped or refused) come back as a `ClientFailure` the engine
 * records before it retries the round, never as an exception that ends the job.
 */
import { AidocError, isError, makeError } from '../common/errors.js';
import type { JobSpec } from './job-spec.js';
import type { ClientFailure } from './strategy.js';
import { UpdateAccumulator } from './update-accumulator.js';
import type { WorkerRecord } from './worker-registry.js';

/** How a TRAIN task's update travels: float32 deltas, or HE (BGV) ciphertexts ('ckks' on the wire). */
export type UpdateEncoding = 'plain' | 'ckks';

/** An extension-defined task setting (aidoc.v1 `TypedBlob`). */
export interface TaskExtension {
  type: string;
  data: Buffer;
}

/** One encrypted update arriving in chunks, in order. */
export interface UpdateStream {
  /** Consumes the next bytes of the payload. Throws VERIFICATION_FAILED (the update is dropped whole). */
  write(chunk: Buffer): void;
  /** The payload is complete and its digest checked by the transport: commit the update. */
  end(): void;
  /** The stream broke: remove whatever it added (idempotent). */
  abort(): void;
}

export interface RoundAggregator {
  readonly updateEncoding: UpdateEncoding;
  /** Extra settings every TRAIN task of this attempt carries (e.g. the opener and HE setup). */
  readonly taskExtension?: TaskExtension;
  /** Adds a decoded delta weighted by its record count. Throws VERIFICATION_FAILED if refused. */
  addPlain(workerId: string, delta: Float32Array, numExamples: number): void;
  /** Starts an encrypted update; `extension` is the update header's extension field, as sent. */
  beginStream(workerId: string, numExamples: number, extension: unknown): UpdateStream;
  /** The attempt's phase closed: updates still streaming are dropped, later ones refused. */
  close(): void;
  /**
   * Σ nᵢ·Δᵢ / Σ nᵢ over the accepted updates, after the phase closed with `failures`. Throws an
   * error carrying `info.failure` (see {@link aggregationFailure}) when it cannot be had this
   * attempt: the engine records the failure and retries the round with fresh training.
   */
  mean(args: { signal: AbortSignal; failures: readonly ClientFailure[] }): Promise<Float32Array>;
  /** Frees what the aggregator holds (WASM memory for the secure one). */
  dispose(): void;
}

/** What an aggregation mode needs to set up one attempt. */
export interface RoundAggregatorArgs {
  jobId: string;
  round: number;
  attempt: number;
  spec: JobSpec;
  /** The selected workers. */
  workers: readonly string[];
  /** Values in the model's flat weight vector. */
  valueCount: number;
  /** Records a selected worker registered for the job's schema. */
  recordsOf(workerId: string): number;
  /** The fewest contributions the attempt needs (the mode's `quorum`, or more: client-level DP's k). */
  quorum: number;
  /**
   * The least bound on one coordinate of a weighted update this attempt needs (client-level DP:
   * clip plus the largest noise draw); a mode that clamps must not clamp below it.
   * @defaultValue the mode's own
   */
  valueBound?: number;
}

/** D: the selected workers' registered records (at least 1); each update is weighted n/D. */
export function weightDenominator(
  workers: readonly string[],
  recordsOf: (workerId: string) => number,
): number {
  return Math.max(
    1,
    workers.reduce((a, w) => a + Math.max(0, recordsOf(w)), 0),
  );
}

/** A way to aggregate a job's rounds; the engine picks one per job. */
export interface AggregationMode {
  readonly name: string;
  /** Whether a worker can take part (e.g. it holds the HE keys). */
  accepts(worker: WorkerRecord): boolean;
  /** The fewest updates a round of this job may close with. */
  quorum(spec: JobSpec): number;
  begin(args: RoundAggregatorArgs): RoundAggregator;
}

/** An error telling the engine which worker made the aggregation fail, and how. */
export function aggregationFailure(failure: ClientFailure): AidocError {
  return makeError(`aggregation failed: ${failure.workerId}: ${failure.detail}`, 'QUORUM_NOT_MET', {
    failure,
  });
}

/** The failure an aggregation error carries, if it is one. */
export function failureOf(e: unknown): ClientFailure | undefined {
  if (!isError(e, 'QUORUM_NOT_MET')) return undefined;
  const f = e.info.failure as ClientFailure | undefined;
  return f && typeof f.workerId === 'string' ? f : undefined;
}

/** Plain federated averaging: decoded deltas summed as they arrive. */
export const plainAggregation: AggregationMode = {
  name: 'plain',
  accepts: () => true,
  quorum: (spec) => spec.minWorkers,
  begin({ valueCount }) {
    const accumulator = new UpdateAccumulator(valueCount);
    let closed = false;
    return {
      updateEncoding: 'plain',
      addPlain(_workerId, delta, numExamples) {
        if (closed) throw makeError('the round closed; the late update is rejected', 'VERIFICATION_FAILED');
        accumulator.add(delta, numExamples);
      },
      beginStream() {
        throw makeError(
          'this job aggregates plain PLAIN_F32 updates (secure aggregation is off); an encrypted update is refused',
          'VERIFICATION_FAILED',
        );
      },
      close() {
        closed = true;
      },
      mean: () => Promise.resolve(accumulator.mean()),
      dispose() {},
    };
  },
};
