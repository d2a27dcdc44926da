/**
 * A hospital worker's checks against the ledger before it uses its records for a task. Read-only:
 * the worker signs nothing and needs no key, only an EVM JSON-RPC node and the deployment manifest.
 *
 * 1. Consent, fresh for every task: which of the dataset's owners granted the job's purpose on the
 *    ConsentRegistry (one `grantedMany` call for all of them). Records of other owners, and of
 *    owners the hospital has no address for (worker/owner-accounts.ts), are left out of training
 *    and evaluation; the record count the worker reports shrinks with them. Too few left: the task
 *    is refused (PERMISSION_DENIED) before training.
 * 2. Budget, before training and before the local budget is charged: the dataset's epsilon spent
 *    on the PrivacyLedger plus what this round would add (the job's epsilon increment, the amount
 *    the coordinator records for the round) must stay within the cap the WorkerRegistry holds for
 *    it. Otherwise the round is refused with PRIVACY_BUDGET_EXHAUSTED. A dataset not registered on
 *    the chain is refused too (NOT_FOUND): with a chain configured, the chain's cap is the one that
 *    counts.
 *
 * Both fail closed: a chain that does not answer refuses the task (LEDGER_TX_FAILED) rather than
 * train on records whose consent could not be read. What the check cannot see: spends still in
 * the coordinator's outbox (not yet mined). The PrivacyLedger contract stays the final word: it
 * refuses a round's spend past the cap whatever a worker checked.
 */
import { makeError, isError } from '../common/errors.js';
import { subset, type Dataset } from '../datasets/dataset.js';
import type { EpsilonBudget, LedgerConsent, LedgerPrivacy } from '../ledger/ledger.js';
import { openLedger } from '../ledger/open-ledger.js';
import { toNanoEpsilon } from '../ledger/units.js';
import type { OwnerAccounts } from './owner-accounts.js';

/** Fewest consented training records a worker trains on, unless told otherwise. */
export const DEFAULT_MIN_CONSENTED_RECORDS = 10;

export interface ConsentSnapshot {
  purpose: string;
  /** Owner ids whose address granted the purpose when the chain was read. */
  consenting: ReadonlySet<string>;
  /** Distinct owners in the dataset. */
  owners: number;
  /** Owners the hospital has no address for (their records are not used). */
  unmapped: number;
}

export interface ChainChecks {
  /** What is checked and against what, for the worker's start-up log. */
  readonly description: string;
  /** Fewest consented training records this worker trains on. */
  readonly minRecords: number;
  /** Reads, now, which of `ownerIds`' owners consent to `purpose`. */
  consent(purpose: string, ownerIds: readonly string[]): Promise<ConsentSnapshot>;
  /**
   * Refuses (PRIVACY_BUDGET_EXHAUSTED) unless the dataset's on-chain spend plus `planned` stays
   * within its on-chain cap; NOT_FOUND if the dataset is not registered on the chain.
   */
  checkBudget(datasetId: string, planned: number): Promise<EpsilonBudget>;
  /** The dataset's on-chain budget, or undefined when it is not registered (for the start-up log). */
  budgetOf(datasetId: string): Promise<EpsilonBudget | undefined>;
  close(): Promise<void>;
}

export interface ChainChecksOptions {
  /** The ledger to read (any client: the worker only calls reads). */
  ledger: LedgerConsent & LedgerPrivacy & { close(): Promise<void> };
  owners: OwnerAccounts;
  /** @defaultValue DEFAULT_MIN_CONSENTED_RECORDS */
  minRecords?: number;
  /** Where the chain is, for logs. */
  where?: string;
}

export function createChainChecks(o: ChainChecksOptions): ChainChecks {
  const { ledger, owners } = o;
  const minRecords = o.minRecords ?? DEFAULT_MIN_CONSENTED_RECORDS;
  if (!Number.isInteger(minRecords) || minRecords < 1) {
    throw makeError(
      `the minimum of consented records must be an integer >= 1, got ${minRecords}`,
      'INVALID_ARGUMENT',
    );
  }
  return {
    description: `consent and privacy budget checked on the ledger${o.where ? ` at ${o.where}` : ''} before every task (owner addresses: ${owners.source}; at least ${minRecords} consented training records)`,
    minRecords,

    async consent(purpose, ownerIds) {
      const distinct = [...new Set(ownerIds)];
      const mapped: { id: string; address: string }[] = [];
      for (const id of distinct) {
        const address = owners.addressOf(id);
        if (address) mapped.push({ id, address });
      }
      const granted =
        mapped.length > 0
          ? await ledger.consentMany(
              mapped.map((m) => m.address),
              purpose,
            )
          : [];
      return {
        purpose,
        consenting: new Set(mapped.filter((_, i) => granted[i] === true).map((m) => m.id)),
        owners: distinct.length,
        unmapped: distinct.length - mapped.length,
      };
    },

    async checkBudget(datasetId, planned) {
      let b: EpsilonBudget;
      try {
        b = await ledger.epsilonBudget(datasetId);
      } catch (e) {
        if (isError(e, 'NOT_FOUND')) {
          throw makeError(
            `dataset ${datasetId} is not registered on the ledger, so its privacy budget cannot be checked; the consortium operator must register it (WorkerRegistry.registerDataset, with its epsilon cap) before this worker trains on it, or start the worker without --rpc`,
            'NOT_FOUND',
            { datasetId },
            e,
          );
        }
        throw e;
      }
      // In the chain's units (nano-epsilon, rounded up), as PrivacyLedger.spendRound compares them.
      const spent = toNanoEpsilon(b.spent);
      const cap = toNanoEpsilon(b.cap);
      const round = toNanoEpsilon(planned);
      if (spent + round > cap) {
        throw makeError(
          `dataset ${datasetId} has spent epsilon ${b.spent.toFixed(3)} of its on-chain cap ${b.cap} (ledger PrivacyLedger); this round would add ${planned.toFixed(3)}, so it is refused before training`,
          'PRIVACY_BUDGET_EXHAUSTED',
          { datasetId, spent: b.spent, cap: b.cap, planned, onChain: true },
        );
      }
      return b;
    },

    async budgetOf(datasetId) {
      try {
        return await ledger.epsilonBudget(datasetId);
      } catch (e) {
        if (isError(e, 'NOT_FOUND')) return undefined;
        throw e;
      }
    },

    close: () => ledger.close(),
  };
}

/** Opens the ledger read-only over JSON-RPC (as `aidoc ledger --rpc --deployment`) and checks against it. */
export async function openChainChecks(o: {
  rpcUrl: string;
  deploymentFile: string;
  owners: OwnerAccounts;
  minRecords?: number;
}): Promise<ChainChecks> {
  const ledger = await openLedger({ rpcUrl: o.rpcUrl, deploymentFile: o.deploymentFile, write: false });
  try {
    return createChainChecks({
      ledger,
      owners: o.owners,
      where: o.rpcUrl,
      ...(o.minRecords !== undefined ? { minRecords: o.minRecords } : {}),
    });
  } catch (e) {
    await ledger.close();
    throw e;
  }
}

/** The records whose owners consent (the dataset must carry owner ids). */
export function onlyConsented(ds: Dataset, consent: ConsentSnapshot): Dataset {
  const ids = requireOwnerIds(ds);
  const keep: number[] = [];
  for (let i = 0; i < ds.n; i++) if (consent.consenting.has(ids[i]!)) keep.push(i);
  return keep.length === ds.n ? ds : subset(ds, keep);
}

/** Refuses a task whose consented training records are fewer than `minRecords`. */
export function requireConsentedRecords(
  datasetId: string,
  consented: number,
  total: number,
  consent: ConsentSnapshot,
  minRecords: number,
): void {
  if (consented >= minRecords) return;
  throw makeError(
    `only ${consented} of ${total} training records of dataset ${datasetId} belong to owners who consent to '${consent.purpose}' on the ledger (${consent.consenting.size} of ${consent.owners} owners${consent.unmapped ? `; ${consent.unmapped} have no address in the owner accounts` : ''}); this worker trains on at least ${minRecords}, so the round is refused before training`,
    'PERMISSION_DENIED',
    { datasetId, consented, total, minRecords, purpose: consent.purpose },
  );
}

/** The dataset's owner ids; a dataset without them cannot be checked for consent. */
export function requireOwnerIds(ds: Dataset): string[] {
  if (!ds.ownerIds) {
    throw makeError(
      `dataset ${ds.name} has no owner column, so its records' consent cannot be checked on the ledger; name the owner id column in the schema ("ownerId") or start the worker without --rpc`,
      'INVALID_DATASET',
      { dataset: ds.name },
    );
  }
  return ds.ownerIds;
}

interface Split {
  train: Dataset;
  test?: Dataset | undefined;
}

/**
 * For each task: the worker's fixed split narrowed to the records whose owners consent to the
 * purpose now (read fresh from the chain every call), then scaled on those records only (so a
 * withdrawn owner's values do not even shape the scaling). Rescales only when the consenting set
 * changed. `requireEnough` refuses training on fewer than the minimum of consented records.
 */
export function createConsentedSplits<S extends Split>(o: {
  chain: ChainChecks;
  datasetId: string;
  ownerIds: readonly string[];
  /** The fixed, unscaled split for a validation fraction. */
  raw: (fraction: number) => Split;
  scale: (raw: Split) => S;
  log: (line: string) => void;
}): (purpose: string, fraction: number) => Promise<S & { requireEnough: () => void }> {
  let last: { key: string; data: S } | undefined;
  return async (purpose, fraction) => {
    const snapshot = await o.chain.consent(purpose, o.ownerIds);
    const raw = o.raw(fraction);
    const key = `${fraction}|${purpose}|${[...snapshot.consenting].sort().join(',')}`;
    if (last?.key !== key) {
      const train = onlyConsented(raw.train, snapshot);
      const test = raw.test ? onlyConsented(raw.test, snapshot) : undefined;
      o.log(
        `consent to '${purpose}' read from the ledger: ${snapshot.consenting.size} of ${snapshot.owners} owners; training on ${train.n} of ${raw.train.n} records`,
      );
      last = { key, data: o.scale({ train, test }) };
    }
    const n = last.data.train.n;
    return {
      ...last.data,
      requireEnough: () => requireConsentedRecords(o.datasetId, n, raw.train.n, snapshot, o.chain.minRecords),
    };
  };
}
