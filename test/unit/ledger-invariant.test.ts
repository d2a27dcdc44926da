/**
 * Randomized operation sequences against TrainingMarket (seeded, so a failure replays exactly).
 * After every step, for every job: escrowed == paidOut + refunded + held, each term equals what
 * a plain model of the rules predicts, and the market holds exactly the sum of `held`; at the end
 * of each sequence, every account holds exactly what the model predicts (so each worker got its
 * pro-rata share, dust to the largest contributor) and no token was created or lost. The model
 * also predicts which steps must revert, and with which error.
 */
import { Wallet } from 'ethers';
import { openEmbeddedChain, type EmbeddedChain } from '../../ledger/embedded-chain.js';
import { deployLedger, type LedgerDeployment } from '../../ledger/deployment.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { EthersLedger } from '../../ledger/ledger-ethers.js';
import { interfaces, type ContractName } from '../../ledger/artifacts.js';
import { TxSender } from '../../ledger/tx-sender.js';
import { jobKey } from '../../ledger/units.js';
import { isError } from '../../common/errors.js';

/** mulberry32: a small seeded PRNG; test data only, never privacy noise. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

interface ModelJob {
  id: string;
  vendor: string;
  status: 'open' | 'finished' | 'cancelled';
  fee: bigint;
  rounds: number;
  escrowed: bigint;
  paidOut: bigint;
  refunded: bigint;
  held: bigint;
  settled: Set<number>;
}

const WORKERS = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
const INACTIVE = 'w6';
const VENDORS = ['v1', 'v2', 'v3'];
const MINT = 10_000_000n;

let chain: EmbeddedChain;
let deployment: LedgerDeployment;
let reader: EthersLedger;
/** Every job of every seed: they share one chain, so the market's balance covers them all. */
const allJobs: ModelJob[] = [];
const senders = new Map<string, TxSender>();

function send(name: string, contract: ContractName, fn: string, args: unknown[]) {
  let s = senders.get(name);
  if (!s) {
    s = new TxSender(chain.provider, new Wallet(devAccount(name).privateKey), BigInt(chain.chainId));
    senders.set(name, s);
  }
  return s.send({
    to: deployment.contracts[contract],
    data: interfaces[contract].encodeFunctionData(fn, args),
    label: fn,
  });
}

/** Runs `p`; returns the revert name, or undefined if it went through. */
async function outcome(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (isError(e, 'LEDGER_TX_FAILED') && typeof e.info.revert === 'string') return e.info.revert;
    throw e;
  }
}

beforeAll(async () => {
  chain = await openEmbeddedChain();
  deployment = await deployLedger({
    sender: new TxSender(
      chain.provider,
      new Wallet(devAccount('operator').privateKey),
      BigInt(chain.chainId),
    ),
    chainId: chain.chainId,
    coordinator: devAccount('coordinator').address,
  });
  reader = new EthersLedger({ provider: chain.provider, deployment });
  const op = new EthersLedger({
    provider: chain.provider,
    deployment,
    privateKey: devAccount('operator').privateKey,
  });
  for (const w of WORKERS)
    await op.registerWorker({ address: devAccount(w).address, certFingerprint: '33'.repeat(32), name: w });
  await op.setWorkerActive(devAccount(INACTIVE).address, false);
  for (const v of VENDORS) {
    await op.mint(devAccount(v).address, MINT);
    credit(v, MINT);
    await send(v, 'AidocToken', 'approve', [deployment.contracts.TrainingMarket, MINT]);
  }
});

afterAll(() => {
  chain.provider.destroy();
  chain.close();
});

async function checkInvariant(jobs: ModelJob[], step: string): Promise<void> {
  // Earlier seeds' jobs were checked while they ran and no longer change; their held still counts.
  const heldSum = allJobs.reduce((t, m) => t + m.held, 0n);
  for (const m of jobs) {
    const j = (await reader.job(m.id))!;
    expect({ step, id: m.id, ok: j.escrowed === j.paidOut + j.refunded + j.held }).toEqual({
      step,
      id: m.id,
      ok: true,
    });
    expect([j.status, j.escrowed, j.paidOut, j.refunded, j.held, j.settledRounds]).toEqual([
      m.status,
      m.escrowed,
      m.paidOut,
      m.refunded,
      m.held,
      m.settled.size,
    ]);
  }
  expect(await reader.balanceOf(deployment.contracts.TrainingMarket)).toBe(heldSum);
}

/** Every account's balance as the model predicts it (tokens move only as the rules say). */
const balances = new Map<string, bigint>();
const credit = (name: string, amount: bigint) => balances.set(name, (balances.get(name) ?? 0n) + amount);

/** Each account holds what the model says, and no token was created or lost. */
async function checkBalances(): Promise<void> {
  let total = await reader.balanceOf(deployment.contracts.TrainingMarket);
  for (const a of [...VENDORS, ...WORKERS]) {
    const actual = await reader.balanceOf(devAccount(a).address);
    expect({ account: a, balance: actual }).toEqual({ account: a, balance: balances.get(a) ?? 0n });
    total += actual;
  }
  expect(total).toBe(MINT * BigInt(VENDORS.length));
}

test.each([1, 2, 3])(
  'seed %i: 50 random operations keep escrowed == paidOut + refunded + held',
  async (seed) => {
    const rnd = prng(seed);
    const jobs: ModelJob[] = [];
    const counts: Record<string, number> = {};
    for (let step = 0; step < 50; step++) {
      const open = jobs.filter((j) => j.status === 'open');
      const op =
        jobs.length === 0 || (open.length === 0 && rnd.next() < 0.7)
          ? 'open'
          : rnd.pick(['open', 'topUp', 'settle', 'settle', 'settle', 'settle', 'finish', 'cancel']);
      let expected: string | undefined;
      let got: string | undefined;
      let label = op;
      if (op === 'open') {
        const vendor = rnd.pick(VENDORS);
        const fee = BigInt(rnd.int(1, 5000));
        const rounds = rnd.int(1, 5);
        const budget =
          fee * BigInt(rounds) +
          BigInt(rnd.int(0, 3)) * BigInt(rnd.int(0, 7000)) -
          (rnd.next() < 0.1 ? 1n : 0n);
        const id = `s${seed}-j${jobs.length}`;
        expected = budget < fee * BigInt(rounds) ? 'InsufficientBudget' : undefined;
        got = await outcome(
          send(vendor, 'TrainingMarket', 'openJob', [id, devAccount(vendor).address, budget, fee, rounds]),
        );
        if (!expected) {
          const job: ModelJob = {
            id,
            vendor,
            status: 'open',
            fee,
            rounds,
            escrowed: budget,
            paidOut: 0n,
            refunded: 0n,
            held: budget,
            settled: new Set(),
          };
          jobs.push(job);
          allJobs.push(job);
          credit(vendor, -budget);
        }
      } else {
        const m = rnd.pick(rnd.next() < 0.85 && open.length > 0 ? open : jobs);
        label = `${op} ${m.id}`;
        const key = jobKey(m.id);
        if (op === 'topUp') {
          const amount = BigInt(rnd.int(0, 4000));
          expected = m.status !== 'open' ? 'JobNotOpen' : undefined;
          got = await outcome(send(m.vendor, 'TrainingMarket', 'topUp', [key, amount]));
          if (!expected) {
            m.escrowed += amount;
            m.held += amount;
            credit(m.vendor, -amount);
          }
        } else if (op === 'settle') {
          // Mostly the next round; sometimes a round already settled, to exercise AlreadyRecorded.
          const round =
            m.settled.size > 0 && rnd.next() < 0.15 ? rnd.pick([...m.settled]) : m.settled.size + 1;
          const chosen = WORKERS.filter(() => rnd.next() < 0.5);
          if (chosen.length === 0) chosen.push(rnd.pick(WORKERS));
          const addrs = chosen
            .map((w) => devAccount(w).address)
            .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
          const records = addrs.map(() => (rnd.next() < 0.1 ? 0 : rnd.int(1, 1000)));
          const total = BigInt(records.reduce((t, r) => t + r, 0));
          if (m.status !== 'open') expected = 'JobNotOpen';
          else if (m.settled.has(round)) expected = 'AlreadyRecorded';
          else if (chosen.includes(INACTIVE)) expected = 'InactiveWorker';
          else if (total === 0n) expected = 'NoRecords';
          else if (m.held < m.fee) expected = 'InsufficientEscrow';
          got = await outcome(
            send('coordinator', 'TrainingMarket', 'settleRound', [key, round, addrs, records]),
          );
          if (!expected) {
            // A settled round pays exactly its fee (division dust goes to the largest contributor).
            m.paidOut += m.fee;
            m.held -= m.fee;
            m.settled.add(round);
            let top = 0;
            records.forEach((r, i) => {
              if (r > records[top]!) top = i;
            });
            const shares = records.map((r) => (m.fee * BigInt(r)) / total);
            shares[top] = shares[top]! + m.fee - shares.reduce((t, x) => t + x, 0n);
            addrs.forEach((a, i) =>
              credit(
                WORKERS.find((w) => devAccount(w).address === a)!,
                shares[i]!,
              ),
            );
          }
        } else {
          expected = m.status !== 'open' ? 'JobNotOpen' : undefined;
          got =
            op === 'finish'
              ? await outcome(send('coordinator', 'TrainingMarket', 'finishJob', [key]))
              : await outcome(send(m.vendor, 'TrainingMarket', 'cancelJob', [key]));
          if (!expected) {
            credit(m.vendor, m.held);
            m.refunded += m.held;
            m.held = 0n;
            m.status = op === 'finish' ? 'finished' : 'cancelled';
          }
        }
      }
      expect({ step, label, revert: got }).toEqual({ step, label, revert: expected });
      counts[expected ?? op] = (counts[expected ?? op] ?? 0) + 1;
      await checkInvariant(jobs, `${step}: ${label}`);
    }
    await checkBalances();
    // The sequence must have exercised both successful settlements and refusals.
    expect(counts.settle ?? 0).toBeGreaterThan(3);
    expect(Object.keys(counts).length).toBeGreaterThan(4);
  },
);
