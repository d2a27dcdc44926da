/**
 * The ledger client against a real `hardhat node` (a child process on a free loopback port),
 * through a TCP proxy the test controls, while the chain goes away mid-job in two ways:
 * - the node is frozen (SIGSTOP): requests hang until they time out, some sent transactions land
 *   only when it resumes (SIGCONT), after the client gave up on them;
 * - the proxy is cut: connections are refused.
 * Meanwhile the coordinator keeps recording rounds, and is itself restarted once during the
 * outage. Afterwards every settlement, version and epsilon spend is on chain exactly once and
 * the escrow books balance.
 *
 * - the node's answers to sent transactions are lost (the proxy drops them): the transactions
 *   land, the client sees failures and retries, and the chain answers "already recorded".
 * The node keeps its state in memory, so it is never killed mid-test (a restart would lose the
 * chain): freezing it and cutting its network is the honest way to make it unreachable.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectLedger, deployLedgerOverRpc } from '../../ledger/ledger-rpc.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import type { LedgerDeployment } from '../../ledger/deployment.js';
import type { Ledger, OutboxTicket, RoundRecordInput } from '../../ledger/ledger.js';
import { parseAidoc } from '../../ledger/units.js';
import { startHardhatNode, type HardhatNode } from '../helpers/hardhat-node.js';

const JOB = 'job-outage';
const FEE = parseAidoc('3');
const hA = devAccount('hospital-a');
const hB = devAccount('hospital-b');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * An HTTP forwarder to the node that the test controls: `cut()` refuses connections; in
 * `loseSendAnswers` mode a raw transaction is forwarded (the node mines it) but its answer is
 * dropped, so the client sees a failure for a write that did land: the case only the chain's
 * idempotency can settle.
 */
function createProxy(listenPort: number, target: string) {
  let server: Server | undefined;
  const state = { loseSendAnswers: false, lost: 0 };
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createHttpServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          const forward = fetch(target, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          if (state.loseSendAnswers && body.includes('eth_sendRawTransaction')) {
            void forward.then(
              () => {
                state.lost += 1;
                req.socket.destroy();
              },
              () => req.socket.destroy(),
            );
            return;
          }
          forward.then(
            async (r) => {
              res.writeHead(r.status, { 'content-type': 'application/json' });
              res.end(await r.text());
            },
            () => req.socket.destroy(),
          );
        });
      });
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      server = undefined;
    });
  return { up, cut, state };
}

let chain: HardhatNode | undefined;
let proxy: ReturnType<typeof createProxy>;
let nodeUrl: string;
let proxyUrl: string;
let dir: string;
let deployment: LedgerDeployment;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aidoc-ledger-outage-'));
  const proxyPort = await freePort();
  chain = await startHardhatNode();
  nodeUrl = chain.url;
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  proxy = createProxy(proxyPort, nodeUrl);
  await proxy.up();
  deployment = await deployLedgerOverRpc({
    rpcUrl: nodeUrl,
    privateKey: devAccount('operator').privateKey,
    coordinator: devAccount('coordinator').address,
  });
  const op = await connectLedger({
    rpcUrl: nodeUrl,
    deployment,
    privateKey: devAccount('operator').privateKey,
  });
  await op.registerWorker({ address: hA.address, certFingerprint: 'aa'.repeat(32), name: 'Hospital A' });
  await op.registerWorker({ address: hB.address, certFingerprint: 'bb'.repeat(32), name: 'Hospital B' });
  await op.registerDataset({
    datasetId: 'ds-a',
    worker: hA.address,
    schemaId: 'wdbc',
    records: 300,
    epsilonCap: 10,
  });
  await op.registerDataset({
    datasetId: 'ds-b',
    worker: hB.address,
    schemaId: 'wdbc',
    records: 100,
    epsilonCap: 10,
  });
  await op.mint(devAccount('vendor').address, parseAidoc('100'));
  await op.close();
  const vendor = await connectLedger({
    rpcUrl: nodeUrl,
    deployment,
    privateKey: devAccount('vendor').privateKey,
  });
  await vendor.openJob({ jobId: JOB, budget: parseAidoc('50'), feePerRound: FEE, rounds: 12 });
  await vendor.close();
}, 60_000);

afterAll(async () => {
  await proxy?.cut();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function round(r: number): RoundRecordInput {
  return {
    jobId: JOB,
    round: r,
    version: {
      contentId: `cid-${r}`,
      sha256: createHash('sha256').update(String(r)).digest('hex'),
      parent: r > 1 ? `cid-${r - 1}` : null,
      metrics: { loss: 1 / r },
      epsilonPerDataset: { 'ds-a': 0.2, 'ds-b': 0.2 },
    },
    settlement: {
      participants: [
        { worker: hA.address, records: 300 },
        { worker: hB.address, records: 100 },
      ],
    },
    epsilonSpends: [
      { datasetId: 'ds-a', epsilon: 0.2 },
      { datasetId: 'ds-b', epsilon: 0.2 },
    ],
  };
}

async function coordinator(outboxFile: string): Promise<Ledger> {
  return connectLedger({
    rpcUrl: proxyUrl,
    deployment,
    privateKey: devAccount('coordinator').privateKey,
    outboxFile,
    requestTimeoutMs: 700,
    receiptTimeoutMs: 1500,
    initialRetryMs: 50,
    maxRetryMs: 300,
  });
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a chain outage mid-job delays writes and loses none; each lands exactly once', async () => {
  const outboxFile = join(dir, 'outbox.jsonl');
  let ledger = await coordinator(outboxFile);
  const tickets: OutboxTicket[] = [];

  for (const r of [1, 2, 3]) tickets.push(await ledger.recordRound(round(r)));
  await ledger.whenRecorded(tickets[2]!, { timeoutMs: 20_000 });

  // 1. Freeze the node while writes are flowing.
  tickets.push(await ledger.recordRound(round(4)));
  chain!.child.kill('SIGSTOP');
  for (const r of [5, 6]) tickets.push(await ledger.recordRound(round(r)));
  // Accepted (on disk) but not on chain, with attempts failing meanwhile.
  await until(() => ledger.pendingWrites().some((p) => p.attempts >= 2 && p.lastError !== null), 10_000);
  expect(ledger.pendingWrites().length).toBeGreaterThanOrEqual(6);
  chain!.child.kill('SIGCONT');

  // 2. Lose the answers to round 7's transactions (they land all the same).
  await ledger.flush({ timeoutMs: 30_000 });
  proxy.state.loseSendAnswers = true;
  const lostTicket = await ledger.recordRound(round(7));
  tickets.push(lostTicket);
  await until(() => proxy.state.lost >= 1, 10_000);
  proxy.state.loseSendAnswers = false;
  const lost = await ledger.whenRecorded(lostTicket, { timeoutMs: 30_000 });
  expect(lost.some((r) => r.status === 'already-recorded')).toBe(true);

  // 3. Cut the network, and restart the coordinator in the middle of the outage.
  await proxy.cut();
  tickets.push(await ledger.recordRound(round(8)));
  await until(
    () => ledger.pendingWrites().some((p) => /chain unavailable|no receipt/.test(p.lastError ?? '')),
    10_000,
  );
  await ledger.close();
  ledger = await coordinator(outboxFile);
  expect(ledger.pendingWrites().length).toBeGreaterThan(0);
  for (const r of [9, 10]) tickets.push(await ledger.recordRound(round(r)));
  await new Promise((r) => setTimeout(r, 500));
  // Nothing gets through a cut network: rounds 9 and 10 (at least) are still waiting.
  expect(ledger.pendingWrites().map((p) => p.id)).toEqual(
    expect.arrayContaining(['settle:job-outage:9', 'settle:job-outage:10']),
  );
  await proxy.up();
  tickets.push(await ledger.finishJob(JOB));

  await ledger.flush({ timeoutMs: 30_000 });
  expect(ledger.pendingWrites()).toEqual([]);
  // Tickets from before the restart resolve from the reopened outbox's record of them.
  const results = (await Promise.all(tickets.map((t) => ledger.whenRecorded(t)))).flat();
  expect(results).toHaveLength(10 * 3 + 1);
  expect(results.every((r) => r.status === 'mined' || r.status === 'already-recorded')).toBe(true);

  const events = await ledger.events({ jobId: JOB });
  const rounds = (name: string) =>
    events
      .filter((e) => e.name === name)
      .map((e) => e.args.round)
      .sort((a, b) => Number(a) - Number(b));
  const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  expect(rounds('RoundSettled')).toEqual(oneToTen);
  expect(rounds('VersionRecorded')).toEqual(oneToTen);
  // Two datasets per round: each round's spends appear exactly twice, once per dataset.
  expect(rounds('EpsilonSpent')).toEqual(oneToTen.flatMap((r) => [r, r]));
  expect(events.filter((e) => e.name === 'JobClosed')).toHaveLength(1);

  const job = (await ledger.job(JOB))!;
  expect(job.status).toBe('finished');
  expect(job.settledRounds).toBe(10);
  expect(job.paidOut).toBe(FEE * 10n);
  expect(job.escrowed).toBe(job.paidOut + job.refunded + job.held);
  expect(job.refunded).toBe(parseAidoc('50') - FEE * 10n);
  expect((await ledger.epsilonBudget('ds-a')).spent).toBeCloseTo(2, 9);
  const versions = await ledger.versions({ jobId: JOB });
  expect(versions.map((v) => v.contentId)).toEqual(oneToTen.map((r) => `cid-${r}`));
  await ledger.close();
}, 60_000);
