/** Fan-out of queue events to listeners; a listener that throws is reported, never propagated. */
import type { JobQueueEvent, JobQueueEvents } from './job-queue.js';

export class QueueEventHub implements JobQueueEvents {
  readonly #listeners = new Set<(event: JobQueueEvent) => void>();
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  on(listener: (event: JobQueueEvent) => void): () => void {
    // Wrapped so that the same function can subscribe twice and unsubscribe each independently.
    const entry = (e: JobQueueEvent) => listener(e);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(event: JobQueueEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (e) {
        this.#log(`an event listener threw on '${event.type}' of ${event.jobId}: ${(e as Error).message}`);
      }
    }
  }
}
