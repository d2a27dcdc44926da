/**
 * The opener ledger on disk: what an opener reserved or opened survives a restart, so an update
 * can never be in two opened sums even when the hospital's worker restarts in between.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPENER_LEDGER_FILE, createFileOpenerLedger } from '../../privacy/he-opener-ledger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aidoc-opener-ledger-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('reservations, openings and nonces survive a restart', () => {
  const first = createFileOpenerLedger(dir);
  expect(first.reserve('job', 1)).toBe(true);
  first.commit('job', 1, ['n1', 'n2']);
  expect(first.reserve('job', 2)).toBe(true);
  expect(first.reserve('job', 3)).toBe(true);
  first.release('job', 3); // refused before decryption: the round may be opened later
  first.close();

  const second = createFileOpenerLedger(dir);
  expect(second.reserve('job', 1)).toBe(false); // opened
  expect(second.reserve('job', 2)).toBe(false); // reserved when the process died: burned for good
  expect(second.reserve('job', 3)).toBe(true);
  expect(second.seen('n1')).toBe(true);
  expect(second.seen('n3')).toBe(false);
  second.release('job', 1); // no effect on an opened round
  expect(second.reserve('job', 1)).toBe(false);
  second.close();
});

test('a torn last line (a crash inside the write) is dropped; a corrupt middle line is an error', () => {
  const l = createFileOpenerLedger(dir);
  l.reserve('job', 1);
  l.commit('job', 1, ['a']);
  l.close();
  appendFileSync(join(dir, OPENER_LEDGER_FILE), '{"op":"reserve","jobId":"job","ro');
  const again = createFileOpenerLedger(dir);
  expect(again.reserve('job', 2)).toBe(true);
  again.close();
  expect(readFileSync(join(dir, OPENER_LEDGER_FILE), 'utf8').trim().split('\n')).toHaveLength(3);

  writeFileSync(join(dir, OPENER_LEDGER_FILE), 'garbage\n{"op":"reserve","jobId":"job","round":1}\n');
  expect(() => createFileOpenerLedger(dir)).toThrow(/line 1 is corrupt/);
});

test('two live processes cannot share a state folder; a stale lock is taken over', () => {
  // The lock names a live process other than this one (our parent).
  writeFileSync(join(dir, 'opener-ledger.lock'), String(process.ppid));
  expect(() => createFileOpenerLedger(dir)).toThrow(/in use by process/);
  // A pid that cannot be alive.
  writeFileSync(join(dir, 'opener-ledger.lock'), '2147483646');
  const l = createFileOpenerLedger(dir);
  expect(l.reserve('job', 1)).toBe(true);
  l.close();
});
