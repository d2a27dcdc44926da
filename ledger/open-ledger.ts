/**
 * How the command line reaches a ledger: an embedded state file (`--ledger-state`) or a JSON-RPC
 * node (`--rpc` with `--deployment`), signing with `--key` (or, on the embedded dev chain only,
 * a dev account by name). Reads of a state file open it read-only, so they work while a
 * coordinator holds it; writes need the file to themselves.
 */
import { existsSync } from 'node:fs';
import { assertArgument, makeError } from '../common/errors.js';
import type { Ledger } from './ledger.js';
import { createEmbeddedLedger, resolveAccountKey } from './ledger-embedded.js';
import { connectLedger } from './ledger-rpc.js';

/** Where the embedded ledger keeps its state unless told otherwise. */
export const DEFAULT_LEDGER_STATE = '.aidoc/ledger.jsonl';

export interface OpenLedgerOptions {
  /** @defaultValue DEFAULT_LEDGER_STATE, unless `rpcUrl` is set */
  ledgerState?: string;
  rpcUrl?: string;
  /** Deployment manifest; required with `rpcUrl`. */
  deploymentFile?: string;
  /** 0x-prefixed private key to sign with. */
  key?: string;
  /** A dev account name (embedded chain only). */
  account?: string;
  /** Whether the caller will send transactions. */
  write: boolean;
}

export async function openLedger(o: OpenLedgerOptions): Promise<Ledger> {
  assertArgument(!(o.rpcUrl && o.ledgerState), 'give --rpc or --ledger-state, not both');
  assertArgument(!(o.key && o.account), 'give --key or --account, not both');
  assertArgument(
    o.key === undefined || /^0x[0-9a-fA-F]{64}$/.test(o.key),
    '--key must be a 0x-prefixed 32-byte hex private key',
  );
  if (o.write && !o.key && !o.account) {
    throw makeError(
      'this command sends a transaction: give --key (or --account NAME on the embedded dev chain)',
      'INVALID_ARGUMENT',
    );
  }
  if (o.rpcUrl) {
    assertArgument(o.deploymentFile, '--rpc needs --deployment FILE (written by `aidoc ledger deploy`)');
    assertArgument(!o.account, '--account names dev accounts of the embedded chain; give --key with --rpc');
    return connectLedger({
      rpcUrl: o.rpcUrl,
      deployment: o.deploymentFile,
      ...(o.key ? { privateKey: o.key } : {}),
    });
  }
  const stateFile = o.ledgerState ?? DEFAULT_LEDGER_STATE;
  if (!existsSync(stateFile)) {
    throw makeError(
      `no ledger state at ${stateFile}; run a job first (aidoc demo) or give --ledger-state FILE`,
      'NOT_FOUND',
      {
        stateFile,
      },
    );
  }
  const signer = o.key ?? (o.account ? resolveAccountKey(o.account) : undefined);
  return createEmbeddedLedger({
    stateFile,
    readOnly: !o.write,
    outbox: false,
    ...(signer ? { account: signer } : {}),
  });
}
