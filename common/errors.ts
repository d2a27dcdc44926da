/**
 * Coded errors, in the manner of ethers v6: one closed union of codes, one error class,
 * `makeError` to build one and `isError(e, code)` to narrow. Callers branch on the code,
 * never on the message text. Messages say what was wrong and what to do about it.
 *
 * Codes map to gRPC status codes and CLI exit codes only at the edges (server, CLI).
 */
export type ErrorCode =
  /** A caller passed a bad value (a CLI flag, an option, a function argument). */
  | 'INVALID_ARGUMENT'
  /** A dataset file or its schema is malformed; `info` names file, line and column. */
  | 'INVALID_DATASET'
  /** A model topology is unsupported or does not fit the dataset; `info.problems` lists all. */
  | 'INVALID_MODEL'
  /** A job spec failed validation; `info.problems` lists every problem. */
  | 'INVALID_JOB_SPEC'
  /** A requested backend or optional component is not installed on this machine. */
  | 'BACKEND_UNAVAILABLE'
  /** The operation was cancelled through its AbortSignal. */
  | 'ABORTED'
  /** A dataset's privacy budget would be exceeded. */
  | 'PRIVACY_BUDGET_EXHAUSTED'
  /** Not enough workers reached the round to meet its minimum. */
  | 'QUORUM_NOT_MET'
  /** A caller's identity is not allowed to do this. */
  | 'PERMISSION_DENIED'
  /** Something was looked up and is not there. */
  | 'NOT_FOUND'
  /** An update, ciphertext or aggregate failed verification. */
  | 'VERIFICATION_FAILED'
  /** A chain transaction failed or reverted. */
  | 'LEDGER_TX_FAILED'
  /** A deadline passed. */
  | 'TIMEOUT'
  /** A bug or an unexpected state; report it. */
  | 'INTERNAL';

export type ErrorInfo = Record<string, unknown>;

export class AidocError extends Error {
  readonly code: ErrorCode;
  readonly info: ErrorInfo;

  constructor(message: string, code: ErrorCode, info: ErrorInfo = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AidocError';
    this.code = code;
    this.info = info;
  }
}

export function makeError(message: string, code: ErrorCode, info: ErrorInfo = {}, cause?: unknown): AidocError {
  return new AidocError(message, code, info, cause === undefined ? undefined : { cause });
}

export function isError<C extends ErrorCode>(e: unknown, code: C): e is AidocError & { code: C } {
  return e instanceof AidocError && e.code === code;
}

/** Throws INVALID_ARGUMENT with `message` unless `check` holds. */
export function assertArgument(check: unknown, message: string, info: ErrorInfo = {}): asserts check {
  if (!check) throw makeError(message, 'INVALID_ARGUMENT', info);
}

/** Throws ABORTED if `signal` has been aborted; call between units of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw makeError(`${what} was cancelled`, 'ABORTED', { reason: String(signal.reason) });
}
