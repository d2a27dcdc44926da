/**
 * Picks the job queue: BullMQ on Redis when a Redis URL is configured, else the in-process queue
 * (which says so in the log). Both keep the contract in job-queue.ts.
 */
import type { JobQueue } from './job-queue.js';
import { createBullmqJobQueue } from './queue-bullmq.js';
import { createMemoryJobQueue } from './queue-memory.js';
import { compileJobQueueOptions, type JobQueueOptions } from './queue-options.js';

export async function createJobQueue<Spec = unknown, Result = unknown, Checkpoint = unknown>(
  options: JobQueueOptions = {},
): Promise<JobQueue<Spec, Result, Checkpoint>> {
  compileJobQueueOptions(options); // refuse bad options before connecting anywhere
  const { redisUrl } = options;
  if (redisUrl === undefined || redisUrl === '')
    return createMemoryJobQueue<Spec, Result, Checkpoint>(options);
  return createBullmqJobQueue<Spec, Result, Checkpoint>({ ...options, redisUrl });
}
