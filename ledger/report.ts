/**
 * The ledger after a job, for people and for `--json`: what `aidoc ledger job` and `aidoc demo`
 * print. Amounts are exact decimal AIDOC strings ("12.5"), never floats.
 */
import type { JobReport } from './ledger.js';
import { formatAidoc } from './units.js';

export interface JobReportJson {
  jobId: string | null;
  jobKey: string;
  status: string;
  vendor: string;
  unit: 'AIDOC';
  feePerRound: string;
  rounds: number;
  settledRounds: number;
  /** escrowed == paidOut + refunded + held */
  escrowed: string;
  paidOut: string;
  refunded: string;
  held: string;
  /** Per hospital worker: what the job's settlements paid it. */
  rebates: { hospital: string | null; worker: string; amount: string; records: string; rounds: number }[];
  versions: {
    round: number;
    contentId: string;
    sha256: string;
    parent: string | null;
    metrics: Record<string, number>;
    epsilon: Record<string, number>;
    revoked: boolean;
    txHash: string | null;
  }[];
}

export function jobReportJson(r: JobReport): JobReportJson {
  const { job } = r;
  return {
    jobId: job.jobId,
    jobKey: job.jobKey,
    status: job.status,
    vendor: job.vendor,
    unit: 'AIDOC',
    feePerRound: formatAidoc(job.feePerRound),
    rounds: job.rounds,
    settledRounds: job.settledRounds,
    escrowed: formatAidoc(job.escrowed),
    paidOut: formatAidoc(job.paidOut),
    refunded: formatAidoc(job.refunded),
    held: formatAidoc(job.held),
    rebates: r.rebates.map((x) => ({
      hospital: x.name,
      worker: x.worker,
      amount: formatAidoc(x.amount),
      records: x.records.toString(),
      rounds: x.rounds,
    })),
    versions: r.versions.map((v) => ({
      round: v.round,
      contentId: v.contentId,
      sha256: v.sha256,
      parent: v.parent,
      metrics: v.metrics,
      epsilon: Object.fromEntries(v.epsilonPerDataset.map((e) => [e.datasetId ?? e.datasetKey, e.epsilon])),
      revoked: v.revoked,
      txHash: v.txHash,
    })),
  };
}

export function jobReportText(r: JobReport): string[] {
  const j = jobReportJson(r);
  const lines = [
    `job ${j.jobId ?? j.jobKey}  ${j.status}  vendor ${j.vendor}`,
    `  fee ${j.feePerRound} AIDOC/round, ${j.settledRounds}/${j.rounds} rounds settled`,
    `  escrowed ${j.escrowed}  paid out ${j.paidOut}  refunded ${j.refunded}  held ${j.held}  (AIDOC)`,
    `  rebates:`,
    ...(j.rebates.length === 0 ? ['    (none)'] : []),
    ...j.rebates.map(
      (x) =>
        `    ${(x.hospital ?? x.worker).padEnd(20)} ${x.amount.padStart(14)} AIDOC  ${x.records} records over ${x.rounds} rounds`,
    ),
    `  versions:`,
    ...(j.versions.length === 0 ? ['    (none)'] : []),
    ...j.versions.map(
      (v) =>
        `    round ${String(v.round).padStart(3)}  ${v.contentId}  tx ${v.txHash ?? '?'}${v.revoked ? '  REVOKED' : ''}`,
    ),
  ];
  return lines;
}
