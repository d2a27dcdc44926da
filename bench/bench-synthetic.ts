/** Synthetic datasets for the benchmarks (speed is measured, not accuracy: the records are noise). */
import type { Dataset } from '../datasets/dataset.js';
import { createRng } from '../datasets/rng.js';

/** A synthetic dataset of the given shape (seeded; the same seed gives the same records). */
export function syntheticDataset(
  records: number,
  featureShape: number[],
  numClasses: number,
  seed = 12345,
): Dataset {
  const f = featureShape.reduce((a, b) => a * b, 1);
  const rng = createRng(seed);
  const x = new Float32Array(records * f);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() - 0.5;
  return {
    name: 'synthetic',
    x,
    y: Int32Array.from({ length: records }, (_, i) => i % numClasses),
    n: records,
    featureShape: [...featureShape],
    numClasses,
    classes: Array.from({ length: numClasses }, (_, i) => String(i)),
  };
}
