/**
 * A small read-only JSON-RPC endpoint over HTTP for a chain held in this process (the embedded
 * ledger): other local processes, such as the demo's hospital workers, read consent and budgets
 * through it with an ordinary JSON-RPC client (`connectLedger`). Only reads are served: no
 * transaction, signing or node-control method gets through, so the embedded chain's journal stays
 * the one writer's. It listens on 127.0.0.1 unless told otherwise and is not meant to face a
 * network: a production chain is a real EVM node.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeError } from '../common/errors.js';
import type { Eip1193 } from './provider-eip1193.js';

/** What a reader of the ledger calls (ethers' JsonRpcProvider and the Ledger client's reads). */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  'eth_chainId',
  'net_version',
  'web3_clientVersion',
  'eth_blockNumber',
  'eth_call',
  'eth_estimateGas',
  'eth_getLogs',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getTransactionCount',
  'eth_getBalance',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
]);

/** Largest request body accepted (a getLogs filter or a call is far smaller). */
const MAX_BODY_BYTES = 1 << 20;

export interface JsonRpcServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeJsonRpcOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 0: any free port */
  port?: number;
}

interface Request {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type Response =
  | { jsonrpc: '2.0'; id: unknown; result: unknown }
  | { jsonrpc: '2.0'; id: unknown; error: { code: number; message: string; data?: unknown } };

async function answer(chain: Eip1193, req: Request): Promise<Response> {
  const id = req.id ?? null;
  if (typeof req.method !== 'string') {
    return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request: no method' } };
  }
  if (!READ_ONLY_METHODS.has(req.method)) {
    return {
      jsonrpc: '2.0',
      id,
      error: { code: -32601, message: `${req.method} is not served: this endpoint is read-only` },
    };
  }
  try {
    const params = Array.isArray(req.params) ? (req.params as unknown[]) : [];
    return { jsonrpc: '2.0', id, result: await chain.request({ method: req.method, params }) };
  } catch (e) {
    // As a node answers, with the revert data, so clients decode contract errors by selector.
    const err = e as { code?: unknown; message?: unknown; data?: unknown };
    return {
      jsonrpc: '2.0',
      id,
      error: {
        code: typeof err.code === 'number' ? err.code : -32603,
        message: typeof err.message === 'string' ? err.message : String(e),
        ...(err.data !== undefined ? { data: err.data } : {}),
      },
    };
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Serves `chain`'s read methods as JSON-RPC over HTTP (POST, single or batch requests). */
export async function serveJsonRpc(
  chain: Eip1193,
  options: ServeJsonRpcOptions = {},
): Promise<JsonRpcServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      send(res, 405, {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'POST JSON-RPC requests' },
      });
      return;
    }
    void (async () => {
      const text = await readBody(req);
      if (text === undefined) {
        send(res, 413, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request too large' } });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
        return;
      }
      const out = Array.isArray(body)
        ? await Promise.all(body.map((r) => answer(chain, (r ?? {}) as Request)))
        : await answer(chain, body ?? {});
      send(res, 200, out);
    })().catch(() => {
      if (!res.headersSent)
        send(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'internal error' } });
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) =>
          e ? reject(makeError(`closing the JSON-RPC server: ${e.message}`, 'INTERNAL')) : resolve(),
        );
      }),
  };
}
