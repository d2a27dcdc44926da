import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AidocError } from '../../common/errors.js';
import {
  decodeIdx,
  encodeIdx,
  FASHION_MNIST_CLASSES,
  fashionMnistFiles,
  loadIdxDataset,
  readIdxFile,
} from '../../datasets/idx.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `n` 28x28 images whose pixel p of image i is (i * 7 + p) mod 256, and labels i mod 10. */
function fixture(n: number): { pixels: Uint8Array; labels: Uint8Array } {
  const pixels = Uint8Array.from({ length: n * 784 }, (_, k) => (Math.floor(k / 784) * 7 + (k % 784)) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { pixels, labels };
}

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  return file;
}

async function rejected(promise: Promise<unknown>): Promise<AidocError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AidocError) return e;
    throw e;
  }
  throw new Error('expected a rejection with an AidocError');
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

describe('IDX encode/decode', () => {
  it('round-trips dims and bytes', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const bytes = encodeIdx([2, 3], data);
    expect(Array.from(bytes.subarray(0, 12))).toEqual([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]);
    const back = decodeIdx(bytes, 'mem');
    expect(back.dims).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a bad magic, an unsupported type, a truncated header and a wrong data length', () => {
    const good = encodeIdx([2, 2], Uint8Array.from([1, 2, 3, 4]));
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.from([0, 0]), /fewer than the 4-byte magic/],
      [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /magic number starts 01 00 08 01/],
      [Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), /float32; only unsigned bytes/],
      [Uint8Array.from([0, 0, 8, 0]), /0 dimensions/],
      [Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]), /declares 3 dimensions but ends after 8 bytes/],
      [good.subarray(0, good.length - 1), /2x2 need 4 bytes of data, the file has 3/],
      [Uint8Array.from([...good, 9]), /2x2 need 4 bytes of data, the file has 5/],
    ];
    for (const [bytes, problem] of cases) {
      const e = caught(() => decodeIdx(bytes, 'some.idx'));
      expect(e.code).toBe('INVALID_DATASET');
      expect(e.info.file).toBe('some.idx');
      expect(e.message).toMatch(/^some\.idx is not a valid IDX file/);
      expect(e.message).toMatch(problem);
    }
  });

  it('reads gzipped and plain files alike, detected by magic bytes not by name', async () => {
    const bytes = encodeIdx([3], Uint8Array.from([7, 8, 9]));
    const plain = await readIdxFile(await write('plain.gz', bytes)); // misleading name on purpose
    const zipped = await readIdxFile(await write('zipped.idx', gzipSync(bytes)));
    expect(plain).toEqual(zipped);
    expect(Array.from(zipped.data)).toEqual([7, 8, 9]);
    const corrupt = gzipSync(bytes).subarray(0, 12);
    const e = await rejected(readIdxFile(await write('corrupt.gz', corrupt)));
    expect(e.code).toBe('INVALID_DATASET');
    expect(e.message).toMatch(/looks gzipped but does not decompress/);
    await expect(readIdxFile(join(dir, 'missing.gz'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('loadIdxDataset', () => {
  it('loads an images/labels pair with pixels scaled to [0, 1] and shape [28, 28, 1]', async () => {
    const { pixels, labels } = fixture(12);
    const images = await write('img.gz', gzipSync(encodeIdx([12, 28, 28], pixels)));
    const labelFile = await write('lab', encodeIdx([12], labels));
    const ds = await loadIdxDataset({
      images,
      labels: labelFile,
      name: 'fixture',
      classes: FASHION_MNIST_CLASSES,
    });
    expect(ds.name).toBe('fixture');
    expect(ds.n).toBe(12);
    expect(ds.featureShape).toEqual([28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    expect(ds.classes[9]).toBe('Ankle boot');
    expect(Array.from(ds.y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(ds.x.length).toBe(12 * 784);
    for (const k of [0, 1, 255, 784 + 3, 11 * 784 + 500]) expect(ds.x[k]).toBeCloseTo(pixels[k]! / 255, 6);
    expect(Math.max(...ds.x)).toBeCloseTo(1, 6);
    expect(Math.min(...ds.x)).toBe(0);

    const first5 = await loadIdxDataset({ images, labels: labelFile, limit: 5 });
    expect(first5.n).toBe(5);
    expect(first5.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Array.from(first5.x)).toEqual(Array.from(ds.x.subarray(0, 5 * 784)));
  });

  it('rejects mismatched counts, wrong dimensions and labels beyond the classes', async () => {
    const { pixels, labels } = fixture(4);
    const images = await write('i4', encodeIdx([4, 28, 28], pixels));
    const labels3 = await write('l3', encodeIdx([3], labels.subarray(0, 3)));
    const counts = await rejected(loadIdxDataset({ images, labels: labels3 }));
    expect(counts.code).toBe('INVALID_DATASET');
    expect(counts.message).toMatch(/3 labels but .* has 4 images/);
    const flat = await write('flat', encodeIdx([4, 784], pixels));
    const labels4 = await write('l4', encodeIdx([4], labels));
    const dims = await rejected(loadIdxDataset({ images: flat, labels: labels4 }));
    expect(dims.code).toBe('INVALID_DATASET');
    expect(dims.message).toMatch(/images file has 3 dimensions, this one has 2/);
    await expect(loadIdxDataset({ images: labels4, labels: images })).rejects.toMatchObject({
      code: 'INVALID_DATASET',
    });
    const range = await rejected(loadIdxDataset({ images, labels: labels4, classes: ['a', 'b', 'c'] }));
    expect(range.code).toBe('INVALID_DATASET');
    expect(range.message).toMatch(/label 3 of record 3 is not below the 3 classes/);
  });

  // The real Fashion-MNIST test set, when Debian's dataset-fashion-mnist is installed.
  const real = fashionMnistFiles().test;
  const present = existsSync(real.images) && existsSync(real.labels);
  if (!present) console.warn(`skipping the Fashion-MNIST check: ${real.images} is not installed`);
  (present ? it : it.skip)(
    'reads the real Fashion-MNIST test set: 10,000 images, 1,000 per class',
    async () => {
      const ds = await loadIdxDataset({ ...real, name: 'fashion-mnist', classes: FASHION_MNIST_CLASSES });
      expect(ds.n).toBe(10000);
      expect(ds.featureShape).toEqual([28, 28, 1]);
      const counts = new Array<number>(10).fill(0);
      for (const label of ds.y) counts[label]!++;
      expect(counts).toEqual(new Array<number>(10).fill(1000));
      let max = 0;
      for (const v of ds.x) if (v > max) max = v;
      expect(max).toBe(1);
    },
  );
});
