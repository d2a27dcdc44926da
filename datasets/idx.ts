/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header
 * `0x00 0x00 <type> <ndims>`, then `ndims` uint32 sizes, then the values. Files may be gzipped;
 * gzip is recognised by its magic bytes (1f 8b), not by the file name. Only the unsigned-byte
 * type (0x08) is read: that is what image and label files use.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import type { Dataset } from './dataset.js';
import { fileReadError } from './schema.js';

const gunzipAsync = promisify(gunzip);

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  /** Sizes, outermost first: `[n]` for labels, `[n, rows, cols]` for images. */
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes uncompressed IDX bytes; `file` names the source in errors (INVALID_DATASET). */
export function decodeIdx(bytes: Uint8Array, file: string): IdxArray {
  const bad = (problem: string, extra: Record<string, unknown> = {}) =>
    makeError(`${file} is not a valid IDX file: ${problem}`, 'INVALID_DATASET', { file, ...extra });
  if (bytes.length < 4) throw bad(`it has ${bytes.length} bytes, fewer than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw bad(`the magic number starts ${hex}, expected 00 00 08 <ndims>`, { magic: hex });
  }
  const type = bytes[2]!;
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16)}`;
    throw bad(`values are ${name}; only unsigned bytes (0x08) are supported`, { type });
  }
  const ndims = bytes[3]!;
  if (ndims === 0) throw bad('it declares 0 dimensions');
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw bad(`it declares ${ndims} dimensions but ends after ${bytes.length} bytes, inside the header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual !== expected) {
    throw bad(`dimensions ${dims.join('x')} need ${expected} bytes of data, the file has ${actual}`, {
      dims,
      expected,
      actual,
    });
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Encodes an unsigned-byte IDX array (uncompressed); the inverse of {@link decodeIdx}. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  assertArgument(dims.length > 0 && dims.length < 256, `IDX needs 1 to 255 dimensions, got ${dims.length}`);
  assertArgument(
    dims.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff),
    `IDX dimensions must be uint32, got ${dims.join('x')}`,
  );
  const expected = dims.reduce((a, b) => a * b, 1);
  assertArgument(
    data.length === expected,
    `dimensions ${dims.join('x')} need ${expected} bytes, got ${data.length}`,
  );
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Reads an IDX file, gunzipping it first when it starts with the gzip magic bytes. */
export async function readIdxFile(
  path: string,
  { signal }: { signal?: AbortSignal } = {},
): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path, { signal });
  } catch (e) {
    throw fileReadError(e, path, 'IDX');
  }
  if (isGzip(bytes)) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (e) {
      throw makeError(
        `${path} looks gzipped but does not decompress: ${(e as Error).message}`,
        'INVALID_DATASET',
        {
          file: path,
        },
      );
    }
  }
  throwIfAborted(signal, `Reading ${path}`);
  return decodeIdx(bytes, path);
}

export interface IdxDatasetOptions {
  /** Path of the idx3-ubyte images file (gzipped or not). */
  images: string;
  /** Path of the idx1-ubyte labels file (gzipped or not). */
  labels: string;
  /** The Dataset's name. @defaultValue `'idx'` */
  name?: string;
  /** Class names; labels must be below `classes.length`. @defaultValue `'0'` … `'9'` */
  classes?: string[];
  /** Keep only the first `limit` records. @defaultValue all */
  limit?: number;
  /** Cancels between the reads. @defaultValue none */
  signal?: AbortSignal;
}

/** Class names of Fashion-MNIST, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Where Debian's `dataset-fashion-mnist` package puts the four files (the folder may not exist). */
export function fashionMnistFiles(dir = '/usr/share/datasets/fashion-mnist') {
  return {
    train: { images: `${dir}/train-images-idx3-ubyte.gz`, labels: `${dir}/train-labels-idx1-ubyte.gz` },
    test: { images: `${dir}/t10k-images-idx3-ubyte.gz`, labels: `${dir}/t10k-labels-idx1-ubyte.gz` },
  };
}

/**
 * Loads an images/labels pair into a Dataset with pixels scaled to [0, 1] and featureShape
 * `[rows, cols, 1]` ([28, 28, 1] for MNIST and Fashion-MNIST).
 */
export async function loadIdxDataset(options: IdxDatasetOptions): Promise<Dataset> {
  const { images, labels, name, classes, limit, signal } = {
    name: 'idx',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: Infinity,
    ...options,
  };
  assertArgument(
    limit === Infinity || (Number.isInteger(limit) && limit > 0),
    `limit must be a positive integer`,
  );
  assertArgument(classes.length >= 2, 'classes must name at least two classes');
  throwIfAborted(signal, `Loading ${images}`);
  const [img, lab] = await Promise.all([readIdxFile(images, { signal }), readIdxFile(labels, { signal })]);
  const bad = (file: string, problem: string) =>
    makeError(`${file}: ${problem}`, 'INVALID_DATASET', { file, images, labels });
  if (img.dims.length !== 3)
    throw bad(images, `an images file has 3 dimensions, this one has ${img.dims.length}`);
  if (lab.dims.length !== 1)
    throw bad(labels, `a labels file has 1 dimension, this one has ${lab.dims.length}`);
  const [count, rows, cols] = img.dims as [number, number, number];
  if (lab.dims[0] !== count)
    throw bad(labels, `it has ${lab.dims[0]} labels but ${images} has ${count} images`);
  if (count === 0) throw bad(images, 'it holds no images');
  if (rows === 0 || cols === 0) throw bad(images, `images of ${rows}x${cols} pixels are empty`);

  const n = Math.min(count, limit);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = lab.data[i]!;
    if (label >= classes.length) {
      throw makeError(
        `${labels}: label ${label} of record ${i} is not below the ${classes.length} classes given`,
        'INVALID_DATASET',
        { file: labels, record: i },
      );
    }
    y[i] = label;
  }
  const size = rows * cols;
  const x = new Float32Array(n * size);
  const pixels = img.data;
  for (let i = 0; i < n * size; i++) x[i] = pixels[i]! / 255;
  return { name, x, y, n, featureShape: [rows, cols, 1], numClasses: classes.length, classes: [...classes] };
}
