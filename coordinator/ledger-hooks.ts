/**
 * The ledger around the round loop: a job's budget is escrowed when it is submitted (refused with
 * a clear error when the vendor cannot cover it), every committed round goes into the ledger's
 * durable outbox (version, settlement into rebates by contributed records, epsilon spends), and the
 * job's unused budget is refunded when it ends. Every committed version and its epsilon spends go
 * on chain; only the escrow, the settlement and the refund depend on a fee (a job with no fee has
 * none of them, and its workers need not be registered on chain).
 *
 * Hospital workers are found on chain by their TLS certificate fingerprint (WorkerRegistry), so a
 * rebate goes to the address the operator registered for that certificate, not to a claimed name.
 */
import { makeError } from '../common/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { CoordinatorHooks } from './coordinator.js';

export interface LedgerHooksOptions {
  ledger: Ledger;
  /** The EVM address that pays for a vendor's jobs, by the vendor's certificate name. */
  vendorAddress(vendor: string): string;
  /** @defaultValue no logging */
  log?: (line: string) => void;
}

const fee = (feePerRound: string) => BigInt(feePerRound);

export function createLedgerHooks(o: LedgerHooksOptions): CoordinatorHooks {
  const { ledger } = o;
  const contentIds = new Map<string, string>();
  return {
    async jobSubmitted(job) {
      const perRound = fee(job.spec.feePerRound);
      if (perRound === 0n) return;
      await ledger.openJob({
        jobId: job.jobId,
        vendor: o.vendorAddress(job.vendor),
        budget: perRound * BigInt(job.spec.rounds),
        feePerRound: perRound,
        rounds: job.spec.rounds,
      });
    },

    async roundCommitted(r) {
      const paid = fee(r.job.spec.feePerRound) > 0n;
      const byFingerprint = new Map(
        paid
          ? (await ledger.workers()).map((w) => [w.certFingerprint.replace(/^0x/, '').toLowerCase(), w])
          : [],
      );
      const participants = (paid ? r.participants : []).map((p) => {
        const w = byFingerprint.get(p.fingerprint.toLowerCase());
        if (!w || !w.active) {
          throw makeError(
            `worker ${p.workerId} (certificate ${p.fingerprint.slice(0, 16)}...) is not an active worker on the chain's registry; the operator must register it before its rounds can be settled`,
            'LEDGER_TX_FAILED',
            { workerId: p.workerId },
          );
        }
        return { worker: w.address, records: p.numExamples };
      });
      // With a model store the chain records the version manifest (content id and its SHA-256),
      // which names and digests the TF.js files; without one, only the weights' digest.
      const contentId = r.stored?.contentId ?? `sha256:${r.sha256}`;
      await ledger.recordRound({
        jobId: r.job.jobId,
        round: r.round,
        version: {
          contentId,
          sha256: r.stored?.sha256 ?? r.sha256,
          parent: r.parentContentId ?? (r.parent ? (contentIds.get(r.parent) ?? null) : null),
          metrics: r.metrics,
          epsilonPerDataset: r.epsilon,
        },
        ...(paid ? { settlement: { participants } } : {}),
        epsilonSpends: Object.entries(r.epsilonSpends).map(([datasetId, epsilon]) => ({
          datasetId,
          epsilon,
        })),
      });
      contentIds.set(r.versionId, contentId);
      o.log?.(
        `ledger: round ${r.round} of ${r.job.jobId} queued for the chain (version${paid ? `, settlement of ${participants.length} worker(s)` : ', no fee: no settlement'})`,
      );
    },

    async jobEnded(job) {
      if (fee(job.spec.feePerRound) === 0n) return;
      await ledger.finishJob(job.jobId);
    },
  };
}
