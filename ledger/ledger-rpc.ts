/**
 * Production: the ledger's contracts on any EVM JSON-RPC node (a Besu QBFT consortium chain, a
 * `hardhat node` in tests). The deployment manifest says where the contracts are; `aidoc ledger
 * deploy` makes one.
 */
import { readFileSync } from 'node:fs';
import { FetchRequest, JsonRpcProvider, Network, Wallet } from 'ethers';
import { makeError } from '../common/errors.js';
import { deployLedger, parseDeployment, type LedgerDeployment } from './deployment.js';
import { EthersLedger } from './ledger-ethers.js';
import type { Ledger } from './ledger.js';
import { TxSender } from './tx-sender.js';

export interface ConnectLedgerOptions {
  /** http(s) JSON-RPC URL. */
  rpcUrl: string;
  /** The deployment manifest, or the path of its JSON file. */
  deployment: LedgerDeployment | string;
  /**
   * The key this client signs with.
   * @defaultValue undefined: read-only
   */
  privateKey?: string;
  /**
   * The round writes' durable outbox. Set it for a coordinator: without it, writes still wait out
   * an outage but only while the process lives.
   * @defaultValue undefined: in memory
   */
  outboxFile?: string;
  /**
   * Per-request timeout: how long a silent node (hung, partitioned) holds a write before retry.
   * @defaultValue 10000
   */
  requestTimeoutMs?: number;
  /**
   * How long to wait for a receipt before treating an attempt as lost (it is then retried; the
   * chain answers "already recorded" if it did land).
   * @defaultValue 30000
   */
  receiptTimeoutMs?: number;
  /** @defaultValue 50 */
  initialRetryMs?: number;
  /** @defaultValue 2000 */
  maxRetryMs?: number;
  /** Called on each failed outbox attempt (for logs). */
  onOutboxError?: (id: string, error: unknown, attempt: number) => void;
}

function rpcProvider(rpcUrl: string, chainId: number, timeoutMs: number): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  const network = Network.from(chainId);
  // Static network: no detection round-trips, and no endless "failed to detect network" retries
  // while the node is down (the outbox handles outages). No cache: a fast chain answers the same
  // block number within the cache window.
  return new JsonRpcProvider(request, network, {
    staticNetwork: network,
    cacheTimeout: -1,
    batchMaxCount: 1,
    pollingInterval: 250,
  });
}

async function chainIdOf(rpcUrl: string, timeoutMs: number): Promise<number | undefined> {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  request.body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] };
  request.setHeader('content-type', 'application/json');
  try {
    const res = await request.send();
    const id = (res.bodyJson as { result?: string }).result;
    return id === undefined ? undefined : Number(id);
  } catch {
    return undefined;
  }
}

export interface DeployLedgerOverRpcOptions {
  rpcUrl: string;
  /** The operator's key: it becomes admin, minter and registry operator. */
  privateKey: string;
  coordinator: string;
  /** @defaultValue the operator */
  governance?: string;
  /** @defaultValue 10000 */
  requestTimeoutMs?: number;
}

/** Deploys the ledger's contracts to a JSON-RPC chain and returns the manifest to save. */
export async function deployLedgerOverRpc(options: DeployLedgerOverRpcOptions): Promise<LedgerDeployment> {
  const timeout = options.requestTimeoutMs ?? 10_000;
  const chainId = await chainIdOf(options.rpcUrl, timeout);
  if (chainId === undefined) {
    throw makeError(`no EVM JSON-RPC node answers at ${options.rpcUrl}`, 'LEDGER_TX_FAILED', {
      transient: true,
    });
  }
  const provider = rpcProvider(options.rpcUrl, chainId, timeout);
  try {
    const sender = new TxSender(provider, new Wallet(options.privateKey), BigInt(chainId));
    return await deployLedger({
      sender,
      chainId,
      coordinator: options.coordinator,
      ...(options.governance ? { governance: options.governance } : {}),
    });
  } finally {
    provider.destroy();
  }
}

export async function connectLedger(options: ConnectLedgerOptions): Promise<Ledger> {
  const deployment =
    typeof options.deployment === 'string'
      ? parseDeployment(JSON.parse(readFileSync(options.deployment, 'utf8')), options.deployment)
      : options.deployment;
  const timeout = options.requestTimeoutMs ?? 10_000;
  // A node that answers must be the chain the manifest names; one that does not answer is an
  // outage, which the outbox rides out.
  const chainId = await chainIdOf(options.rpcUrl, timeout);
  const provider = rpcProvider(options.rpcUrl, deployment.chainId, timeout);
  if (chainId !== undefined && chainId !== deployment.chainId) {
    provider.destroy();
    throw makeError(
      `${options.rpcUrl} is chain ${chainId}, the deployment is on chain ${deployment.chainId}`,
      'INVALID_ARGUMENT',
      { chainId, expected: deployment.chainId },
    );
  }
  const onOutboxError = options.onOutboxError;
  return new EthersLedger({
    provider,
    deployment,
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    ...(options.privateKey
      ? {
          outbox: {
            file: options.outboxFile,
            initialRetryMs: options.initialRetryMs,
            maxRetryMs: options.maxRetryMs,
            ...(onOutboxError ? { onAttemptError: (e, err, n) => onOutboxError(e.id, err, n) } : {}),
          },
        }
      : {}),
    sender: { receiptTimeoutMs: options.receiptTimeoutMs ?? 30_000 },
    onClose: () => provider.destroy(),
  });
}
