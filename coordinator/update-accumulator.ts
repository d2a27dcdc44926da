import { makeError } from '../common/errors.js';

/**
 * The plain-path accumulator: adds each accepted update (a delta, weighted by its record count)
 * into a running sum as it arrives, so the coordinator never waits for every update before it
 * starts adding, and memory is one vector whatever the number of workers. The secure path
 * replaces this with a sum of ciphertexts that only an opener can turn into the same mean.
 */
export class UpdateAccumulator {
  readonly #sum: Float64Array;
  #weight = 0;
  #count = 0;

  constructor(readonly length: number) {
    this.#sum = new Float64Array(length);
  }

  /** Adds n·delta. Validates length and finiteness; a bad update is refused whole, nothing added. */
  add(delta: Float32Array, numExamples: number): void {
    if (delta.length !== this.length) {
      throw makeError(
        `update has ${delta.length} values, the model has ${this.length}`,
        'VERIFICATION_FAILED',
        {
          got: delta.length,
          expected: this.length,
        },
      );
    }
    if (!(Number.isInteger(numExamples) && numExamples > 0)) {
      throw makeError(
        `update claims ${numExamples} training examples; it must be a positive integer`,
        'VERIFICATION_FAILED',
      );
    }
    for (let i = 0; i < delta.length; i++) {
      if (!Number.isFinite(delta[i]!))
        throw makeError(`update has a non-finite value at index ${i}`, 'VERIFICATION_FAILED', { index: i });
    }
    for (let i = 0; i < delta.length; i++) this.#sum[i]! += numExamples * delta[i]!;
    this.#weight += numExamples;
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  get totalExamples(): number {
    return this.#weight;
  }

  /** Σ nᵢ·Δᵢ / Σ nᵢ. */
  mean(): Float32Array {
    if (this.#weight === 0) throw makeError('no update was accumulated', 'QUORUM_NOT_MET');
    const out = new Float32Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.#sum[i]! / this.#weight;
    return out;
  }
}
