/**
 * The one place where coded errors become gRPC statuses and back (the edge, see common/errors.ts).
 *
 * On the wire an error is a standard gRPC status (so any client understands it) plus trailing metadata
 * `aidoc-error-code` (the exact ErrorCode, since several codes share a status) and, when small,
 * `aidoc-error-info` (the error's info as JSON). Unexpected exceptions become INTERNAL with a generic
 * message: stack traces and internal state never leave the server.
 */
import * as grpc from '@grpc/grpc-js';
import { AidocError, makeError, type ErrorCode } from '../../common/errors.js';

const CODE_KEY = 'aidoc-error-code';
const INFO_KEY = 'aidoc-error-info';
/** Metadata beyond a few KiB risks the peer's header-size limit; larger info stays on the server. */
const MAX_INFO_JSON = 4096;

const STATUS_OF: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  INVALID_DATASET: grpc.status.INVALID_ARGUMENT,
  INVALID_MODEL: grpc.status.INVALID_ARGUMENT,
  INVALID_JOB_SPEC: grpc.status.INVALID_ARGUMENT,
  BACKEND_UNAVAILABLE: grpc.status.FAILED_PRECONDITION,
  ABORTED: grpc.status.CANCELLED,
  PRIVACY_BUDGET_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  QUORUM_NOT_MET: grpc.status.FAILED_PRECONDITION,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  NOT_FOUND: grpc.status.NOT_FOUND,
  // A rejected update or payload is the caller's bad input (wrong length, digest, nonce, round).
  VERIFICATION_FAILED: grpc.status.INVALID_ARGUMENT,
  LEDGER_TX_FAILED: grpc.status.UNAVAILABLE,
  TIMEOUT: grpc.status.DEADLINE_EXCEEDED,
  INTERNAL: grpc.status.INTERNAL,
};

/** Used when a status arrives without `aidoc-error-code` (another server, or the transport itself). */
const CODE_OF_STATUS: Partial<Record<grpc.status, ErrorCode>> = {
  [grpc.status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [grpc.status.OUT_OF_RANGE]: 'INVALID_ARGUMENT',
  [grpc.status.CANCELLED]: 'ABORTED',
  [grpc.status.DEADLINE_EXCEEDED]: 'TIMEOUT',
  [grpc.status.NOT_FOUND]: 'NOT_FOUND',
  [grpc.status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [grpc.status.UNAUTHENTICATED]: 'PERMISSION_DENIED',
};

/** The gRPC status a coded error is sent with. */
export function grpcStatusOf(code: ErrorCode): grpc.status {
  return STATUS_OF[code];
}

/** A server-side error as grpc-js sends it (`callback(err)` or `call.emit('error', err)`). */
export type GrpcServerError = Error & { code: grpc.status; details: string; metadata: grpc.Metadata };

/**
 * Turns anything a handler threw into the status the client receives. `onInternal` sees unexpected
 * exceptions (to log them); the client only learns that an internal error happened.
 */
export function toGrpcError(e: unknown, onInternal?: (e: unknown) => void): GrpcServerError {
  const metadata = new grpc.Metadata();
  let code: grpc.status;
  let details: string;
  if (e instanceof AidocError) {
    code = STATUS_OF[e.code];
    details = e.message;
    metadata.set(CODE_KEY, e.code);
    try {
      const info = JSON.stringify(e.info);
      if (info && info !== '{}' && info.length <= MAX_INFO_JSON) metadata.set(INFO_KEY, info);
    } catch {
      // info that cannot be serialized stays on the server
    }
    if (e.code === 'INTERNAL') onInternal?.(e);
  } else {
    onInternal?.(e);
    code = grpc.status.INTERNAL;
    details = 'internal error in the coordinator; see its log';
    metadata.set(CODE_KEY, 'INTERNAL');
  }
  return Object.assign(new Error(details), { code, details, metadata });
}

const KNOWN_CODES = new Set<string>(Object.keys(STATUS_OF));

/**
 * Turns an error from a gRPC call into an AidocError: the exact code when the server sent one, else the
 * closest code for the status. Transport failures (UNAVAILABLE: coordinator down or unreachable, TLS
 * handshake refused) become INTERNAL with `info.grpcStatus` = `'UNAVAILABLE'` and `info.retryable` = true,
 * so callers such as a worker's reconnect loop can back off and retry.
 */
export function fromGrpcError(e: unknown): AidocError {
  if (e instanceof AidocError) return e;
  const err = e as Partial<grpc.ServiceError> | undefined;
  if (!err || typeof err.code !== 'number')
    return makeError(String((e as Error)?.message ?? e), 'INTERNAL', {}, e);
  const sent = err.metadata?.get(CODE_KEY)[0];
  const status = err.code;
  const statusName = grpc.status[status] ?? String(status);
  let code: ErrorCode = CODE_OF_STATUS[status] ?? 'INTERNAL';
  if (typeof sent === 'string' && KNOWN_CODES.has(sent)) code = sent as ErrorCode;
  let info: Record<string, unknown> = {};
  const rawInfo = err.metadata?.get(INFO_KEY)[0];
  if (typeof rawInfo === 'string') {
    try {
      const parsed: unknown = JSON.parse(rawInfo);
      if (parsed && typeof parsed === 'object') info = parsed as Record<string, unknown>;
    } catch {
      // ignore malformed info
    }
  }
  const retryable = status === grpc.status.UNAVAILABLE;
  return makeError(
    err.details || err.message || statusName,
    code,
    { ...info, grpcStatus: statusName, retryable },
    e,
  );
}
