/**
 * Who is connected, what they offer, and their mailboxes. Workers dial out and long-poll for
 * tasks, so "sending a task" means putting it in the worker's mailbox and waking its pending poll.
 * Health is derived from heartbeats: a worker that stops heartbeating turns stale (not selected),
 * then offline (its open tasks fail as dropped).
 */
import { randomUUID } from 'node:crypto';
import { makeError } from '../common/errors.js';

export interface DatasetOffer {
  datasetId: string;
  schemaId: string;
  featureShape: number[];
  numClasses: number;
  records: number;
}

export interface WorkerCapabilitiesInfo {
  cores: number;
  memoryBytes: number;
  backend: string;
  softwareVersion: string;
  features: string[];
  datasets: DatasetOffer[];
}

export type WorkerHealth = 'healthy' | 'stale' | 'offline';

export interface WorkerFailureRecord {
  jobId: string;
  round: number;
  kind: string;
  detail: string;
  at: number;
}

export interface WorkerRecord {
  workerId: string;
  sessionId: string;
  fingerprint: string;
  peer: string;
  capabilities: WorkerCapabilitiesInfo;
  registeredAt: number;
  lastHeartbeat: number;
  roundsServed: number;
  failures: number;
  lastFailure?: WorkerFailureRecord;
  currentTaskId?: string;
}

export interface WorkerRegistryOptions {
  /** Interval workers are told to heartbeat at. @defaultValue 2,000 ms */
  heartbeatIntervalMs?: number;
  /** A worker is stale (not selected) after this many missed intervals. @defaultValue 3 */
  staleAfterIntervals?: number;
  /** ...and offline (its tasks fail as dropped) after this many. @defaultValue 6 */
  offlineAfterIntervals?: number;
  now?: () => number;
}

interface Session<T> {
  record: WorkerRecord;
  mailbox: T[];
  waiters: ((task: T | undefined) => void)[];
  cancelled: Set<string>;
}

export class WorkerRegistry<T extends { taskId: string }> {
  readonly heartbeatIntervalMs: number;
  readonly #staleMs: number;
  readonly #offlineMs: number;
  readonly #now: () => number;
  readonly #byWorker = new Map<string, Session<T>>();
  readonly #bySession = new Map<string, Session<T>>();
  readonly #droppedListeners = new Set<(workerId: string, sessionId: string) => void>();

  constructor(options: WorkerRegistryOptions = {}) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 2000;
    this.#staleMs = this.heartbeatIntervalMs * (options.staleAfterIntervals ?? 3);
    this.#offlineMs = this.heartbeatIntervalMs * (options.offlineAfterIntervals ?? 6);
    this.#now = options.now ?? Date.now;
  }

  /** Registers (or re-registers) a worker; an older session of the same identity is dropped. */
  register(args: {
    workerId: string;
    fingerprint: string;
    peer: string;
    capabilities: WorkerCapabilitiesInfo;
  }): WorkerRecord {
    const previous = this.#byWorker.get(args.workerId);
    if (previous) this.#drop(previous);
    const now = this.#now();
    const record: WorkerRecord = {
      workerId: args.workerId,
      sessionId: randomUUID(),
      fingerprint: args.fingerprint,
      peer: args.peer,
      capabilities: args.capabilities,
      registeredAt: now,
      lastHeartbeat: now,
      roundsServed: previous?.record.roundsServed ?? 0,
      failures: previous?.record.failures ?? 0,
      ...(previous?.record.lastFailure ? { lastFailure: previous.record.lastFailure } : {}),
    };
    const session: Session<T> = { record, mailbox: [], waiters: [], cancelled: new Set() };
    this.#byWorker.set(args.workerId, session);
    this.#bySession.set(record.sessionId, session);
    return record;
  }

  /** The live session of `workerId` calling with `sessionId`; NOT_FOUND tells the worker to re-register. */
  session(sessionId: string, workerId: string): WorkerRecord {
    const s = this.#bySession.get(sessionId);
    if (!s || s.record.workerId !== workerId) {
      throw makeError('unknown or expired session; register again', 'NOT_FOUND', { sessionId });
    }
    return s.record;
  }

  heartbeat(sessionId: string, workerId: string, currentTaskId?: string): { cancelled: string[] } {
    const s = this.#bySession.get(sessionId);
    if (!s || s.record.workerId !== workerId) return { cancelled: [] };
    s.record.lastHeartbeat = this.#now();
    if (currentTaskId !== undefined) s.record.currentTaskId = currentTaskId || undefined;
    const cancelled = [...s.cancelled];
    s.cancelled.clear();
    return { cancelled };
  }

  isKnownSession(sessionId: string): boolean {
    return this.#bySession.has(sessionId);
  }

  health(record: WorkerRecord): WorkerHealth {
    const age = this.#now() - record.lastHeartbeat;
    return age > this.#offlineMs ? 'offline' : age > this.#staleMs ? 'stale' : 'healthy';
  }

  list(): WorkerRecord[] {
    return [...this.#byWorker.values()].map((s) => s.record);
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.#byWorker.get(workerId)?.record;
  }

  /** Healthy workers holding a dataset of `schemaId`. */
  eligible(schemaId: string): WorkerRecord[] {
    return this.list().filter(
      (r) => this.health(r) === 'healthy' && r.capabilities.datasets.some((d) => d.schemaId === schemaId),
    );
  }

  /** Puts a task in the worker's mailbox, waking a pending poll. */
  assign(workerId: string, task: T): void {
    const s = this.#byWorker.get(workerId);
    if (!s) throw makeError(`worker ${workerId} is not registered`, 'NOT_FOUND');
    const waiter = s.waiters.shift();
    if (waiter) waiter(task);
    else s.mailbox.push(task);
  }

  /** Withdraws a task: removed from the mailbox if not yet pulled, else announced on the next heartbeat. */
  cancel(workerId: string, taskId: string): void {
    const s = this.#byWorker.get(workerId);
    if (!s) return;
    const i = s.mailbox.findIndex((t) => t.taskId === taskId);
    if (i >= 0) s.mailbox.splice(i, 1);
    else s.cancelled.add(taskId);
  }

  /** Long-poll: the next task for this session, or undefined after `waitMs` or on abort. */
  pull(sessionId: string, workerId: string, waitMs: number, signal?: AbortSignal): Promise<T | undefined> {
    const s = this.#bySession.get(sessionId);
    if (!s || s.record.workerId !== workerId) {
      return Promise.reject(
        makeError('unknown or expired session; register again', 'NOT_FOUND', { sessionId }),
      );
    }
    s.record.lastHeartbeat = this.#now();
    const next = s.mailbox.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve) => {
      const done = (task: T | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = s.waiters.indexOf(done);
        if (i >= 0) s.waiters.splice(i, 1);
        resolve(task);
      };
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      s.waiters.push(done);
    });
  }

  recordServed(workerId: string): void {
    const r = this.get(workerId);
    if (r) r.roundsServed++;
  }

  recordFailure(workerId: string, failure: WorkerFailureRecord): void {
    const r = this.get(workerId);
    if (!r) return;
    r.failures++;
    r.lastFailure = failure;
  }

  /** Called when a session ends (replaced by a new registration). */
  onDropped(listener: (workerId: string, sessionId: string) => void): () => void {
    this.#droppedListeners.add(listener);
    return () => this.#droppedListeners.delete(listener);
  }

  #drop(s: Session<T>): void {
    this.#bySession.delete(s.record.sessionId);
    for (const w of s.waiters.splice(0)) w(undefined);
    for (const l of this.#droppedListeners) l(s.record.workerId, s.record.sessionId);
  }
}
