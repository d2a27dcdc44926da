/**
 * The opener's ledger on disk: property 3 of secure aggregation ("an update is contributed to at
 * most one aggregate that can be opened") must survive a restart of the hospital's worker, so what
 * it reserved and opened is an append-only journal in the worker's state folder.
 *
 *   <stateDir>/opener-ledger.jsonl   one JSON object per line: reserve | commit | release
 *   <stateDir>/opener-ledger.lock    the pid of the one process using the journal
 *
 * Every entry is written and fsync'ed before the call returns, so a reservation is durable before
 * the secret key touches the aggregate. A crash after `reserve` and before `commit` leaves the
 * round reserved for good: the opener may have decrypted, so it must never open that round again
 * (the coordinator retries the round with fresh training and another opener). A torn last line
 * (the crash hit the write itself) is ignored: its call never returned, so nothing was decrypted.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makeError } from '../common/errors.js';
import type { HeOpenerLedger } from './he-opener.js';

export const OPENER_LEDGER_FILE = 'opener-ledger.jsonl';
const LOCK_FILE = 'opener-ledger.lock';

const entrySchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('reserve'), jobId: z.string(), round: z.number().int() }),
  z.object({ op: z.literal('release'), jobId: z.string(), round: z.number().int() }),
  z.object({
    op: z.literal('commit'),
    jobId: z.string(),
    round: z.number().int(),
    nonces: z.array(z.string()),
  }),
]);
type Entry = z.infer<typeof entrySchema>;

/** A ledger backed by a journal file; `close()` releases the folder for another process. */
export interface HeFileOpenerLedger extends HeOpenerLedger {
  // Synchronous: every entry is on disk (fsync'ed) when the call returns.
  reserve(jobId: string, round: number): boolean;
  seen(nonce: string): boolean;
  commit(jobId: string, round: number, nonces: readonly string[]): void;
  release(jobId: string, round: number): void;
  /** Rounds reserved or opened, as `[jobId, round]` (for diagnostics and tests). */
  readonly rounds: readonly (readonly [string, number])[];
  close(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(path: string): void {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const holder = Number(readFileSync(path, 'utf8').trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
    throw makeError(
      `the opener ledger in ${path} is in use by process ${holder}; two workers cannot share a state folder`,
      'INVALID_ARGUMENT',
      { holder },
    );
  }
  // A stale lock of a process that died: take it over.
  writeFileSync(path, String(process.pid), { mode: 0o600 });
}

/** Opens (creating if needed) the opener ledger in `stateDir`. */
export function createFileOpenerLedger(stateDir: string): HeFileOpenerLedger {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const lockPath = join(stateDir, LOCK_FILE);
  takeLock(lockPath);
  const path = join(stateDir, OPENER_LEDGER_FILE);
  const rounds = new Map<string, 'reserved' | 'opened'>();
  const nonces = new Set<string>();
  const key = (jobId: string, round: number): string => JSON.stringify([jobId, round]);
  const apply = (e: Entry): void => {
    const k = key(e.jobId, e.round);
    if (e.op === 'reserve') rounds.set(k, 'reserved');
    else if (e.op === 'release') {
      if (rounds.get(k) === 'reserved') rounds.delete(k);
    } else {
      rounds.set(k, 'opened');
      for (const n of e.nonces) nonces.add(n);
    }
  };

  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // Whatever follows the last newline is a torn write (or nothing).
  const complete = text.split('\n').slice(0, -1);
  for (const [i, line] of complete.entries()) {
    let entry: Entry;
    try {
      entry = entrySchema.parse(JSON.parse(line));
    } catch (e) {
      throw makeError(
        `${path} line ${i + 1} is corrupt; the opener ledger cannot be trusted`,
        'INTERNAL',
        {},
        e,
      );
    }
    apply(entry);
  }
  // A torn last line (no newline) is dropped by truncating the file to the complete lines.
  const good = complete.length > 0 ? complete.join('\n') + '\n' : '';
  if (good.length !== text.length) writeFileSync(path, good, { mode: 0o600 });

  let fd: number | undefined = openSync(path, 'a', 0o600);
  const append = (e: Entry): void => {
    if (fd === undefined) throw makeError('the opener ledger is closed', 'INTERNAL');
    writeSync(fd, JSON.stringify(e) + '\n');
    fsyncSync(fd);
    apply(e);
  };
  return {
    get rounds() {
      return [...rounds.keys()].map((k) => JSON.parse(k) as [string, number]);
    },
    reserve(jobId, round) {
      if (rounds.has(key(jobId, round))) return false;
      append({ op: 'reserve', jobId, round });
      return true;
    },
    seen: (nonce) => nonces.has(nonce),
    commit(jobId, round, opened) {
      append({ op: 'commit', jobId, round, nonces: [...opened] });
    },
    release(jobId, round) {
      if (rounds.get(key(jobId, round)) === 'reserved') append({ op: 'release', jobId, round });
    },
    close() {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
      rmSync(lockPath, { force: true });
    },
  };
}
