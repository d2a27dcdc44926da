import { loadCsvDataset } from '../datasets/csv.js';
import { loadSchema } from '../datasets/schema.js';
import type { WorkerDataset } from './daemon.js';

/**
 * Loads a hospital's CSV unscaled: the worker fits scaling on its own training part at task time,
 * so the statistics (which describe patients) never leave it and never leak the held-out part.
 */
export async function loadWorkerDataset(
  csvPath: string,
  schemaPath: string,
  signal?: AbortSignal,
): Promise<WorkerDataset> {
  const schema = await loadSchema(schemaPath, { signal });
  const f = schema.features.length;
  const identity = {
    kind: 'none' as const,
    center: new Array<number>(f).fill(0),
    scale: new Array<number>(f).fill(1),
  };
  const { dataset } = await loadCsvDataset(csvPath, schema, { scaler: identity, signal });
  return { dataset, schemaId: schema.schemaId ?? schema.name, scaling: schema.scaling };
}
