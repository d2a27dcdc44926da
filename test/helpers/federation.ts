/**
 * A real federation for integration tests: provisioned kits (real CA, mutual TLS, the CKKS keys of
 * secure aggregation as `aidoc provision` makes them), the coordinator in the test process,
 * hospital workers as separate `aidoc worker start` processes on their own CSV files, and helpers
 * to make misbehaving clients out of real kits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKit, type Kit } from '../../common/pki-kit.js';
import { provisionFederation, type ProvisionResult } from '../../common/pki-federation.js';
import { provisionKitExtensions } from '../../cli/commands/provision.js';
import {
  startCoordinator,
  type Coordinator,
  type CoordinatorOptions,
} from '../../coordinator/coordinator.js';
import { freePort, workerStartArgs, writeHospitalFiles } from '../../demo/federated-demo.js';
import { AIDOC } from './aidoc-cli.js';
import { createGrpcClient, type WorkerServiceClient } from '../../coordinator/transport/grpc-client.js';

export interface TestFederation {
  dir: string;
  fed: ProvisionResult;
  coordinator: Coordinator;
  files: { csv: string; schema: string }[];
  kit(role: 'worker' | 'vendor' | 'operator', index?: number): Promise<Kit>;
  /** Starts hospital i's worker process; its stderr is kept in `logs[i]`. */
  startWorker(i: number, extraArgs?: string[], env?: Record<string, string>): ChildProcess;
  logs: string[];
  close(): Promise<void>;
}

export async function startTestFederation(
  options: {
    workers?: number;
    heartbeatMs?: number;
    /** e.g. adversary hooks of secure aggregation. */
    secureAggregation?: CoordinatorOptions['secureAggregation'];
    /** Book-keeping, e.g. the ledger. */
    hooks?: CoordinatorOptions['hooks'];
    /** The model store's side of the engine. */
    versions?: CoordinatorOptions['versions'];
  } = {},
): Promise<TestFederation> {
  const n = options.workers ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'aidoc-fed-test-'));
  const hospitals = Array.from({ length: n }, (_, i) => `hospital-${String.fromCharCode(97 + i)}`);
  const fed = await provisionFederation({
    out: join(dir, 'federation'),
    workers: hospitals,
    vendors: ['acme', 'other-vendor'],
    coordinatorAddress: `127.0.0.1:${await freePort()}`,
    extensions: provisionKitExtensions,
  });
  const files = await writeHospitalFiles(dir, hospitals);
  const coordinator = await startCoordinator({
    kit: await loadKit(fed.coordinator.dir),
    registry: { heartbeatIntervalMs: options.heartbeatMs ?? 500 },
    pollMs: 50,
    hooks: options.hooks,
    ...(options.versions ? { versions: options.versions } : {}),
    ...(options.secureAggregation ? { secureAggregation: options.secureAggregation } : {}),
  });
  const children: ChildProcess[] = [];
  const logs = hospitals.map(() => '');
  return {
    dir,
    fed,
    coordinator,
    files,
    logs,
    kit: (role, index = 0) =>
      loadKit(
        (role === 'worker' ? fed.workers : role === 'vendor' ? fed.vendors : fed.operators)[index]!.dir,
      ),
    startWorker(i, extraArgs = [], env) {
      const child = spawn(
        process.execPath,
        [AIDOC, ...workerStartArgs(fed, files, i, join(dir, 'state', fed.workers[i]!.name)), ...extraArgs],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          ...(env ? { env: { ...process.env, ...env } } : {}),
        },
      );
      child.stderr?.on('data', (d: Buffer) => (logs[i] += d.toString()));
      children.push(child);
      return child;
    },
    async close() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? Promise.resolve()
            : new Promise((r) => c.once('exit', r)),
        ),
      );
      await coordinator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `n` workers are registered and healthy. */
export async function waitForWorkers(c: Coordinator, n: number, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (c.registry.list().filter((w) => c.registry.health(w) === 'healthy').length < n) {
    if (Date.now() > until)
      throw new Error(`only ${c.registry.list().length} of ${n} workers registered within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A hand-driven worker: registers as hospital `index` with its real kit (so it may be picked for
 * secure rounds too) and heartbeats; the test does the rest with `client` and `sessionId`.
 */
export async function registerHandWorker(
  f: TestFederation,
  index: number,
  options: { records: number; heartbeatMs: number },
): Promise<{ kit: Kit; client: WorkerServiceClient; sessionId: string; stopHeartbeats: () => void }> {
  const kit = await f.kit('worker', index);
  const client = createGrpcClient(kit, 'WorkerService');
  const reg = await client.Register({
    capabilities: {
      cores: 1,
      backend: 'wasm',
      features: ['plain', 'ckks'],
      datasets: [
        {
          datasetId: 'x',
          schemaId: 'wdbc-v1',
          featureShape: [30],
          numClasses: 2,
          recordCount: options.records,
          consentedRecordCount: options.records,
        },
      ],
    },
  });
  const beat = setInterval(
    () => void client.Heartbeat({ sessionId: reg.sessionId }).catch(() => {}),
    options.heartbeatMs,
  );
  return { kit, client, sessionId: reg.sessionId, stopHeartbeats: () => clearInterval(beat) };
}
