import { join, resolve } from 'node:path';
import { PrivacyBudget } from '../../worker/privacy-budget.js';
import { loadKit } from '../../common/pki-kit.js';
import { makeError } from '../../common/errors.js';
import type { TrainingBackendName } from '../../training/backend.js';
import { runWorker } from '../../worker/daemon.js';
import { loadWorkerDataset } from '../../worker/worker-dataset.js';
import type { CliCommand } from '../command.js';
import { numberFlag, optionalString, requireString } from '../flags.js';

export const workerStartCommand: CliCommand = {
  path: ['worker', 'start'],
  summary: 'Run a hospital worker next to its data (dials out to the coordinator; no inbound port)',
  details: `Example:
  aidoc worker start --kit fed/workers/hospital-a --data records.csv --schema schema.json

The worker registers its dataset's shape and record count (never records), pulls training and
evaluation tasks, and sends back weight deltas and aggregate metrics. It reconnects with backoff
when the coordinator restarts. Stop it with Ctrl-C.`,
  flags: {
    kit: {
      type: 'string',
      valueName: 'DIR',
      description: "The worker's startup kit (from 'aidoc provision')",
    },
    data: { type: 'string', valueName: 'CSV', description: "The hospital's records" },
    schema: { type: 'string', valueName: 'JSON', description: 'The dataset schema' },
    coordinator: {
      type: 'string',
      valueName: 'HOST:PORT',
      description: "Override the kit's coordinator address",
    },
    backend: {
      type: 'string',
      valueName: 'wasm|cpu|node-gpu',
      default: 'wasm',
      description: 'TensorFlow.js backend',
    },
    'epsilon-cap': {
      type: 'string',
      valueName: 'X',
      default: '10',
      description: "Cap on each dataset's total epsilon over all jobs",
    },
    state: {
      type: 'string',
      valueName: 'DIR',
      description:
        'Persistent folder: the privacy budget and the secure-aggregation opener ledger (default: .aidoc/worker-<name>)',
    },
  },
  async run({ flags, io, signal }) {
    const kit = await loadKit(resolve(requireString(flags, 'kit')));
    if (kit.identity.role !== 'worker') {
      throw makeError(
        `${kit.dir} is a ${kit.identity.role} kit; 'aidoc worker start' needs a worker kit`,
        'INVALID_ARGUMENT',
      );
    }
    for (const w of kit.warnings) io.err(`warning: ${w}`);
    const data = await loadWorkerDataset(
      resolve(requireString(flags, 'data')),
      resolve(requireString(flags, 'schema')),
      signal,
    );
    io.err(
      `worker ${kit.identity.name}: ${data.dataset.n} records of schema '${data.schemaId}'; dialing ${optionalString(flags, 'coordinator') ?? kit.manifest.coordinatorAddress}`,
    );
    const stateDir = resolve(optionalString(flags, 'state') ?? join('.aidoc', `worker-${kit.identity.name}`));
    const budget = await PrivacyBudget.open(
      join(stateDir, 'privacy-budget.json'),
      numberFlag(flags, 'epsilon-cap'),
    );
    io.err(
      `worker ${kit.identity.name}: privacy budget in ${stateDir} (cap epsilon ${budget.cap} per dataset)`,
    );
    await runWorker({
      kit,
      data,
      budget,
      address: optionalString(flags, 'coordinator'),
      backend: optionalString(flags, 'backend') as TrainingBackendName,
      stateDir,
      signal,
      log: (l) => io.err(`worker ${kit.identity.name}: ${l}`),
    });
  },
};
