/**
 * The durable outbox between the round commit and the chain. A write is accepted by appending it
 * to a JSONL file and fsyncing, and only then acknowledged; a single loop sends the entries to the
 * chain strictly in order, retrying with backoff while the chain is unreachable. So a chain outage
 * delays writes and loses none, and a process restart resumes where it stopped.
 *
 * Exactly once on chain comes from the contracts, not from here: every write is keyed by
 * (job, round) and a second attempt reverts with AlreadyRecorded, which the executor reports as
 * `already-recorded`. The outbox only has to guarantee at least once.
 *
 * File lines: {"t":"enqueue",id,kind,jobId,round,payload} | {"t":"done",id,...result} |
 * {"t":"failed",id,error}. Enqueue lines are fsynced before `enqueue` returns; done and failed
 * lines are not (losing one only causes a retry, which the chain answers with already-recorded).
 * A torn last line (a crash mid-append) is cut off on open.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { makeError, isError, type AidocError } from '../common/errors.js';
import { acquireFileLock, type FileLock } from './file-lock.js';
import type { OutboxTicket, OutboxWriteKind, PendingWrite, WaitOptions, WriteResult } from './ledger.js';

export interface OutboxEntry {
  id: string;
  kind: OutboxWriteKind;
  jobId: string;
  round: number | null;
  /** JSON-safe arguments for the executor. */
  payload: unknown;
}

export type WriteOutcome = Pick<WriteResult, 'status' | 'txHash' | 'blockNumber' | 'gasUsed'>;

export interface OutboxOptions {
  /**
   * The JSONL file. Locked for the life of the outbox.
   * @defaultValue undefined: in memory only (for an in-memory chain, where durability means nothing)
   */
  file?: string;
  /** Sends one entry to the chain. */
  execute(entry: OutboxEntry): Promise<WriteOutcome>;
  /** Whether an error from `execute` is worth retrying (chain unreachable) or final (refused). */
  isTransient(e: unknown): boolean;
  /**
   * First retry delay; doubles up to `maxRetryMs`.
   * @defaultValue 50
   */
  initialRetryMs?: number;
  /** @defaultValue 2000 */
  maxRetryMs?: number;
  /**
   * Rewrites the file without finished entries on open once it has this many lines.
   * @defaultValue 10000
   */
  compactAfterLines?: number;
  /** Called on each failed attempt (for logs). */
  onAttemptError?(entry: OutboxEntry, error: unknown, attempt: number): void;
}

interface State {
  entry: OutboxEntry;
  attempts: number;
  lastError: string | null;
  result?: WriteResult;
  failure?: AidocError;
}

interface Waiter {
  resolve(r: WriteResult): void;
  reject(e: unknown): void;
}

type Line =
  | ({ t: 'enqueue' } & OutboxEntry)
  | ({ t: 'done'; id: string } & Omit<WriteOutcome, 'gasUsed'> & { gasUsed: string | null })
  | { t: 'failed'; id: string; error: { message: string; info: Record<string, unknown> } };

export class Outbox {
  private readonly states = new Map<string, State>();
  private readonly queue: string[] = [];
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly drainedWaiters = new Set<() => void>();
  private readonly fd: number | undefined;
  private readonly lock: FileLock | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly loopDone: Promise<void>;

  constructor(private readonly options: OutboxOptions) {
    if (options.file) {
      this.lock = acquireFileLock(options.file, 'ledger outbox');
      try {
        const lines = this.load(options.file);
        if (lines > (options.compactAfterLines ?? 10_000)) this.compact(options.file);
        this.fd = openSync(options.file, 'a');
      } catch (e) {
        this.lock.release();
        throw e;
      }
    }
    this.loopDone = this.loop();
  }

  /** Appends the entries (skipping ids already pending or done) and fsyncs before returning. */
  enqueue(entries: OutboxEntry[]): OutboxTicket {
    if (this.closed) throw makeError('the ledger outbox is closed', 'INTERNAL');
    const fresh = entries.filter((e) => {
      const s = this.states.get(e.id);
      return !s || s.failure !== undefined;
    });
    if (fresh.length > 0) {
      this.append(
        fresh.map((e) => ({ t: 'enqueue', ...e })),
        true,
      );
      for (const e of fresh) this.apply({ t: 'enqueue', ...e });
      this.wake?.();
    }
    return { ids: entries.map((e) => e.id) };
  }

  /** Resolves with each id's result, or rejects with the first failure. */
  when(ids: string[], options: WaitOptions = {}): Promise<WriteResult[]> {
    return withDeadline(
      Promise.all(ids.map((id) => this.whenOne(id))),
      options,
      `waiting for ledger writes ${ids.join(', ')}`,
    );
  }

  flush(options: WaitOptions = {}): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return withDeadline(
      new Promise<void>((resolve) => this.drainedWaiters.add(resolve)),
      options,
      `flushing ${this.queue.length} ledger writes`,
    );
  }

  pending(): PendingWrite[] {
    return this.queue.map((id) => {
      const s = this.states.get(id)!;
      const { kind, jobId, round } = s.entry;
      return { id, kind, jobId, round, attempts: s.attempts, lastError: s.lastError };
    });
  }

  /** Entries not yet on chain, with payloads (for the ledger's pending epsilon). */
  pendingEntries(): OutboxEntry[] {
    return this.queue.map((id) => this.states.get(id)!.entry);
  }

  /** Stops after the attempt in flight; pending entries stay on disk for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.loopDone;
    if (this.fd !== undefined) closeSync(this.fd);
    this.lock?.release();
    const closedError = makeError(
      'the ledger outbox was closed before this write reached the chain',
      'ABORTED',
    );
    for (const set of this.waiters.values()) for (const w of set) w.reject(closedError);
    this.waiters.clear();
  }

  private whenOne(id: string): Promise<WriteResult> {
    const s = this.states.get(id);
    if (!s) return Promise.reject(makeError(`no ledger write ${id} in the outbox`, 'NOT_FOUND', { id }));
    if (s.result) return Promise.resolve(s.result);
    if (s.failure) return Promise.reject(s.failure);
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add({ resolve, reject });
    });
  }

  private async loop(): Promise<void> {
    let delay = this.options.initialRetryMs ?? 50;
    while (!this.closed) {
      const id = this.queue[0];
      if (id === undefined) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      const s = this.states.get(id)!;
      s.attempts += 1;
      try {
        const outcome = await this.options.execute(s.entry);
        const line: Line = { t: 'done', id, ...outcome, gasUsed: outcome.gasUsed?.toString() ?? null };
        this.append([line], false);
        this.apply(line);
        delay = this.options.initialRetryMs ?? 50;
      } catch (e) {
        s.lastError = e instanceof Error ? e.message : String(e);
        this.options.onAttemptError?.(s.entry, e, s.attempts);
        if (this.options.isTransient(e)) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, delay);
            this.wake = () => {
              clearTimeout(t);
              r();
            };
          });
          this.wake = undefined;
          delay = Math.min(delay * 2, this.options.maxRetryMs ?? 2000);
        } else {
          const err =
            isError(e, 'LEDGER_TX_FAILED') || isError(e, 'INVALID_ARGUMENT')
              ? e
              : makeError(s.lastError, 'LEDGER_TX_FAILED', {}, e);
          const line: Line = { t: 'failed', id, error: { message: err.message, info: err.info } };
          this.append([line], false);
          this.apply(line);
        }
      }
    }
  }

  private apply(line: Line): void {
    if (line.t === 'enqueue') {
      const { t: _t, ...entry } = line;
      this.states.set(entry.id, { entry, attempts: 0, lastError: null });
      this.queue.push(entry.id);
      return;
    }
    const s = this.states.get(line.id);
    if (!s) return;
    const at = this.queue.indexOf(line.id);
    if (at >= 0) this.queue.splice(at, 1);
    const waiters = this.waiters.get(line.id);
    this.waiters.delete(line.id);
    if (line.t === 'done') {
      const { kind, jobId, round } = s.entry;
      s.result = {
        id: line.id,
        kind,
        jobId,
        round,
        status: line.status,
        txHash: line.txHash,
        blockNumber: line.blockNumber,
        gasUsed: line.gasUsed === null ? null : BigInt(line.gasUsed),
      };
      for (const w of waiters ?? []) w.resolve(s.result);
    } else {
      s.failure = makeError(line.error.message, 'LEDGER_TX_FAILED', line.error.info);
      for (const w of waiters ?? []) w.reject(s.failure);
    }
    if (this.queue.length === 0) {
      for (const r of this.drainedWaiters) r();
      this.drainedWaiters.clear();
    }
  }

  private append(lines: Line[], sync: boolean): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, lines.map((l) => JSON.stringify(l) + '\n').join(''));
    if (sync) fsyncSync(this.fd);
  }

  /** Replays the file into memory; returns its line count. */
  private load(file: string): number {
    if (!existsSync(file)) return 0;
    const text = readFileSync(file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, end))); // torn tail
    const lines = text.slice(0, end).split('\n').filter(Boolean);
    lines.forEach((l, i) => {
      let line: Line;
      try {
        line = JSON.parse(l) as Line;
      } catch {
        throw makeError(`ledger outbox ${file} is corrupt at line ${i + 1}`, 'INTERNAL', {
          file,
          line: i + 1,
        });
      }
      // A failed entry enqueued again gets a fresh state.
      if (line.t === 'enqueue' && this.states.get(line.id)?.failure === undefined && this.states.has(line.id))
        return;
      this.apply(line);
    });
    return lines.length;
  }

  /** Keeps only the pending entries, written to a new file that replaces the old one atomically. */
  private compact(file: string): void {
    const tmp = `${file}.compact`;
    const fd = openSync(tmp, 'w');
    const text = this.queue
      .map((id) => JSON.stringify({ t: 'enqueue', ...this.states.get(id)!.entry }) + '\n')
      .join('');
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    for (const [id, s] of this.states) if (!this.queue.includes(id) && s.result) this.states.delete(id);
  }
}

function withDeadline<T>(p: Promise<T>, { signal, timeoutMs }: WaitOptions, what: string): Promise<T> {
  if (!signal && timeoutMs === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      cleanup();
      reject(makeError(`${what} was cancelled`, 'ABORTED'));
    };
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        reject(makeError(`${what} timed out after ${timeoutMs} ms`, 'TIMEOUT'));
      }, timeoutMs);
    }
    p.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
