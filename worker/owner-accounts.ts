/**
 * Which EVM address speaks for each record owner (patient). Datasets name owners by the hospital's
 * own ids (the schema's `ownerId` column, e.g. `owner-0001`); the ledger's ConsentRegistry knows
 * owners only by the address that signed their consent. The hospital keeps the link between the
 * two, and it never leaves the hospital: the worker reads it from a file (`--owners FILE`) and asks
 * the chain about addresses only.
 *
 * The file is either JSON, `{ "owner-0001": "0x…", … }`, or CSV with one `owner_id,address` pair a
 * line (a header line `owner_id,address` is allowed; blank lines and `#` comments are skipped).
 * An owner id missing from the file has no address, so no consent can be found for it: its records
 * are not used.
 *
 * For a dev chain only: `devOwnerAccounts()` maps owner id X to the dev account named X
 * (ledger/dev-accounts.ts), so `aidoc owner consent grant --account owner-0001` on the embedded
 * chain is that owner's consent. Those keys are public.
 */
import { readFile } from 'node:fs/promises';
import { getAddress, isAddress } from 'ethers';
import { makeError } from '../common/errors.js';
import { devAccount } from '../ledger/dev-accounts.js';

export interface OwnerAccounts {
  /** Where the mapping comes from, for logs (`dev accounts` or the file's path). */
  readonly source: string;
  /** The owner's checksummed address, or undefined when the hospital has none for this owner. */
  addressOf(ownerId: string): string | undefined;
}

/** Dev chains only: owner id X is the dev account X (a public key; never on a chain of value). */
export function devOwnerAccounts(): OwnerAccounts {
  return { source: 'dev accounts (public keys: dev chains only)', addressOf: (id) => devAccount(id).address };
}

/** Reads a hospital's owner-id → address file (JSON object or `owner_id,address` CSV). */
export async function loadOwnerAccounts(file: string): Promise<OwnerAccounts> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw makeError(
      `cannot read the owner accounts file ${file}: ${(e as Error).message}`,
      'INVALID_ARGUMENT',
      {
        file,
      },
    );
  }
  const map = new Map<string, string>();
  const bad = (where: string, problem: string) =>
    makeError(`${file}${where}: ${problem}`, 'INVALID_ARGUMENT', { file });
  const add = (where: string, id: string, address: unknown) => {
    if (id === '') throw bad(where, 'the owner id is empty');
    if (typeof address !== 'string' || !isAddress(address))
      throw bad(where, `owner ${JSON.stringify(id)}: ${JSON.stringify(address)} is not an 0x address`);
    if (map.has(id)) throw bad(where, `owner ${JSON.stringify(id)} appears twice`);
    map.set(id, getAddress(address));
  };
  if (text.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw bad('', `not valid JSON (${(e as Error).message})`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      throw bad('', 'expected a JSON object { "<owner id>": "<0x address>", ... }');
    for (const [id, address] of Object.entries(json)) add('', id, address);
  } else {
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const fields = line.split(',').map((f) => f.trim());
      if (fields.length !== 2) throw bad(` line ${i + 1}`, 'expected two fields: owner_id,address');
      if (map.size === 0 && fields[0] === 'owner_id' && fields[1] === 'address') return; // the header
      add(` line ${i + 1}`, fields[0]!, fields[1]);
    });
  }
  if (map.size === 0) throw bad('', 'no owners in it');
  return { source: file, addressOf: (id) => map.get(id) };
}
