import { AidocError } from '../../common/errors.js';
import type { Dataset } from '../../datasets/dataset.js';
import { assertDataset, featureSize, subset, trainTestSplit } from '../../datasets/dataset.js';
import { createRng } from '../../datasets/rng.js';

/** n records of shape [2, 2]; record i holds i*10 .. i*10+3; labels cycle through `pattern`. */
function makeDataset(n: number, pattern: number[], numClasses = 3): Dataset {
  const x = new Float32Array(n * 4);
  for (let i = 0; i < n * 4; i++) x[i] = Math.floor(i / 4) * 10 + (i % 4);
  const y = Int32Array.from({ length: n }, (_, i) => pattern[i % pattern.length]!);
  return {
    name: 'synthetic',
    x,
    y,
    n,
    featureShape: [2, 2],
    numClasses,
    classes: Array.from({ length: numClasses }, (_, k) => `c${k}`),
    ownerIds: Array.from({ length: n }, (_, i) => `owner-${i}`),
  };
}

function caught(fn: () => unknown): AidocError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AidocError) return e;
    throw e;
  }
  throw new Error('expected an AidocError');
}

describe('Dataset helpers', () => {
  it('featureSize is the product of featureShape', () => {
    expect(featureSize({ featureShape: [28, 28, 1] })).toBe(784);
  });

  it('subset copies the rows, labels and owner ids at the indices, in order', () => {
    const ds = makeDataset(5, [0, 1, 2]);
    const s = subset(ds, [4, 1, 1]);
    expect(s.n).toBe(3);
    expect(Array.from(s.x)).toEqual([40, 41, 42, 43, 10, 11, 12, 13, 10, 11, 12, 13]);
    expect(Array.from(s.y)).toEqual([1, 1, 1]);
    expect(s.ownerIds).toEqual(['owner-4', 'owner-1', 'owner-1']);
    expect(s.featureShape).toEqual([2, 2]);
    s.x[0] = -1;
    expect(ds.x[16]).toBe(40);
    expect(caught(() => subset(ds, [5])).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => subset(ds, [1.5])).code).toBe('INVALID_ARGUMENT');
  });

  it('assertDataset accepts a consistent dataset and names what is broken', () => {
    const ds = makeDataset(4, [0, 1]);
    expect(() => assertDataset(ds)).not.toThrow();
    expect(caught(() => assertDataset({ ...ds, n: 5 })).message).toMatch(/x has 16 values/);
    expect(caught(() => assertDataset({ ...ds, y: Int32Array.from([0, 1, 3, 0]) })).message).toMatch(
      /y\[2\] = 3/,
    );
    expect(caught(() => assertDataset({ ...ds, ownerIds: ['a'] })).code).toBe('INVALID_DATASET');
  });
});

describe('trainTestSplit', () => {
  const ds = makeDataset(100, [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]); // 60 / 30 / 10

  function classCounts(y: Int32Array): number[] {
    const c = [0, 0, 0];
    for (const v of y) c[v]!++;
    return c;
  }

  it('stratifies: each class keeps its share in the test set', () => {
    const { train, test, trainIndices, testIndices } = trainTestSplit(ds, { testFraction: 0.25, seed: 3 });
    expect(test.n).toBe(25);
    expect(classCounts(test.y)).toEqual([15, 8, 2]); // exact shares 15, 7.5, 2.5: largest remainder, ties to the lower class
    expect(classCounts(train.y)).toEqual([45, 22, 8]);
    expect(new Set([...trainIndices, ...testIndices]).size).toBe(100);
    expect(testIndices).toEqual([...testIndices].sort((a, b) => a - b));
    // The records themselves travel with their index.
    const k = testIndices[0]!;
    expect(Array.from(test.x.subarray(0, 4))).toEqual([k * 10, k * 10 + 1, k * 10 + 2, k * 10 + 3]);
    expect(test.ownerIds![0]).toBe(`owner-${k}`);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = trainTestSplit(ds, { seed: 1 });
    const b = trainTestSplit(ds, { seed: 1 });
    const c = trainTestSplit(ds, { seed: 2 });
    expect(a.testIndices).toEqual(b.testIndices);
    expect(a.testIndices).not.toEqual(c.testIndices);
    expect(a.test.n).toBe(20); // default fraction 0.2
  });

  it('without stratify takes a plain random sample of the right size', () => {
    const counts = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const { test } = trainTestSplit(ds, { testFraction: 0.25, seed, stratify: false });
      expect(test.n).toBe(25);
      counts.add(classCounts(test.y).join(','));
    }
    expect(counts.size).toBeGreaterThan(1); // class shares vary when not stratified
  });

  it('keeps both parts non-empty and rejects impossible splits', () => {
    const tiny = makeDataset(3, [0, 1]);
    expect(trainTestSplit(tiny, { testFraction: 0.01 }).test.n).toBe(1);
    expect(trainTestSplit(tiny, { testFraction: 0.99 }).train.n).toBe(1);
    expect(caught(() => trainTestSplit(tiny, { testFraction: 0 })).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => trainTestSplit(tiny, { testFraction: 1 })).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => trainTestSplit(makeDataset(1, [0]))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('createRng', () => {
  it('is deterministic per seed and distinct across seeds, including seeds above 2^32', () => {
    const seq = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    expect(seq(2 ** 32 + 1)).not.toEqual(seq(1));
    expect(seq(-1)).not.toEqual(seq(1));
    expect(() => createRng(0.5)).toThrow(RangeError);
  });

  it('next() stays in [0, 1) with mean near 1/2', () => {
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const v = rng.next();
      if (!(v >= 0 && v < 1)) throw new Error(`next() returned ${v}`);
      sum += v;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });

  it('int(n) covers [0, n) evenly', () => {
    const rng = createRng(2);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[rng.int(7)]!++;
    // Chi-square with 6 degrees of freedom; 22.46 is the 0.999 quantile.
    const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
    expect(chi2).toBeLessThan(22.46);
    expect(() => rng.int(0)).toThrow(RangeError);
  });

  it('shuffle permutes plain and typed arrays in place', () => {
    const rng = createRng(3);
    const a = Array.from({ length: 50 }, (_, i) => i);
    expect(rng.shuffle(a)).toBe(a);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const t = Int32Array.from({ length: 20 }, (_, i) => i);
    rng.shuffle(t);
    expect(Array.from(t).sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('normal() has mean 0 and variance 1', () => {
    const rng = createRng(4);
    let sum = 0;
    let sq = 0;
    const m = 40000;
    for (let i = 0; i < m; i++) {
      const v = rng.normal();
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / m)).toBeLessThan(0.03);
    expect(sq / m).toBeGreaterThan(0.95);
    expect(sq / m).toBeLessThan(1.05);
  });

  it('gamma(shape) has mean and variance equal to shape', () => {
    const rng = createRng(5);
    for (const shape of [0.3, 1, 4.5]) {
      let sum = 0;
      let sq = 0;
      const m = 40000;
      for (let i = 0; i < m; i++) {
        const v = rng.gamma(shape);
        if (!(v >= 0)) throw new Error(`gamma(${shape}) returned ${v}`);
        sum += v;
        sq += v * v;
      }
      const mean = sum / m;
      expect(Math.abs(mean - shape) / shape).toBeLessThan(0.05);
      expect(Math.abs(sq / m - mean * mean - shape) / shape).toBeLessThan(0.1);
    }
    expect(() => rng.gamma(0)).toThrow(RangeError);
  });
});
