/**
 * Deterministic development accounts for the embedded ledger and tests. A name maps to the
 * private key keccak256("aidoc dev account: " + name), so `devAccount('hospital-a')` is the same
 * key in every process and every run. These keys are public by construction: never use them on a
 * chain that holds anything of value.
 */
import { Wallet, keccak256, toUtf8Bytes } from 'ethers';

/** The roles the embedded ledger deploys with, by the dev account name that holds them. */
export const DEV_OPERATOR = 'operator';
export const DEV_COORDINATOR = 'coordinator';

export interface DevAccount {
  name: string;
  privateKey: string;
  address: string;
}

const cache = new Map<string, DevAccount>();

export function devAccount(name: string): DevAccount {
  let account = cache.get(name);
  if (!account) {
    const privateKey = keccak256(toUtf8Bytes(`aidoc dev account: ${name}`));
    account = { name, privateKey, address: new Wallet(privateKey).address };
    cache.set(name, account);
  }
  return account;
}
