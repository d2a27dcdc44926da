/**
 * Clients of the coordinator (hospital workers, vendors, operators) over mutual TLS from their kit, with
 * promise/async-iterable methods instead of grpc-js callbacks:
 * - unary:          `client.Register(request, opts?) => Promise<response>`
 * - client stream:  `client.PushUpdate(requests: Iterable | AsyncIterable, opts?) => Promise<response>`
 *                   (backpressure honoured; stops sending as soon as the server answers, e.g. a rejection)
 * - server stream:  `client.FetchPayload(request, opts?) => AsyncIterable<response>` (breaking out of the
 *                   loop cancels the call)
 * Errors arrive as AidocErrors with the server's exact code (see grpc-status.ts); a coordinator that is
 * down or refuses the handshake gives `info.retryable === true`.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { once } from 'node:events';
import { makeError } from '../../common/errors.js';
import type { Kit } from '../../common/pki-kit.js';
import type {
  AdminServiceDefinition,
  AdminServiceHandlers,
} from '../../protos/generated/aidoc/v1/AdminService.js';
import type { JobServiceDefinition, JobServiceHandlers } from '../../protos/generated/aidoc/v1/JobService.js';
import type {
  WorkerServiceDefinition,
  WorkerServiceHandlers,
} from '../../protos/generated/aidoc/v1/WorkerService.js';
import { loadAidocProtos, type AidocServiceName } from '../../protos/load.js';
import { createClientCredentials } from './auth.js';
import { MAX_CHUNK_BYTES } from './chunks.js';
import { fromGrpcError } from './grpc-status.js';

export interface ClientCallOptions {
  /**
   * Milliseconds until the call fails with TIMEOUT.
   * @defaultValue no deadline
   */
  deadlineMs?: number;
  /** Cancels the call (it then fails with ABORTED). */
  signal?: AbortSignal;
  /**
   * Request metadata.
   * @defaultValue none
   */
  metadata?: grpc.Metadata;
}

type MethodTypes<D> =
  D extends MethodDefinition<infer ReqIn, infer _ResIn, infer _ReqOut, infer ResOut>
    ? [ReqIn, ResOut]
    : never;

type ClientMethod<H, D> =
  MethodTypes<D> extends [infer Req, infer Res]
    ? H extends (call: grpc.ServerWritableStream<infer _A, infer _B>) => void
      ? (request: Req, options?: ClientCallOptions) => AsyncIterable<Res>
      : H extends (call: grpc.ServerDuplexStream<infer _A, infer _B>) => void
        ? (requests: Iterable<Req> | AsyncIterable<Req>, options?: ClientCallOptions) => AsyncIterable<Res>
        : H extends (
              call: grpc.ServerReadableStream<infer _A, infer _B>,
              callback: grpc.sendUnaryData<infer _C>,
            ) => void
          ? (requests: Iterable<Req> | AsyncIterable<Req>, options?: ClientCallOptions) => Promise<Res>
          : (request: Req, options?: ClientCallOptions) => Promise<Res>
    : never;

type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };

export type ServiceClient<H, D> = { [M in KnownKeys<H> & keyof D]: ClientMethod<H[M], D[M]> } & {
  /** The underlying grpc-js client. */
  readonly raw: grpc.Client;
  /** Waits until the channel is connected (TLS handshake done), or fails with TIMEOUT. */
  ready(timeoutMs: number): Promise<void>;
  close(): void;
};

export type WorkerServiceClient = ServiceClient<WorkerServiceHandlers, WorkerServiceDefinition>;
export type JobServiceClient = ServiceClient<JobServiceHandlers, JobServiceDefinition>;
export type AdminServiceClient = ServiceClient<AdminServiceHandlers, AdminServiceDefinition>;

export type AidocClient<N extends AidocServiceName> = N extends 'WorkerService'
  ? WorkerServiceClient
  : N extends 'JobService'
    ? JobServiceClient
    : AdminServiceClient;

/**
 * HTTP/2 receive window of a client connection. HTTP/2's default (64 KiB) lets the coordinator
 * send only 64 KiB before it must wait for the client's WINDOW_UPDATE, which a busy event loop
 * (a worker decrypting an aggregate as it arrives) sends late: the 7.8 MB aggregate of a
 * 1M-parameter model took 220-290 ms to fetch with it and ~190 ms with this window (bench he).
 * Eight 1 MiB payload chunks may then be in flight per connection.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 8 * MAX_CHUNK_BYTES;

export interface GrpcClientOptions {
  /**
   * `host:port` of the coordinator.
   * @defaultValue the kit's `coordinatorAddress`
   */
  address?: string;
  /**
   * Extra grpc-js channel options (e.g. keepalive). Message size limits stay at gRPC's defaults:
   * payloads travel in chunks of at most 1 MiB.
   * @defaultValue `{}`
   */
  channelOptions?: grpc.ChannelOptions;
}

type RawMethod = (
  ...args: unknown[]
) => grpc.ClientUnaryCall & grpc.ClientWritableStream<unknown> & grpc.ClientReadableStream<unknown>;

/** A client of one aidoc.v1 service, authenticated with `kit` (a worker, vendor or operator kit). */
export function createGrpcClient<N extends AidocServiceName>(
  kit: Pick<Kit, 'certPem' | 'keyPem' | 'caPem' | 'manifest'>,
  service: N,
  options: GrpcClientOptions = {},
): AidocClient<N> {
  const proto = loadAidocProtos();
  const Ctor = proto[service] as unknown as grpc.ServiceClientConstructor;
  const address = options.address ?? kit.manifest.coordinatorAddress;
  const raw = new Ctor(address, createClientCredentials(kit), {
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
    ...(options.channelOptions ?? {}),
  }) as unknown as grpc.Client & Record<string, RawMethod>;
  const out: Record<string, unknown> = {
    raw,
    ready: (timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        raw.waitForReady(Date.now() + timeoutMs, (err) => {
          if (err) {
            reject(
              makeError(
                `could not connect to the coordinator at ${address} within ${timeoutMs} ms: ${err.message}`,
                'TIMEOUT',
                {
                  address,
                  retryable: true,
                },
              ),
            );
          } else resolve();
        });
      }),
    close: () => raw.close(),
  };

  for (const [method, def] of Object.entries(Ctor.service)) {
    const fn = (raw[method] as RawMethod).bind(raw);
    if (!def.requestStream && !def.responseStream) {
      out[method] = (request: unknown, opts: ClientCallOptions = {}) =>
        new Promise((resolve, reject) => {
          const call = fn(
            request,
            opts.metadata ?? new grpc.Metadata(),
            callOptions(opts),
            (err: grpc.ServiceError | null, value?: unknown) => {
              opts.signal?.removeEventListener('abort', onAbort);
              if (err) reject(fromGrpcError(err));
              else resolve(value);
            },
          );
          const onAbort = () => call.cancel();
          if (opts.signal?.aborted) call.cancel();
          else opts.signal?.addEventListener('abort', onAbort, { once: true });
        });
    } else if (def.requestStream && !def.responseStream) {
      out[method] = (requests: Iterable<unknown> | AsyncIterable<unknown>, opts: ClientCallOptions = {}) =>
        sendStream(fn, requests, opts);
    } else {
      out[method] = def.requestStream
        ? (requests: Iterable<unknown> | AsyncIterable<unknown>, opts: ClientCallOptions = {}) =>
            bidiStream(fn, requests, opts)
        : (request: unknown, opts: ClientCallOptions = {}) =>
            receiveStream(fn(request, opts.metadata ?? new grpc.Metadata(), callOptions(opts)), opts);
    }
  }
  return out as unknown as AidocClient<N>;
}

function callOptions(opts: ClientCallOptions): grpc.CallOptions {
  return opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs };
}

async function sendStream(
  fn: RawMethod,
  requests: Iterable<unknown> | AsyncIterable<unknown>,
  opts: ClientCallOptions,
): Promise<unknown> {
  let settled = false;
  let call!: grpc.ClientWritableStream<unknown>;
  const result = new Promise<unknown>((resolve, reject) => {
    call = fn(
      opts.metadata ?? new grpc.Metadata(),
      callOptions(opts),
      (err: grpc.ServiceError | null, value?: unknown) => {
        settled = true;
        if (err) reject(fromGrpcError(err));
        else resolve(value);
      },
    );
  });
  // The server may answer before we finish sending (e.g. it rejected a chunk): stop writing then.
  const answered = result.then(
    () => undefined,
    () => undefined,
  );
  const onAbort = () => call.cancel();
  if (opts.signal?.aborted) call.cancel();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of requests) {
      if (settled || opts.signal?.aborted) break;
      if (!call.write(message)) {
        await Promise.race([once(call, 'drain').catch(() => undefined), answered]);
      }
    }
    if (!settled) call.end();
    return await result;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function* receiveStream(
  call: grpc.ClientReadableStream<unknown>,
  opts: ClientCallOptions,
): AsyncGenerator<unknown> {
  let ended = false;
  const onAbort = () => call.cancel();
  if (opts.signal?.aborted) call.cancel();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of call as AsyncIterable<unknown>) yield message;
    ended = true;
  } catch (e) {
    ended = true;
    throw fromGrpcError(e);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!ended) call.cancel(); // the consumer stopped early
  }
}

async function* bidiStream(
  fn: RawMethod,
  requests: Iterable<unknown> | AsyncIterable<unknown>,
  opts: ClientCallOptions,
): AsyncGenerator<unknown> {
  const call = fn(
    opts.metadata ?? new grpc.Metadata(),
    callOptions(opts),
  ) as unknown as grpc.ClientDuplexStream<unknown, unknown>;
  const writing = (async () => {
    try {
      for await (const message of requests) {
        if (!call.write(message)) await once(call, 'drain');
      }
      call.end();
    } catch {
      call.cancel();
    }
  })();
  try {
    yield* receiveStream(call, opts);
  } finally {
    await writing;
  }
}
