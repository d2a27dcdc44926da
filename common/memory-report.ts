/**
 * An operator's memory diagnostic: with `AIDOC_MEMORY_REPORT=FILE` in its environment, a process
 * appends one JSON line per unit of work (a worker: per task) with its memory figures, taken after
 * a full garbage collection when it runs with `--expose-gc`.
 *
 * `external` is the figure to watch for SEAL: node-seal's WebAssembly memory is reported there, and
 * it never shrinks, so a SEAL object not deleted per round shows as steady growth, which RSS
 * (allocator and V8 page retention) blurs by tens of MiB. `heapUsed` after a full collection shows
 * a JavaScript leak.
 */
import { appendFileSync } from 'node:fs';

export interface MemoryReport {
  time: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
  [label: string]: unknown;
}

/** Appends a report to `$AIDOC_MEMORY_REPORT`, if set; never throws (a diagnostic must not stop work). */
export function reportMemory(labels: Record<string, unknown>, file = process.env.AIDOC_MEMORY_REPORT): void {
  if (!file) return;
  try {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const m = process.memoryUsage();
    const report: MemoryReport = {
      ...labels,
      time: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      gc: gc !== undefined,
    };
    appendFileSync(file, `${JSON.stringify(report)}\n`);
  } catch {
    // Diagnostics only.
  }
}
