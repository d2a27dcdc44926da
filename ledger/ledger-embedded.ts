/**
 * The embedded default: the real contracts on Hardhat 2's in-process EVM, deployed on first
 * start, persisted as a journal of signed transactions (see embedded-chain.ts) so the ledger
 * survives a coordinator restart. Accounts are the deterministic dev accounts (dev-accounts.ts):
 * `operator` deploys and administers, `coordinator` records rounds.
 */
import { Wallet } from 'ethers';
import { assertArgument, makeError } from '../common/errors.js';
import { deployLedger } from './deployment.js';
import { DEV_COORDINATOR, DEV_OPERATOR, devAccount } from './dev-accounts.js';
import { openEmbeddedChain } from './embedded-chain.js';
import type { Eip1193 } from './provider-eip1193.js';
import { EthersLedger } from './ledger-ethers.js';
import type { Ledger } from './ledger.js';
import { TxSender } from './tx-sender.js';

export interface EmbeddedLedgerOptions {
  /**
   * Journal of the chain's transactions; replayed on open, appended as the chain grows.
   * @defaultValue undefined: in memory, gone when the process ends
   */
  stateFile?: string;
  /**
   * Who this client signs as: a dev account name (`coordinator`, `operator`, `vendor`,
   * `hospital-a`, `owner-1`, any name) or a 0x-prefixed private key.
   * @defaultValue 'coordinator'
   */
  account?: string;
  /**
   * Open an existing state file without locking it and refuse all writes (for the CLI while a
   * coordinator holds the file).
   * @defaultValue false
   */
  readOnly?: boolean;
  /**
   * Whether this client records rounds. False for a client that only reads and sends its own
   * transactions (the CLI): it then leaves the coordinator's outbox file alone.
   * @defaultValue true (false when `readOnly`)
   */
  outbox?: boolean;
  /**
   * The round writes' outbox file.
   * @defaultValue `${stateFile}.outbox.jsonl`, or in memory without a state file
   */
  outboxFile?: string;
  /** Called on each failed outbox attempt (for logs). */
  onOutboxError?: (id: string, error: unknown, attempt: number) => void;
}

export interface EmbeddedLedger extends Ledger {
  readonly stateFile: string | undefined;
  /**
   * The chain itself as an EIP-1193 `request`, for serving it to other processes
   * (`serveJsonRpc` in rpc-server.ts: the demo's workers read consent and budgets through it).
   */
  readonly rpc: Eip1193;
}

/** A private key for an account option: a dev account name or the key itself. */
export function resolveAccountKey(account: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(account)) return account;
  assertArgument(
    !account.startsWith('0x'),
    'an account is a dev account name or a 0x-prefixed 32-byte private key',
  );
  return devAccount(account).privateKey;
}

export async function createEmbeddedLedger(options: EmbeddedLedgerOptions = {}): Promise<EmbeddedLedger> {
  const { stateFile, readOnly = false } = options;
  const chain = await openEmbeddedChain({ stateFile, readOnly });
  try {
    let deployment = chain.deployment;
    if (!deployment) {
      if (readOnly) {
        throw makeError(`ledger state ${stateFile ?? '(memory)'} holds no deployed ledger yet`, 'NOT_FOUND', {
          stateFile,
        });
      }
      const operator = new TxSender(
        chain.provider,
        new Wallet(devAccount(DEV_OPERATOR).privateKey),
        BigInt(chain.chainId),
      );
      deployment = await deployLedger({
        sender: operator,
        chainId: chain.chainId,
        coordinator: devAccount(DEV_COORDINATOR).address,
      });
      chain.recordDeployment(deployment);
    }
    const onOutboxError = options.onOutboxError;
    const ledger = new EthersLedger({
      provider: chain.provider,
      deployment,
      privateKey: resolveAccountKey(options.account ?? DEV_COORDINATOR),
      ...(readOnly || options.outbox === false
        ? {}
        : {
            outbox: {
              file: options.outboxFile ?? (stateFile ? `${stateFile}.outbox.jsonl` : undefined),
              ...(onOutboxError ? { onAttemptError: (e, err, n) => onOutboxError(e.id, err, n) } : {}),
            },
          }),
      onClose: () => {
        chain.provider.destroy();
        chain.close();
      },
    });
    return Object.assign(ledger, { stateFile, rpc: chain.rpc });
  } catch (e) {
    chain.provider.destroy();
    chain.close();
    throw e;
  }
}
