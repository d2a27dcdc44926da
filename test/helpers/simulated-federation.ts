/**
 * The round engine without a network, for unit tests: simulated workers register, heartbeat and
 * pull tasks from a real WorkerRegistry, and answer through a callback that calls the engine's
 * accept* methods, so every path of a round can be driven precisely.
 */
import { JobStore, newJobRecord, type JobRecord } from '../../coordinator/job-store.js';
import { compileJobSpec } from '../../coordinator/job-spec.js';
import {
  PayloadStore,
  RoundEngine,
  type TaskAssignment,
  type UpdateSubmission,
} from '../../coordinator/round-engine.js';
import { WorkerRegistry } from '../../coordinator/worker-registry.js';

/** What a simulated worker's answer callback gets for one task. */
export interface SimulatedTask {
  task: TaskAssignment;
  /** The submission fields the worker would send, with `numExamples` = its records. */
  submission: UpdateSubmission;
  /** Elements of the global weights. */
  length: number;
  /** Stops this worker's heartbeats and pulls (it vanishes). */
  vanish: () => void;
}

export function simulatedFederation(specDefaults: Record<string, unknown>) {
  const registry = new WorkerRegistry<TaskAssignment>({ heartbeatIntervalMs: 50 });
  const store = new JobStore();
  const payloads = new PayloadStore();
  const engine = new RoundEngine({ registry, store, payloads, pollMs: 10, evaluationDeadlineMs: 500 });
  const stops: (() => void)[] = [];

  function worker(
    id: string,
    answer: (t: SimulatedTask) => void,
    options: { records?: number; features?: string[] } = {},
  ): void {
    const records = options.records ?? 100;
    const rec = registry.register({
      workerId: id,
      fingerprint: id,
      peer: 'test',
      capabilities: {
        cores: 1,
        memoryBytes: 1,
        backend: 'wasm',
        softwareVersion: 'test',
        features: options.features ?? [],
        datasets: [{ datasetId: 'd', schemaId: 'wdbc-v1', featureShape: [30], numClasses: 2, records }],
      },
    });
    let stopped = false;
    const beat = setInterval(() => registry.heartbeat(rec.sessionId, id), 20);
    const vanish = () => {
      stopped = true;
      clearInterval(beat);
    };
    stops.push(vanish);
    void (async () => {
      while (!stopped) {
        const task = await registry.pull(rec.sessionId, id, 50);
        if (!task) continue;
        const submission = {
          taskId: task.taskId,
          jobId: task.jobId,
          round: task.round,
          numExamples: records,
          metrics: { loss: 0.5, accuracy: 0.9 },
          nonce: task.nonce,
        };
        try {
          answer({ task, submission, length: payloads.get(task.weightsRef).elements, vanish });
        } catch {
          // rejected or late updates are reported through the round record
        }
      }
    })();
  }

  async function run(spec: Record<string, unknown>): Promise<JobRecord> {
    const jobId = `job-${Math.random().toString(36).slice(2)}`;
    store.create(newJobRecord(jobId, 'v', compileJobSpec({ ...specDefaults, ...spec }), Date.now()));
    return engine.runJob(jobId, new AbortController().signal);
  }

  return { registry, store, engine, worker, run, stop: () => stops.forEach((s) => s()) };
}
