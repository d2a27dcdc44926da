/**
 * Client-level DP in the round engine, without a network: simulated workers apply the mechanism to
 * their deltas as the real worker does, so the per-attempt settings (m, k, D), the refusal to open
 * fewer than k contributions, the selection of capable workers and the round metrics can be checked.
 */
import { CLIENT_DP_FEATURE, applyClientDp, type ClientDpRound } from '../../privacy/client-dp.js';
import { computeEpsilon, createRdpAccountant } from '../../privacy/rdp-accountant.js';
import { createSecureRandom } from '../../privacy/secure-random.js';
import { simulatedFederation } from '../helpers/simulated-federation.js';

type Behaviour = 'good' | 'silent';

function setup() {
  const sim = simulatedFederation({
    model: { builtin: 'wdbc-mlp' },
    schemaId: 'wdbc-v1',
    quorumWaitMs: 300,
    secureAggregation: false,
    privacy: { mode: 'none', clientLevel: { clipNorm: 1, noiseMultiplier: 1.1 } },
  });
  const seen: { workerId: string; round: number; clientDp?: ClientDpRound }[] = [];
  const random = createSecureRandom();

  function worker(
    id: string,
    behaviour: (round: number, attempt: number) => Behaviour,
    options: { records?: number; features?: string[] } = {},
  ) {
    const records = options.records ?? 100;
    const attempts = new Map<number, number>();
    sim.worker(
      id,
      ({ task, submission: answer, length }) => {
        const submission = { ...answer, numExamples: Math.floor(records * 0.8), metrics: { accuracy: 0.9 } };
        if (task.kind === 'evaluate') {
          sim.engine.acceptEvaluation(id, { ...submission, numExamples: records });
          return;
        }
        const attempt = (attempts.get(task.round) ?? 0) + 1;
        attempts.set(task.round, attempt);
        seen.push({ workerId: id, round: task.round, clientDp: task.config.clientDp });
        if (behaviour(task.round, attempt) === 'silent') return;
        const delta = new Float32Array(length).fill(0.01);
        const dp = task.config.clientDp;
        const sent = dp ? applyClientDp(delta, submission.numExamples, dp, random).delta : delta;
        sim.engine.acceptUpdate(id, submission, sent);
      },
      { records, features: options.features ?? [CLIENT_DP_FEATURE] },
    );
  }

  return { ...sim, worker, seen };
}

const eps = (sigmas: number[], delta = 1e-5) => {
  const a = createRdpAccountant();
  for (const s of sigmas) a.compose({ noiseMultiplier: s, sampleRate: 1, steps: 1 });
  return a.getEpsilon(delta).epsilon;
};

let env: ReturnType<typeof setup>;
afterEach(() => env.stop());

test('every selected worker gets S, sigma, m, k = m and D; each round records the epsilon spent so far', async () => {
  env = setup();
  env.worker('a', () => 'good');
  env.worker('b', () => 'good');
  env.worker('c', () => 'good', { records: 300 });
  env.worker('old', () => 'good', { features: [] }); // cannot apply client-level DP: never selected
  const job = await env.run({ rounds: 3, minWorkers: 2, roundDeadlineMs: 2000 });
  expect(job.state).toBe('completed');
  expect(env.seen.map((s) => s.workerId)).not.toContain('old');
  for (const s of env.seen) {
    expect(s.clientDp).toEqual({
      clipNorm: 1,
      noiseMultiplier: 1.1,
      selected: 3,
      minContributors: 3,
      weightDenominator: 500,
    });
  }
  job.rounds.forEach((r, i) => {
    const rounds = i + 1;
    expect(r.participants).toHaveLength(3);
    expect(r.metrics.client_epsilon).toBeCloseTo(
      computeEpsilon({ noiseMultiplier: 1.1, sampleRate: 1, steps: rounds, delta: 1e-5 }).epsilon,
      10,
    );
    expect(r.metrics.client_epsilon_participant).toBeCloseTo(
      eps(Array<number>(rounds).fill(1.1 * Math.sqrt(2 / 3))),
      10,
    );
    expect(r.metrics.client_epsilon_update).toBeCloseTo(
      eps(Array<number>(rounds).fill(1.1 / Math.sqrt(3))),
      10,
    );
    expect(r.metrics.client_delta).toBe(1e-5);
  });
  // The training loss is not covered by client-level DP and the simulated workers send none.
  expect(job.rounds[0]!.metrics.train_loss).toBeUndefined();
});

test('with k = m a dropout makes the attempt retry (the sum would carry less noise) instead of opening it', async () => {
  env = setup();
  env.worker('a', () => 'good');
  env.worker('b', () => 'good');
  env.worker('c', (round, attempt) => (round === 1 && attempt === 1 ? 'silent' : 'good'));
  const job = await env.run({ rounds: 1, minWorkers: 2, roundDeadlineMs: 400 });
  expect(job.state).toBe('completed');
  const r = job.rounds[0]!;
  expect(r.attempts).toBe(2);
  expect(r.failures).toEqual([{ workerId: 'c', kind: 'timeout', detail: expect.any(String) }]);
  expect(r.participants.sort()).toEqual(['a', 'b']);
  // The retry ran without c: m = k = 2 and D = 200.
  expect(env.seen.filter((s) => s.round === 1).map((s) => s.clientDp?.selected)).toEqual([3, 3, 3, 2, 2]);
  expect(env.seen.at(-1)!.clientDp).toMatchObject({
    selected: 2,
    minContributors: 2,
    weightDenominator: 200,
  });
  expect(r.metrics.client_epsilon).toBeCloseTo(eps([1.1]), 10);
  // Two attempts each handed out one update per worker: both count against single updates.
  expect(r.metrics.client_epsilon_update).toBeCloseTo(eps([1.1 / Math.sqrt(3), 1.1 / Math.sqrt(2)]), 10);
});

test('minContributors below m tolerates a dropout; a full round then carries more than sigma', async () => {
  env = setup();
  env.worker('a', () => 'good');
  env.worker('b', () => 'good');
  env.worker('c', (round) => (round === 1 ? 'silent' : 'good'));
  const job = await env.run({
    rounds: 2,
    minWorkers: 1,
    roundDeadlineMs: 400,
    privacy: { mode: 'none', clientLevel: { clipNorm: 1, noiseMultiplier: 1.1, minContributors: 2 } },
  });
  expect(job.state).toBe('completed');
  expect(job.rounds.map((r) => [r.attempts, r.participants.length])).toEqual([
    [1, 2],
    [1, 3],
  ]);
  for (const s of env.seen) expect(s.clientDp).toMatchObject({ selected: 3, minContributors: 2 });
  // Round 1: 2 of k = 2 contributions (sigma); round 2: 3 contributions (sigma * sqrt(3/2)).
  expect(job.rounds[1]!.metrics.client_epsilon).toBeCloseTo(eps([1.1, 1.1 * Math.sqrt(3 / 2)]), 10);
  expect(job.rounds[1]!.metrics.client_epsilon).toBeLessThan(eps([1.1, 1.1]));
});

test('a job that needs more contributors than capable workers fails with the reason', async () => {
  env = setup();
  env.worker('a', () => 'good');
  env.worker('b', () => 'good', { features: [] });
  const job = await env.run({
    rounds: 1,
    minWorkers: 1,
    privacy: { mode: 'none', clientLevel: { clipNorm: 1, noiseMultiplier: 1, minContributors: 2 } },
  });
  expect(job.state).toBe('failed');
  expect(job.code).toBe('QUORUM_NOT_MET');
  expect(job.reason).toMatch(/only 1 eligible worker.*needs 2/);
});
