/**
 * The in-memory dataset every trainer consumes, whatever it was loaded from (CSV, IDX, the
 * `mnist` package), and the helpers to cut it into pieces.
 *
 * Datasets are treated as immutable: no helper here mutates its input, and a result may share
 * arrays with its input when nothing changed.
 */
import { assertArgument, makeError } from '../common/errors.js';
import { createRng } from './rng.js';

export interface Dataset {
  name: string;
  /** Features, row-major: record `i` is `x[i*F .. (i+1)*F)` with F = prod(featureShape). */
  x: Float32Array;
  /** Class index per record, in [0, numClasses). */
  y: Int32Array;
  /** Number of records. */
  n: number;
  /** Shape of one record, e.g. `[30]` for WDBC or `[28, 28, 1]` for images (height, width, channels). */
  featureShape: number[];
  numClasses: number;
  /**
   * The owner (patient) id of each record, when the source has one. Used only to filter by
   * consent and to split rebates; never a feature, and never sent off the worker.
   */
  ownerIds?: string[];
  /** Class names; `classes.length === numClasses`. */
  classes: string[];
}

/** Number of values per record: the product of `featureShape`. */
export function featureSize(ds: Pick<Dataset, 'featureShape'>): number {
  return ds.featureShape.reduce((a, b) => a * b, 1);
}

/**
 * Checks the invariants of a Dataset (array lengths, labels in range, owner ids). Throws
 * INVALID_DATASET naming the first broken one. Loaders here always return valid datasets; call
 * it on a Dataset built by hand.
 */
export function assertDataset(ds: Dataset): void {
  const fail = (problem: string) => {
    throw makeError(`Dataset "${ds.name}" is inconsistent: ${problem}`, 'INVALID_DATASET', { name: ds.name });
  };
  if (!Number.isInteger(ds.n) || ds.n < 0) fail(`n is ${ds.n}`);
  if (ds.featureShape.length === 0 || ds.featureShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    fail(`featureShape [${ds.featureShape.join(', ')}] must be positive integers`);
  }
  const f = featureSize(ds);
  if (ds.x.length !== ds.n * f) fail(`x has ${ds.x.length} values, expected n * ${f} = ${ds.n * f}`);
  if (ds.y.length !== ds.n) fail(`y has ${ds.y.length} labels, expected ${ds.n}`);
  if (ds.classes.length !== ds.numClasses)
    fail(`${ds.classes.length} class names for numClasses ${ds.numClasses}`);
  for (let i = 0; i < ds.n; i++) {
    const label = ds.y[i]!;
    if (label < 0 || label >= ds.numClasses) fail(`y[${i}] = ${label} is outside [0, ${ds.numClasses})`);
  }
  if (ds.ownerIds !== undefined && ds.ownerIds.length !== ds.n) {
    fail(`ownerIds has ${ds.ownerIds.length} entries, expected ${ds.n}`);
  }
}

/** The records at `indices`, in that order (repeats allowed). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const f = featureSize(ds);
  const m = indices.length;
  const x = new Float32Array(m * f);
  const y = new Int32Array(m);
  const ownerIds = ds.ownerIds === undefined ? undefined : new Array<string>(m);
  for (let k = 0; k < m; k++) {
    const i = indices[k]!;
    assertArgument(Number.isInteger(i) && i >= 0 && i < ds.n, `subset: index ${i} is outside [0, ${ds.n})`, {
      index: i,
    });
    x.set(ds.x.subarray(i * f, (i + 1) * f), k * f);
    y[k] = ds.y[i]!;
    if (ownerIds !== undefined) ownerIds[k] = ds.ownerIds![i]!;
  }
  const out: Dataset = {
    name: ds.name,
    x,
    y,
    n: m,
    featureShape: [...ds.featureShape],
    numClasses: ds.numClasses,
    classes: ds.classes,
  };
  if (ownerIds !== undefined) out.ownerIds = ownerIds;
  return out;
}

export interface TrainTestSplitOptions {
  /** Fraction of records that go to the test set, in (0, 1). @defaultValue `0.2` */
  testFraction?: number;
  /** Seed of the shuffle. @defaultValue `0` */
  seed?: number;
  /** Keep each class's share the same in both parts (up to rounding). @defaultValue `true` */
  stratify?: boolean;
}

export interface TrainTestSplit {
  train: Dataset;
  test: Dataset;
  /** Indexes into the input of the train records, ascending. */
  trainIndices: number[];
  /** Indexes into the input of the test records, ascending. */
  testIndices: number[];
}

/**
 * Splits into train and test. The test set has round(n * testFraction) records, clamped so that
 * neither part is empty. With `stratify`, that count is shared among classes by largest
 * remainder, so each class's count in the test set is floor or ceil of its exact share.
 * Both parts keep the input's record order.
 */
export function trainTestSplit(ds: Dataset, options: TrainTestSplitOptions = {}): TrainTestSplit {
  const { testFraction, seed, stratify } = { testFraction: 0.2, seed: 0, stratify: true, ...options };
  assertArgument(testFraction > 0 && testFraction < 1, `testFraction must be in (0, 1), got ${testFraction}`);
  assertArgument(ds.n >= 2, `cannot split a dataset of ${ds.n} record(s) into train and test`);
  const testCount = Math.min(ds.n - 1, Math.max(1, Math.round(ds.n * testFraction)));
  const rng = createRng(seed);
  const isTest = new Uint8Array(ds.n);

  if (!stratify) {
    const order = rng.shuffle(Array.from({ length: ds.n }, (_, i) => i));
    for (let k = 0; k < testCount; k++) isTest[order[k]!] = 1;
  } else {
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < ds.n; i++) {
      const label = ds.y[i]!;
      let list = byClass.get(label);
      if (list === undefined) byClass.set(label, (list = []));
      list.push(i);
    }
    const labels = [...byClass.keys()].sort((a, b) => a - b);
    const shares = labels.map((label) => {
      const exact = (byClass.get(label)!.length * testCount) / ds.n;
      return { label, take: Math.floor(exact), remainder: exact - Math.floor(exact) };
    });
    let left = testCount - shares.reduce((a, s) => a + s.take, 0);
    const byRemainder = [...shares].sort((a, b) => b.remainder - a.remainder || a.label - b.label);
    for (const share of byRemainder) {
      if (left === 0) break;
      share.take++;
      left--;
    }
    for (const share of shares) {
      const members = rng.shuffle([...byClass.get(share.label)!]);
      for (let k = 0; k < share.take; k++) isTest[members[k]!] = 1;
    }
  }

  const trainIndices: number[] = [];
  const testIndices: number[] = [];
  for (let i = 0; i < ds.n; i++) (isTest[i] ? testIndices : trainIndices).push(i);
  return { train: subset(ds, trainIndices), test: subset(ds, testIndices), trainIndices, testIndices };
}
