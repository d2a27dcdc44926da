import { join, resolve } from 'node:path';
import { PrivacyBudget } from '../../worker/privacy-budget.js';
import { loadKit } from '../../common/pki-kit.js';
import { assertArgument, makeError } from '../../common/errors.js';
import {
  DEFAULT_MIN_CONSENTED_RECORDS,
  openChainChecks,
  type ChainChecks,
} from '../../worker/chain-checks.js';
import { devOwnerAccounts, loadOwnerAccounts } from '../../worker/owner-accounts.js';
import type { TrainingBackendName } from '../../training/backend.js';
import { runWorker } from '../../worker/daemon.js';
import { loadWorkerDataset } from '../../worker/worker-dataset.js';
import type { CliCommand, FlagValues } from '../command.js';
import { intFlag, numberFlag, optionalString, requireString } from '../flags.js';

export const workerStartCommand: CliCommand = {
  path: ['worker', 'start'],
  summary: 'Run a hospital worker next to its data (dials out to the coordinator; no inbound port)',
  details: `Example:
  aidoc worker start --kit fed/workers/hospital-a --data records.csv --schema schema.json

The worker registers its dataset's shape and record count (never records), pulls training and
evaluation tasks, and sends back weight deltas and aggregate metrics. It reconnects with backoff
when the coordinator restarts. Stop it with Ctrl-C.

With the ledger (read-only: the worker signs nothing):
  aidoc worker start ... --rpc http://chain:8545 --deployment deployment.json --owners owners.csv

Before every task it reads, fresh from the chain, which of its records' owners consent to the
job's purpose (ConsentRegistry) and uses only their records; and before training it checks that
the dataset's epsilon spent on chain plus this round's stays within the dataset's on-chain cap
(PrivacyLedger). A round that fails either check is refused before training, with the reason, and
the coordinator records it as this worker's failure. --owners maps the dataset's owner ids to the
owners' addresses (CSV lines 'owner_id,address', or a JSON object); it stays on this machine.
Without --rpc, consent and budget are not checked on the chain (the local budget still is).`,
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
    rpc: {
      type: 'string',
      valueName: 'URL',
      description:
        "The ledger's EVM JSON-RPC URL: check consent and the privacy budget on chain before each task",
    },
    deployment: {
      type: 'string',
      valueName: 'FILE',
      description: 'Deployment manifest for --rpc (from `aidoc ledger deploy`)',
    },
    owners: {
      type: 'string',
      valueName: 'FILE',
      description: "Owner id -> owner address, CSV 'owner_id,address' or JSON (with --rpc)",
    },
    'dev-owners': {
      type: 'boolean',
      description: 'Dev chains only: owner id X is the public dev account X (instead of --owners)',
    },
    'min-records': {
      type: 'string',
      valueName: 'N',
      default: String(DEFAULT_MIN_CONSENTED_RECORDS),
      description: 'With --rpc: refuse rounds with fewer consented training records',
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
    const chain = await chainChecksFromFlags(flags);
    try {
      await runWorker({
        kit,
        data,
        budget,
        address: optionalString(flags, 'coordinator'),
        backend: optionalString(flags, 'backend') as TrainingBackendName,
        stateDir,
        signal,
        log: (l) => io.err(`worker ${kit.identity.name}: ${l}`),
        ...(chain ? { chain } : {}),
      });
    } finally {
      await chain?.close();
    }
  },
};

/** The ledger checks the flags ask for, or undefined without --rpc. */
async function chainChecksFromFlags(flags: FlagValues): Promise<ChainChecks | undefined> {
  const rpcUrl = optionalString(flags, 'rpc');
  const ownersFile = optionalString(flags, 'owners');
  const devOwners = flags['dev-owners'] === true;
  if (!rpcUrl) {
    assertArgument(
      !ownersFile && !devOwners && !optionalString(flags, 'deployment'),
      '--owners, --dev-owners and --deployment go with --rpc (the ledger to check consent on)',
    );
    return undefined;
  }
  assertArgument(!(ownersFile && devOwners), 'give --owners FILE or --dev-owners, not both');
  assertArgument(
    ownersFile || devOwners,
    "--rpc needs --owners FILE: the owner id -> address of each record's owner, to read their consent",
  );
  const deploymentFile = requireString(flags, 'deployment');
  return openChainChecks({
    rpcUrl,
    deploymentFile: resolve(deploymentFile),
    owners: ownersFile ? await loadOwnerAccounts(resolve(ownersFile)) : devOwnerAccounts(),
    minRecords: intFlag(flags, 'min-records', 1),
  });
}
