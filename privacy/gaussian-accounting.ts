/**
 * Exact accounting for full-batch DP-SGD (every record in every step, q = 1).
 *
 * Privacy argument:
 * 1. A full-batch step releases the sum of the records' clipped gradients (L2 sensitivity C under
 *    adding or removing one record) plus N(0, sigma^2 C^2) noise: the Gaussian mechanism, which is
 *    exactly mu-GDP with mu = 1/sigma (Dong, Roth & Su 2022, "Gaussian Differential Privacy",
 *    JRSS-B, Theorem 2.7).
 * 2. mu_i-GDP mechanisms compose adaptively, exactly, into sqrt(sum mu_i^2)-GDP (ibid. Corollary
 *    3.3): T steps at noise multipliers sigma_i are one Gaussian mechanism with
 *    mu = sqrt(sum 1/sigma_i^2) (= sqrt(T)/sigma at a fixed sigma).
 * 3. A mu-GDP mechanism is (epsilon, delta)-DP exactly for
 *    delta(epsilon) = Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2)
 *    (ibid. Corollary 2.13; the analytic Gaussian mechanism of Balle & Wang 2018, Theorem 8), and
 *    for no smaller delta: the curve is tight, not a bound.
 * The RDP accountant gives the same mechanism a looser (epsilon, delta) (its conversion is a bound),
 * so for q = 1 this module lets a job add less noise for the same guarantee. It does NOT apply to
 * Poisson-subsampled steps (q < 1): those are not Gaussian mechanisms, and stay with the RDP
 * accountant.
 *
 * Numerics: delta is computed as Phi(a) * (1 - exp(epsilon + log Phi(b) - log Phi(a))) with
 * log Phi from the accountant's logErfc, so the difference of two close terms never cancels. The
 * inverses bisect and return the conservative end of their bracket (epsilon from above, mu from
 * below). Checked against 50-digit mpmath values (test/fixtures/privacy/gaussian-mpmath.json).
 */
import { assertArgument } from '../common/errors.js';
import { logErfc } from './rdp-accountant.js';

/** log Phi(x), the standard normal CDF, accurate far in the lower tail. */
function logPhi(x: number): number {
  return Math.log(0.5) + logErfc(-x / Math.SQRT2);
}

function checkMu(mu: number): void {
  assertArgument(!Number.isNaN(mu) && mu >= 0, `mu must be a number >= 0, got ${mu}`, { mu });
}

function checkDelta(delta: number): void {
  assertArgument(delta > 0 && delta < 1, `delta must be in (0, 1), got ${delta}`, { delta });
}

/**
 * The GDP parameter of full-batch steps: `steps` Gaussian mechanisms at noise multiplier sigma
 * give mu = sqrt(steps)/sigma. sigma = 0 (no noise) gives mu = Infinity.
 */
export function fullBatchMu(noiseMultiplier: number, steps: number): number {
  assertArgument(
    Number.isFinite(noiseMultiplier) && noiseMultiplier >= 0,
    `noiseMultiplier must be a finite number >= 0, got ${noiseMultiplier}`,
    { noiseMultiplier },
  );
  assertArgument(Number.isInteger(steps) && steps >= 0, `steps must be an integer >= 0, got ${steps}`, {
    steps,
  });
  if (steps === 0) return 0;
  return noiseMultiplier === 0 ? Infinity : Math.sqrt(steps) / noiseMultiplier;
}

/** The exact delta of a mu-GDP mechanism at `epsilon` (>= 0). */
export function gaussianDelta(mu: number, epsilon: number): number {
  checkMu(mu);
  assertArgument(!Number.isNaN(epsilon) && epsilon >= 0, `epsilon must be >= 0, got ${epsilon}`, {
    epsilon,
  });
  if (mu === 0) return 0;
  if (mu === Infinity) return 1;
  if (epsilon === Infinity) return 0;
  const logA = logPhi(-epsilon / mu + mu / 2);
  const logB = logPhi(-epsilon / mu - mu / 2);
  // delta = Phi(a) - e^eps Phi(b) = Phi(a) * (1 - exp(eps + log Phi(b) - log Phi(a))), with the
  // exponent <= 0 (delta is a probability difference); -expm1 keeps the small difference exact.
  const d = epsilon + logB - logA;
  if (!(d < 0)) return 0;
  return Math.min(1, Math.exp(logA) * -Math.expm1(d));
}

/**
 * The smallest epsilon at which a mu-GDP mechanism is (epsilon, delta)-DP (to 1e-12 relative,
 * rounded up). mu = Infinity (no noise) gives Infinity.
 */
export function gaussianEpsilon(mu: number, delta: number): number {
  checkMu(mu);
  checkDelta(delta);
  if (mu === Infinity) return Infinity;
  if (gaussianDelta(mu, 0) <= delta) return 0;
  // delta(eps) decreases in eps: bracket, then bisect, keeping hi with delta(hi) <= delta.
  let lo = 0;
  let hi = 1;
  while (gaussianDelta(mu, hi) > delta) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1e-12 * hi) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (gaussianDelta(mu, mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The largest mu (to 1e-12 relative, rounded down) such that a mu-GDP mechanism is
 * (epsilon, delta)-DP.
 */
export function gaussianMuFor(epsilon: number, delta: number): number {
  assertArgument(
    Number.isFinite(epsilon) && epsilon >= 0,
    `epsilon must be a finite number >= 0, got ${epsilon}`,
    { epsilon },
  );
  checkDelta(delta);
  // delta(eps; mu) increases in mu: bracket, then bisect, keeping lo with delta(lo) <= delta.
  let lo = 0;
  let hi = 1;
  while (gaussianDelta(hi, epsilon) <= delta) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1e-12 * hi) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (gaussianDelta(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  return lo;
}
