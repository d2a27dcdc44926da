/**
 * What is specific to the in-process queue and to the parts shared by both implementations
 * (options, retry classification, the factory's choice). The behaviour both implementations share
 * is tested once for both in test/integration/queue-contract.test.ts.
 */
import { createJobQueue } from '../../coordinator/queue/create-job-queue.js';
import { isRetryable, type JobQueueEvent } from '../../coordinator/queue/job-queue.js';
import { createMemoryJobQueue } from '../../coordinator/queue/queue-memory.js';
import { compileJobQueueOptions } from '../../coordinator/queue/queue-options.js';
import { makeError } from '../../common/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('without a Redis URL the factory returns the in-process queue and says so in the log', async () => {
  for (const redisUrl of [undefined, '']) {
    const logs: string[] = [];
    const q = await createJobQueue({ name: 'unit', redisUrl, log: (l) => logs.push(l) });
    expect(q.kind).toBe('memory');
    expect(logs).toEqual([
      "job queue 'unit': in-process (no Redis URL configured); jobs are not shared with other processes " +
        'and are lost when this process exits',
    ]);
    await q.close();
  }
});

test('bad options are refused with every problem listed', async () => {
  let error: unknown;
  try {
    compileJobQueueOptions({ name: 'a:b', attempts: 0, lockDurationMs: 10, redisUrl: 'http://x' });
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  const problems = (error as { info: { problems: string[] } }).info.problems;
  expect(problems.map((p) => p.split(':')[0])).toEqual(['name', 'redisUrl', 'attempts', 'lockDurationMs']);
  await expect(createJobQueue({ name: 'has space' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});

test('defaults are filled in one place', () => {
  const o = compileJobQueueOptions();
  expect(o).toMatchObject({
    name: 'aidoc-jobs',
    redisUrl: undefined,
    attempts: 3,
    retryDelayMs: 1000,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxRecoveries: 2,
    cancelPollMs: 1000,
    prefix: 'aidoc',
  });
  expect(o.replicaId).toMatch(/^.+-\d+-[0-9a-f]{4}$/);
  expect(typeof o.log).toBe('function');
});

test('which errors are retried', () => {
  expect(isRetryable(new Error('socket hang up'))).toBe(true);
  expect(isRetryable('a string')).toBe(true);
  expect(isRetryable(makeError('x', 'QUORUM_NOT_MET'))).toBe(true);
  expect(isRetryable(makeError('x', 'LEDGER_TX_FAILED'))).toBe(true);
  expect(isRetryable(makeError('x', 'TIMEOUT'))).toBe(true);
  expect(isRetryable(makeError('x', 'INVALID_JOB_SPEC'))).toBe(false);
  expect(isRetryable(makeError('x', 'PRIVACY_BUDGET_EXHAUSTED'))).toBe(false);
  expect(isRetryable(makeError('x', 'PERMISSION_DENIED'))).toBe(false);
  expect(isRetryable(makeError('x', 'INTERNAL', { retryable: false }))).toBe(false);
});

test('the spec is copied at enqueue, as Redis would store it', async () => {
  const q = createMemoryJobQueue<{ rounds: number }>({ log: () => {} });
  const spec = { rounds: 3 };
  await q.enqueue({ jobId: 'copy', vendor: 'v', spec });
  spec.rounds = 99;
  expect((await q.get('copy'))?.spec).toEqual({ rounds: 3 });
  await q.close();
});

test('a listener that throws is reported and does not stop the others; unsubscribing works', async () => {
  const logs: string[] = [];
  const q = createMemoryJobQueue({ log: (l) => logs.push(l) });
  const seen: JobQueueEvent[] = [];
  q.events.on(() => {
    throw new Error('listener bug');
  });
  const off = q.events.on((e) => seen.push(e));
  await q.enqueue({ jobId: 'e1', vendor: 'v', spec: {} });
  off();
  await q.enqueue({ jobId: 'e2', vendor: 'v', spec: {} });
  expect(seen).toEqual([{ type: 'queued', jobId: 'e1', vendor: 'v' }]);
  expect(logs.filter((l) => l.includes('listener bug'))).toHaveLength(2);
  await q.close();
});

test('a closed queue refuses work; close aborts running handlers with SHUTDOWN', async () => {
  const q = createMemoryJobQueue({ log: () => {} });
  let cause: unknown;
  await q.process(
    (_job, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          cause = (ctx.signal.reason as { info: { reason: string } }).info.reason;
          resolve(undefined);
        });
      }),
  );
  await q.enqueue({ jobId: 'busy', vendor: 'v', spec: {} });
  while ((await q.state('busy')).state !== 'running') await sleep(5);
  await q.close();
  expect(cause).toBe('SHUTDOWN');
  expect((await q.state('busy')).state).toBe('queued'); // handed back, for nobody in this process
  await expect(q.enqueue({ jobId: 'late', vendor: 'v', spec: {} })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
  });
});
