/**
 * Renyi differential privacy (RDP) accountant for the Poisson-sampled Gaussian mechanism
 * (DP-SGD): each step samples every record with probability q, clips each record's
 * contribution to L2 norm C and adds N(0, sigma^2 C^2) noise to the sum.
 *
 * Privacy argument, in three steps:
 * 1. One step is (alpha, rdp(alpha))-RDP at every order alpha, with rdp(alpha) = log(A_alpha) / (alpha - 1)
 *    and A_alpha the alpha-th moment of the likelihood ratio of the sampled Gaussian
 *    (Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism",
 *    arXiv:1908.10530, Sec. 3.3). We compute A_alpha in log space: an exact finite binomial sum for
 *    integer alpha, and for fractional alpha the two convergent series split at z0 with erfc tails.
 * 2. RDP composes by addition at each order: T steps (and R rounds of them) give R*T*rdp(alpha).
 *    Steps with different (q, sigma) simply add their curves (`compose`).
 * 3. The composed curve is turned into (epsilon, delta)-DP with the tight conversion of
 *    Balle et al. 2020 / Canonne-Kamath-Steinke 2020 (Proposition 12 of arXiv:2004.00010):
 *    eps = rdp + log1p(-1/alpha) - (log(delta) + log(alpha)) / (alpha - 1), minimised over the orders,
 *    with the guards Google's dp_accounting uses (orders <= 1.01 only through the KL bound
 *    delta >= sqrt(1 - exp(-rdp)), never a negative epsilon).
 *
 * Fractional orders: the series terms carry the signs of the generalized binomial coefficients.
 * Summed with their signs (`fractionalSeries: 'signed'`, the default, as Opacus and TF Privacy's
 * rdp_accountant do) the result is the exact A_alpha; it agrees with multi-precision numerical
 * integration to ~1e-12 (test/fixtures/privacy/log-a-mpmath.json). Google's dp_accounting sums the
 * absolute values instead (`'absolute'`), an upper bound that is valid but looser: 3% above the exact
 * RDP at order 1.5 in its own test, 1e-3 relative on some epsilons. Each mode reproduces its
 * library's published test values (test/fixtures/privacy/*.json); no single mode reproduces both.
 */
import { assertArgument } from '../common/errors.js';

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

function range(from: number, toExclusive: number): number[] {
  return Array.from({ length: toExclusive - from }, (_, i) => from + i);
}

const TENTHS = range(1, 100).map((x) => 1 + x / 10.0);

/** Opacus `RDPAccountant.DEFAULT_ALPHAS`: `[1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))`. */
export const OPACUS_DEFAULT_ORDERS: readonly number[] = Object.freeze([...TENTHS, ...range(12, 64)]);

/**
 * dp_accounting `rdp_privacy_accountant.DEFAULT_RDP_ORDERS`:
 * `[1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024]`.
 * (Its orders 1.1..10.9 and 11 overlap; 11 appears twice, as upstream.)
 */
export const DP_ACCOUNTING_DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...TENTHS,
  ...range(11, 64),
  128,
  256,
  512,
  1024,
]);

/**
 * The orders of TensorFlow Privacy's `compute_dp_sgd_privacy` (and of older dp_accounting docs):
 * `[1.25, 1.5, 1.75, 2., 2.25, 2.5, 3., 3.5, 4., 4.5] + list(range(5, 64)) + [128, 256, 512]`.
 */
export const TF_PRIVACY_DP_SGD_ORDERS: readonly number[] = Object.freeze([
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...range(5, 64),
  128,
  256,
  512,
]);

/** Our default: dp_accounting's, the widest of the three (it reaches order 1024 for small epsilons). */
export const DEFAULT_RDP_ORDERS: readonly number[] = DP_ACCOUNTING_DEFAULT_ORDERS;

// ---------------------------------------------------------------------------------------------
// Special functions (double precision)
// ---------------------------------------------------------------------------------------------

const SQRT_PI = Math.sqrt(Math.PI);
const LOG_HALF = Math.log(0.5);

/** erf(x) for |x| < 1 by the all-positive series 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * erfcx(x) = exp(x^2) erfc(x) for x >= 1, by Laplace's continued fraction
 * erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...)))), evaluated with the
 * modified Lentz method (about 190 terms at x = 1, 6 at x = 30; never under- or overflows).
 */
function erfcxContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 2000; n++) {
    const a = n / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    d = 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / (SQRT_PI * f);
}

/**
 * exp(-x^2) without the error that rounding x^2 would bring (relative 1e-16 * x^2): x^2 is split as
 * s^2 + (x - s)(x + s) with s = x rounded down to 1/16, so s^2 is exact (Cody's trick in CALERF).
 */
function expMinusXSquared(x: number): number {
  const s = Math.trunc(x * 16) / 16;
  return Math.exp(-s * s) * Math.exp(-(x - s) * (x + s));
}

/**
 * erfcx(x) for 1 <= x < 8 from a Taylor expansion around the nearest point of a 1/8 grid, whose values
 * come from the continued fraction once (lazily). erfcx solves y' = 2 x y - 2/sqrt(pi), so its Taylor
 * coefficients at x0 follow (n+1) c[n+1] = 2 x0 c[n] + 2 c[n-1] (minus 2/sqrt(pi) for n = 0); with
 * |h| <= 1/16 about 15 terms reach double precision, several times cheaper than the continued fraction
 * near x = 1, where it needs ~190 terms. The accountant calls this millions of times in a calibration.
 */
const ERFCX_GRID_STEP = 1 / 8;
const ERFCX_GRID_MAX = 8;
const erfcxGrid: number[] = [];

function erfcxTaylor(x: number): number {
  const k = Math.round(x / ERFCX_GRID_STEP);
  const x0 = k * ERFCX_GRID_STEP;
  let y0 = erfcxGrid[k];
  if (y0 === undefined) {
    y0 = erfcxContinuedFraction(x0);
    erfcxGrid[k] = y0;
  }
  const h = x - x0;
  let cPrev = y0;
  let c = 2 * x0 * y0 - 2 / SQRT_PI;
  let sum = y0 + c * h;
  let hn = h;
  for (let n = 1; n < 60; n++) {
    const cNext = (2 * x0 * c + 2 * cPrev) / (n + 1);
    hn *= h;
    const term = cNext * hn;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    cPrev = c;
    c = cNext;
  }
  return sum;
}

/** erfcx(x) = exp(x^2) erfc(x) for x >= 1. */
function erfcx(x: number): number {
  return x < ERFCX_GRID_MAX ? erfcxTaylor(x) : erfcxContinuedFraction(x);
}

/** Complementary error function, to about 1e-15 relative accuracy over the whole real line. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return x > 27.3 ? 0 : expMinusXSquared(x) * erfcx(x);
  if (x <= -1) return 2 - erfc(-x);
  return 1 - erfSeries(x);
}

/** log(erfc(x)), accurate also far in the tail where erfc(x) underflows (x > 27). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x >= 1) return -x * x + Math.log(erfcx(x));
  if (x <= -1) return Math.log(erfc(x));
  return Math.log1p(-erfSeries(x)); // keeps relative accuracy as x -> 0, where log(erfc(x)) -> 0
}

// ---------------------------------------------------------------------------------------------
// Log-space arithmetic
// ---------------------------------------------------------------------------------------------

/** log(exp(a) + exp(b)). */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === -Infinity) return hi;
  if (hi === Infinity) return Infinity;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/** log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
export function logSub(a: number, b: number): number {
  assertArgument(!(a < b), `logSub needs a >= b, got a=${a}, b=${b}`, { a, b });
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  const d = a - b;
  // log(expm1(d)) + b; for large d expm1 overflows, and log(expm1(d)) = d + log1p(-exp(-d)).
  return d > 700 ? a + Math.log1p(-Math.exp(-d)) : Math.log(Math.expm1(d)) + b;
}

/** A signed number kept as sign and log-magnitude, for sums whose terms alternate in sign. */
interface SignedLog {
  sign: 1 | -1;
  log: number;
}

function signedAdd(acc: SignedLog, sign: 1 | -1, log: number): SignedLog {
  if (log === -Infinity) return acc;
  if (acc.log === -Infinity) return { sign, log };
  if (acc.sign === sign) return { sign, log: logAdd(acc.log, log) };
  if (acc.log > log) return { sign: acc.sign, log: logSub(acc.log, log) };
  if (acc.log < log) return { sign, log: logSub(log, acc.log) };
  return { sign: 1, log: -Infinity };
}

// ---------------------------------------------------------------------------------------------
// log(A_alpha) of the sampled Gaussian mechanism
// ---------------------------------------------------------------------------------------------

/**
 * How the alternating series of a fractional order is summed: `'signed'` gives the exact A_alpha
 * (Opacus, TF Privacy); `'absolute'` sums |terms|, the looser upper bound of Google's dp_accounting.
 */
export type FractionalSeries = 'signed' | 'absolute';

/** log(A_alpha) for integer alpha >= 1 and 0 < q < 1: log sum_i C(alpha, i) q^i (1-q)^(alpha-i) e^{(i^2-i)/(2 sigma^2)}. */
function computeLogAInt(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  let logA = -Infinity;
  let logBinom = 0; // log C(alpha, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const s = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoSigma2;
    logA = logAdd(logA, s);
  }
  return logA;
}

/**
 * Terms summed for a fractional order before giving up on reaching e^-30 relative accuracy
 * (dp_accounting's cap). Near alpha = 1 with a large q the terms only decay polynomially, and
 * Opacus's loop would run for tens of thousands of terms; see the end of `computeLogAFrac`.
 */
const MAX_TERMS_LOG_A_FRAC = 1000;

/**
 * log(A_alpha) for fractional alpha > 1 and 0 < q < 1 (arXiv:1908.10530 Sec. 3.3): A = A0 + A1, the
 * integrals over (-inf, z0] and [z0, inf) expanded as binomial series in opposite directions, where
 * z0 = sigma^2 log(1/q - 1) + 1/2 is where both expansions have ratio 1. The generalized binomial
 * coefficients C(alpha, i) change sign for i > alpha + 1, so terms are added with their signs.
 */
function computeLogAFrac(q: number, sigma: number, alpha: number, series: FractionalSeries): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const sigma2 = sigma * sigma;
  const z0 = sigma2 * Math.log(1 / q - 1) + 0.5;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  let a0: SignedLog = { sign: 1, log: -Infinity };
  let a1: SignedLog = { sign: 1, log: -Infinity };
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  let logAbsBinom = 0; // log |C(alpha, 0)|
  let sign: 1 | -1 = 1;
  for (let i = 0; i < MAX_TERMS_LOG_A_FRAC; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      logAbsBinom += Math.log(Math.abs(factor));
      if (factor < 0 && series === 'signed') sign = sign === 1 ? -1 : 1;
    }
    const j = alpha - i;
    const logT0 = logAbsBinom + i * logQ + j * log1mQ;
    const logT1 = logAbsBinom + j * logQ + i * log1mQ;
    const logE0 = LOG_HALF + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = LOG_HALF + logErfc((z0 - j) / sqrt2Sigma);
    const s0 = logT0 + (i * i - i) / (2 * sigma2) + logE0;
    const s1 = logT1 + (j * j - j) / (2 * sigma2) + logE1;
    a0 = signedAdd(a0, sign, s0);
    a1 = signedAdd(a1, sign, s1);
    const decreasing = s0 < lastS0 && s1 < lastS1;
    if (decreasing || i === MAX_TERMS_LOG_A_FRAC - 1) {
      const total = signedAdd(a0, a1.sign, a1.log);
      // Stop once both series are decreasing and their terms are below e^-30 of the total.
      if (decreasing && Math.max(s0, s1) < total.log - 30) return total.sign === 1 ? total.log : Infinity;
      if (i === MAX_TERMS_LOG_A_FRAC - 1) {
        // Not converged to e^-30. Past i = alpha + 1 both series alternate in sign; while their terms
        // decrease, each remainder is at most its next term (Leibniz), so partial sum + |last terms|
        // is a rigorous upper bound on A (slack ~2e-9 relative in the slow cases we have seen).
        // dp_accounting instead drops the order (Infinity); otherwise we do the same.
        const alternating = series === 'signed' && i > alpha + 1 && decreasing;
        if (alternating && total.sign === 1) return logAdd(total.log, logAdd(s0, s1));
      }
    }
    lastS0 = s0;
    lastS1 = s1;
  }
  return Infinity;
}

/** log(A_alpha) for any order alpha > 1 (integer or fractional) and 0 < q < 1. */
export function computeLogA(
  q: number,
  sigma: number,
  alpha: number,
  series: FractionalSeries = 'signed',
): number {
  return Number.isInteger(alpha) ? computeLogAInt(q, sigma, alpha) : computeLogAFrac(q, sigma, alpha, series);
}

function validateOrders(orders: readonly number[]): void {
  assertArgument(orders.length > 0, 'orders must not be empty', {});
  for (const a of orders) {
    assertArgument(typeof a === 'number' && a >= 1, `every RDP order must be a number >= 1, got ${a}`, {
      order: a,
    });
  }
}

/** RDP of one step at one order; Infinity where the order gives no bound (see `computeRdp`). */
function rdpOneOrder(q: number, sigma: number, alpha: number, series: FractionalSeries): number {
  if (q === 0) return 0;
  if (sigma === 0 || alpha === Infinity) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  // Order 1 (KL divergence) has no closed form for 0 < q < 1; exclude it rather than guess.
  if (alpha === 1) return Infinity;
  const rdp = computeLogA(q, sigma, alpha, series) / (alpha - 1);
  return Number.isNaN(rdp) ? Infinity : rdp;
}

/**
 * RDP of `steps` steps of the Poisson-sampled Gaussian mechanism with sampling rate `q` and noise
 * multiplier `sigma` (noise stddev / L2 sensitivity), at each order. Infinity marks an order that
 * gives no bound (sigma = 0, order Infinity, order 1 with 0 < q < 1, a series that did not converge).
 */
export function computeRdp(
  q: number,
  sigma: number,
  steps: number,
  orders: readonly number[],
  series: FractionalSeries = 'signed',
): number[] {
  assertArgument(Number.isFinite(q) && q >= 0 && q <= 1, `sample rate must be in [0, 1], got ${q}`, { q });
  assertArgument(
    Number.isFinite(sigma) && sigma >= 0,
    `noise multiplier must be a finite number >= 0, got ${sigma}`,
    { sigma },
  );
  assertArgument(Number.isFinite(steps) && steps >= 0, `steps must be a finite number >= 0, got ${steps}`, {
    steps,
  });
  validateOrders(orders);
  return orders.map((a) => {
    if (steps === 0) return 0;
    return steps * rdpOneOrder(q, sigma, a, series);
  });
}

// ---------------------------------------------------------------------------------------------
// RDP -> (epsilon, delta)
// ---------------------------------------------------------------------------------------------

export interface EpsilonResult {
  /** Smallest epsilon over the orders; Infinity when no order gives a finite bound. */
  epsilon: number;
  /** The order that achieved it; NaN when epsilon is Infinity at every order. */
  order: number;
}

export interface DeltaResult {
  /** Smallest delta over the orders, at most 1. */
  delta: number;
  /** The order that achieved it. */
  order: number;
}

/**
 * Converts an RDP curve to epsilon at `delta` (dp_accounting `compute_epsilon`): for each order a,
 * eps_a = rdp + log1p(-1/a) - log(delta * a) / (a - 1) when a > 1.01 (the formula is unstable as
 * a -> 1); eps_a = 0 when delta >= sqrt(1 - exp(-rdp)) (the KL bound); otherwise Infinity. Ties go to
 * the first order; the result is never negative.
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): EpsilonResult {
  assertArgument(orders.length === rdp.length, 'orders and rdp must have the same length', {
    orders: orders.length,
    rdp: rdp.length,
  });
  validateOrders(orders);
  assertArgument(
    Number.isFinite(delta) && delta >= 0 && delta <= 1,
    `delta must be in [0, 1], got ${delta}`,
    {
      delta,
    },
  );
  if (delta === 0) {
    return rdp.every((r) => r === 0) ? { epsilon: 0, order: 0 } : { epsilon: Infinity, order: NaN };
  }
  let best = Infinity;
  let bestOrder = NaN;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k] as number;
    const r = rdp[k] as number;
    let eps: number;
    if (Number.isNaN(r)) continue;
    if (r <= 0 || delta * delta + Math.expm1(-r) > 0) {
      // A negative RDP can only be rounding of a tiny value; both cases are covered by the KL bound.
      eps = 0;
    } else if (a === Infinity) {
      eps = r; // pure DP: the limit of the formula as a -> Infinity
    } else if (a > 1.01) {
      eps = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    } else {
      eps = Infinity;
    }
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return best === Infinity
    ? { epsilon: Infinity, order: NaN }
    : { epsilon: Math.max(0, best), order: bestOrder };
}

/**
 * The inverse direction (dp_accounting `compute_delta`): the smallest delta such that the curve
 * gives (epsilon, delta)-DP, from log(delta_a) = min(0.5 log1p(-exp(-rdp)), (a-1)(rdp - eps + log1p(-1/a)) - log(a)).
 */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  epsilon: number,
): DeltaResult {
  assertArgument(orders.length === rdp.length, 'orders and rdp must have the same length', {
    orders: orders.length,
    rdp: rdp.length,
  });
  validateOrders(orders);
  assertArgument(!Number.isNaN(epsilon) && epsilon >= 0, `epsilon must be >= 0, got ${epsilon}`, { epsilon });
  let best = Infinity;
  let bestOrder = NaN;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k] as number;
    const r = rdp[k] as number;
    if (Number.isNaN(r)) continue;
    let logDelta = r <= 0 ? -Infinity : 0.5 * Math.log1p(-Math.exp(-r));
    if (a === Infinity) {
      if (r <= epsilon) logDelta = -Infinity;
    } else if (a > 1.01) {
      const bound = (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a);
      if (bound < logDelta) logDelta = bound;
    }
    if (logDelta < best) {
      best = logDelta;
      bestOrder = a;
    }
  }
  return { delta: Math.min(Math.exp(best), 1), order: bestOrder };
}

// ---------------------------------------------------------------------------------------------
// The accountant
// ---------------------------------------------------------------------------------------------

/** One stretch of DP-SGD with fixed parameters. */
export interface SampledGaussianSteps {
  /** Noise stddev divided by the L2 clipping norm (sigma). 0 means no noise: no privacy. */
  noiseMultiplier: number;
  /** Poisson sampling probability q of each record per step, in [0, 1]. */
  sampleRate: number;
  /** Number of steps (an integer >= 0); for a federated job, rounds x local steps per round. */
  steps: number;
}

export interface RdpAccountantOptions {
  /**
   * RDP orders at which the curve is tracked.
   * @defaultValue {@link DEFAULT_RDP_ORDERS} (dp_accounting's default orders)
   */
  orders?: readonly number[];
  /**
   * An RDP curve already spent (for example persisted after earlier rounds), one value per order.
   * @defaultValue all zeros
   */
  rdp?: readonly number[];
  /**
   * How fractional orders sum their series; `'absolute'` reproduces dp_accounting's numbers.
   * @defaultValue `'signed'` (the exact RDP)
   */
  fractionalSeries?: FractionalSeries;
}

/**
 * Tracks the privacy spent by one dataset across steps and rounds. RDP adds across compositions,
 * so the whole state is one number per order; persist `rdp` with `orders` to resume later.
 */
export interface RdpAccountant {
  readonly orders: readonly number[];
  /** The composed RDP curve so far (a copy). */
  readonly rdp: readonly number[];
  /** Adds `steps` steps of the sampled Gaussian mechanism. Returns the accountant for chaining. */
  compose(event: SampledGaussianSteps): RdpAccountant;
  /** Epsilon spent so far at `delta`, and the order that gives it. */
  getEpsilon(delta: number): EpsilonResult;
  /** Delta at `epsilon`, and the order that gives it. */
  getDelta(epsilon: number): DeltaResult;
}

export function createRdpAccountant(options: RdpAccountantOptions = {}): RdpAccountant {
  const orders = [...(options.orders ?? DEFAULT_RDP_ORDERS)];
  const series = options.fractionalSeries ?? 'signed';
  assertArgument(
    series === 'signed' || series === 'absolute',
    `unknown fractionalSeries ${String(series)}`,
    {},
  );
  validateOrders(orders);
  const rdp = options.rdp ? [...options.rdp] : orders.map(() => 0);
  assertArgument(rdp.length === orders.length, 'rdp must have one value per order', {
    orders: orders.length,
    rdp: rdp.length,
  });
  assertArgument(
    rdp.every((r) => r >= 0),
    'rdp values must be >= 0',
    {},
  );
  const accountant: RdpAccountant = {
    get orders() {
      return orders;
    },
    get rdp() {
      return [...rdp];
    },
    compose({ noiseMultiplier, sampleRate, steps }) {
      assertArgument(Number.isInteger(steps) && steps >= 0, `steps must be an integer >= 0, got ${steps}`, {
        steps,
      });
      const add = computeRdp(sampleRate, noiseMultiplier, steps, orders, series);
      for (let k = 0; k < rdp.length; k++) rdp[k] = (rdp[k] as number) + (add[k] as number);
      return accountant;
    },
    getEpsilon(delta) {
      return epsilonFromRdp(orders, rdp, delta);
    },
    getDelta(epsilon) {
      return deltaFromRdp(orders, rdp, epsilon);
    },
  };
  return accountant;
}

/** Parameters of `computeEpsilon`: one DP-SGD job with fixed noise and sampling rate. */
export interface ComputeEpsilonOptions extends SampledGaussianSteps, Omit<RdpAccountantOptions, 'rdp'> {
  /** Target delta, in (0, 1). */
  delta: number;
}

/** Epsilon of `steps` steps of DP-SGD at `delta` (the one-shot form of the accountant). */
export function computeEpsilon(options: ComputeEpsilonOptions): EpsilonResult {
  const { delta, orders, fractionalSeries, ...event } = options;
  return createRdpAccountant({ orders, fractionalSeries }).compose(event).getEpsilon(delta);
}
