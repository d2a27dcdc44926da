/**
 * A coordinator replica as a separate process, for tests that kill one with SIGKILL:
 *
 *   node --import ./test/helpers/ts-hooks.mjs test/helpers/queue-replica.ts '<config JSON>'
 *
 * It consumes the BullMQ queue with a handler that runs `spec.rounds` rounds of `spec.roundMs`
 * each from the job's last checkpoint, and for each round: writes the round to a "ledger" hash
 * idempotently per (job, round) (HSETNX, as the real ledger's writes are), appends
 * "<attempt>:<round>" to an execution log, checkpoints `{ round }`, reports progress. It prints one
 * JSON line per step on stdout ({ event: 'ready' | 'start' | 'round' | 'done', ... }).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createJobQueue } from '../../coordinator/queue/create-job-queue.js';
import type { JobQueueOptions } from '../../coordinator/queue/queue-options.js';

export interface ReplicaConfig {
  queue: JobQueueOptions & { redisUrl: string; name: string };
  /** Redis for the ledger and execution log (not through any proxy). */
  bookkeepingUrl: string;
}

export interface ReplicaSpec {
  rounds: number;
  roundMs: number;
}

export const ledgerKey = (queue: string, jobId: string) => `${queue}-test-ledger:${jobId}`;
export const execKey = (queue: string, jobId: string) => `${queue}-test-exec:${jobId}`;

const say = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify(line) + '\n');

async function main() {
  const config = JSON.parse(process.argv[2] ?? '{}') as ReplicaConfig;
  const books = new Redis(config.bookkeepingUrl, { maxRetriesPerRequest: null });
  const queue = await createJobQueue<ReplicaSpec, { rounds: number }, { round: number }>(config.queue);
  await queue.process(async (job, ctx) => {
    const from = (ctx.lastCheckpoint?.round ?? 0) + 1;
    say({
      event: 'start',
      jobId: job.jobId,
      attempt: ctx.attempt,
      from,
      replicaId: ctx.replicaId,
      pid: process.pid,
    });
    for (let r = from; r <= job.spec.rounds; r++) {
      await new Promise((resolve) => setTimeout(resolve, job.spec.roundMs));
      await books.hsetnx(ledgerKey(config.queue.name, job.jobId), String(r), String(ctx.attempt));
      await books.rpush(execKey(config.queue.name, job.jobId), `${ctx.attempt}:${r}`);
      await ctx.checkpoint({ round: r });
      await ctx.progress({ round: r, rounds: job.spec.rounds });
      say({ event: 'round', jobId: job.jobId, attempt: ctx.attempt, round: r, pid: process.pid });
    }
    say({ event: 'done', jobId: job.jobId, attempt: ctx.attempt, pid: process.pid });
    return { rounds: job.spec.rounds };
  });
  say({ event: 'ready', pid: process.pid });
  process.on('SIGTERM', () => {
    void queue
      .close()
      .then(() => books.quit())
      .finally(() => process.exit(0));
  });
}

// Run only as a process's entry point (tests import the key helpers above).
if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`replica failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
