/**
 * Sends one account's transactions one at a time: nonce read fresh from the chain ('pending'),
 * gas estimated (which is also where a revert is caught and decoded, before anything is signed),
 * signed locally, broadcast raw, receipt polled. Serializing per account is what makes nonces
 * safe against a fast local chain; reading the nonce fresh each time is what makes a retry after
 * an outage or a restart safe.
 *
 * Errors are LEDGER_TX_FAILED with either `info.revert` (the contract refused: permanent, never
 * retried) or `info.transient: true` (the chain could not be reached or did not answer in time:
 * retry later).
 */
import { Transaction, type JsonRpcApiProvider, type TransactionReceipt, type Wallet } from 'ethers';
import { makeError, isError, throwIfAborted, type AidocError } from '../common/errors.js';
import { ledgerInterface } from './artifacts.js';

export interface TxSenderOptions {
  /**
   * How long to wait for a sent transaction's receipt before treating the attempt as transient.
   * @defaultValue 30000
   */
  receiptTimeoutMs?: number;
  /**
   * Receipt polling interval.
   * @defaultValue 25
   */
  pollIntervalMs?: number;
}

export interface TxRequest {
  /** Contract address; undefined to deploy `data` as creation code. */
  to?: string;
  data: string;
  /** What this is, for error messages (`settleRound(job-1, 3)`). */
  label: string;
}

export interface DecodedRevert {
  name: string;
  signature: string;
  args: unknown[];
}

/** Decodes the revert data inside an ethers or provider error, if there is any. */
export function decodeRevert(e: unknown): DecodedRevert | undefined {
  const data = findRevertData(e);
  if (data === undefined) return undefined;
  if (data === '0x') return { name: 'Reverted', signature: 'Reverted()', args: [] };
  try {
    const parsed = ledgerInterface.parseError(data);
    if (parsed) return { name: parsed.name, signature: parsed.signature, args: [...parsed.args] };
  } catch {
    // fall through: not one of ours
  }
  const reason = (e as { reason?: unknown }).reason;
  if (data.startsWith('0x08c379a0'))
    return { name: 'Error', signature: 'Error(string)', args: [reason ?? data] };
  if (data.startsWith('0x4e487b71')) return { name: 'Panic', signature: 'Panic(uint256)', args: [data] };
  return { name: 'Unknown', signature: data.slice(0, 10), args: [data] };
}

function findRevertData(e: unknown, depth = 0): string | undefined {
  if (depth > 5 || e === null || typeof e !== 'object') return undefined;
  const o = e as Record<string, unknown>;
  if (o.code === 'CALL_EXCEPTION' && typeof o.data === 'string') return o.data;
  if (typeof o.data === 'string' && /^0x([0-9a-fA-F]{8})/.test(o.data)) return o.data;
  for (const k of ['error', 'info', 'cause', 'data']) {
    const found = findRevertData(o[k], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A contract refused the call: retrying will not help. */
export function revertError(
  label: string,
  revert: DecodedRevert,
  extra: Record<string, unknown> = {},
): AidocError {
  const args = revert.args.map((a) => (typeof a === 'bigint' ? a.toString() : a));
  return makeError(`${label} reverted: ${revert.name}(${args.map(String).join(', ')})`, 'LEDGER_TX_FAILED', {
    revert: revert.name,
    args,
    ...extra,
  });
}

/** True for errors worth retrying later (the chain unreachable or slow), false for refusals. */
export function isTransient(e: unknown): boolean {
  if (isError(e, 'LEDGER_TX_FAILED')) return e.info.transient === true;
  return !isError(e, 'INVALID_ARGUMENT') && !isError(e, 'ABORTED');
}

function transient(label: string, e: unknown): AidocError {
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return makeError(
    `${label}: chain unavailable (${message}); will retry`,
    'LEDGER_TX_FAILED',
    { transient: true },
    e,
  );
}

export class TxSender {
  readonly address: string;
  private readonly receiptTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly provider: JsonRpcApiProvider,
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
    options: TxSenderOptions = {},
  ) {
    this.address = wallet.address;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
  }

  /** Sends after every earlier send of this account has finished (mined or failed). */
  send(req: TxRequest, signal?: AbortSignal): Promise<TransactionReceipt> {
    const run = this.tail.then(
      () => this.sendNow(req, signal),
      () => this.sendNow(req, signal),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async sendNow(req: TxRequest, signal?: AbortSignal): Promise<TransactionReceipt> {
    throwIfAborted(signal, req.label);
    const from = this.address;
    let gas: bigint;
    let nonce: number;
    let maxFeePerGas: bigint;
    let maxPriorityFeePerGas: bigint;
    try {
      gas = await this.provider.estimateGas({ from, to: req.to, data: req.data });
    } catch (e) {
      const revert = decodeRevert(e);
      if (revert) throw revertError(req.label, revert);
      throw transient(req.label, e);
    }
    try {
      nonce = await this.provider.getTransactionCount(from, 'pending');
      const block = await this.provider.getBlock('latest');
      if (block?.baseFeePerGas === 0n) {
        // A gas-free chain (the embedded one, a consortium chain with a zero base fee): accounts
        // with no ether, like data owners', can still send.
        maxFeePerGas = 0n;
        maxPriorityFeePerGas = 0n;
      } else {
        const fees = await this.provider.getFeeData();
        maxPriorityFeePerGas = fees.maxPriorityFeePerGas ?? 0n;
        maxFeePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
      }
    } catch (e) {
      throw transient(req.label, e);
    }
    const signed = await this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to: req.to ?? null,
      data: req.data,
      gasLimit: (gas * 12n) / 10n + 10_000n,
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    const hash = Transaction.from(signed).hash!;
    try {
      await this.provider.send('eth_sendRawTransaction', [signed]);
    } catch (e) {
      // A refusal at broadcast (nonce too low because an earlier attempt did land, a replaced
      // transaction) is settled by retrying: the retry re-estimates and sees the recorded state.
      const revert = decodeRevert(e);
      if (revert) throw revertError(req.label, revert);
      throw transient(req.label, e);
    }
    const receipt = await this.waitForReceipt(hash, req.label, signal);
    if (receipt.status !== 1) {
      // Mined but reverted (state changed between estimate and mining). Re-run it as a call to
      // learn why; the caller decides whether that is "already recorded".
      try {
        await this.provider.call({ from, to: req.to, data: req.data });
      } catch (e) {
        const revert = decodeRevert(e);
        if (revert) throw revertError(req.label, revert, { txHash: hash });
      }
      throw revertError(req.label, { name: 'Reverted', signature: 'Reverted()', args: [] }, { txHash: hash });
    }
    return receipt;
  }

  private async waitForReceipt(
    hash: string,
    label: string,
    signal?: AbortSignal,
  ): Promise<TransactionReceipt> {
    const deadline = Date.now() + this.receiptTimeoutMs;
    let interval = this.pollIntervalMs;
    for (;;) {
      throwIfAborted(signal, label);
      try {
        const receipt = await this.provider.getTransactionReceipt(hash);
        if (receipt) return receipt;
      } catch (e) {
        if (Date.now() > deadline) throw transient(label, e);
      }
      if (Date.now() > deadline) {
        throw makeError(
          `${label}: no receipt for ${hash} after ${this.receiptTimeoutMs} ms`,
          'LEDGER_TX_FAILED',
          {
            transient: true,
            txHash: hash,
          },
        );
      }
      await new Promise((r) => setTimeout(r, interval));
      interval = Math.min(interval * 2, 500);
    }
  }
}
