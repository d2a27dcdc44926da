import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadKit } from '../../common/pki-kit.js';
import { assertArgument, makeError } from '../../common/errors.js';
import { startCoordinator, type CoordinatorHooks } from '../../coordinator/coordinator.js';
import { createLedgerHooks } from '../../coordinator/ledger-hooks.js';
import { createRedisReplicaDirectory } from '../../coordinator/replica-directory.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import type { Ledger } from '../../ledger/ledger.js';
import { createEmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { connectLedger } from '../../ledger/ledger-rpc.js';
import { ledgerVersionResolver } from '../../model-registry/ledger-pull.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { createKuboModelStore } from '../../model-registry/store-kubo.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { createVersionStore } from '../../model-registry/version-store.js';
import type { CliCommand, FlagValues } from '../command.js';
import { intFlag, optionalString, requireString } from '../flags.js';

/** `--vendor-accounts FILE`: `{ "<vendor certificate name>": "0x<address>" }`. */
async function vendorAccounts(file: string | undefined, embedded: boolean): Promise<(v: string) => string> {
  if (!file) {
    if (embedded) return (v) => devAccount(v).address;
    return (v) => {
      throw makeError(
        `no EVM account is configured for vendor '${v}': start the coordinator with --vendor-accounts FILE`,
        'INVALID_ARGUMENT',
      );
    };
  }
  let map: unknown;
  try {
    map = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw makeError(`--vendor-accounts ${file}: ${(e as Error).message}`, 'INVALID_ARGUMENT');
  }
  assertArgument(
    typeof map === 'object' &&
      map !== null &&
      Object.values(map).every((a) => typeof a === 'string' && /^0x[0-9a-fA-F]{40}$/.test(a)),
    `--vendor-accounts ${file} must be a JSON object of vendor name -> 0x address`,
  );
  const accounts = map as Record<string, string>;
  return (v) => {
    const a = accounts[v];
    if (!a) throw makeError(`vendor '${v}' has no account in ${file}`, 'PERMISSION_DENIED', { vendor: v });
    return a;
  };
}

async function openLedgerFlags(
  flags: FlagValues,
): Promise<{ ledger: Ledger; embedded: boolean } | undefined> {
  const rpcUrl = optionalString(flags, 'rpc');
  const state = optionalString(flags, 'ledger-state');
  if (!rpcUrl && !state) return undefined;
  assertArgument(!(rpcUrl && state), 'give --rpc or --ledger-state, not both');
  const key = optionalString(flags, 'key') ?? process.env.AIDOC_LEDGER_KEY;
  assertArgument(key, 'the coordinator signs round records: give --key or set $AIDOC_LEDGER_KEY');
  if (rpcUrl) {
    const deployment = optionalString(flags, 'deployment');
    assertArgument(deployment, '--rpc needs --deployment FILE (written by `aidoc ledger deploy`)');
    const outbox = optionalString(flags, 'outbox');
    assertArgument(
      outbox,
      '--rpc needs --outbox FILE: the durable outbox that keeps round records through a chain outage',
    );
    return {
      ledger: await connectLedger({ rpcUrl, deployment, privateKey: key, outboxFile: resolve(outbox) }),
      embedded: false,
    };
  }
  return { ledger: await createEmbeddedLedger({ stateFile: resolve(state!), account: key }), embedded: true };
}

export const coordinatorStartCommand: CliCommand = {
  path: ['coordinator', 'start'],
  summary: 'Run the coordinator (gRPC over mutual TLS; workers and vendors dial in)',
  details: `Examples:
  aidoc coordinator start --kit fed/coordinator
  aidoc coordinator start --kit fed/coordinator --store /data/store \\
    --rpc http://chain:8545 --deployment deployment.json --outbox /data/outbox.jsonl \\
    --redis redis://redis:6379 --advertise 10.0.0.7:7443

Without --redis, jobs run in this process (the in-process queue; a restart loses queued jobs).
With --redis, every replica with the same Redis and --queue shares the jobs: a job runs on one
replica at a time, and when that replica dies another resumes it at its last committed version
after --lock-ms + --stalled-ms. Replicas then need a shared model store (--kubo, or one --store
folder on shared storage) and a ledger on a JSON-RPC chain. Workers dial one address (e.g. a
Kubernetes Service); each replica advertises where it can be reached (--advertise) and workers
keep a session with every live replica.

Stop it with Ctrl-C: running jobs are handed back to the queue for another replica.`,
  flags: {
    kit: { type: 'string', valueName: 'DIR', description: "The coordinator's kit (from 'aidoc provision')" },
    listen: { type: 'string', valueName: 'HOST:PORT', description: "Override the kit's listen address" },
    'heartbeat-ms': {
      type: 'string',
      valueName: 'MS',
      default: '2000',
      description: 'Heartbeat interval asked of workers',
    },
    store: { type: 'string', valueName: 'DIR', description: 'Embedded model store folder for the versions' },
    kubo: { type: 'string', valueName: 'URL', description: 'Kubo RPC API URL instead of --store' },
    'ledger-state': {
      type: 'string',
      valueName: 'FILE',
      description: 'Embedded ledger state file (one coordinator only)',
    },
    rpc: { type: 'string', valueName: 'URL', description: 'EVM JSON-RPC URL of the ledger chain' },
    deployment: { type: 'string', valueName: 'FILE', description: 'Deployment manifest for --rpc' },
    outbox: {
      type: 'string',
      valueName: 'FILE',
      description: "Durable outbox for the ledger's writes (--rpc)",
    },
    key: {
      type: 'string',
      valueName: 'HEX',
      description: "The coordinator's ledger key (default: $AIDOC_LEDGER_KEY)",
    },
    'vendor-accounts': {
      type: 'string',
      valueName: 'FILE',
      description: 'JSON {vendor name: 0x address} paying for jobs (dev accounts on the embedded chain)',
    },
    redis: {
      type: 'string',
      valueName: 'URL',
      description: 'Share jobs with other replicas through Redis (default: $AIDOC_REDIS_URL)',
    },
    queue: { type: 'string', valueName: 'NAME', default: 'aidoc-jobs', description: 'Queue name in Redis' },
    'replica-id': {
      type: 'string',
      valueName: 'ID',
      description: 'Name of this replica (default: host-pid)',
    },
    'lock-ms': {
      type: 'string',
      valueName: 'MS',
      default: '30000',
      description: "How long a replica's claim on a job lasts without renewal",
    },
    'stalled-ms': {
      type: 'string',
      valueName: 'MS',
      default: '30000',
      description: 'How often replicas look for jobs whose replica died',
    },
    concurrency: {
      type: 'string',
      valueName: 'N',
      default: '4',
      description: 'Jobs this replica runs at once',
    },
    advertise: {
      type: 'string',
      valueName: 'HOST:PORT',
      description: 'Where workers reach this replica (with --redis; default: the listen address)',
    },
  },
  async run({ flags, io, signal }) {
    const kit = await loadKit(resolve(requireString(flags, 'kit')));
    if (kit.identity.role !== 'coordinator') {
      throw makeError(
        `${kit.dir} is a ${kit.identity.role} kit; the coordinator needs the coordinator kit`,
        'INVALID_ARGUMENT',
      );
    }
    const kubo = optionalString(flags, 'kubo');
    const storeDir = optionalString(flags, 'store');
    assertArgument(!(kubo && storeDir), 'give --store or --kubo, not both');
    const redisUrl = optionalString(flags, 'redis') ?? process.env.AIDOC_REDIS_URL;
    if (redisUrl) {
      assertArgument(
        kubo || storeDir,
        'replicas sharing a Redis queue resume jobs from the model store: give --kubo URL (or a shared --store DIR)',
      );
    }
    const log = (l: string) => io.err(l);
    const opened = await openLedgerFlags(flags);
    const store: ModelStore | undefined = kubo
      ? createKuboModelStore({ url: kubo })
      : storeDir
        ? await createLocalModelStore({ dir: resolve(storeDir) })
        : undefined;
    let hooks: CoordinatorHooks | undefined;
    if (opened) {
      hooks = createLedgerHooks({
        ledger: opened.ledger,
        vendorAddress: await vendorAccounts(optionalString(flags, 'vendor-accounts'), opened.embedded),
        log,
      });
    }
    const versions = store
      ? createVersionStore({ store, ...(opened ? { resolve: ledgerVersionResolver(opened.ledger) } : {}) })
      : undefined;
    const replicaId = optionalString(flags, 'replica-id');
    const queueName = requireString(flags, 'queue');
    const c = await startCoordinator({
      kit,
      address: optionalString(flags, 'listen'),
      registry: { heartbeatIntervalMs: intFlag(flags, 'heartbeat-ms', 50) },
      ...(hooks ? { hooks } : {}),
      ...(versions ? { versions } : {}),
      queue: {
        name: queueName,
        ...(redisUrl ? { redisUrl } : {}),
        ...(replicaId ? { replicaId } : {}),
        lockDurationMs: intFlag(flags, 'lock-ms', 500),
        stalledIntervalMs: intFlag(flags, 'stalled-ms', 100),
      },
      concurrency: intFlag(flags, 'concurrency', 1),
      ...(redisUrl
        ? {
            replicas: (address: string) =>
              createRedisReplicaDirectory({
                redisUrl,
                queue: queueName,
                replicaId: replicaId ?? `replica-${process.pid}`,
                address: optionalString(flags, 'advertise') ?? address,
              }),
          }
        : {}),
      log,
    });
    io.err(
      `coordinator listening on ${c.server.address} (mutual TLS; federation CA in ${kit.dir}); ` +
        `queue: ${redisUrl ? `Redis, shared as '${queueName}'` : 'in-process'}; ` +
        `model store: ${kubo ? `Kubo at ${kubo}` : storeDir ? storeDir : 'none'}; ` +
        `ledger: ${opened ? (opened.embedded ? 'embedded' : optionalString(flags, 'rpc')) : 'none'}`,
    );
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    io.err('coordinator stopping (running jobs go back to the queue)');
    await c.close();
    await store?.close();
    await opened?.ledger.close();
  },
};
