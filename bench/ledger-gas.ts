/**
 * Gas per round settlement against the number of participating workers, 1 to 100, on the real
 * TrainingMarket bytecode (embedded Hardhat 2 chain, cancun). Fits gas = base + perWorker * n by
 * least squares over every n and reports the fit's R^2: settlement is one loop over the workers,
 * so it should be linear.
 *
 * Steady state: every worker has been paid once before the measured rounds, so each payment
 * updates a non-zero balance (the common case for a hospital in a federation). A worker's very
 * first payment costs more (a zero-to-non-zero storage write); that surcharge is measured
 * separately from a round paying 100 workers for the first time.
 *
 *   npm run bench -- ledger-gas [--max 100]
 */
import { Wallet } from 'ethers';
import { interfaces } from '../ledger/artifacts.js';
import { deployLedger } from '../ledger/deployment.js';
import { devAccount } from '../ledger/dev-accounts.js';
import { openEmbeddedChain } from '../ledger/embedded-chain.js';
import { EthersLedger } from '../ledger/ledger-ethers.js';
import { TxSender } from '../ledger/tx-sender.js';
import { jobKey } from '../ledger/units.js';

function fit(xs: number[], ys: number[]): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  return { slope, intercept, r2: syy === 0 ? 1 : 1 - ssr / syy };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const at = args.indexOf('--max');
  const max = at >= 0 ? Number(args[at + 1]) : 100;
  if (!Number.isInteger(max) || max < 2 || max > 500) throw new Error('--max must be an integer in 2..500');
  const log = (s: string) => process.stderr.write(s + '\n');

  const chain = await openEmbeddedChain();
  try {
    const chainId = BigInt(chain.chainId);
    const operatorKey = devAccount('operator').privateKey;
    const deployment = await deployLedger({
      sender: new TxSender(chain.provider, new Wallet(operatorKey), chainId),
      chainId: chain.chainId,
      coordinator: devAccount('coordinator').address,
    });
    const op = new EthersLedger({ provider: chain.provider, deployment, privateKey: operatorKey });
    const vendor = new EthersLedger({
      provider: chain.provider,
      deployment,
      privateKey: devAccount('vendor').privateKey,
    });
    const coordinator = new TxSender(
      chain.provider,
      new Wallet(devAccount('coordinator').privateKey),
      chainId,
    );

    log(`registering ${max} workers...`);
    const workers = Array.from({ length: max }, (_, i) => devAccount(`bench-worker-${i}`).address).sort(
      (a, b) => (BigInt(a) < BigInt(b) ? -1 : 1),
    );
    for (const [i, w] of workers.entries()) {
      await op.registerWorker({ address: w, certFingerprint: '44'.repeat(32), name: `worker ${i}` });
    }
    const fee = 10n ** 21n; // 1000 AIDOC per round
    // One round more than settled, so `held` never reaches zero: clearing a storage slot earns a
    // gas refund that would make the last settlement look cheaper than the others.
    const rounds = max + 2;
    await op.mint(devAccount('vendor').address, fee * BigInt(rounds));
    await vendor.openJob({ jobId: 'bench', budget: fee * BigInt(rounds), feePerRound: fee, rounds });
    const key = jobKey('bench');
    const records = (i: number) => 100 + ((i * 37) % 900);
    const settle = async (round: number, n: number) => {
      const ws = workers.slice(0, n);
      const data = interfaces.TrainingMarket.encodeFunctionData('settleRound', [
        key,
        round,
        ws,
        ws.map((_, i) => records(i)),
      ]);
      const r = await coordinator.send({
        to: deployment.contracts.TrainingMarket,
        data,
        label: `settle n=${n}`,
      });
      return Number(r.gasUsed);
    };

    // Round 0 pays every worker for the first time (cold balances).
    const coldGas = await settle(0, max);
    const ns: number[] = [];
    const gas: number[] = [];
    for (let n = 1; n <= max; n++) {
      ns.push(n);
      gas.push(await settle(n, n));
    }
    const { slope, intercept, r2 } = fit(ns, gas);
    const firstPaymentExtra = (coldGas - (intercept + slope * max)) / max;

    log('');
    log('workers  gas/settlement  fit (base + perWorker*n)  residual');
    const shown = new Set([1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, max]);
    for (let i = 0; i < ns.length; i++) {
      if (!shown.has(ns[i]!)) continue;
      const predicted = intercept + slope * ns[i]!;
      log(
        `${String(ns[i]).padStart(7)}  ${String(gas[i]).padStart(14)}  ${predicted.toFixed(0).padStart(24)}  ${(gas[i]! - predicted).toFixed(0).padStart(8)}`,
      );
    }
    log('');
    log(
      `fit over n = 1..${max}: gas = ${intercept.toFixed(0)} + ${slope.toFixed(1)} * n   (R^2 = ${r2.toFixed(9)})`,
    );
    log(
      `first payment to a worker costs ${firstPaymentExtra.toFixed(0)} gas more (round of ${max} cold workers: ${coldGas})`,
    );
    return {
      perWorkerGas: Math.round(slope * 10) / 10,
      baseGas: Math.round(intercept),
      r2: Number(r2.toFixed(9)),
      firstPaymentExtraGas: Math.round(firstPaymentExtra),
      maxWorkers: max,
      gasAt: Object.fromEntries(ns.filter((n) => shown.has(n)).map((n) => [n, gas[n - 1]])),
      evmVersion: 'cancun',
    };
  } finally {
    chain.provider.destroy();
    chain.close();
  }
}
