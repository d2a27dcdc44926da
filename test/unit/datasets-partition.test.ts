import { AidocError } from '../../common/errors.js';
import { partitionDirichlet, partitionIid, partitionShards } from '../../datasets/partition.js';
import { createRng } from '../../datasets/rng.js';

function caught(fn: () => unknown): AidocError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AidocError) return e;
    throw e;
  }
  throw new Error('expected an AidocError');
}

/** Every index 0..n-1 appears in exactly one part, and parts are ascending. */
function expectExactCover(parts: number[][], n: number): void {
  const seen = new Uint8Array(n);
  for (const part of parts) {
    for (let k = 0; k < part.length; k++) {
      const i = part[k]!;
      expect(seen[i]).toBe(0);
      seen[i] = 1;
      if (k > 0) expect(part[k - 1]!).toBeLessThan(i);
    }
  }
  expect(seen.every((v) => v === 1)).toBe(true);
}

function labelsOf(part: number[], labels: ArrayLike<number>): Set<number> {
  return new Set(part.map((i) => labels[i]!));
}

// 10 classes of 60 records each, in a shuffled order.
const labels = createRng(99).shuffle(Int32Array.from({ length: 600 }, (_, i) => i % 10));

describe('partitionIid', () => {
  it('covers all indices exactly once with sizes within one', () => {
    const parts = partitionIid(103, 5, 1);
    expectExactCover(parts, 103);
    expect(parts.map((p) => p.length)).toEqual([21, 21, 21, 20, 20]);
  });

  it('is deterministic for a seed and random across seeds', () => {
    expect(partitionIid(50, 4, 7)).toEqual(partitionIid(50, 4, 7));
    expect(partitionIid(50, 4, 7)).not.toEqual(partitionIid(50, 4, 8));
    expect(partitionIid(50, 4, 7)[0]).not.toEqual(Array.from({ length: 13 }, (_, i) => i));
  });

  it('rejects more clients than records', () => {
    expect(caught(() => partitionIid(3, 4, 0)).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => partitionIid(10, 0, 0)).code).toBe('INVALID_ARGUMENT');
  });
});

describe('partitionDirichlet', () => {
  it('covers all indices exactly once and is deterministic', () => {
    const parts = partitionDirichlet(labels, 10, 8, 0.5, 3);
    expectExactCover(parts, 600);
    expect(partitionDirichlet(labels, 10, 8, 0.5, 3)).toEqual(parts);
    expect(partitionDirichlet(labels, 10, 8, 0.5, 4)).not.toEqual(parts);
  });

  it('skews labels strongly for small alpha and hardly for large alpha', () => {
    // Mean over clients of the share of the client's most frequent label.
    const dominance = (parts: number[][]) => {
      const shares = parts.map((part) => {
        const counts = new Array<number>(10).fill(0);
        for (const i of part) counts[labels[i]!]!++;
        return Math.max(...counts) / part.length;
      });
      return shares.reduce((a, b) => a + b, 0) / shares.length;
    };
    const skewed = partitionDirichlet(labels, 10, 6, 0.05, 1);
    const uniform = partitionDirichlet(labels, 10, 6, 1000, 1);
    expect(dominance(skewed)).toBeGreaterThan(0.5);
    expect(dominance(uniform)).toBeLessThan(0.2); // 0.1 is perfectly balanced
    // With tiny alpha most clients miss most labels; with huge alpha every client has all ten.
    expect(skewed.filter((p) => labelsOf(p, labels).size <= 5).length).toBeGreaterThanOrEqual(3);
    expect(uniform.every((p) => labelsOf(p, labels).size === 10)).toBe(true);
  });

  it('redraws until every client has minSize records, and says so when it cannot', () => {
    const parts = partitionDirichlet(labels, 10, 10, 0.3, 5, { minSize: 20 });
    expectExactCover(parts, 600);
    expect(Math.min(...parts.map((p) => p.length))).toBeGreaterThanOrEqual(20);
    const e = caught(() => partitionDirichlet(labels, 10, 10, 0.01, 5, { minSize: 55, maxAttempts: 5 }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/no draw in 5/);
    expect(caught(() => partitionDirichlet(labels, 10, 10, 1, 5, { minSize: 61 })).message).toMatch(
      /need more than 600/,
    );
  });

  it('survives alpha so small that every gamma draw underflows', () => {
    const parts = partitionDirichlet(labels, 10, 4, 1e-6, 2);
    expectExactCover(parts, 600);
    // Each class lands whole on one client.
    for (let c = 0; c < 10; c++) {
      expect(parts.filter((p) => p.some((i) => labels[i] === c)).length).toBe(1);
    }
  });

  it('rejects bad arguments', () => {
    expect(caught(() => partitionDirichlet(labels, 10, 4, 0, 1)).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => partitionDirichlet([0, 1, 5], 3, 2, 1, 1)).message).toMatch(/labels\[2\] = 5/);
  });
});

describe('partitionShards', () => {
  it('gives each client at most shardsPerClient labels when shards align with classes', () => {
    // 600 records, 10 clients x 2 shards = 20 shards of 30: each class is exactly two shards.
    const parts = partitionShards(labels, 10, 2, 4);
    expectExactCover(parts, 600);
    expect(parts.every((p) => p.length === 60)).toBe(true);
    for (const p of parts) expect(labelsOf(p, labels).size).toBeLessThanOrEqual(2);
    // And it is not the trivial deal: some client holds two different labels.
    expect(parts.some((p) => labelsOf(p, labels).size === 2)).toBe(true);
  });

  it('is deterministic for a seed and deals differently across seeds', () => {
    expect(partitionShards(labels, 10, 2, 4)).toEqual(partitionShards(labels, 10, 2, 4));
    expect(partitionShards(labels, 10, 2, 4)).not.toEqual(partitionShards(labels, 10, 2, 5));
  });

  it('handles sizes that do not divide evenly', () => {
    const parts = partitionShards(labels.subarray(0, 101), 3, 3, 1);
    expectExactCover(parts, 101);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(3);
  });

  it('rejects more shards than records', () => {
    expect(caught(() => partitionShards([0, 1, 2], 2, 2, 0)).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => partitionShards(labels, 2, 0, 0)).code).toBe('INVALID_ARGUMENT');
  });
});
