/**
 * The one `Ledger` implementation, over ethers v6. It does not care where the chain is: the
 * embedded ledger hands it an in-process provider, `connectLedger` a JSON-RPC one.
 *
 * Writes of the round commit go through the outbox (durable, ordered, retried); every other
 * write is sent directly and its outcome returned, since a person or a job submission is waiting
 * for it. Reads go straight to the chain.
 */
import { AbiCoder, Contract, Wallet, getAddress, keccak256, type JsonRpcApiProvider, type Log } from 'ethers';
import { z } from 'zod';
import { assertArgument, isError, makeError, throwIfAborted } from '../common/errors.js';
import { interfaces, ledgerInterface, type ContractName } from './artifacts.js';
import type { LedgerDeployment } from './deployment.js';
import type {
  ConsentChange,
  DatasetView,
  EpsilonBudget,
  JobReport,
  JobStatus,
  JobView,
  Ledger,
  LedgerEvent,
  OutboxTicket,
  OwnerClaimTicket,
  PendingWrite,
  RebateView,
  RoundRecordInput,
  TxResult,
  VersionView,
  WaitOptions,
  WorkerView,
  WriteResult,
} from './ledger.js';
import { Outbox, type OutboxEntry, type OutboxOptions, type WriteOutcome } from './outbox.js';
import { ownerLeaf } from './owner-shares.js';
import { TxSender, decodeRevert, isTransient, revertError, type TxSenderOptions } from './tx-sender.js';
import { datasetKey, fromNanoEpsilon, jobKey, purposeKey, schemaKey, toNanoEpsilon } from './units.js';

export interface EthersLedgerOptions {
  provider: JsonRpcApiProvider;
  deployment: LedgerDeployment;
  /** Signs as this key; undefined for a read-only client. */
  privateKey?: string;
  /**
   * The outbox for round writes. Undefined: this client cannot record rounds (a `withSigner`
   * client, a read-only one).
   */
  outbox?: Pick<OutboxOptions, 'file' | 'initialRetryMs' | 'maxRetryMs' | 'onAttemptError'>;
  sender?: TxSenderOptions;
  /** Called once by `close()` after the outbox stopped (releases the chain). */
  onClose?: () => Promise<void> | void;
}

const hex32 = z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, '64 hex digits');
const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-prefixed 20-byte address');
const epsilonSchema = z.number().finite().nonnegative();
const roundSchema = z.number().int().nonnegative().max(0xffff_ffff);

const roundInputSchema = z.object({
  jobId: z.string().min(1),
  round: roundSchema,
  version: z.object({
    contentId: z.string().min(1),
    sha256: hex32,
    parent: z.string().min(1).nullable(),
    metrics: z.record(z.string(), z.number()),
    epsilonPerDataset: z.record(z.string().min(1), epsilonSchema),
  }),
  settlement: z
    .object({
      participants: z
        .array(z.object({ worker: addressSchema, records: z.number().int().nonnegative() }))
        .min(1, 'a settlement needs at least one participant'),
    })
    .optional(),
  epsilonSpends: z.array(z.object({ datasetId: z.string().min(1), epsilon: epsilonSchema })),
});

const STATUS: JobStatus[] = ['open', 'open', 'finished', 'cancelled'];
const coder = AbiCoder.defaultAbiCoder();

interface JobTuple {
  vendor: string;
  status: bigint;
  rounds: bigint;
  settledRounds: bigint;
  feePerRound: bigint;
  escrowed: bigint;
  paidOut: bigint;
  refunded: bigint;
  held: bigint;
}
interface VersionTuple {
  jobKey: string;
  round: bigint;
  recordedAt: bigint;
  revoked: boolean;
  sha256: string;
  contentId: string;
  parent: string;
  metrics: string;
  datasetIds: string[];
  epsilon: bigint[];
}

function with0x(h: string): string {
  return h.startsWith('0x') ? h.toLowerCase() : '0x' + h.toLowerCase();
}

function versionIdOf(key: string, round: number): string {
  return keccak256(coder.encode(['bytes32', 'uint32'], [key, round]));
}

export class EthersLedger implements Ledger {
  readonly deployment: LedgerDeployment;
  readonly account: string;
  private readonly provider: JsonRpcApiProvider;
  private readonly sender: TxSender | undefined;
  private readonly outbox: Outbox | undefined;
  private readonly c: Record<ContractName, Contract>;
  private readonly names = { jobs: new Map<string, string>(), datasets: new Map<string, string>() };
  private closed = false;

  constructor(private readonly options: EthersLedgerOptions) {
    this.provider = options.provider;
    this.deployment = options.deployment;
    const wallet = options.privateKey ? new Wallet(options.privateKey) : undefined;
    this.account = wallet?.address ?? '0x0000000000000000000000000000000000000000';
    this.sender = wallet
      ? new TxSender(this.provider, wallet, BigInt(options.deployment.chainId), options.sender)
      : undefined;
    this.c = Object.fromEntries(
      (Object.keys(interfaces) as ContractName[]).map((n) => [
        n,
        new Contract(options.deployment.contracts[n], interfaces[n], this.provider),
      ]),
    ) as Record<ContractName, Contract>;
    if (options.outbox) {
      assertArgument(this.sender, 'a ledger with an outbox needs a private key to sign with');
      this.outbox = new Outbox({
        ...options.outbox,
        execute: (entry) => this.execute(entry),
        isTransient,
      });
    }
  }

  // ---------------------------------------------------------------- round commit (outboxed)

  recordRound(input: RoundRecordInput, options: { signal?: AbortSignal } = {}): Promise<OutboxTicket> {
    return settle(() => this.enqueueRound(input, options.signal));
  }

  private enqueueRound(input: RoundRecordInput, signal: AbortSignal | undefined): OutboxTicket {
    throwIfAborted(signal, 'recordRound');
    const parsed = roundInputSchema.safeParse(input);
    if (!parsed.success) {
      throw makeError(`invalid round record: ${z.prettifyError(parsed.error)}`, 'INVALID_ARGUMENT', {
        problems: parsed.error.issues,
      });
    }
    const { jobId, round, version, settlement, epsilonSpends } = parsed.data;
    const participants = (settlement?.participants ?? [])
      .map((p) => ({ worker: getAddress(p.worker), records: p.records }))
      .sort((a, b) => (BigInt(a.worker) < BigInt(b.worker) ? -1 : 1));
    for (let i = 1; i < participants.length; i++) {
      if (participants[i]!.worker === participants[i - 1]!.worker) {
        throw makeError(
          `worker ${participants[i]!.worker} appears twice in the settlement`,
          'INVALID_ARGUMENT',
        );
      }
    }
    if (settlement && participants.every((p) => p.records === 0)) {
      throw makeError('a settlement needs at least one record', 'INVALID_ARGUMENT');
    }
    const versionDatasets = Object.entries(version.epsilonPerDataset);
    const entries: OutboxEntry[] = [];
    if (epsilonSpends.length > 0) {
      entries.push({
        id: `spend:${jobId}:${round}`,
        kind: 'spend',
        jobId,
        round,
        payload: {
          datasetIds: epsilonSpends.map((s) => s.datasetId),
          epsilon: epsilonSpends.map((s) => toNanoEpsilon(s.epsilon).toString()),
        },
      });
    }
    entries.push({
      id: `version:${jobId}:${round}`,
      kind: 'version',
      jobId,
      round,
      payload: {
        contentId: version.contentId,
        sha256: with0x(version.sha256),
        parent: version.parent ?? '',
        metrics: JSON.stringify(version.metrics),
        datasetIds: versionDatasets.map(([d]) => d),
        epsilon: versionDatasets.map(([, e]) => toNanoEpsilon(e).toString()),
      },
    });
    if (settlement) {
      entries.push({
        id: `settle:${jobId}:${round}`,
        kind: 'settle',
        jobId,
        round,
        payload: {
          workers: participants.map((p) => p.worker),
          records: participants.map((p) => p.records),
        },
      });
    }
    return this.requireOutbox().enqueue(entries);
  }

  finishJob(jobId: string): Promise<OutboxTicket> {
    return settle(() => {
      assertArgument(jobId.length > 0, 'jobId must not be empty');
      return this.requireOutbox().enqueue([
        { id: `finish:${jobId}`, kind: 'finish', jobId, round: null, payload: {} },
      ]);
    });
  }

  whenRecorded(ticket: OutboxTicket, options?: WaitOptions): Promise<WriteResult[]> {
    return this.requireOutbox().when(ticket.ids, options);
  }

  flush(options?: WaitOptions): Promise<void> {
    return this.outbox ? this.outbox.flush(options) : Promise.resolve();
  }

  pendingWrites(): PendingWrite[] {
    return this.outbox?.pending() ?? [];
  }

  private requireOutbox(): Outbox {
    if (!this.outbox) {
      throw makeError(
        "this ledger client has no outbox (read-only or withSigner); round writes go through the coordinator's",
        'INTERNAL',
      );
    }
    return this.outbox;
  }

  /** Sends one outbox entry; "already recorded" on chain counts as success. */
  private async execute(entry: OutboxEntry): Promise<WriteOutcome> {
    const key = jobKey(entry.jobId);
    const round = entry.round ?? 0;
    let to: string;
    let data: string;
    switch (entry.kind) {
      case 'spend': {
        const p = entry.payload as { datasetIds: string[]; epsilon: string[] };
        to = this.deployment.contracts.PrivacyLedger;
        data = interfaces.PrivacyLedger.encodeFunctionData('spendRound', [
          key,
          round,
          p.datasetIds.map(datasetKey),
          p.epsilon.map(BigInt),
        ]);
        break;
      }
      case 'version': {
        const p = entry.payload as {
          contentId: string;
          sha256: string;
          parent: string;
          metrics: string;
          datasetIds: string[];
          epsilon: string[];
        };
        to = this.deployment.contracts.ModelRegistry;
        data = interfaces.ModelRegistry.encodeFunctionData('recordVersion', [
          {
            jobKey: key,
            round,
            contentId: p.contentId,
            sha256: p.sha256,
            parent: p.parent,
            metrics: p.metrics,
            datasetIds: p.datasetIds.map(datasetKey),
            epsilon: p.epsilon.map(BigInt),
          },
        ]);
        break;
      }
      case 'settle': {
        const p = entry.payload as { workers: string[]; records: number[] };
        to = this.deployment.contracts.TrainingMarket;
        data = interfaces.TrainingMarket.encodeFunctionData('settleRound', [
          key,
          round,
          p.workers,
          p.records,
        ]);
        break;
      }
      case 'finish':
        to = this.deployment.contracts.TrainingMarket;
        data = interfaces.TrainingMarket.encodeFunctionData('finishJob', [key]);
        break;
    }
    try {
      const r = await this.sender!.send({
        to,
        data,
        label: `${entry.kind}(${entry.jobId}, ${entry.round ?? '-'})`,
      });
      return { status: 'mined', txHash: r.hash, blockNumber: r.blockNumber, gasUsed: r.gasUsed };
    } catch (e) {
      if (isError(e, 'LEDGER_TX_FAILED')) {
        const revert = e.info.revert;
        const args = e.info.args as unknown[] | undefined;
        const done =
          revert === 'AlreadyRecorded' ||
          // A finished job is what `finish` wants; Status.Finished == 2.
          (entry.kind === 'finish' && revert === 'JobNotOpen' && String(args?.[1]) === '2');
        if (done) return { status: 'already-recorded', txHash: null, blockNumber: null, gasUsed: null };
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- jobs

  async openJob(input: {
    jobId: string;
    vendor?: string;
    budget: bigint;
    feePerRound: bigint;
    rounds: number;
  }): Promise<TxResult> {
    const vendor = getAddress(input.vendor ?? this.account);
    assertArgument(input.jobId.length > 0, 'jobId must not be empty');
    assertArgument(
      Number.isInteger(input.rounds) && input.rounds > 0,
      `rounds must be a positive integer, got ${input.rounds}`,
    );
    assertArgument(input.feePerRound > 0n, 'feePerRound must be positive');
    const required = input.feePerRound * BigInt(input.rounds);
    if (input.budget < required) {
      throw makeError(
        `job ${input.jobId}: a budget of ${input.budget} does not cover ${input.rounds} rounds at ${input.feePerRound} per round (${required}); raise the budget or lower the fee`,
        'LEDGER_TX_FAILED',
        { revert: 'InsufficientBudget', budget: input.budget.toString(), required: required.toString() },
      );
    }
    const market = this.deployment.contracts.TrainingMarket;
    if (vendor === this.account) {
      const allowance = (await this.view('AidocToken', 'allowance', vendor, market)) as bigint;
      if (allowance < input.budget)
        await this.send('AidocToken', 'approve', [market, input.budget], 'approve escrow');
    }
    try {
      return await this.send(
        'TrainingMarket',
        'openJob',
        [input.jobId, vendor, input.budget, input.feePerRound, input.rounds],
        `openJob(${input.jobId})`,
      );
    } catch (e) {
      if (!isError(e, 'LEDGER_TX_FAILED')) throw e;
      const hint: Record<string, string> = {
        ERC20InsufficientBalance: `vendor ${vendor} holds less than the budget ${input.budget}; fund the vendor's account`,
        ERC20InsufficientAllowance: `vendor ${vendor} has not approved the market (${market}) for ${input.budget}`,
        JobExists: `job ${input.jobId} already has an escrow`,
        NotVendorOrCoordinator: `only the vendor or the coordinator may open a job for ${vendor}`,
      };
      const h = hint[String(e.info.revert)];
      if (h) throw makeError(`job ${input.jobId} refused: ${h}`, 'LEDGER_TX_FAILED', e.info, e);
      throw e;
    }
  }

  cancelJob(jobId: string): Promise<TxResult> {
    return this.send('TrainingMarket', 'cancelJob', [jobKey(jobId)], `cancelJob(${jobId})`);
  }

  async job(jobId: string): Promise<JobView | undefined> {
    this.names.jobs.set(jobKey(jobId), jobId);
    return this.jobByKey(jobKey(jobId));
  }

  async jobs(): Promise<JobView[]> {
    await this.refreshNames();
    const n = Number(await this.view('TrainingMarket', 'jobCount'));
    const out: JobView[] = [];
    for (let i = 0; i < n; i++) {
      const key = (await this.view('TrainingMarket', 'jobAt', i)) as string;
      const j = await this.jobByKey(key);
      if (j) out.push(j);
    }
    return out;
  }

  private async jobByKey(key: string): Promise<JobView | undefined> {
    let t: JobTuple;
    try {
      t = (await this.view('TrainingMarket', 'job', key)) as JobTuple;
    } catch (e) {
      if (isError(e, 'LEDGER_TX_FAILED') && e.info.revert === 'UnknownJob') return undefined;
      throw e;
    }
    return {
      jobId: this.names.jobs.get(key) ?? null,
      jobKey: key,
      vendor: t.vendor,
      status: STATUS[Number(t.status)] ?? 'open',
      rounds: Number(t.rounds),
      settledRounds: Number(t.settledRounds),
      feePerRound: t.feePerRound,
      escrowed: t.escrowed,
      paidOut: t.paidOut,
      refunded: t.refunded,
      held: t.held,
    };
  }

  async jobReport(jobId: string): Promise<JobReport> {
    const job = await this.job(jobId);
    if (!job) throw makeError(`no job ${jobId} on the ledger`, 'NOT_FOUND', { jobId });
    const key = jobKey(jobId);
    const logs = await this.logs('TrainingMarket', 'Rebate', [key]);
    const names = new Map((await this.workers()).map((w) => [w.address, w.name]));
    const byWorker = new Map<string, RebateView>();
    for (const log of logs) {
      const ev = interfaces.TrainingMarket.parseLog(log)!;
      const worker = ev.args.getValue('worker') as string;
      let r = byWorker.get(worker);
      if (!r)
        byWorker.set(
          worker,
          (r = { worker, name: names.get(worker) ?? null, amount: 0n, records: 0n, rounds: 0 }),
        );
      r.amount += ev.args.getValue('amount') as bigint;
      r.records += ev.args.getValue('records') as bigint;
      r.rounds += 1;
    }
    return { job, rebates: [...byWorker.values()], versions: await this.versions({ jobId }) };
  }

  async isSettled(jobId: string, round: number): Promise<boolean> {
    return (await this.view('TrainingMarket', 'isSettled', jobKey(jobId), round)) as boolean;
  }

  // ---------------------------------------------------------------- models

  async versions(filter: { jobId?: string } = {}): Promise<VersionView[]> {
    await this.refreshNames();
    // A job without a fee has no JobOpened event to learn its id from: the filter names it.
    if (filter.jobId) this.names.jobs.set(jobKey(filter.jobId), filter.jobId);
    const logs = await this.logs('ModelRegistry', 'VersionRecorded', [
      null,
      filter.jobId ? jobKey(filter.jobId) : null,
    ]);
    const out: VersionView[] = [];
    for (const log of logs) {
      const versionId = log.topics[1]!;
      out.push(await this.versionById(versionId, log.transactionHash));
    }
    return out;
  }

  async versionByContent(contentId: string): Promise<VersionView | undefined> {
    const id = (await this.view('ModelRegistry', 'versionIdByContent', contentId)) as string;
    if (BigInt(id) === 0n) return undefined;
    await this.refreshNames();
    const [log] = await this.logs('ModelRegistry', 'VersionRecorded', [id]);
    return this.versionById(id, log?.transactionHash ?? null);
  }

  private async versionById(versionId: string, txHash: string | null): Promise<VersionView> {
    const v = (await this.view('ModelRegistry', 'version', versionId)) as VersionTuple;
    let metrics: Record<string, number> = {};
    try {
      metrics = JSON.parse(v.metrics) as Record<string, number>;
    } catch {
      // recorded by another client: keep it empty rather than fail the listing
    }
    return {
      versionId,
      jobKey: v.jobKey,
      jobId: this.names.jobs.get(v.jobKey) ?? null,
      round: Number(v.round),
      contentId: v.contentId,
      sha256: v.sha256,
      parent: v.parent === '' ? null : v.parent,
      metrics,
      epsilonPerDataset: v.datasetIds.map((d, i) => ({
        datasetKey: d,
        datasetId: this.names.datasets.get(d) ?? null,
        epsilon: fromNanoEpsilon(v.epsilon[i] ?? 0n),
      })),
      recordedAt: Number(v.recordedAt),
      revoked: v.revoked,
      txHash,
    };
  }

  revokeVersion(jobId: string, round: number, reason: string): Promise<TxResult> {
    return this.send(
      'ModelRegistry',
      'revokeVersion',
      [versionIdOf(jobKey(jobId), round), reason],
      `revokeVersion(${jobId}, ${round})`,
    );
  }

  async requireUsableVersion(contentId: string): Promise<VersionView> {
    const v = await this.versionByContent(contentId);
    if (!v) throw makeError(`model ${contentId} is not recorded on the ledger`, 'NOT_FOUND', { contentId });
    if (v.revoked) {
      throw makeError(
        `model ${contentId} (job ${v.jobId ?? v.jobKey}, round ${v.round}) was revoked`,
        'VERIFICATION_FAILED',
        {
          contentId,
          versionId: v.versionId,
        },
      );
    }
    return v;
  }

  // ---------------------------------------------------------------- privacy

  async epsilonBudget(datasetId: string): Promise<EpsilonBudget> {
    const key = datasetKey(datasetId);
    let cap: bigint;
    try {
      cap = (await this.view('WorkerRegistry', 'epsilonCapOf', key)) as bigint;
    } catch (e) {
      if (isError(e, 'LEDGER_TX_FAILED') && e.info.revert === 'UnknownDataset') {
        throw makeError(`dataset ${datasetId} is not registered on the ledger`, 'NOT_FOUND', { datasetId });
      }
      throw e;
    }
    const spent = (await this.view('PrivacyLedger', 'spentOf', key)) as bigint;
    let pending = 0n;
    for (const e of this.outbox?.pendingEntries() ?? []) {
      if (e.kind !== 'spend') continue;
      const p = e.payload as { datasetIds: string[]; epsilon: string[] };
      p.datasetIds.forEach((d, i) => {
        if (d === datasetId) pending += BigInt(p.epsilon[i]!);
      });
    }
    const left = cap - spent - pending;
    return {
      datasetId,
      cap: fromNanoEpsilon(cap),
      spent: fromNanoEpsilon(spent),
      pending: fromNanoEpsilon(pending),
      remaining: fromNanoEpsilon(left > 0n ? left : 0n),
    };
  }

  // ---------------------------------------------------------------- consent

  grantConsent(purpose: string): Promise<TxResult> {
    assertArgument(purpose.length > 0, 'purpose must not be empty');
    return this.send('ConsentRegistry', 'grant', [purpose], `grant(${purpose})`);
  }

  revokeConsent(purpose: string): Promise<TxResult> {
    assertArgument(purpose.length > 0, 'purpose must not be empty');
    return this.send('ConsentRegistry', 'revoke', [purpose], `revoke(${purpose})`);
  }

  async consentOf(owner: string, purpose: string): Promise<boolean> {
    return (await this.view(
      'ConsentRegistry',
      'isGranted',
      getAddress(owner),
      purposeKey(purpose),
    )) as boolean;
  }

  async consentMany(owners: string[], purpose: string): Promise<boolean[]> {
    const out: boolean[] = [];
    // Chunks keep each call well under a node's gas cap for eth_call.
    for (let i = 0; i < owners.length; i += 500) {
      const chunk = owners.slice(i, i + 500).map((o) => getAddress(o));
      const r = (await this.view('ConsentRegistry', 'grantedMany', chunk, purposeKey(purpose))) as boolean[];
      out.push(...r);
    }
    return out;
  }

  async consentHistory(owner: string): Promise<ConsentChange[]> {
    const who = getAddress(owner);
    const names = new Map<string, string>();
    for (const log of await this.logs('ConsentRegistry', 'ConsentChanged', [
      coder.encode(['address'], [who]),
    ])) {
      const ev = interfaces.ConsentRegistry.parseLog(log)!;
      names.set(ev.args.getValue('purpose') as string, ev.args.getValue('purposeName') as string);
    }
    const n = (await this.view('ConsentRegistry', 'historyLength', who)) as bigint;
    // Positional: an ethers Result's `.at` is the array method, not the struct's `at` field.
    const rows = (await this.view('ConsentRegistry', 'history', who, 0, n)) as [string, boolean, bigint][];
    return rows.map(([key, granted, at]) => ({
      purposeKey: key,
      purpose: names.get(key) ?? null,
      granted,
      at: Number(at),
    }));
  }

  // ---------------------------------------------------------------- registry

  registerWorker(input: { address: string; certFingerprint: string; name: string }): Promise<TxResult> {
    assertArgument(
      /^(0x)?[0-9a-fA-F]{64}$/.test(input.certFingerprint),
      'certFingerprint must be 64 hex digits (SHA-256)',
    );
    return this.send(
      'WorkerRegistry',
      'registerWorker',
      [getAddress(input.address), with0x(input.certFingerprint), input.name],
      `registerWorker(${input.name})`,
    );
  }

  setWorkerActive(address: string, active: boolean): Promise<TxResult> {
    return this.send(
      'WorkerRegistry',
      'setWorkerActive',
      [getAddress(address), active],
      `setWorkerActive(${address})`,
    );
  }

  registerDataset(input: {
    datasetId: string;
    worker: string;
    schemaId: string;
    records: number;
    epsilonCap: number;
  }): Promise<TxResult> {
    assertArgument(Number.isInteger(input.records) && input.records >= 0, 'records must be an integer >= 0');
    this.names.datasets.set(datasetKey(input.datasetId), input.datasetId);
    return this.send(
      'WorkerRegistry',
      'registerDataset',
      [
        input.datasetId,
        getAddress(input.worker),
        schemaKey(input.schemaId),
        input.records,
        toNanoEpsilon(input.epsilonCap),
      ],
      `registerDataset(${input.datasetId})`,
    );
  }

  updateDataset(input: { datasetId: string; records: number; epsilonCap: number }): Promise<TxResult> {
    assertArgument(Number.isInteger(input.records) && input.records >= 0, 'records must be an integer >= 0');
    return this.send(
      'WorkerRegistry',
      'updateDataset',
      [datasetKey(input.datasetId), input.records, toNanoEpsilon(input.epsilonCap)],
      `updateDataset(${input.datasetId})`,
    );
  }

  async workers(): Promise<WorkerView[]> {
    const n = Number(await this.view('WorkerRegistry', 'workerCount'));
    const out: WorkerView[] = [];
    for (let i = 0; i < n; i++) {
      const address = (await this.view('WorkerRegistry', 'workerAt', i)) as string;
      const w = (await this.view('WorkerRegistry', 'workerInfo', address)) as {
        certFingerprint: string;
        name: string;
        active: boolean;
      };
      out.push({ address, name: w.name, certFingerprint: w.certFingerprint, active: w.active });
    }
    return out;
  }

  async dataset(datasetId: string): Promise<DatasetView | undefined> {
    const key = datasetKey(datasetId);
    try {
      const d = (await this.view('WorkerRegistry', 'dataset', key)) as {
        worker: string;
        schemaId: string;
        records: bigint;
        epsilonCap: bigint;
      };
      return {
        datasetKey: key,
        datasetId,
        worker: d.worker,
        schemaId: d.schemaId,
        records: Number(d.records),
        epsilonCap: fromNanoEpsilon(d.epsilonCap),
      };
    } catch (e) {
      if (isError(e, 'LEDGER_TX_FAILED') && e.info.revert === 'UnknownDataset') return undefined;
      throw e;
    }
  }

  // ---------------------------------------------------------------- tokens

  async balanceOf(address: string): Promise<bigint> {
    return (await this.view('AidocToken', 'balanceOf', getAddress(address))) as bigint;
  }

  mint(to: string, amount: bigint): Promise<TxResult> {
    return this.send('AidocToken', 'mint', [getAddress(to), amount], `mint(${to})`);
  }

  transfer(to: string, amount: bigint): Promise<TxResult> {
    return this.send('AidocToken', 'transfer', [getAddress(to), amount], `transfer(${to})`);
  }

  approveEscrow(amount: bigint): Promise<TxResult> {
    return this.send(
      'AidocToken',
      'approve',
      [this.deployment.contracts.TrainingMarket, amount],
      'approve escrow',
    );
  }

  // ---------------------------------------------------------------- owner rebates

  async postOwnerShares(input: {
    jobId: string;
    round: number;
    root: string;
    total: bigint;
  }): Promise<TxResult> {
    const claims = this.deployment.contracts.RebateClaims;
    const allowance = (await this.view('AidocToken', 'allowance', this.account, claims)) as bigint;
    if (allowance < input.total)
      await this.send('AidocToken', 'approve', [claims, input.total], 'approve owner shares');
    return this.send(
      'RebateClaims',
      'postOwnerShares',
      [jobKey(input.jobId), input.round, input.root, input.total],
      `postOwnerShares(${input.jobId}, ${input.round})`,
    );
  }

  claimOwnerShare(t: OwnerClaimTicket): Promise<TxResult> {
    return this.send(
      'RebateClaims',
      'claim',
      [
        getAddress(t.hospital),
        jobKey(t.jobId),
        t.round,
        getAddress(t.account),
        BigInt(t.amount),
        t.salt,
        t.proof,
      ],
      `claim(${t.jobId}, ${t.round})`,
    );
  }

  async isClaimed(t: OwnerClaimTicket): Promise<boolean> {
    const leaf = ownerLeaf(t.hospital, t.jobId, t.round, t.account, BigInt(t.amount), t.salt);
    return (await this.view('RebateClaims', 'isClaimed', leaf)) as boolean;
  }

  // ---------------------------------------------------------------- events, lifecycle

  async head(): Promise<{ blockNumber: number; blockHash: string; timestamp: number }> {
    const b = await this.provider.getBlock('latest');
    if (!b?.hash)
      throw makeError('the chain returned no latest block', 'LEDGER_TX_FAILED', { transient: true });
    return { blockNumber: b.number, blockHash: b.hash, timestamp: b.timestamp };
  }

  async events(filter: { jobId?: string; fromBlock?: number; limit?: number } = {}): Promise<LedgerEvent[]> {
    await this.refreshNames();
    const byAddress = new Map(
      (Object.keys(this.deployment.contracts) as ContractName[]).map((n) => [
        this.deployment.contracts[n].toLowerCase(),
        n,
      ]),
    );
    const logs = await this.scan({ address: [...byAddress.keys()] }, filter.fromBlock);
    const key = filter.jobId ? jobKey(filter.jobId) : undefined;
    const out: LedgerEvent[] = [];
    for (const log of logs) {
      const ev = ledgerInterface.parseLog(log);
      if (!ev) continue;
      const args: LedgerEvent['args'] = {};
      ev.fragment.inputs.forEach((input, i) => {
        args[input.name || String(i)] = plain(ev.args[i], input.type);
      });
      if (key && args.jobKey !== key) continue;
      if (typeof args.jobKey === 'string' && this.names.jobs.has(args.jobKey))
        args.jobId = this.names.jobs.get(args.jobKey)!;
      out.push({
        contract: byAddress.get(log.address.toLowerCase()) ?? log.address,
        name: ev.name,
        args,
        blockNumber: log.blockNumber,
        txHash: log.transactionHash,
        logIndex: log.index,
      });
    }
    return filter.limit !== undefined ? out.slice(-filter.limit) : out;
  }

  withSigner(privateKey: string): Ledger {
    return new EthersLedger({
      provider: this.provider,
      deployment: this.deployment,
      privateKey,
      ...(this.options.sender ? { sender: this.options.sender } : {}),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.outbox?.close();
    await this.options.onClose?.();
  }

  // ---------------------------------------------------------------- plumbing

  private async send(contract: ContractName, fn: string, args: unknown[], label: string): Promise<TxResult> {
    if (!this.sender)
      throw makeError(`${label}: this ledger client is read-only (no key)`, 'PERMISSION_DENIED');
    const data = interfaces[contract].encodeFunctionData(fn, args);
    const r = await this.sender.send({ to: this.deployment.contracts[contract], data, label });
    return { txHash: r.hash, blockNumber: r.blockNumber, gasUsed: r.gasUsed };
  }

  private async view(contract: ContractName, fn: string, ...args: unknown[]): Promise<unknown> {
    try {
      const r = (await this.c[contract].getFunction(fn).staticCall(...args)) as unknown;
      return r;
    } catch (e) {
      const revert = decodeRevert(e);
      if (revert) throw revertError(`${contract}.${fn}`, revert);
      throw makeError(
        `${contract}.${fn}: chain unavailable (${(e as Error).message.split('\n')[0]})`,
        'LEDGER_TX_FAILED',
        { transient: true },
        e,
      );
    }
  }

  private async logs(contract: ContractName, event: string, topics: (string | null)[]): Promise<Log[]> {
    const topic0 = interfaces[contract].getEvent(event)!.topicHash;
    return this.scan({ address: this.deployment.contracts[contract], topics: [topic0, ...topics] });
  }

  /** getLogs from the deployment block to the head, in chunks nodes accept. */
  private async scan(
    filter: { address: string | string[]; topics?: (string | null)[] },
    fromBlock?: number,
  ): Promise<Log[]> {
    const head = await this.provider.getBlockNumber();
    const out: Log[] = [];
    for (let from = fromBlock ?? this.deployment.deployBlock; from <= head; from += 5000) {
      out.push(
        ...(await this.provider.getLogs({
          ...filter,
          fromBlock: from,
          toBlock: Math.min(head, from + 4999),
        })),
      );
    }
    return out;
  }

  /** Learns job and dataset ids from their opening events, to show names instead of hashes. */
  private async refreshNames(): Promise<void> {
    for (const log of await this.logs('TrainingMarket', 'JobOpened', [])) {
      const ev = interfaces.TrainingMarket.parseLog(log)!;
      this.names.jobs.set(ev.args.getValue('jobKey') as string, ev.args.getValue('jobId') as string);
    }
    for (const log of await this.logs('WorkerRegistry', 'DatasetRegistered', [])) {
      const ev = interfaces.WorkerRegistry.parseLog(log)!;
      this.names.datasets.set(
        ev.args.getValue('datasetId') as string,
        ev.args.getValue('datasetName') as string,
      );
    }
  }
}

/** A synchronous step as a promise: its throw becomes a rejection. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/** JSON-safe event values: small integers (uint8..uint32, enums) as numbers, larger ones as decimal strings. */
function plain(v: unknown, type: string): string | number | boolean | string[] {
  if (typeof v === 'bigint') return /^u?int(8|16|24|32)$/.test(type) ? Number(v) : v.toString();
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return (v as unknown[]).map((x) => String(plain(x, type.replace(/\[\d*\]$/, ''))));
  return JSON.stringify(v) ?? '';
}
