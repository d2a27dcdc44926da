/**
 * The opener's side: decrypt an aggregate only after verifying it is exactly the claimed sum.
 *
 * The coordinator asks one worker (the opener named in every contribution's signed header) to
 * open the round's aggregate. The opener never receives another worker's ciphertext; it gets the
 * summed ciphertexts and the claimed contributions' signed headers, and refuses (throws, returning
 * nothing) unless all of these hold:
 *  1. at least `minWorkers` contributions, from distinct registered workers of this job, each
 *     validly signed, each for this job and round, naming THIS opener and this HE setup;
 *  2. this opener has not opened a sum for this (job, round) before, and no claimed nonce was in
 *     a sum it opened before (the ledger): so an update is in at most one opened sum, and two
 *     opened sums can never differ by one hospital's update. A request refused after decryption
 *     also uses up the round (one decryption-backed answer per round, no validity oracle);
 *  3. after subtracting the claimed contributions' pads (from their sealed tag seeds), every tag
 *     slot of every ciphertext is exactly 0 and every digit is within what n contributions can
 *     produce. A single worker's ciphertext, a doubled, scaled, partial or substituted sum, or a
 *     replayed ciphertext from another round leaves a non-zero tag (probability of passing: 1/t
 *     per tag slot, t the ~49-bit plain modulus; t^-tagSlots for whole-ciphertext combinations).
 * Only then it returns the plaintext sum. Why this is enough, and what trust remains, is in
 * docs/secure-aggregation.md.
 */
import type { KeyObject } from 'node:crypto';
import { makeError, throwIfAborted } from '../common/errors.js';
import { createHeDecryptor } from './he-cipher.js';
import type { HeDecryptor } from './he-cipher.js';
import type { HeContext, HePrecisionPlan, HeSecretKey } from './he-context.js';
import type { HeOpenRequest, HeSignedContribution } from './he-contribution.js';
import {
  heSetupDigest,
  heSignedContributionSchema,
  padBinding,
  sealedTagBinding,
  verifyContributionSignature,
} from './he-contribution.js';
import type { HeLayout } from './he-pack.js';
import { createSumUnpacker } from './he-pack.js';
import type { HePadStream } from './he-tag.js';
import { createPadStream, openTagSeed } from './he-tag.js';

/** The opener's memory of what it opened. Must persist across restarts in production. */
export interface HeOpenerLedger {
  /** Atomically reserves (job, round); false if it was opened, or is being opened, already. */
  reserve(jobId: string, round: number): boolean | Promise<boolean>;
  /** Whether a contribution nonce was already part of an opened sum. */
  seen(nonce: string): boolean | Promise<boolean>;
  /** Records a successful opening. */
  commit(jobId: string, round: number, nonces: readonly string[]): void | Promise<void>;
  /** Drops a reservation after a refused request (nothing was revealed). */
  release(jobId: string, round: number): void | Promise<void>;
}

/** In-process ledger (tests, and the embedded default until the worker persists one). */
export function createMemoryOpenerLedger(): HeOpenerLedger {
  const rounds = new Map<string, 'reserved' | 'opened'>();
  const nonces = new Set<string>();
  const key = (jobId: string, round: number): string => JSON.stringify([jobId, round]);
  return {
    reserve(jobId, round) {
      if (rounds.has(key(jobId, round))) return false;
      rounds.set(key(jobId, round), 'reserved');
      return true;
    },
    seen: (nonce) => nonces.has(nonce),
    commit(jobId, round, opened) {
      rounds.set(key(jobId, round), 'opened');
      for (const n of opened) nonces.add(n);
    },
    release(jobId, round) {
      if (rounds.get(key(jobId, round)) === 'reserved') rounds.delete(key(jobId, round));
    },
  };
}

export interface VerifyAndOpenOptions {
  ctx: HeContext;
  secretKey: HeSecretKey;
  plan: HePrecisionPlan;
  layout: HeLayout;
  /** This worker's id: contributions must name it as their opener. */
  openerId: string;
  /** This worker's X25519 private key, to open the sealed tag seeds. */
  openerPrivateKey: KeyObject;
  /** Registered signing key of a worker of this job; `undefined` if it is not one. */
  workerKey: (workerId: string) => KeyObject | undefined;
  /** Fewest distinct contributions this opener will open a sum of. */
  minWorkers: number;
  ledger: HeOpenerLedger;
  /**
   * A long-lived decryptor (same secret key) to reuse across rounds.
   * @defaultValue a fresh one, deleted before returning
   */
  decryptor?: HeDecryptor;
  signal?: AbortSignal;
}

/**
 * An aggregate's ciphertexts as they arrive (the opener decrypts while the rest is in flight):
 * `count` is what the request declares, `next()` resolves to each ciphertext in order and then to
 * `undefined` once the stream has ended intact; it rejects if the stream fails.
 */
export interface HeCiphertextSource {
  readonly count: number;
  next(): Promise<Uint8Array | undefined>;
}

/** An open request whose aggregate is held whole or streams in (see {@link HeCiphertextSource}). */
export type HeStreamedOpenRequest = Omit<HeOpenRequest, 'aggregate'> & {
  readonly aggregate: readonly Uint8Array[] | HeCiphertextSource;
};

/**
 * A {@link HeCiphertextSource} fed by the caller: `push` each ciphertext, then `end()` (or
 * `fail(error)`). Unbounded: the producer is one aggregate of a known size.
 */
export function createCiphertextQueue(count: number): HeCiphertextSource & {
  push(wire: Uint8Array): void;
  end(): void;
  fail(error: unknown): void;
} {
  const ready: Uint8Array[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let waiter: (() => void) | undefined;
  const wake = (): void => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  return {
    count,
    push(wire) {
      if (ended || failure) return;
      ready.push(wire);
      wake();
    },
    end() {
      ended = true;
      wake();
    },
    fail(error) {
      failure ??= { error };
      wake();
    },
    async next() {
      for (;;) {
        if (failure) throw failure.error;
        const wire = ready.shift();
        if (wire) return wire;
        if (ended) return undefined;
        await new Promise<void>((resolve) => (waiter = resolve));
      }
    },
  };
}

function isCiphertextSource(x: unknown): x is HeCiphertextSource {
  const s = x as Partial<HeCiphertextSource> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.next === 'function' &&
    typeof s.count === 'number' &&
    Number.isInteger(s.count)
  );
}

export interface HeOpenResult {
  /** Sum over contributors of their (weighted, dequantized) values; length = layout.valueCount. */
  readonly sum: Float64Array;
  /** Worker ids in the sum, in request order. */
  readonly contributors: readonly string[];
}

/** Why the opener refused: stable values in `error.info.reason`. */
export type HeOpenRefusal =
  | 'malformed'
  | 'quorum'
  | 'too-many'
  | 'wrong-job-or-round'
  | 'wrong-opener'
  | 'wrong-setup'
  | 'unregistered'
  | 'signature'
  | 'duplicate-worker'
  | 'already-opened'
  | 'replayed-nonce'
  | 'sealed-tag'
  | 'ciphertext-count'
  | 'ciphertext'
  | 'tag-mismatch'
  | 'range';

function arraySource(ciphertexts: readonly Uint8Array[]): HeCiphertextSource {
  let i = 0;
  return {
    count: ciphertexts.length,
    next: () => Promise.resolve(ciphertexts[i++]),
  };
}

function refuse(reason: HeOpenRefusal, message: string, info: Record<string, unknown> = {}): never {
  throw makeError(
    `opener refused: ${message}`,
    reason === 'quorum' ? 'QUORUM_NOT_MET' : 'VERIFICATION_FAILED',
    {
      reason,
      ...info,
    },
  );
}

export async function verifyAndOpen(
  request: HeStreamedOpenRequest,
  options: VerifyAndOpenOptions,
): Promise<HeOpenResult> {
  const { ctx, plan, layout, ledger, signal } = options;
  const shape = request as { contributions?: unknown; aggregate?: unknown };
  const source: HeCiphertextSource | undefined = isCiphertextSource(shape.aggregate)
    ? shape.aggregate
    : Array.isArray(shape.aggregate) && shape.aggregate.every((a) => ArrayBuffer.isView(a))
      ? arraySource(shape.aggregate as Uint8Array[])
      : undefined;
  if (!Array.isArray(shape.contributions) || source === undefined) {
    return refuse('malformed', 'request lacks contributions or aggregate');
  }
  const setupDigest = heSetupDigest(ctx.params, plan, layout);
  const contributions: HeSignedContribution[] = [];
  const workers = new Set<string>();
  const nonces = new Set<string>();
  for (const raw of request.contributions) {
    const parsed = heSignedContributionSchema.safeParse(raw);
    if (!parsed.success) refuse('malformed', 'a contribution header is malformed');
    const c: HeSignedContribution = parsed.data;
    const h = c.header;
    if (h.jobId !== request.jobId || h.round !== request.round) {
      refuse('wrong-job-or-round', `${h.workerId}'s contribution is for job ${h.jobId} round ${h.round}`, {
        workerId: h.workerId,
      });
    }
    if (h.openerId !== options.openerId) {
      refuse('wrong-opener', `${h.workerId}'s contribution names opener ${h.openerId}`, {
        workerId: h.workerId,
      });
    }
    const key = options.workerKey(h.workerId);
    if (key === undefined)
      refuse('unregistered', `${h.workerId} is not a registered worker of this job`, {
        workerId: h.workerId,
      });
    if (!verifyContributionSignature(c, key)) {
      refuse('signature', `${h.workerId}'s signature does not verify with its registered key`, {
        workerId: h.workerId,
      });
    }
    if (h.setupDigest !== setupDigest)
      refuse('wrong-setup', `${h.workerId} used other HE parameters or layout`);
    if (h.ciphertextCount !== layout.ciphertextCount)
      refuse('wrong-setup', `${h.workerId} announces another ciphertext count`);
    if (workers.has(h.workerId))
      refuse('duplicate-worker', `${h.workerId} is claimed twice`, { workerId: h.workerId });
    if (nonces.has(h.nonce)) refuse('duplicate-worker', 'a nonce is claimed twice');
    workers.add(h.workerId);
    nonces.add(h.nonce);
    contributions.push(c);
  }
  const n = contributions.length;
  if (n < options.minWorkers)
    refuse('quorum', `${n} contributions, at least ${options.minWorkers} required`, { count: n });
  if (n > plan.maxWorkers)
    refuse('too-many', `${n} contributions exceed the precision plan's ${plan.maxWorkers}`);
  if (source.count !== layout.ciphertextCount) {
    refuse(
      'ciphertext-count',
      `aggregate has ${source.count} ciphertexts, expected ${layout.ciphertextCount}`,
    );
  }

  if (!(await ledger.reserve(request.jobId, request.round))) {
    refuse(
      'already-opened',
      `job ${request.jobId} round ${request.round} was already opened (or refused after decryption)`,
    );
  }
  let opened = false;
  // Once the secret key has touched the request, a refusal burns the round: the reservation is
  // kept, so a coordinator gets at most one decryption-backed answer per (job, round) and cannot
  // use the opener as a validity oracle on crafted ciphertexts. Refusals before that point (bad
  // signatures, quorum, seen nonces) involve no key and release the round.
  let decrypted = false;
  const sum = new Float64Array(layout.valueCount);
  try {
    for (const nonce of nonces) {
      if (await ledger.seen(nonce))
        refuse('replayed-nonce', 'a claimed contribution was already in an opened sum');
    }
    const pads: HePadStream[] = contributions.map((c) => {
      let seed: Uint8Array;
      try {
        seed = openTagSeed(
          Buffer.from(c.header.sealedTag, 'base64'),
          options.openerPrivateKey,
          sealedTagBinding(c.header),
        );
      } catch {
        return refuse('sealed-tag', `${c.header.workerId}'s sealed tag does not open`, {
          workerId: c.header.workerId,
        });
      }
      const stream = createPadStream(seed, padBinding(c.header), plan.plainModulus);
      seed.fill(0);
      return stream;
    });
    const decryptor = options.decryptor ?? createHeDecryptor(ctx, options.secretKey);
    const padSum = new Float64Array(layout.slotCount);
    const unpackSum = createSumUnpacker(plan, layout, n);
    let badTagSlots = 0;
    let badDigits = 0;
    try {
      for (let index = 0; index < layout.ciphertextCount; index++) {
        const wire = await source.next();
        if (wire === undefined) {
          return refuse('ciphertext-count', `the aggregate ended after ${index} ciphertexts`);
        }
        throwIfAborted(signal, 'opening an aggregate');
        decrypted = true;
        let decoded: Float64Array;
        try {
          decoded = decryptor.decrypt(wire);
        } catch (e) {
          return refuse('ciphertext', `aggregate ciphertext ${index} is invalid`, {
            index,
            cause: String(e),
          });
        }
        padSum.fill(0);
        for (const p of pads) p.addNext(padSum);
        const check = unpackSum(index, decoded, padSum, sum);
        decoded.fill(0);
        badTagSlots += check.badTagSlots;
        badDigits += check.badDigits;
        if (index % 16 === 15) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // A streamed aggregate must end here (and a stream that failed its transport checks rejects).
      if ((await source.next()) !== undefined) {
        refuse('ciphertext-count', `the aggregate has more than ${layout.ciphertextCount} ciphertexts`);
      }
    } finally {
      if (options.decryptor === undefined) decryptor.delete();
    }
    // Order matters only for the message: the tag check is the decisive one.
    if (badTagSlots > 0) {
      refuse('tag-mismatch', 'the aggregate is not the sum of exactly the claimed contributions', {
        badTagSlots,
      });
    }
    if (badDigits > 0) refuse('range', 'the aggregate holds values no honest sum can', { badDigits });
    await ledger.commit(request.jobId, request.round, [...nonces]);
    opened = true;
    return { sum, contributors: contributions.map((c) => c.header.workerId) };
  } finally {
    if (!opened) {
      sum.fill(0);
      if (!decrypted) await ledger.release(request.jobId, request.round);
    }
  }
}
