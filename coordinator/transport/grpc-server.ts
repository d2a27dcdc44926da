/**
 * The coordinator's gRPC server: mutual TLS from the coordinator kit, one authorization guard in front of
 * every method, and handlers written as plain async functions.
 *
 * Handler shapes (by method kind; `ctx` carries the caller's certificate identity and an AbortSignal):
 * - unary:          `(request, ctx) => response | Promise<response>`
 * - client stream:  `(requests: AsyncIterable, ctx) => response | Promise<response>`
 * - server stream:  `(request, ctx) => Iterable<response> | AsyncIterable<response>` (e.g. a generator;
 *                   backpressure is honoured: the generator is not resumed while the client is slow)
 * - bidi stream:    `(requests: AsyncIterable, ctx) => Iterable<response> | AsyncIterable<response>`
 * Whatever a handler throws is mapped to a gRPC status in one place (grpc-status.ts). A call is
 * authorized before its handler runs: a role not allowed for the service gets PERMISSION_DENIED and the
 * handler never sees it.
 */
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { makeError } from '../../common/errors.js';
import type { Kit } from '../../common/pki-kit.js';
import type { AdminServiceHandlers } from '../../protos/generated/aidoc/v1/AdminService.js';
import type { JobServiceHandlers } from '../../protos/generated/aidoc/v1/JobService.js';
import type { WorkerServiceHandlers } from '../../protos/generated/aidoc/v1/WorkerService.js';
import { loadAidocProtos, type AidocServiceName } from '../../protos/load.js';
import { authorizeService, callerOf, createServerCredentials, type Caller } from './auth.js';
import { toGrpcError } from './grpc-status.js';

/** What every handler gets besides its request(s). */
export interface CallContext {
  /** The caller's certificate identity (role, name, fingerprint). */
  caller: Caller;
  /** Aborted when the client cancels, its deadline passes, or the server shuts down. */
  signal: AbortSignal;
  /** Request metadata. */
  metadata: grpc.Metadata;
  /** The peer address as gRPC reports it, e.g. `ipv4:127.0.0.1:53122`. */
  peer: string;
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Res | Promise<Res>;
export type ClientStreamHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
) => Res | Promise<Res>;
export type ServerStreamHandler<Req, Res> = (
  request: Req,
  ctx: CallContext,
) => Iterable<Res> | AsyncIterable<Res>;
export type BidiStreamHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
) => Iterable<Res> | AsyncIterable<Res>;

/** The async handler for one grpc-js handler type (server streaming is tested before bidi on purpose). */
export type AsyncHandler<H> = H extends (call: grpc.ServerWritableStream<infer Req, infer Res>) => void
  ? ServerStreamHandler<Req, Res>
  : H extends (call: grpc.ServerDuplexStream<infer Req, infer Res>) => void
    ? BidiStreamHandler<Req, Res>
    : H extends (
          call: grpc.ServerReadableStream<infer Req, infer Res>,
          callback: grpc.sendUnaryData<infer _R>,
        ) => void
      ? ClientStreamHandler<Req, Res>
      : H extends (
            call: grpc.ServerUnaryCall<infer Req, infer Res>,
            callback: grpc.sendUnaryData<infer _R>,
          ) => void
        ? UnaryHandler<Req, Res>
        : never;

type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };

/** A full implementation of a service: one async handler per method, keyed by the proto method name. */
export type ServiceImplementation<H> = { [M in KnownKeys<H>]: AsyncHandler<H[M]> };

export type WorkerServiceImplementation = ServiceImplementation<WorkerServiceHandlers>;
export type JobServiceImplementation = ServiceImplementation<JobServiceHandlers>;
export type AdminServiceImplementation = ServiceImplementation<AdminServiceHandlers>;

/** The services to serve. A service left out is not served; a method left out answers UNIMPLEMENTED. */
export interface AidocServices {
  WorkerService?: Partial<WorkerServiceImplementation>;
  JobService?: Partial<JobServiceImplementation>;
  AdminService?: Partial<AdminServiceImplementation>;
}

export interface GrpcServerOptions {
  /** The coordinator kit (role coordinator): its certificate, key and the federation CA. */
  kit: Pick<Kit, 'certPem' | 'keyPem' | 'caPem' | 'manifest'>;
  services: AidocServices;
  /**
   * `host:port` to bind; port 0 picks a free port.
   * @defaultValue the kit's `listenAddress`
   */
  address?: string;
  /**
   * Called with every unexpected (non-coded or INTERNAL) error a handler threw, for logging.
   * @defaultValue write the stack to stderr
   */
  onInternalError?: (error: unknown, where: { service: AidocServiceName; method: string }) => void;
  /**
   * Extra grpc-js server options. Message size limits are left at gRPC's defaults on purpose: payloads
   * travel in chunks of at most 1 MiB.
   * @defaultValue `{}`
   */
  channelOptions?: grpc.ServerOptions;
}

export interface GrpcServer {
  /** The bound port (the real one when 0 was asked). */
  port: number;
  /** `host:port` actually bound. */
  address: string;
  server: grpc.Server;
  /** Stops accepting calls, waits up to `graceMs` for running calls, then cancels the rest. */
  close(graceMs?: number): Promise<void>;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> &
  grpc.ServerReadableStream<unknown, unknown> &
  grpc.ServerWritableStream<unknown, unknown>;
type AnyFn = (...args: unknown[]) => unknown;

/**
 * Creates, binds and starts the coordinator's gRPC server. Resolves once it listens.
 *
 * Example:
 * ```ts
 * const server = await createGrpcServer({ kit: await loadKit('fed/coordinator'), services: { WorkerService: { Register: async (req, ctx) => ({ workerId: ctx.caller.name }) } } });
 * ```
 */
export async function createGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const credentials = createServerCredentials(options.kit);
  const address = options.address ?? options.kit.manifest.listenAddress;
  if (!address)
    throw makeError('no address to bind: pass address or use a kit with listenAddress', 'INVALID_ARGUMENT');
  const onInternal =
    options.onInternalError ??
    ((e: unknown, where: { service: string; method: string }) =>
      process.stderr.write(`grpc ${where.service}.${where.method}: ${(e as Error)?.stack ?? String(e)}\n`));
  const proto = loadAidocProtos();
  const server = new grpc.Server(options.channelOptions ?? {});
  const shutdown = new AbortController();

  for (const name of ['WorkerService', 'JobService', 'AdminService'] as const) {
    const impl = options.services[name] as Record<string, AnyFn | undefined> | undefined;
    if (!impl) continue;
    const definition = proto[name].service;
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [method, def] of Object.entries(definition)) {
      const fn = impl[method];
      if (!fn) continue;
      const where = { service: name, method };
      const fail = (e: unknown) => toGrpcError(e, (err) => onInternal(err, where));
      const begin = (call: AnyCall): CallContext => {
        const caller = callerOf(call);
        authorizeService(name, caller);
        return {
          caller,
          signal: callSignal(call, shutdown.signal),
          metadata: call.metadata,
          peer: call.getPeer(),
        };
      };
      if (!def.requestStream && !def.responseStream) {
        handlers[method] = ((call: AnyCall, callback: grpc.sendUnaryData<unknown>) => {
          void (async () => {
            try {
              const ctx = begin(call);
              callback(null, await (fn as UnaryHandler<unknown, unknown>)(call.request, ctx));
            } catch (e) {
              callback(fail(e));
            }
          })();
        }) as grpc.UntypedHandleCall;
      } else if (def.requestStream && !def.responseStream) {
        handlers[method] = ((call: AnyCall, callback: grpc.sendUnaryData<unknown>) => {
          void (async () => {
            try {
              const ctx = begin(call);
              callback(
                null,
                await (fn as ClientStreamHandler<unknown, unknown>)(call as AsyncIterable<unknown>, ctx),
              );
            } catch (e) {
              callback(fail(e));
            }
          })();
        }) as grpc.UntypedHandleCall;
      } else {
        const bidi = def.requestStream;
        handlers[method] = ((call: AnyCall) => {
          void (async () => {
            try {
              const ctx = begin(call);
              const source = bidi
                ? (fn as BidiStreamHandler<unknown, unknown>)(call as AsyncIterable<unknown>, ctx)
                : (fn as ServerStreamHandler<unknown, unknown>)(call.request, ctx);
              for await (const message of source) {
                if (ctx.signal.aborted) break;
                if (!call.write(message)) await drained(call, ctx.signal);
              }
              if (!call.cancelled) call.end();
            } catch (e) {
              if (!call.cancelled) call.emit('error', fail(e));
            }
          })();
        }) as grpc.UntypedHandleCall;
      }
    }
    server.addService(definition, handlers);
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, boundPort) => {
      if (err)
        reject(
          makeError(`cannot listen on ${address}: ${err.message}`, 'INVALID_ARGUMENT', { address }, err),
        );
      else resolve(boundPort);
    });
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    port,
    address: `${host}:${port}`,
    server,
    close: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        let done = false;
        const timer = setTimeout(() => {
          if (done) return;
          shutdown.abort(new Error('server shutting down'));
          server.forceShutdown();
          done = true;
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          shutdown.abort(new Error('server shut down'));
          resolve();
        });
      }),
  };
}

/** An AbortSignal that fires when the call is cancelled (client cancel, deadline) or the server stops. */
function callSignal(call: AnyCall, serverSignal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const onCancel = () =>
    controller.abort(makeError('the call was cancelled by the client or its deadline', 'ABORTED'));
  if (call.cancelled) onCancel();
  else call.once('cancelled', onCancel);
  return AbortSignal.any([controller.signal, serverSignal]);
}

async function drained(call: AnyCall, signal: AbortSignal): Promise<void> {
  await once(call, 'drain', { signal }).catch((e: unknown) => {
    if (!signal.aborted) throw e;
  });
}
