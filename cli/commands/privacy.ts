/**
 * `aidoc privacy epsilon` and `aidoc privacy noise`: the RDP accountant and the noise calibration
 * from the command line, so a vendor can size a job's noise and a hospital can check what a job
 * would spend before it agrees to train. Full-batch jobs (sample rate 1) are accounted exactly, as
 * the workers do (privacy/gaussian-accounting.ts), unless `--accounting rdp`.
 */
import { z } from 'zod';
import { makeError } from '../../common/errors.js';
import { calibrateNoiseMultiplier } from '../../privacy/calibrate.js';
import { fullBatchMu, gaussianEpsilon } from '../../privacy/gaussian-accounting.js';
import {
  DP_ACCOUNTING_DEFAULT_ORDERS,
  OPACUS_DEFAULT_ORDERS,
  TF_PRIVACY_DP_SGD_ORDERS,
  computeEpsilon,
} from '../../privacy/rdp-accountant.js';
import type { CliCommand, FlagSpec, FlagValues } from '../command.js';

const ORDER_PRESETS: Record<string, readonly number[]> = {
  'dp-accounting': DP_ACCOUNTING_DEFAULT_ORDERS,
  opacus: OPACUS_DEFAULT_ORDERS,
  'tf-privacy': TF_PRIVACY_DP_SGD_ORDERS,
};

/** A numeric flag: required, a finite number, and within `rule`; every message names the flag. */
function numberFlag(flag: string, ok: (n: number) => boolean, rule: string) {
  return z
    .string({
      error: (iss) => (iss.input === undefined ? `--${flag} is required` : `--${flag} takes a value`),
    })
    .transform((raw, ctx) => {
      const n = raw.trim() === '' ? NaN : Number(raw.trim());
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: 'custom', message: `--${flag} must be a number, got ${JSON.stringify(raw)}` });
        return z.NEVER;
      }
      if (!ok(n)) {
        ctx.addIssue({ code: 'custom', message: `--${flag} ${rule}, got ${raw.trim()}` });
        return z.NEVER;
      }
      return n;
    });
}

const ordersFlag = z.string().transform((raw, ctx) => {
  const preset = ORDER_PRESETS[raw.trim()];
  if (preset) return { name: raw.trim(), orders: preset };
  const orders = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim())));
  if (orders.length === 0 || orders.some((a) => !(a >= 1) || a === Infinity) || !orders.some((a) => a > 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `--orders must be ${Object.keys(ORDER_PRESETS).join(', ')} or a comma-separated list of numbers >= 1, got ${JSON.stringify(raw)}`,
    });
    return z.NEVER;
  }
  return { name: 'custom', orders };
});

const common = {
  delta: numberFlag('delta', (n) => n > 0 && n < 1, 'must be in (0, 1)'),
  'sample-rate': numberFlag('sample-rate', (n) => n > 0 && n <= 1, 'must be in (0, 1]'),
  steps: numberFlag('steps', (n) => Number.isInteger(n) && n >= 1, 'must be an integer >= 1'),
  rounds: numberFlag('rounds', (n) => Number.isInteger(n) && n >= 1, 'must be an integer >= 1'),
  orders: ordersFlag,
  accounting: z.enum(['auto', 'rdp'], {
    error: (iss) => `--accounting must be auto or rdp, got ${JSON.stringify(iss.input)}`,
  }),
};

const epsilonSchema = z.object({
  'noise-multiplier': numberFlag('noise-multiplier', (n) => n >= 0, 'must be >= 0'),
  ...common,
});

const noiseSchema = z.object({
  epsilon: numberFlag('epsilon', (n) => n > 0, 'must be > 0'),
  ...common,
});

/** Validates flags against `schema`; all problems go into one INVALID_ARGUMENT (exit code 2). */
function parseFlags<S extends z.ZodType>(schema: S, flags: FlagValues): z.output<S> {
  const result = schema.safeParse(flags);
  if (result.success) return result.data;
  const issues = result.error.issues;
  throw makeError(issues.map((i) => i.message).join('; '), 'INVALID_ARGUMENT', {
    flags: issues.map((i) => String(i.path[0] ?? '')),
  });
}

const commonFlags: Record<string, FlagSpec> = {
  delta: {
    type: 'string',
    valueName: 'D',
    description: 'Delta of the guarantee, in (0, 1); below 1/records',
  },
  'sample-rate': {
    type: 'string',
    valueName: 'Q',
    description: 'Poisson sampling rate per step, in (0, 1] (batch size / records)',
  },
  steps: {
    type: 'string',
    valueName: 'T',
    description: 'DP-SGD steps per round (local steps), integer >= 1',
  },
  rounds: {
    type: 'string',
    valueName: 'R',
    description: 'Rounds the dataset trains in; the job composes R x T steps',
    default: '1',
  },
  orders: {
    type: 'string',
    valueName: 'SET',
    description: 'RDP orders: dp-accounting, opacus, tf-privacy, or a list like 1.5,2,4,8,16,32',
    default: 'dp-accounting',
  },
  accounting: {
    type: 'string',
    valueName: 'MODE',
    description:
      'auto: exact Gaussian accounting when the sample rate is 1 (what workers use), RDP otherwise; rdp: always RDP',
    default: 'auto',
  },
  json: { type: 'boolean', description: 'Print exactly one JSON line' },
};

function edgeNote(order: number, orders: readonly number[], io: { err(line: string): void }): void {
  const lo = Math.min(...orders);
  const hi = Math.max(...orders);
  if (order === lo || order === hi) {
    io.err(
      `note: the best RDP order ${order} is the ${order === lo ? 'smallest' : 'largest'} in the set; ` +
        'a wider --orders list may give a smaller epsilon',
    );
  }
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(7).replace(/\.?0+(e|$)/, '$1'));
const fmtDelta = (d: number) => (d < 1e-3 ? d.toExponential() : String(d));

export const privacyEpsilonCommand: CliCommand = {
  path: ['privacy', 'epsilon'],
  summary: 'Epsilon a DP-SGD job spends (RDP accountant of the sampled Gaussian mechanism)',
  details: `
Composes R x T steps of DP-SGD (Poisson sampling at rate Q, Gaussian noise of stddev S times the
clipping norm) as Renyi DP, and converts the result to (epsilon, delta)-DP with the tight conversion
of Opacus and Google's dp_accounting, minimised over the RDP orders. Prints epsilon and the order
that gives it. A noise multiplier of 0 adds no noise: epsilon is Infinity (no privacy).
At --sample-rate 1 (full batch) the steps are plain Gaussian mechanisms: their composition is one
Gaussian mechanism with mu = sqrt(R x T)/S, whose (epsilon, delta) is exact (Dong, Roth & Su's GDP;
Balle & Wang's analytic Gaussian) and smaller than the RDP bound; that is printed instead (--json:
{"epsilon":...,"order":null,"accounting":"gaussian","mu":...}) unless --accounting rdp.

Example (Opacus's own test case: 90 epochs at q = 0.04):
  aidoc privacy epsilon --noise-multiplier 1.5 --sample-rate 0.04 --steps 2250 --delta 1e-5 --orders opacus
  epsilon = 7.329111 at delta = 1e-5 (best RDP order 3.9)

--json prints {"epsilon":7.329111171435898,"order":3.9}; an infinite epsilon is "Infinity" (a string,
since JSON has no Infinity) with "order":null.`,
  flags: {
    'noise-multiplier': {
      type: 'string',
      valueName: 'S',
      description: 'Noise stddev divided by the clipping norm, >= 0',
    },
    ...commonFlags,
  },
  run({ flags, io }) {
    const f = parseFlags(epsilonSchema, flags);
    const sigma = f['noise-multiplier'];
    const totalSteps = f.steps * f.rounds;
    if (f['sample-rate'] === 1 && f.accounting === 'auto' && sigma > 0) {
      const mu = fullBatchMu(sigma, totalSteps);
      const epsilon = gaussianEpsilon(mu, f.delta);
      if (flags.json) {
        io.out(JSON.stringify({ epsilon, order: null, accounting: 'gaussian', mu }));
        return Promise.resolve(0);
      }
      io.out(
        `epsilon = ${fmt(epsilon)} at delta = ${fmtDelta(f.delta)} (exact: one Gaussian mechanism, mu = ${fmt(mu)})`,
      );
      io.out(
        `  ${totalSteps} full-batch step${totalSteps === 1 ? '' : 's'}${f.rounds > 1 ? ` (${f.rounds} rounds x ${f.steps})` : ''}, ` +
          `noise multiplier ${sigma}; --accounting rdp gives the RDP bound`,
      );
      return Promise.resolve(0);
    }
    const { epsilon, order } = computeEpsilon({
      noiseMultiplier: sigma,
      sampleRate: f['sample-rate'],
      steps: totalSteps,
      delta: f.delta,
      orders: f.orders.orders,
    });
    const infinite = epsilon === Infinity;
    if (!infinite) edgeNote(order, f.orders.orders, io);
    if (flags.json) {
      io.out(JSON.stringify(infinite ? { epsilon: 'Infinity', order: null } : { epsilon, order }));
      return Promise.resolve(0);
    }
    if (infinite) {
      io.out(
        sigma === 0
          ? 'epsilon = Infinity: noise multiplier 0 adds no noise, so there is no privacy guarantee'
          : `epsilon = Infinity at delta = ${fmtDelta(f.delta)}: no RDP order gives a finite bound`,
      );
    } else {
      io.out(`epsilon = ${fmt(epsilon)} at delta = ${fmtDelta(f.delta)} (best RDP order ${order})`);
    }
    io.out(
      `  ${totalSteps} step${totalSteps === 1 ? '' : 's'}${f.rounds > 1 ? ` (${f.rounds} rounds x ${f.steps})` : ''}, sample rate ${f['sample-rate']}, ` +
        `noise multiplier ${sigma}; orders: ${f.orders.name} (${f.orders.orders.length})`,
    );
    return Promise.resolve(0);
  },
};

export const privacyNoiseCommand: CliCommand = {
  path: ['privacy', 'noise'],
  summary: 'Smallest noise multiplier that keeps a DP-SGD job within a target (epsilon, delta)',
  details: `
Bisects on the noise multiplier S (to 1e-6 relative) for the smallest S at which R x T steps of
DP-SGD at sampling rate Q spend at most epsilon E at delta D, by the same accountant as
'aidoc privacy epsilon'. The answer errs towards more noise. A target that even S = 1e6 cannot reach
is refused with exit code 2. At --sample-rate 1 the calibration is exact (see 'aidoc privacy
epsilon --help'), as the workers calibrate full-batch jobs, unless --accounting rdp.

Example (a hospital's budget of epsilon 1 over 50 rounds of 100 local steps at q = 0.01):
  aidoc privacy noise --epsilon 1 --delta 1e-5 --sample-rate 0.01 --steps 100 --rounds 50
  noise multiplier = 2.973021 (epsilon 0.9999994 at delta = 1e-5 over 5000 steps, best RDP order 18)

--json prints {"noiseMultiplier":2.973020553588867}.`,
  flags: {
    epsilon: { type: 'string', valueName: 'E', description: 'Target epsilon for the whole job, > 0' },
    ...commonFlags,
  },
  run({ flags, io, signal }) {
    const f = parseFlags(noiseSchema, flags);
    const r = calibrateNoiseMultiplier({
      targetEpsilon: f.epsilon,
      delta: f.delta,
      sampleRate: f['sample-rate'],
      steps: f.steps,
      rounds: f.rounds,
      orders: f.orders.orders,
      accounting: f.accounting,
      signal,
    });
    if (r.accounting === 'rdp') edgeNote(r.order, f.orders.orders, io);
    if (flags.json) {
      io.out(JSON.stringify({ noiseMultiplier: r.noiseMultiplier }));
      return Promise.resolve(0);
    }
    io.out(
      `noise multiplier = ${fmt(r.noiseMultiplier)} (epsilon ${fmt(r.epsilon)} at delta = ${fmtDelta(f.delta)} ` +
        `over ${r.totalSteps} steps, ` +
        (r.accounting === 'rdp'
          ? `best RDP order ${r.order})`
          : `exact: full-batch steps compose into one Gaussian mechanism)`),
    );
    return Promise.resolve(0);
  },
};
