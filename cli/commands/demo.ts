import { makeError } from '../../common/errors.js';
import { runFederatedDemo } from '../../demo/federated-demo.js';
import type { CliCommand } from '../command.js';
import { intFlag, numberFlag, optionalString } from '../flags.js';

export const demoCommand: CliCommand = {
  path: ['demo'],
  summary: 'Run the main job on embedded defaults: a federation of three hospitals on this machine',
  details: `Provisions a throw-away federation (CA, coordinator, three hospital workers, one vendor),
gives each hospital a third of the shipped WDBC breast-cancer records, starts the coordinator and
three worker processes, submits a FedAvg job as the vendor over mutual TLS (each hospital trains
with record-level DP-SGD at epsilon 1 unless told otherwise; the fee is escrowed on an embedded
EVM chain and paid out as rebates; every record's owner grants the job's purpose on that chain, and
each worker reads consent and its dataset's privacy budget from it, over a read-only JSON-RPC
endpoint on 127.0.0.1, before every round), shows live progress,
and prints accuracy per round (federated evaluation on each hospital's held-out records), the
final test accuracy and where the model is. Nothing to install, no server to run.

With --json, stdout carries one line:
  {"rounds":[{"round":1,"accuracy":..,"participants":3,"failures":0},..],"finalAccuracy":..,"model":"DIR",..}`,
  flags: {
    rounds: { type: 'string', valueName: 'N', default: '10', description: 'Federated rounds' },
    workers: { type: 'string', valueName: 'N', default: '3', description: 'Hospitals (2 to 26)' },
    dir: {
      type: 'string',
      valueName: 'DIR',
      description: 'Keep the federation and model here (default: a new temp folder)',
    },
    epsilon: {
      type: 'string',
      valueName: 'E',
      default: '1',
      description: "Record-level DP: each hospital's epsilon over the whole job (delta 1e-5)",
    },
    'no-dp': { type: 'boolean', description: 'Train without differential privacy' },
    out: {
      type: 'string',
      valueName: 'DIR',
      description: 'Pull the final version into DIR, verified against the chain (as `aidoc model pull`)',
    },
    json: { type: 'boolean', description: 'Print one final JSON summary line on stdout' },
  },
  async run({ flags, io, signal }) {
    const workers = intFlag(flags, 'workers', 2);
    if (workers > 26) throw makeError(`--workers must be at most 26, got ${workers}`, 'INVALID_ARGUMENT');
    const summary = await runFederatedDemo({
      rounds: intFlag(flags, 'rounds', 1),
      workers,
      dir: optionalString(flags, 'dir'),
      out: optionalString(flags, 'out'),
      privacy: flags['no-dp'] ? { mode: 'none' } : { mode: 'record', epsilon: numberFlag(flags, 'epsilon') },
      json: Boolean(flags.json),
      io,
      signal,
    });
    if (flags.json) {
      io.out(JSON.stringify(summary));
    } else {
      io.out('');
      io.out(`job ${summary.jobId} ${summary.state} in ${summary.seconds}s`);
      for (const r of summary.rounds) {
        io.out(
          `  round ${String(r.round).padStart(2)}  accuracy ${r.accuracy === null ? '   n/a' : (100 * r.accuracy).toFixed(2) + '%'}  participants ${r.participants}  failures ${r.failures}`,
        );
      }
      io.out(
        `final test accuracy: ${summary.finalAccuracy === null ? 'n/a' : (100 * summary.finalAccuracy).toFixed(2) + '%'} (federated evaluation on the hospitals' held-out records)`,
      );
      if (summary.privacy.mode === 'record') {
        const spent = Object.entries(summary.privacy.epsilonPerDataset).map(
          ([d, e]) => `${d} ${e.toFixed(3)}`,
        );
        io.out(
          `privacy: record-level DP-SGD, target epsilon ${summary.privacy.targetEpsilon} at delta ${summary.privacy.delta}; spent: ${spent.join(', ')}`,
        );
      } else io.out('privacy: none (--no-dp)');
      io.out(
        `consent: ${summary.consent.owners} record owners granted '${summary.consent.purpose}' on the ledger; each worker read their consent and its dataset's budget from the chain every round`,
      );
      if (summary.model) io.out(`model: ${summary.model} (TF.js Layers format: model.json + weights)`);
      if (summary.version) {
        const v = summary.version;
        io.out(`version ${v.id}: content id ${v.contentId} (sha256 ${v.sha256}, on chain)`);
        io.out(
          `pull it: aidoc model pull ${v.id} --store ${v.store} --ledger-state ${v.ledgerState} --out DIR`,
        );
      }
      if (summary.pulled)
        io.out(`pulled ${summary.version?.id ?? ''} into ${summary.pulled}, verified against the chain`);
    }
    return summary.state === 'completed' ? 0 : 1;
  },
};
