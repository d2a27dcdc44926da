/**
 * The outbox on its own, with a scripted executor standing in for the chain: durability across a
 * close (or a crash that tears the last line), strict order with head-of-line retry, permanent
 * refusals surfaced without blocking the rest, and idempotent enqueue. The real chain behind it is
 * exercised in test/integration/ledger-outage.test.ts.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeError } from '../../common/errors.js';
import { Outbox, type OutboxEntry, type WriteOutcome } from '../../ledger/outbox.js';
import { isTransient } from '../../ledger/tx-sender.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aidoc-outbox-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const entry = (id: string, round = 1): OutboxEntry => ({
  id,
  kind: 'settle',
  jobId: 'j',
  round,
  payload: { id },
});
const ok = (id: string): WriteOutcome => ({
  status: 'mined',
  txHash: `0x${id}`,
  blockNumber: 1,
  gasUsed: 21000n,
});
const transient = () => makeError('connect ECONNREFUSED', 'LEDGER_TX_FAILED', { transient: true });
const refused = () =>
  makeError('settleRound reverted: JobNotOpen', 'LEDGER_TX_FAILED', { revert: 'JobNotOpen' });

test('entries on disk survive a close before they were sent, and run in order on reopen', async () => {
  const sent: string[] = [];
  const file2 = join(dir, 'outbox.jsonl');
  const blocked = new Outbox({
    file: file2,
    execute: (e) => {
      sent.push(e.id);
      return Promise.reject(transient());
    },
    isTransient,
    initialRetryMs: 5,
  });
  blocked.enqueue([entry('a'), entry('b'), entry('c')]);
  await new Promise((r) => setTimeout(r, 30));
  await blocked.close();
  // Head-of-line: while 'a' keeps failing, 'b' and 'c' are never attempted.
  expect(new Set(sent)).toEqual(new Set(['a']));

  const done: string[] = [];
  const reopened = new Outbox({
    file: file2,
    execute: (e) => {
      done.push(e.id);
      return Promise.resolve(ok(e.id));
    },
    isTransient,
  });
  expect(reopened.pending().map((p) => p.id)).toEqual(['a', 'b', 'c']);
  const results = await reopened.when(['a', 'b', 'c'], { timeoutMs: 2000 });
  expect(done).toEqual(['a', 'b', 'c']);
  expect(results.map((r) => r.txHash)).toEqual(['0xa', '0xb', '0xc']);
  await reopened.close();

  // A third open finds everything done: nothing is sent again.
  const again = new Outbox({
    file: file2,
    execute: () => Promise.reject(new Error('must not run')),
    isTransient,
  });
  expect(again.pending()).toEqual([]);
  expect((await again.when(['b']))[0]?.gasUsed).toBe(21000n);
  await again.close();
});

test('a torn last line (crash mid-append) is cut off; the lines before it count', async () => {
  const file = join(dir, 'outbox.jsonl');
  const o = new Outbox({ file, execute: () => new Promise(() => undefined), isTransient });
  o.enqueue([entry('x')]);
  // Simulate the crash: no close (the attempt never returns), a half-written line, the lock left.
  appendFileSync(file, '{"t":"enqueue","id":"y","ki');
  rmSync(`${file}.lock`);
  const reopened = new Outbox({ file, execute: (e) => Promise.resolve(ok(e.id)), isTransient });
  expect(reopened.pending().map((p) => p.id)).toEqual(['x']);
  await reopened.flush({ timeoutMs: 2000 });
  await reopened.close();
  expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
  expect(readFileSync(file, 'utf8')).not.toContain('"id":"y"');
});

test('transient errors are retried until they pass; a refusal fails its write only', async () => {
  let attempts = 0;
  const seen: string[] = [];
  const o = new Outbox({
    execute: (e) => {
      seen.push(e.id);
      if (e.id === 'a' && ++attempts < 4) return Promise.reject(transient());
      if (e.id === 'b') return Promise.reject(refused());
      return Promise.resolve(ok(e.id));
    },
    isTransient,
    initialRetryMs: 1,
  });
  const t = o.enqueue([entry('a'), entry('b'), entry('c')]);
  await expect(o.when(t.ids, { timeoutMs: 2000 })).rejects.toMatchObject({
    code: 'LEDGER_TX_FAILED',
    info: { revert: 'JobNotOpen' },
  });
  await o.flush({ timeoutMs: 2000 });
  expect(seen).toEqual(['a', 'a', 'a', 'a', 'b', 'c']);
  expect((await o.when(['c']))[0]?.status).toBe('mined');
  // A failed write may be enqueued again (after the cause is fixed); a done one may not.
  o.enqueue([entry('b'), entry('c')]);
  expect(o.pending().map((p) => p.id)).toEqual(['b']);
  await o.close();
});

test('enqueueing an id already pending is a no-op', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const ran: string[] = [];
  const o = new Outbox({
    execute: async (e) => {
      await gate;
      ran.push(e.id);
      return ok(e.id);
    },
    isTransient,
  });
  o.enqueue([entry('a')]);
  o.enqueue([entry('a'), entry('b')]);
  expect(o.pending().map((p) => p.id)).toEqual(['a', 'b']);
  release();
  await o.flush({ timeoutMs: 2000 });
  expect(ran).toEqual(['a', 'b']);
  await o.close();
});

test('one process, one opener per file; waits honour timeouts', async () => {
  const file = join(dir, 'outbox.jsonl');
  const o = new Outbox({ file, execute: () => Promise.reject(transient()), isTransient, initialRetryMs: 1 });
  expect(() => new Outbox({ file, execute: (e) => Promise.resolve(ok(e.id)), isTransient })).toThrow(
    /already open/,
  );
  o.enqueue([entry('a')]);
  await expect(o.flush({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  const waiting = o.when(['a']);
  await o.close();
  await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  await expect(o.when(['zzz'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
