/**
 * `aidoc privacy epsilon` / `aidoc privacy noise` run as a user would: the built CLI in a child
 * process (build first: `npm run build`; `npm test` does). Stdout JSON, exit codes, stderr messages.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { calibrateNoiseMultiplier } from '../../privacy/calibrate.js';
import { computeEpsilon } from '../../privacy/rdp-accountant.js';
import { AIDOC, runAidoc, type CliRun } from '../helpers/aidoc-cli.js';

const BUILT_COMMAND = join(process.cwd(), 'dist', 'cli', 'commands', 'privacy.js');

/** Every invocation, started together in beforeAll (a few at a time) so the suite stays quick. */
const invocations = {
  epsilonJson: [
    'epsilon',
    '--noise-multiplier',
    '1.5',
    '--sample-rate',
    '0.04',
    '--steps',
    '2250',
    '--delta',
    '1e-5',
    '--orders',
    'opacus',
    '--json',
  ],
  epsilonHuman: [
    'epsilon',
    '--noise-multiplier',
    '1.5',
    '--sample-rate',
    '0.04',
    '--steps',
    '2250',
    '--delta',
    '1e-5',
    '--orders',
    'opacus',
  ],
  epsilonRounds: [
    'epsilon',
    '--noise-multiplier',
    '1.5',
    '--sample-rate',
    '0.04',
    '--steps',
    '450',
    '--rounds',
    '5',
    '--delta',
    '1e-5',
    '--orders',
    'opacus',
    '--json',
  ],
  noNoiseJson: [
    'epsilon',
    '--noise-multiplier',
    '0',
    '--sample-rate',
    '0.04',
    '--steps',
    '10',
    '--delta',
    '1e-5',
    '--json',
  ],
  noNoiseHuman: [
    'epsilon',
    '--noise-multiplier',
    '0',
    '--sample-rate',
    '0.04',
    '--steps',
    '10',
    '--delta',
    '1e-5',
  ],
  noiseJson: [
    'noise',
    '--epsilon',
    '2',
    '--delta',
    '1e-5',
    '--sample-rate',
    '0.01',
    '--steps',
    '100',
    '--rounds',
    '10',
    '--orders',
    '1.5,2,3,4,6,8,12,16,32,64',
    '--json',
  ],
  noiseHuman: [
    'noise',
    '--epsilon',
    '2',
    '--delta',
    '1e-5',
    '--sample-rate',
    '0.01',
    '--steps',
    '100',
    '--rounds',
    '10',
    '--orders',
    '1.5,2,3,4,6,8,12,16,32,64',
  ],
  epsilonHelp: ['epsilon', '--help'],
  noiseHelp: ['noise', '--help'],
} as const;

const ok = ['--noise-multiplier', '1', '--sample-rate', '0.01', '--steps', '10', '--delta', '1e-5'];
const bad: [string, string[], RegExp][] = [
  ['sample rate 0', ['epsilon', ...ok, '--sample-rate', '0'], /--sample-rate must be in \(0, 1\], got 0/],
  [
    'sample rate above 1',
    ['epsilon', ...ok, '--sample-rate', '1.5'],
    /--sample-rate must be in \(0, 1\], got 1.5/,
  ],
  ['delta 0', ['epsilon', ...ok, '--delta', '0'], /--delta must be in \(0, 1\), got 0/],
  ['delta 1', ['epsilon', ...ok, '--delta', '1'], /--delta must be in \(0, 1\), got 1/],
  [
    'negative noise',
    ['epsilon', ...ok, '--noise-multiplier=-0.5'],
    /--noise-multiplier must be >= 0, got -0.5/,
  ],
  ['steps 0', ['epsilon', ...ok, '--steps', '0'], /--steps must be an integer >= 1, got 0/],
  ['fractional steps', ['epsilon', ...ok, '--steps', '2.5'], /--steps must be an integer >= 1, got 2.5/],
  ['rounds 0', ['epsilon', ...ok, '--rounds', '0'], /--rounds must be an integer >= 1, got 0/],
  [
    'not a number',
    ['epsilon', ...ok, '--noise-multiplier', 'lots'],
    /--noise-multiplier must be a number, got "lots"/,
  ],
  ['empty number', ['epsilon', ...ok, '--delta', ''], /--delta must be a number, got ""/],
  [
    'missing flag',
    ['epsilon', '--noise-multiplier', '1', '--sample-rate', '0.01', '--steps', '10'],
    /--delta is required/,
  ],
  [
    'bad orders',
    ['epsilon', ...ok, '--orders', '2,x'],
    /--orders must be dp-accounting, opacus, tf-privacy or a comma-separated list/,
  ],
  ['unknown flag', ['epsilon', ...ok, '--sigma', '1'], /Unknown option '--sigma'/],
  [
    'target epsilon 0',
    ['noise', '--epsilon', '0', '--delta', '1e-5', '--sample-rate', '0.01', '--steps', '10'],
    /--epsilon must be > 0, got 0/,
  ],
  [
    'unreachable target',
    [
      'noise',
      '--epsilon',
      '0.001',
      '--delta',
      '1e-5',
      '--sample-rate',
      '0.5',
      '--steps',
      '1000',
      '--orders',
      '2,4,8,16,32,64',
    ],
    /cannot be reached .* even noise multiplier 1000000 gives epsilon/,
  ],
];

const results = new Map<string, CliRun>();

beforeAll(async () => {
  if (!existsSync(AIDOC) || !existsSync(BUILT_COMMAND)) {
    throw new Error(`${BUILT_COMMAND} is missing: run 'npm run build' first (npm test does)`);
  }
  for (const src of ['cli/commands/privacy.ts', 'privacy/rdp-accountant.ts', 'privacy/calibrate.ts']) {
    const built = join(process.cwd(), 'dist', src.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(process.cwd(), src)).mtimeMs) {
      throw new Error(`dist is older than ${src}: run 'npm run build' first (npm test does)`);
    }
  }
  const jobs: [string, string[]][] = [
    ...Object.entries(invocations).map(([k, args]) => [k, ['privacy', ...args]] as [string, string[]]),
    ...bad.map(([name, args]) => [`bad:${name}`, ['privacy', ...args]] as [string, string[]]),
  ];
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) results.set(job[0], await runAidoc(job[1]));
  };
  await Promise.all([worker(), worker(), worker()]);
}, 180_000);

const run = (key: keyof typeof invocations): CliRun => {
  const r = results.get(key);
  if (!r) throw new Error(`no result for ${key}`);
  return r;
};

/** stdout must be exactly one line of JSON; returns it parsed. */
function oneJsonLine(r: CliRun): Record<string, unknown> {
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

describe('aidoc privacy epsilon', () => {
  test('--json prints exactly {"epsilon","order"}, matching Opacus test_rdp_accountant (7.32911117143)', () => {
    const r = run('epsilonJson');
    expect(r.code).toBe(0);
    const out = oneJsonLine(r);
    expect(Object.keys(out)).toEqual(['epsilon', 'order']);
    expect(Math.abs((out.epsilon as number) - 7.32911117143) / 7.32911117143).toBeLessThan(1e-6);
    expect(out.order).toBe(3.9);
  });

  test('human output states epsilon, delta, order and the job', () => {
    const r = run('epsilonHuman');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^epsilon = 7\.329111 at delta = 1e-5 \(best RDP order 3\.9\)\n/);
    expect(r.stdout).toMatch(/2250 steps, sample rate 0\.04, noise multiplier 1\.5; orders: opacus \(151\)/);
  });

  test('--rounds multiplies the steps (5 x 450 = 2250)', () => {
    const r = run('epsilonRounds');
    expect(r.code).toBe(0);
    expect(oneJsonLine(r)).toEqual(oneJsonLine(run('epsilonJson')));
  });

  test('noise multiplier 0 is epsilon Infinity, said plainly', () => {
    const j = run('noNoiseJson');
    expect(j.code).toBe(0);
    expect(oneJsonLine(j)).toEqual({ epsilon: 'Infinity', order: null });
    const h = run('noNoiseHuman');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(
      /epsilon = Infinity: noise multiplier 0 adds no noise, so there is no privacy guarantee/,
    );
  });

  test('--help explains and gives an example', () => {
    const r = run('epsilonHelp');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: aidoc privacy epsilon/);
    expect(r.stdout).toMatch(/Example/);
    expect(r.stdout).toMatch(/--noise-multiplier S/);
  });
});

describe('aidoc privacy noise', () => {
  const orders = [1.5, 2, 3, 4, 6, 8, 12, 16, 32, 64];
  test('--json prints exactly {"noiseMultiplier"}: the library calibration, within the target', () => {
    const r = run('noiseJson');
    expect(r.code).toBe(0);
    const out = oneJsonLine(r);
    expect(Object.keys(out)).toEqual(['noiseMultiplier']);
    const sigma = out.noiseMultiplier as number;
    const lib = calibrateNoiseMultiplier({
      targetEpsilon: 2,
      delta: 1e-5,
      sampleRate: 0.01,
      steps: 100,
      rounds: 10,
      orders,
    });
    expect(sigma).toBe(lib.noiseMultiplier);
    const eps = computeEpsilon({
      noiseMultiplier: sigma,
      sampleRate: 0.01,
      steps: 1000,
      delta: 1e-5,
      orders,
    }).epsilon;
    expect(eps).toBeLessThanOrEqual(2);
    expect(eps).toBeGreaterThan(2 * (1 - 1e-4));
  });

  test('human output states the noise and what it spends', () => {
    const r = run('noiseHuman');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^noise multiplier = \d+\.\d+ \(epsilon \S+ at delta = 1e-5 over 1000 steps, best RDP order \d+/,
    );
  });

  test('--help explains and gives an example', () => {
    const r = run('noiseHelp');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: aidoc privacy noise/);
    expect(r.stdout).toMatch(/Example/);
  });
});

describe('bad input fails with exit code 2 and a message naming the flag', () => {
  test.each(bad)('%s', (name, _args, message) => {
    const r = results.get(`bad:${name}`);
    expect(r).toBeDefined();
    expect({ code: r?.code, stdout: r?.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r?.stderr).toMatch(message);
  });
});
