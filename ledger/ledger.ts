/**
 * The `Ledger` interface: everything the platform reads from and writes to the chain. One
 * implementation over ethers v6 (ledger-ethers.ts) serves both backends: the embedded default
 * (`createEmbeddedLedger`, the real contracts on an in-process Hardhat 2 chain) and production
 * (`connectLedger`, any EVM JSON-RPC).
 *
 * Consumers take the narrow part they need (`{ ledger: LedgerRounds }` in the round commit,
 * `LedgerConsent` in a worker's record filter), not the whole interface.
 *
 * Amounts of AIDOC are bigint base units (18 decimals). Epsilon is a number here and uint64 with
 * 9 decimals on chain (rounded up). Job, dataset and purpose ids are strings here and keccak256
 * keys on chain. Addresses are 0x-prefixed hex strings.
 */
import type { LedgerDeployment } from './deployment.js';

/** What the round commit records for one (job, round). */
export interface RoundRecordInput {
  jobId: string;
  /** Round number as the coordinator counts it (any integer >= 0, unique within the job). */
  round: number;
  version: {
    /** The model store's content id (CIDv1) of the version's files. */
    contentId: string;
    /** SHA-256 of the model bytes, 64 hex digits (0x optional). */
    sha256: string;
    /** Content id of the version this one was trained from; null for a fresh model. */
    parent: string | null;
    /** The round's metrics (loss, accuracy, ...), stored on chain as JSON text. */
    metrics: Record<string, number>;
    /** Epsilon each dataset spent in this round, by dataset id. */
    epsilonPerDataset: Record<string, number>;
  };
  /**
   * The round's fee split into rebates. Absent for a job without a fee: its version and epsilon
   * spends are recorded all the same; only the settlement (and the job's escrow and refund) depend
   * on a fee.
   */
  settlement?: {
    /** Each participating worker's registered address and the records it contributed. */
    participants: { worker: string; records: number }[];
  };
  /** Epsilon spent per dataset this round; refused on chain past a dataset's cap. */
  epsilonSpends: { datasetId: string; epsilon: number }[];
}

/** The kinds of write that go through the outbox, each idempotent per its key. */
export type OutboxWriteKind = 'spend' | 'version' | 'settle' | 'finish';

/** The durable receipt for writes accepted into the outbox (written and fsynced to disk). */
export interface OutboxTicket {
  /** Outbox ids, e.g. `settle:job-1:3`; pass to `whenRecorded`. */
  ids: string[];
}

/** What became of one outbox write once it reached the chain. */
export interface WriteResult {
  id: string;
  kind: OutboxWriteKind;
  jobId: string;
  round: number | null;
  /**
   * `mined`: this client's transaction did it. `already-recorded`: the chain already had it
   * (an earlier attempt whose answer was lost, or another replica), which is success too.
   */
  status: 'mined' | 'already-recorded';
  /** Null when `already-recorded` (the original transaction is found through `events`). */
  txHash: string | null;
  blockNumber: number | null;
  gasUsed: bigint | null;
}

/** One outbox entry not yet on chain. */
export interface PendingWrite {
  id: string;
  kind: OutboxWriteKind;
  jobId: string;
  round: number | null;
  attempts: number;
  lastError: string | null;
}

export type JobStatus = 'open' | 'finished' | 'cancelled';

export interface JobView {
  jobId: string | null;
  jobKey: string;
  vendor: string;
  status: JobStatus;
  rounds: number;
  settledRounds: number;
  feePerRound: bigint;
  /** Invariant: escrowed == paidOut + refunded + held. */
  escrowed: bigint;
  paidOut: bigint;
  refunded: bigint;
  held: bigint;
}

export interface VersionView {
  versionId: string;
  jobKey: string;
  jobId: string | null;
  round: number;
  contentId: string;
  sha256: string;
  parent: string | null;
  metrics: Record<string, number>;
  epsilonPerDataset: { datasetKey: string; datasetId: string | null; epsilon: number }[];
  recordedAt: number;
  revoked: boolean;
  /** The transaction that recorded it (null only if its log could not be found). */
  txHash: string | null;
}

export interface RebateView {
  worker: string;
  name: string | null;
  amount: bigint;
  records: bigint;
  rounds: number;
}

/** The ledger after (or during) a job, as `aidoc demo` prints it. */
export interface JobReport {
  job: JobView;
  rebates: RebateView[];
  versions: VersionView[];
}

export interface EpsilonBudget {
  datasetId: string;
  cap: number;
  /** Spent on chain. */
  spent: number;
  /** Accepted into this client's outbox, not yet on chain. */
  pending: number;
  /** cap - spent - pending, never below zero. */
  remaining: number;
}

export interface WorkerView {
  address: string;
  name: string;
  certFingerprint: string;
  active: boolean;
}

export interface DatasetView {
  datasetKey: string;
  datasetId: string | null;
  worker: string;
  schemaId: string;
  records: number;
  epsilonCap: number;
}

export interface ConsentChange {
  purposeKey: string;
  purpose: string | null;
  granted: boolean;
  at: number;
}

/** A decoded log of any ledger contract. */
export interface LedgerEvent {
  contract: string;
  name: string;
  args: Record<string, string | number | boolean | string[]>;
  blockNumber: number;
  txHash: string;
  logIndex: number;
}

/** A mined transaction sent directly (not through the outbox). */
export interface TxResult {
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** @defaultValue no limit */
  timeoutMs?: number;
}

/** The round commit's part: outboxed, idempotent per (job, round). */
export interface LedgerRounds {
  /**
   * Durably enqueues the round's epsilon spends, model version and settlement (in that order; no
   * settlement for a job without a fee), and returns once they are on disk. A chain outage delays them; none is lost, none is
   * recorded twice. Enqueuing the same (job, round) again is a no-op returning the same ids.
   */
  recordRound(input: RoundRecordInput, options?: { signal?: AbortSignal }): Promise<OutboxTicket>;
  /** Enqueues closing the job after its last round; the unused budget goes back to the vendor. */
  finishJob(jobId: string): Promise<OutboxTicket>;
  /**
   * Resolves when every write of the ticket is on chain. Rejects with LEDGER_TX_FAILED if the
   * chain refused one (info.revert names the contract error, e.g. `BudgetExceeded`).
   */
  whenRecorded(ticket: OutboxTicket, options?: WaitOptions): Promise<WriteResult[]>;
  /** Resolves when the outbox is empty. */
  flush(options?: WaitOptions): Promise<void>;
  pendingWrites(): PendingWrite[];
}

export interface LedgerJobs {
  /**
   * Escrows a job's budget from `vendor` (default: this account), approving the market first when
   * this account is the vendor. Refused with LEDGER_TX_FAILED (info.revert `InsufficientBudget`,
   * `ERC20InsufficientBalance` or `ERC20InsufficientAllowance`) and a message saying what to do.
   */
  openJob(input: {
    jobId: string;
    vendor?: string;
    budget: bigint;
    feePerRound: bigint;
    rounds: number;
  }): Promise<TxResult>;
  cancelJob(jobId: string): Promise<TxResult>;
  job(jobId: string): Promise<JobView | undefined>;
  jobs(): Promise<JobView[]>;
  jobReport(jobId: string): Promise<JobReport>;
  isSettled(jobId: string, round: number): Promise<boolean>;
}

export interface LedgerModels {
  versions(filter?: { jobId?: string }): Promise<VersionView[]>;
  versionByContent(contentId: string): Promise<VersionView | undefined>;
  /** Governance only. */
  revokeVersion(jobId: string, round: number, reason: string): Promise<TxResult>;
  /** Throws VERIFICATION_FAILED if the version is revoked, NOT_FOUND if it is not on chain. */
  requireUsableVersion(contentId: string): Promise<VersionView>;
}

export interface LedgerPrivacy {
  epsilonBudget(datasetId: string): Promise<EpsilonBudget>;
}

export interface LedgerConsent {
  grantConsent(purpose: string): Promise<TxResult>;
  revokeConsent(purpose: string): Promise<TxResult>;
  consentOf(owner: string, purpose: string): Promise<boolean>;
  /** One call for a worker's owner list at round time. */
  consentMany(owners: string[], purpose: string): Promise<boolean[]>;
  consentHistory(owner: string): Promise<ConsentChange[]>;
}

export interface LedgerRegistry {
  /** Operator only. `certFingerprint`: SHA-256 of the worker's DER certificate, 64 hex digits. */
  registerWorker(input: { address: string; certFingerprint: string; name: string }): Promise<TxResult>;
  setWorkerActive(address: string, active: boolean): Promise<TxResult>;
  /** Operator only. */
  registerDataset(input: {
    datasetId: string;
    worker: string;
    schemaId: string;
    records: number;
    epsilonCap: number;
  }): Promise<TxResult>;
  /** Operator or the dataset's own worker. */
  updateDataset(input: { datasetId: string; records: number; epsilonCap: number }): Promise<TxResult>;
  workers(): Promise<WorkerView[]>;
  dataset(datasetId: string): Promise<DatasetView | undefined>;
}

export interface LedgerTokens {
  balanceOf(address: string): Promise<bigint>;
  /** Minter (operator) only. */
  mint(to: string, amount: bigint): Promise<TxResult>;
  transfer(to: string, amount: bigint): Promise<TxResult>;
  /**
   * Lets the market take up to `amount` from this account into job escrows: a vendor's standing
   * approval, so the coordinator can open the vendor's jobs at submission (ERC-20 approve).
   */
  approveEscrow(amount: bigint): Promise<TxResult>;
}

/** A data owner's claim to their share of a hospital's rebate for one round. */
export interface OwnerClaimTicket {
  hospital: string;
  jobId: string;
  round: number;
  account: string;
  /** Base units, decimal string (JSON has no bigint). */
  amount: string;
  salt: string;
  proof: string[];
  root: string;
}

export interface LedgerRebates {
  /** A hospital deposits `total` and the Merkle root of its owners' shares for (job, round). */
  postOwnerShares(input: { jobId: string; round: number; root: string; total: bigint }): Promise<TxResult>;
  /** Anyone may submit; the tokens go to `ticket.account`. */
  claimOwnerShare(ticket: OwnerClaimTicket): Promise<TxResult>;
  isClaimed(ticket: OwnerClaimTicket): Promise<boolean>;
}

export interface Ledger
  extends
    LedgerRounds,
    LedgerJobs,
    LedgerModels,
    LedgerPrivacy,
    LedgerConsent,
    LedgerRegistry,
    LedgerTokens,
    LedgerRebates {
  readonly deployment: LedgerDeployment;
  /** The address this client signs as. */
  readonly account: string;
  /** The chain's latest block. */
  head(): Promise<{ blockNumber: number; blockHash: string; timestamp: number }>;
  /** Every decoded log of the ledger's contracts, oldest first. */
  events(filter?: { jobId?: string; fromBlock?: number; limit?: number }): Promise<LedgerEvent[]>;
  /**
   * The same chain, signing as another account: for the CLI and tests. The new client has no
   * outbox of its own (round writes belong to the coordinator's client); closing it leaves the
   * chain open.
   */
  withSigner(privateKey: string): Ledger;
  /** Stops the outbox loop (pending writes stay on disk) and releases the chain. */
  close(): Promise<void>;
}
