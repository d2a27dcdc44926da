import type { TaskAssignment } from '../../coordinator/round-engine.js';
import { simulatedFederation } from '../helpers/simulated-federation.js';

/**
 * The round engine without a network: simulated workers pull tasks from the registry and answer
 * through the engine's accept* methods, so every failure path can be driven precisely.
 */
type Behaviour = 'good' | 'silent' | 'wrong-length' | 'error' | 'vanish' | 'bad-nonce';

function setup() {
  const sim = simulatedFederation({
    model: { builtin: 'wdbc-mlp' },
    schemaId: 'wdbc-v1',
    quorumWaitMs: 300,
    // These simulated workers send plain deltas; secure aggregation has its own tests.
    secureAggregation: false,
  });

  function worker(id: string, behaviour: Behaviour | ((round: number) => Behaviour), records = 100) {
    sim.worker(
      id,
      ({ task, submission, length, vanish }) => {
        const b = typeof behaviour === 'function' ? behaviour(task.round) : behaviour;
        const { engine } = sim;
        if (task.kind === 'evaluate') {
          if (b !== 'vanish') engine.acceptEvaluation(id, submission);
          return;
        }
        if (b === 'good') engine.acceptUpdate(id, submission, new Float32Array(length).fill(0.01));
        else if (b === 'wrong-length') engine.acceptUpdate(id, submission, new Float32Array(length - 1));
        else if (b === 'bad-nonce')
          engine.acceptUpdate(id, { ...submission, nonce: Buffer.alloc(16) }, new Float32Array(length));
        else if (b === 'error') engine.acceptFailure(id, task.taskId, 'training failed: out of memory');
        else if (b === 'vanish') vanish();
      },
      { records },
    );
  }

  return { ...sim, worker };
}

let env: ReturnType<typeof setup>;
afterEach(() => env.stop());

test('a healthy federation completes every round with every worker', async () => {
  env = setup();
  env.worker('a', 'good');
  env.worker('b', 'good');
  env.worker('c', 'good', 300);
  const job = await env.run({ rounds: 3, minWorkers: 3, roundDeadlineMs: 2000 });
  expect(job.state).toBe('completed');
  expect(job.rounds.map((r) => r.participants.sort())).toEqual([
    ['a', 'b', 'c'],
    ['a', 'b', 'c'],
    ['a', 'b', 'c'],
  ]);
  expect(job.rounds[2]).toMatchObject({
    numExamples: 500,
    failures: [],
    version: `${job.jobId}@3`,
    metrics: { accuracy: 0.9, train_loss: 0.5 },
  });
  expect(env.store.versions(job.jobId).map((v) => v.parent)).toEqual([
    undefined,
    `${job.jobId}@1`,
    `${job.jobId}@2`,
  ]);
  expect(env.registry.get('a')!.roundsServed).toBe(3);
});

test('a silent worker is a timeout failure and the round closes with the others', async () => {
  env = setup();
  env.worker('a', 'good');
  env.worker('b', 'good');
  env.worker('slow', 'silent');
  const job = await env.run({ rounds: 1, minWorkers: 2, roundDeadlineMs: 400 });
  expect(job.state).toBe('completed');
  expect(job.rounds[0]!.participants.sort()).toEqual(['a', 'b']);
  expect(job.rounds[0]!.failures).toEqual([
    { workerId: 'slow', kind: 'timeout', detail: expect.stringContaining('deadline of 400 ms') },
  ]);
});

test('a wrong-length update, a forged nonce and a reported error are failures with their reasons', async () => {
  env = setup();
  env.worker('a', 'good');
  env.worker('short', 'wrong-length');
  env.worker('replay', 'bad-nonce');
  env.worker('oom', 'error');
  const job = await env.run({ rounds: 1, minWorkers: 1, roundDeadlineMs: 2000 });
  expect(job.state).toBe('completed');
  const byWorker = Object.fromEntries(job.rounds[0]!.failures.map((f) => [f.workerId, f]));
  expect(byWorker.short).toMatchObject({
    kind: 'rejected',
    detail: expect.stringMatching(/update has 1553 values, the model has 1554/),
  });
  expect(byWorker.replay).toMatchObject({ kind: 'rejected', detail: expect.stringMatching(/nonce/) });
  expect(byWorker.oom).toMatchObject({ kind: 'error', detail: 'training failed: out of memory' });
  expect(job.rounds[0]!.participants).toEqual(['a']);
});

test('a worker that stops heartbeating is dropped, and the round is retried with other workers', async () => {
  env = setup();
  env.worker('a', 'good');
  env.worker('gone', 'vanish');
  env.worker('c', (round) => (round === 1 ? 'silent' : 'good'));
  // minWorkers 2 with fraction 0.5 of 3 picks 2 workers; whichever attempt misses the quorum is retried.
  const job = await env.run({ rounds: 2, minWorkers: 1, fraction: 0.01, roundDeadlineMs: 600, seed: 3 });
  expect(job.state).toBe('completed');
  for (const r of job.rounds) expect(r.participants).toHaveLength(1);
  const failures = job.rounds.flatMap((r) => r.failures.map((f) => f.kind));
  expect(job.rounds.some((r) => r.attempts > 1) || failures.length === 0).toBe(true);
});

test('the job fails cleanly with the reason when no quorum can be had', async () => {
  env = setup();
  env.worker('a', 'good');
  env.worker('b', 'silent');
  const job = await env.run({ rounds: 2, minWorkers: 2, roundDeadlineMs: 300, maxAttempts: 2 });
  expect(job.state).toBe('failed');
  expect(job.code).toBe('QUORUM_NOT_MET');
  expect(job.reason).toMatch(/round 1 could not reach its quorum of 2|only 1 eligible worker/);
  const events = env.store.events(job.jobId).map((e) => e.body.type);
  expect(events[events.length - 1]).toBe('job_failed');
});

test('late updates from a closed round are rejected', async () => {
  env = setup();
  let captured: TaskAssignment | undefined;
  const rec = env.registry.register({
    workerId: 'late',
    fingerprint: 'x',
    peer: 'p',
    capabilities: {
      cores: 1,
      memoryBytes: 1,
      backend: 'wasm',
      softwareVersion: 't',
      features: [],
      datasets: [{ datasetId: 'd', schemaId: 'wdbc-v1', featureShape: [30], numClasses: 2, records: 10 }],
    },
  });
  const beat = setInterval(() => env.registry.heartbeat(rec.sessionId, 'late'), 20);
  env.worker('a', 'good');
  void (async () => {
    captured = await env.registry.pull(rec.sessionId, 'late', 2000);
  })();
  const job = await env.run({ rounds: 1, minWorkers: 1, roundDeadlineMs: 300 });
  clearInterval(beat);
  expect(job.state).toBe('completed');
  expect(captured).toBeDefined();
  expect(() =>
    env.engine.acceptUpdate(
      'late',
      {
        taskId: captured!.taskId,
        jobId: job.jobId,
        round: 1,
        numExamples: 10,
        metrics: {},
        nonce: captured!.nonce,
      },
      new Float32Array(1554),
    ),
  ).toThrow(/is not open: its round has closed/);
});
