import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivacyBudget } from '../../worker/privacy-budget.js';
import { computeEpsilon } from '../../privacy/rdp-accountant.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-budget-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const round = {
  datasetId: 'hospital-a/wdbc',
  jobId: 'job-1',
  noiseMultiplier: 1.1,
  sampleRate: 0.1,
  steps: 10,
  delta: 1e-5,
};

test('charges compose as the accountant says and survive a restart', async () => {
  const file = join(dir, 'budget.json');
  const b = await PrivacyBudget.open(file, 10);
  const first = await b.charge(round, 5);
  const second = await b.charge(round, 5);
  const expected = computeEpsilon({ noiseMultiplier: 1.1, sampleRate: 0.1, steps: 20, delta: 1e-5 }).epsilon;
  expect(second.jobEpsilon).toBeCloseTo(expected, 9);
  expect(second.datasetEpsilon).toBeCloseTo(expected, 9);
  expect(second.jobEpsilon).toBeGreaterThan(first.jobEpsilon);
  const reopened = await PrivacyBudget.open(file, 10);
  expect(reopened.spent('hospital-a/wdbc', 1e-5)).toBeCloseTo(expected, 9);
  // Another job spends from the same dataset total but starts its own job epsilon.
  const other = await reopened.charge({ ...round, jobId: 'job-2' }, 5);
  expect(other.jobEpsilon).toBeCloseTo(first.jobEpsilon, 9);
  expect(other.datasetEpsilon).toBeGreaterThan(second.datasetEpsilon);
});

test('a round past the cap is refused before anything is charged', async () => {
  const file = join(dir, 'budget.json');
  const b = await PrivacyBudget.open(file, 3);
  let charged = 0;
  let refusal: unknown;
  for (let i = 0; i < 50 && !refusal; i++) {
    try {
      await b.charge(round, 100);
      charged++;
    } catch (e) {
      refusal = e;
    }
  }
  expect(charged).toBeGreaterThan(0);
  expect(refusal).toMatchObject({
    code: 'PRIVACY_BUDGET_EXHAUSTED',
    message: expect.stringContaining('refused before training'),
  });
  const spent = b.spent('hospital-a/wdbc', 1e-5);
  expect(spent).toBeLessThanOrEqual(3);
  expect((await PrivacyBudget.open(file, 3)).spent('hospital-a/wdbc', 1e-5)).toBeCloseTo(spent, 12);
  // The job's own target is enforced too.
  await expect(b.charge({ ...round, jobId: 'job-x' }, 0.01)).rejects.toMatchObject({
    code: 'PRIVACY_BUDGET_EXHAUSTED',
  });
});

test('an unreadable budget file stops the worker rather than starting from zero', async () => {
  const { writeFile } = await import('node:fs/promises');
  const file = join(dir, 'budget.json');
  await writeFile(file, '{ not json');
  await expect(PrivacyBudget.open(file, 10)).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    message: expect.stringContaining('refusing to train'),
  });
});

test('check says what a round would cost, and refuses past the cap, without charging anything', async () => {
  const file = join(dir, 'budget.json');
  const b = await PrivacyBudget.open(file, 10);
  const preview = b.check(round, 5);
  expect(b.spent('hospital-a/wdbc', 1e-5)).toBe(0);
  const charged = await b.charge(round, 5);
  expect(charged).toEqual(preview);
  // A round checked (then cancelled before its update left) leaves the budget as it was.
  b.check(round, 5);
  const reopened = await PrivacyBudget.open(file, 10);
  expect(reopened.spent('hospital-a/wdbc', 1e-5)).toBeCloseTo(charged.datasetEpsilon, 12);
  expect(() => reopened.check(round, charged.jobEpsilon * 1.01)).toThrow(/past the job's target/);
  expect(() => b.check({ ...round, noiseMultiplier: 0.3 }, 100)).toThrow(/refused before training/);
});
