/**
 * Brings the dev participants of a demo onto a ledger: hospital workers and their datasets
 * registered by the `operator` dev account, vendors funded. Idempotent (what is already there is
 * left alone), so a restarted demo can call it again. For dev chains only: it signs with the
 * public dev operator key.
 */
import { devAccount, DEV_OPERATOR } from './dev-accounts.js';
import type { Ledger } from './ledger.js';

export interface DevParticipants {
  workers: {
    /** Dev account name, e.g. `hospital-a`; its address is the worker's. */
    account: string;
    name: string;
    /** SHA-256 of the worker's TLS certificate (64 hex digits). @defaultValue 64 zeros */
    certFingerprint?: string;
    datasets: { datasetId: string; schemaId: string; records: number; epsilonCap: number }[];
  }[];
  /** Dev account names and the AIDOC base units each should hold at least. */
  vendors?: { account: string; amount: bigint }[];
}

export async function ensureDevParticipants(ledger: Ledger, p: DevParticipants): Promise<void> {
  const operator = ledger.withSigner(devAccount(DEV_OPERATOR).privateKey);
  const known = new Set((await ledger.workers()).map((w) => w.address));
  for (const w of p.workers) {
    const address = devAccount(w.account).address;
    if (!known.has(address)) {
      await operator.registerWorker({
        address,
        name: w.name,
        certFingerprint: w.certFingerprint ?? '0'.repeat(64),
      });
    }
    for (const d of w.datasets) {
      if (!(await ledger.dataset(d.datasetId))) await operator.registerDataset({ ...d, worker: address });
    }
  }
  for (const v of p.vendors ?? []) {
    const address = devAccount(v.account).address;
    const has = await ledger.balanceOf(address);
    if (has < v.amount) await operator.mint(address, v.amount - has);
  }
}

/**
 * Dev chains only: each owner id X grants `purpose` as the public dev account X (what
 * worker/owner-accounts.ts's `devOwnerAccounts` maps X to). Owners that already consent are left
 * alone, so it can run again. Sends a few at a time (each owner is its own account).
 */
export async function grantDevConsent(
  ledger: Ledger,
  ownerIds: readonly string[],
  purpose: string,
  options: { concurrency?: number } = {},
): Promise<{ granted: number; already: number }> {
  const distinct = [...new Set(ownerIds)];
  const has = await ledger.consentMany(
    distinct.map((id) => devAccount(id).address),
    purpose,
  );
  const todo = distinct.filter((_, i) => !has[i]);
  const concurrency = options.concurrency ?? 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, todo.length) }, async () => {
      while (next < todo.length) {
        const id = todo[next++]!;
        await ledger.withSigner(devAccount(id).privateKey).grantConsent(purpose);
      }
    }),
  );
  return { granted: todo.length, already: distinct.length - todo.length };
}
