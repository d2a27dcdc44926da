/**
 * `aidoc ledger balance|job|versions|events|deploy`: read the chain's books (AIDOC balances, a
 * job's escrow, rebates and versions, every contract event) and, for an operator, deploy the
 * contracts to a JSON-RPC chain.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAddress } from 'ethers';
import { assertArgument } from '../../common/errors.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import type { Ledger } from '../../ledger/ledger.js';
import { deployLedgerOverRpc } from '../../ledger/ledger-rpc.js';
import { DEFAULT_LEDGER_STATE, openLedger } from '../../ledger/open-ledger.js';
import { jobReportJson, jobReportText } from '../../ledger/report.js';
import { formatAidoc } from '../../ledger/units.js';
import type { CliCommand, FlagSpec, FlagValues } from '../command.js';
import { intFlag, optionalString, requireString } from '../flags.js';

/** How to reach the ledger; shared with `aidoc owner`. */
export const ledgerAccessFlags: Record<string, FlagSpec> = {
  'ledger-state': {
    type: 'string',
    valueName: 'FILE',
    description: `Embedded ledger state file (default ${DEFAULT_LEDGER_STATE})`,
  },
  rpc: { type: 'string', valueName: 'URL', description: 'EVM JSON-RPC URL instead of the embedded ledger' },
  deployment: {
    type: 'string',
    valueName: 'FILE',
    description: 'Deployment manifest for --rpc (from `aidoc ledger deploy`)',
  },
  json: { type: 'boolean', description: 'Print one JSON line' },
};

/** Who signs; shared with `aidoc owner`. */
export const signerFlags: Record<string, FlagSpec> = {
  key: {
    type: 'string',
    valueName: 'HEX',
    description: 'Private key to sign with (default: $AIDOC_LEDGER_KEY)',
  },
  account: {
    type: 'string',
    valueName: 'NAME',
    description: 'Dev account to sign as, embedded ledger only (e.g. owner-1, hospital-a)',
  },
};

/** Opens the ledger the flags point at. */
export function ledgerFromFlags(flags: FlagValues, write: boolean): Promise<Ledger> {
  const key = optionalString(flags, 'key') ?? (write ? process.env.AIDOC_LEDGER_KEY : undefined);
  const ledgerState = optionalString(flags, 'ledger-state');
  const rpcUrl = optionalString(flags, 'rpc');
  const deploymentFile = optionalString(flags, 'deployment');
  const account = optionalString(flags, 'account');
  return openLedger({
    write,
    ...(ledgerState ? { ledgerState } : {}),
    ...(rpcUrl ? { rpcUrl } : {}),
    ...(deploymentFile ? { deploymentFile } : {}),
    ...(key ? { key } : {}),
    ...(account ? { account } : {}),
  });
}

export async function withLedger<T>(
  flags: FlagValues,
  write: boolean,
  fn: (l: Ledger) => Promise<T>,
): Promise<T> {
  const ledger = await ledgerFromFlags(flags, write);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

const stringify = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

export const ledgerBalanceCommand: CliCommand = {
  path: ['ledger', 'balance'],
  summary: 'AIDOC balances: the given addresses, or every worker, vendor and the market escrow',
  positionals: '[ADDRESS|DEV-ACCOUNT ...]',
  flags: ledgerAccessFlags,
  run({ flags, positionals, io }) {
    return withLedger(flags, false, async (ledger) => {
      const rows: { name: string | null; address: string }[] = [];
      if (positionals.length > 0) {
        for (const p of positionals)
          rows.push(isAddress(p) ? { name: null, address: p } : { name: p, address: devAccount(p).address });
      } else {
        rows.push({ name: 'market escrow', address: ledger.deployment.contracts.TrainingMarket });
        rows.push({ name: 'owner claims pool', address: ledger.deployment.contracts.RebateClaims });
        for (const w of await ledger.workers()) rows.push({ name: w.name, address: w.address });
        const vendors = new Set((await ledger.jobs()).map((j) => j.vendor));
        for (const v of vendors) rows.push({ name: 'vendor', address: v });
      }
      const balances = [];
      for (const r of rows) balances.push({ ...r, balance: formatAidoc(await ledger.balanceOf(r.address)) });
      if (flags.json) return void io.out(stringify({ unit: 'AIDOC', balances }));
      for (const b of balances)
        io.out(`${(b.name ?? '').padEnd(20)} ${b.address}  ${b.balance.padStart(16)} AIDOC`);
    });
  },
};

export const ledgerJobCommand: CliCommand = {
  path: ['ledger', 'job'],
  summary: "A job's escrow (escrowed = paid out + refunded + held), rebates per hospital, versions",
  details: 'Without JOB, lists every job on the ledger.',
  positionals: '[JOB]',
  flags: ledgerAccessFlags,
  run({ flags, positionals, io }) {
    return withLedger(flags, false, async (ledger) => {
      const [jobId] = positionals;
      if (!jobId) {
        const jobs = await ledger.jobs();
        if (flags.json) {
          return void io.out(
            stringify({
              unit: 'AIDOC',
              jobs: jobs.map((j) => ({
                ...j,
                feePerRound: formatAidoc(j.feePerRound),
                escrowed: formatAidoc(j.escrowed),
                paidOut: formatAidoc(j.paidOut),
                refunded: formatAidoc(j.refunded),
                held: formatAidoc(j.held),
              })),
            }),
          );
        }
        if (jobs.length === 0) io.out('no jobs on the ledger');
        for (const j of jobs) {
          io.out(
            `${(j.jobId ?? j.jobKey).padEnd(24)} ${j.status.padEnd(9)} ${j.settledRounds}/${j.rounds} rounds  escrowed ${formatAidoc(j.escrowed)}  held ${formatAidoc(j.held)}`,
          );
        }
        return;
      }
      const report = await ledger.jobReport(jobId);
      if (flags.json) return void io.out(stringify(jobReportJson(report)));
      for (const line of jobReportText(report)) io.out(line);
    });
  },
};

export const ledgerVersionsCommand: CliCommand = {
  path: ['ledger', 'versions'],
  summary: 'Model versions on chain: job, round, content id, sha-256, parent, revoked, transaction',
  flags: { ...ledgerAccessFlags, job: { type: 'string', valueName: 'JOB', description: 'Only this job' } },
  run({ flags, io }) {
    return withLedger(flags, false, async (ledger) => {
      const job = optionalString(flags, 'job');
      const versions = await ledger.versions(job ? { jobId: job } : {});
      if (flags.json) return void io.out(stringify({ versions }));
      if (versions.length === 0) io.out('no versions on the ledger');
      for (const v of versions) {
        io.out(
          `${(v.jobId ?? v.jobKey).padEnd(20)} round ${String(v.round).padStart(3)}  ${v.contentId}  sha256 ${v.sha256.slice(2, 14)}…  parent ${v.parent ?? '-'}${v.revoked ? '  REVOKED' : ''}  tx ${v.txHash ?? '?'}`,
        );
      }
    });
  },
};

export const ledgerEventsCommand: CliCommand = {
  path: ['ledger', 'events'],
  summary: 'Every event the ledger contracts emitted, oldest first',
  flags: {
    ...ledgerAccessFlags,
    job: { type: 'string', valueName: 'JOB', description: 'Only events of this job' },
    limit: { type: 'string', valueName: 'N', description: 'Only the last N events' },
  },
  run({ flags, io }) {
    return withLedger(flags, false, async (ledger) => {
      const job = optionalString(flags, 'job');
      const limit = flags.limit === undefined ? undefined : intFlag(flags, 'limit', 1);
      const events = await ledger.events({ ...(job ? { jobId: job } : {}), ...(limit ? { limit } : {}) });
      if (flags.json) return void io.out(stringify({ events }));
      for (const e of events) {
        const args = Object.entries(e.args)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
          .join(' ');
        io.out(`#${String(e.blockNumber).padStart(5)} ${e.contract}.${e.name} ${args}`);
      }
    });
  },
};

export const ledgerDeployCommand: CliCommand = {
  path: ['ledger', 'deploy'],
  summary: 'Deploy the ledger contracts to a JSON-RPC chain and write the deployment manifest',
  details:
    'The signer becomes the operator (admin, minter, registry operator). The coordinator account gets ' +
    'COORDINATOR_ROLE; --governance (default: the operator) gets GOVERNANCE_ROLE. See ledger/README.md.',
  flags: {
    rpc: { type: 'string', valueName: 'URL', description: 'EVM JSON-RPC URL' },
    key: signerFlags.key!,
    coordinator: { type: 'string', valueName: 'ADDRESS', description: "The coordinator's account" },
    governance: { type: 'string', valueName: 'ADDRESS', description: 'The account that may revoke versions' },
    out: { type: 'string', valueName: 'FILE', description: 'Where to write the manifest' },
    json: { type: 'boolean', description: 'Print one JSON line' },
  },
  async run({ flags, io }) {
    const rpcUrl = requireString(flags, 'rpc');
    const key = optionalString(flags, 'key') ?? process.env.AIDOC_LEDGER_KEY;
    assertArgument(key, '--key (or $AIDOC_LEDGER_KEY) is required: the operator signs the deployment');
    const coordinator = requireString(flags, 'coordinator');
    assertArgument(isAddress(coordinator), '--coordinator must be an address');
    const governance = optionalString(flags, 'governance');
    assertArgument(governance === undefined || isAddress(governance), '--governance must be an address');
    const out = requireString(flags, 'out');
    const deployment = await deployLedgerOverRpc({
      rpcUrl,
      privateKey: key,
      coordinator,
      ...(governance ? { governance } : {}),
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(deployment, null, 2) + '\n');
    if (flags.json) return void io.out(JSON.stringify(deployment));
    io.out(`ledger deployed on chain ${deployment.chainId}; manifest written to ${out}`);
    for (const [name, address] of Object.entries(deployment.contracts))
      io.out(`  ${name.padEnd(16)} ${address}`);
  },
};

export const ledgerCommands: CliCommand[] = [
  ledgerBalanceCommand,
  ledgerJobCommand,
  ledgerVersionsCommand,
  ledgerEventsCommand,
  ledgerDeployCommand,
];
