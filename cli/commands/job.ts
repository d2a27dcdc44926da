import { resolve } from 'node:path';
import { loadKit, type Kit } from '../../common/pki-kit.js';
import { makeError } from '../../common/errors.js';
import { createGrpcClient, type JobServiceClient } from '../../coordinator/transport/grpc-client.js';
import type { Job__Output } from '../../protos/generated/aidoc/v1/Job.js';
import type { JobEvent__Output } from '../../protos/generated/aidoc/v1/JobEvent.js';
import type { PrivacySpec } from '../../protos/generated/aidoc/v1/PrivacySpec.js';
import type { CliCommand, CommandIo, FlagValues } from '../command.js';
import { intFlag, numberFlag, optionalString, requireString } from '../flags.js';
import { DEFAULT_PURPOSE } from '../../coordinator/job-spec.js';
import { modelArg } from '../model-arg.js';

const kitFlag = {
  type: 'string',
  valueName: 'DIR',
  description: "A vendor (or operator) kit from 'aidoc provision'",
} as const;
const coordinatorFlag = {
  type: 'string',
  valueName: 'HOST:PORT',
  description: "Override the kit's coordinator address",
} as const;
const jsonFlag = { type: 'boolean', description: 'Print JSON on stdout' } as const;

async function jobClient(flags: FlagValues): Promise<{ kit: Kit; client: JobServiceClient }> {
  const kit = await loadKit(resolve(requireString(flags, 'kit')));
  if (kit.identity.role !== 'vendor' && kit.identity.role !== 'operator') {
    throw makeError(
      `${kit.dir} is a ${kit.identity.role} kit; jobs are submitted and watched with a vendor kit`,
      'INVALID_ARGUMENT',
    );
  }
  return {
    kit,
    client: createGrpcClient(kit, 'JobService', { address: optionalString(flags, 'coordinator') }),
  };
}

function positionalJob(positionals: string[]): string {
  const id = positionals[0];
  if (!id) throw makeError('name the job: aidoc job <command> JOB_ID', 'INVALID_ARGUMENT');
  return id;
}

function describeJob(j: Job__Output): string {
  const last = j.rounds[j.rounds.length - 1];
  const acc = last?.metrics.accuracy;
  return `${j.jobId}  ${j.state.replace('JOB_STATE_', '').toLowerCase().padEnd(9)} round ${j.roundsCompleted}/${j.spec?.rounds ?? '?'}${acc !== undefined ? `  accuracy ${(100 * acc).toFixed(2)}%` : ''}${j.reason ? `  (${j.reason})` : ''}`;
}

/** The job's privacy from the submit flags; undefined leaves the coordinator's defaults. */
function privacyFlags(flags: FlagValues): PrivacySpec | undefined {
  const record = optionalString(flags, 'record-dp') ?? 'on';
  if (record !== 'on' && record !== 'off')
    throw makeError(`--record-dp must be on or off, not ${JSON.stringify(record)}`, 'INVALID_ARGUMENT');
  const clientFlags = ['client-epsilon', 'client-noise', 'client-min-contributors'].filter(
    (n) => flags[n] !== undefined,
  );
  if (flags['client-clip'] === undefined) {
    if (clientFlags.length > 0) {
      throw makeError(
        `${clientFlags.map((n) => `--${n}`).join(', ')} need(s) --client-clip S (client-level DP is on only with a clip)`,
        'INVALID_ARGUMENT',
      );
    }
    return record === 'off' ? { mode: 'none' } : undefined;
  }
  return {
    mode: record === 'off' ? 'none' : 'record',
    client: {
      clipNorm: numberFlag(flags, 'client-clip'),
      noiseMultiplier: numberFlag(flags, 'client-noise', 0),
      targetEpsilon: numberFlag(flags, 'client-epsilon', 0),
      targetDelta: numberFlag(flags, 'client-delta', 1e-5),
      minContributors:
        flags['client-min-contributors'] === undefined ? 0 : intFlag(flags, 'client-min-contributors', 1),
    },
  };
}

/** The job's client-level DP and what it spent so far (record-level spends are per dataset, in versions). */
function describePrivacy(j: Job__Output): string | undefined {
  const c = j.spec?.privacy?.client;
  if (!c || !(c.clipNorm > 0)) return undefined;
  const spent = j.rounds.at(-1)?.metrics.client_epsilon;
  return (
    `  client-level DP: clip ${c.clipNorm}, sigma ${c.noiseMultiplier.toPrecision(4)}` +
    (c.targetEpsilon > 0 ? ` (calibrated for epsilon ${c.targetEpsilon})` : '') +
    `, every sum of ${c.minContributors > 0 ? `at least ${c.minContributors}` : 'all selected'} update(s); ` +
    (spent === undefined
      ? 'nothing spent yet'
      : `spent epsilon ${spent.toFixed(3)} at delta ${c.targetDelta.toExponential()} after ${j.rounds.length} round(s)`)
  );
}

function bar(done: number, total: number, width = 20): string {
  const n = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/** Prints a job's events as they come; returns the terminal event. */
export async function followJob(
  client: JobServiceClient,
  jobId: string,
  io: CommandIo,
  opts: { json: boolean; signal: AbortSignal },
): Promise<JobEvent__Output | undefined> {
  let rounds = 0;
  let selected = 0;
  let joined = 0;
  let last: JobEvent__Output | undefined;
  for await (const e of client.WatchJob({ jobId, afterSequence: 0 }, { signal: opts.signal })) {
    last = e;
    if (opts.json) {
      io.out(JSON.stringify(e));
      continue;
    }
    if (e.jobStarted) rounds = e.jobStarted.rounds;
    else if (e.roundStarted) {
      selected = e.roundStarted.workers.length;
      joined = 0;
      io.err(
        `round ${e.roundStarted.round}/${rounds}${e.roundStarted.attempt > 1 ? ` (attempt ${e.roundStarted.attempt})` : ''}: ${selected} worker(s) selected`,
      );
    } else if (e.workerJoined) {
      joined++;
      io.err(`  ${bar(joined, selected)} ${joined}/${selected} updates  (${e.workerJoined.workerId})`);
    } else if (e.workerDropped) {
      io.err(
        `  ! ${e.workerDropped.failure?.workerId}: ${e.workerDropped.failure?.reason.replace('FAILURE_REASON_', '').toLowerCase()} - ${e.workerDropped.failure?.detail}`,
      );
    } else if (e.roundClosed?.summary) {
      const s = e.roundClosed.summary;
      const m = s.metrics;
      io.err(
        `  round ${s.round} closed: ${s.participants.length} participant(s), ${s.failures.length} failure(s)` +
          (m.accuracy !== undefined ? `, accuracy ${(100 * m.accuracy).toFixed(2)}%` : '') +
          (m.train_loss !== undefined ? `, train loss ${m.train_loss.toFixed(4)}` : '') +
          (m.client_epsilon !== undefined ? `, client-level epsilon ${m.client_epsilon.toFixed(3)}` : ''),
      );
    } else if (e.jobCompleted) io.err(`job completed: final version ${e.jobCompleted.finalVersion}`);
    else if (e.jobFailed) io.err(`job failed (${e.jobFailed.code}): ${e.jobFailed.reason}`);
    else if (e.jobCancelled) io.err(`job cancelled: ${e.jobCancelled.reason}`);
  }
  return last;
}

export const jobSubmitCommand: CliCommand = {
  path: ['job', 'submit'],
  summary: 'Submit a training job (AI vendors)',
  details: `Privacy: record-level DP-SGD is on by default (each hospital calibrates for epsilon 1 per
patient over the job). --client-clip adds client-level DP on top: each hospital clips its whole
round update and adds its share of Gaussian noise before encrypting it, so every opened sum is
(epsilon, delta)-DP for one hospital's entire contribution (docs/privacy.md). Give --client-epsilon
(sigma is calibrated for the job's rounds) or --client-noise; --record-dp off leaves client level only.

Examples:
  aidoc job submit --kit fed/vendors/acme --schema-id wdbc-v1 --model wdbc-mlp --rounds 20 --min-workers 3 --watch
  aidoc job submit --kit fed/vendors/acme --schema-id wdbc-v1 --rounds 10 --min-workers 3 \\
    --record-dp off --client-clip 0.1 --client-epsilon 10 --watch`,
  flags: {
    kit: kitFlag,
    coordinator: coordinatorFlag,
    model: {
      type: 'string',
      valueName: 'NAME|FILE',
      default: 'wdbc-mlp',
      description: 'Built-in model or TF.js Layers topology JSON',
    },
    'schema-id': { type: 'string', valueName: 'ID', description: 'Dataset schema the job trains on' },
    name: { type: 'string', valueName: 'TEXT', description: 'A label for humans' },
    rounds: { type: 'string', valueName: 'N', default: '10', description: 'Federated rounds' },
    'local-epochs': { type: 'string', valueName: 'N', default: '1', description: 'Local epochs per round' },
    'batch-size': { type: 'string', valueName: 'N', default: '16', description: 'Local batch size' },
    lr: { type: 'string', valueName: 'X', default: '0.05', description: 'Local learning rate' },
    strategy: {
      type: 'string',
      valueName: 'NAME',
      default: 'fedavg',
      description: 'fedavg, fedprox, fedadam, fedyogi or fedadagrad',
    },
    'min-workers': {
      type: 'string',
      valueName: 'N',
      default: '1',
      description: 'Fewest updates a round may close with',
    },
    fraction: {
      type: 'string',
      valueName: 'X',
      default: '1',
      description: 'Share of eligible workers sampled per round',
    },
    'deadline-ms': { type: 'string', valueName: 'MS', default: '60000', description: 'Round deadline' },
    seed: {
      type: 'string',
      valueName: 'N',
      default: '0',
      description: 'Seed for initial weights and sampling',
    },
    'secure-aggregation': {
      type: 'string',
      valueName: 'on|off',
      default: 'on',
      description:
        "Aggregate under homomorphic encryption: the coordinator never sees a hospital's update ('off' sends plain deltas)",
    },
    purpose: {
      type: 'string',
      valueName: 'PURPOSE',
      default: DEFAULT_PURPOSE,
      description:
        "Consent purpose: hospitals that read the ledger train only on records whose owners granted it (e.g. 'research/breast-cancer')",
    },
    'record-dp': {
      type: 'string',
      valueName: 'on|off',
      default: 'on',
      description: 'Record-level DP-SGD on every hospital (off: no per-patient noise)',
    },
    'client-clip': {
      type: 'string',
      valueName: 'S',
      description:
        "Client-level DP: clip a hospital's update to S (at an equal share of the round's records)",
    },
    'client-epsilon': {
      type: 'string',
      valueName: 'E',
      description: 'Client-level epsilon for the whole job (sigma is calibrated from it)',
    },
    'client-noise': { type: 'string', valueName: 'SIGMA', description: 'Client-level noise multiplier' },
    'client-delta': { type: 'string', valueName: 'D', default: '1e-5', description: 'Client-level delta' },
    'client-min-contributors': {
      type: 'string',
      valueName: 'K',
      description: 'Fewest updates a round opens (each hospital noises for K; default: all selected)',
    },
    watch: { type: 'boolean', description: 'Follow the job until it ends' },
    json: jsonFlag,
  },
  async run({ flags, io, signal }) {
    const privacy = privacyFlags(flags);
    const model = await modelArg(optionalString(flags, 'model') ?? 'wdbc-mlp');
    const secure = optionalString(flags, 'secure-aggregation') ?? 'on';
    if (secure !== 'on' && secure !== 'off')
      throw makeError(
        `--secure-aggregation must be on or off, not ${JSON.stringify(secure)}`,
        'INVALID_ARGUMENT',
      );
    const { client } = await jobClient(flags);
    try {
      const { job } = await client.SubmitJob({
        spec: {
          name: optionalString(flags, 'name') ?? '',
          model:
            'builtin' in model
              ? { builtin: model.builtin }
              : { topologyJson: JSON.stringify(model.topology) },
          datasetSchemaId: requireString(flags, 'schema-id'),
          rounds: intFlag(flags, 'rounds', 1),
          localEpochs: intFlag(flags, 'local-epochs', 1),
          batchSize: intFlag(flags, 'batch-size', 1),
          learningRate: numberFlag(flags, 'lr'),
          strategy: { name: optionalString(flags, 'strategy') ?? 'fedavg', params: {} },
          minWorkers: intFlag(flags, 'min-workers', 1),
          fraction: numberFlag(flags, 'fraction'),
          roundDeadlineMs: intFlag(flags, 'deadline-ms', 100),
          seed: intFlag(flags, 'seed', 0),
          purpose: optionalString(flags, 'purpose') ?? DEFAULT_PURPOSE,
          secureAggregation: secure === 'on' ? 'SECURE_AGGREGATION_MODE_ON' : 'SECURE_AGGREGATION_MODE_OFF',
          ...(privacy ? { privacy } : {}),
        },
      });
      if (!job) throw makeError('the coordinator returned no job', 'INTERNAL');
      if (flags.json && !flags.watch) io.out(JSON.stringify(job));
      else io.err(`submitted ${job.jobId}`);
      if (flags.watch) {
        await followJob(client, job.jobId, io, { json: Boolean(flags.json), signal });
        const final = await client.GetJob({ jobId: job.jobId });
        if (!flags.json) io.out(describeJob(final));
        return final.state === 'JOB_STATE_COMPLETED' ? 0 : 1;
      }
      if (!flags.json) io.out(job.jobId);
      return 0;
    } finally {
      client.close();
    }
  },
};

export const jobStatusCommand: CliCommand = {
  path: ['job', 'status'],
  summary: 'Show a job: state, rounds, metrics',
  positionals: 'JOB_ID',
  flags: { kit: kitFlag, coordinator: coordinatorFlag, json: jsonFlag },
  async run({ flags, positionals, io }) {
    const { client } = await jobClient(flags);
    try {
      const j = await client.GetJob({ jobId: positionalJob(positionals) });
      if (flags.json) io.out(JSON.stringify(j));
      else {
        io.out(describeJob(j));
        const privacy = describePrivacy(j);
        if (privacy) io.out(privacy);
        for (const r of j.rounds) {
          io.out(
            `  round ${String(r.round).padStart(3)}  ${r.participants.length} participants  ${r.failures.length} failures  ${Object.entries(
              r.metrics,
            )
              .map(([k, v]) => `${k}=${v.toFixed(4)}`)
              .join(' ')}`,
          );
        }
      }
    } finally {
      client.close();
    }
  },
};

export const jobWatchCommand: CliCommand = {
  path: ['job', 'watch'],
  summary: 'Follow a job live: a progress bar per round and the metrics so far',
  positionals: 'JOB_ID',
  flags: {
    kit: kitFlag,
    coordinator: coordinatorFlag,
    json: { type: 'boolean', description: 'One JSON event per line on stdout' },
  },
  async run({ flags, positionals, io, signal }) {
    const { client } = await jobClient(flags);
    try {
      const last = await followJob(client, positionalJob(positionals), io, {
        json: Boolean(flags.json),
        signal,
      });
      return last?.jobCompleted ? 0 : 1;
    } finally {
      client.close();
    }
  },
};

export const jobCancelCommand: CliCommand = {
  path: ['job', 'cancel'],
  summary: 'Cancel a job (its running round is abandoned)',
  positionals: 'JOB_ID',
  flags: {
    kit: kitFlag,
    coordinator: coordinatorFlag,
    reason: { type: 'string', valueName: 'TEXT', description: 'Why' },
    json: jsonFlag,
  },
  async run({ flags, positionals, io }) {
    const { client } = await jobClient(flags);
    try {
      const j = await client.CancelJob({
        jobId: positionalJob(positionals),
        reason: optionalString(flags, 'reason') ?? '',
      });
      io.out(flags.json ? JSON.stringify(j) : describeJob(j));
    } finally {
      client.close();
    }
  },
};

export const jobListCommand: CliCommand = {
  path: ['job', 'list'],
  summary: 'List your jobs, newest first',
  flags: { kit: kitFlag, coordinator: coordinatorFlag, json: jsonFlag },
  async run({ flags, io }) {
    const { client } = await jobClient(flags);
    try {
      const { jobs } = await client.ListJobs({});
      if (flags.json) io.out(JSON.stringify(jobs));
      else if (jobs.length === 0) io.out('no jobs');
      else for (const j of jobs) io.out(describeJob(j));
    } finally {
      client.close();
    }
  },
};

export const workersCommand: CliCommand = {
  path: ['workers'],
  summary:
    'List connected workers: health, last heartbeat, capabilities, rounds served, failures (operators)',
  flags: {
    kit: { type: 'string', valueName: 'DIR', description: "An operator kit from 'aidoc provision'" },
    coordinator: coordinatorFlag,
    json: jsonFlag,
  },
  async run({ flags, io }) {
    const kit = await loadKit(resolve(requireString(flags, 'kit')));
    const client = createGrpcClient(kit, 'AdminService', { address: optionalString(flags, 'coordinator') });
    try {
      const { workers } = await client.ListWorkers({});
      if (flags.json) {
        io.out(JSON.stringify(workers));
        return;
      }
      if (workers.length === 0) io.out('no workers registered');
      for (const w of workers) {
        const ago = ((Date.now() - Number(w.lastHeartbeatUnixMs)) / 1000).toFixed(1);
        const ds = w.capabilities?.datasets.map((d) => `${d.schemaId}:${d.recordCount}`).join(',') ?? '';
        io.out(
          `${w.workerId.padEnd(16)} ${w.health.replace('WORKER_HEALTH_', '').toLowerCase().padEnd(8)} heartbeat ${ago}s ago  ${w.capabilities?.cores ?? 0} cores ${w.capabilities?.backend ?? ''}  datasets ${ds}  rounds ${w.roundsServed}  failures ${w.failures}${w.lastFailure ? `  last: ${w.lastFailure.detail}` : ''}`,
        );
      }
    } finally {
      client.close();
    }
  },
};
