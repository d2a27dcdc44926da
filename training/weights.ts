/**
 * Weights cross every boundary (wire, encryption, aggregation, model store) as ONE flat
 * Float32Array plus a layout. Later stages pack, encrypt and add exactly this vector, so the
 * layout must be stable: the order of `model.getWeights()` (trainable and non-trainable), each
 * tensor row-major.
 */
import * as tf from '@tensorflow/tfjs';
import { makeError } from '../common/errors.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  /** Offset of the first element in the flat vector. */
  offset: number;
  size: number;
}

export type WeightLayout = WeightSpec[];

export function weightLayout(model: tf.LayersModel): WeightLayout {
  let offset = 0;
  return model.weights.map((w) => {
    // Weight shapes are always fully defined (null appears only in batch dimensions of activations).
    const shape = w.shape.map((d) => d ?? 0);
    const size = shape.reduce((a, b) => a * b, 1);
    const spec = { name: w.originalName, shape, offset, size };
    offset += size;
    return spec;
  });
}

export function layoutSize(layout: WeightLayout): number {
  const last = layout[layout.length - 1];
  return last ? last.offset + last.size : 0;
}

/** Reads every weight of the model into one flat vector. */
export function getFlatWeights(model: tf.LayersModel): Float32Array {
  const tensors = model.getWeights();
  const layout = weightLayout(model);
  const flat = new Float32Array(layoutSize(layout));
  tensors.forEach((t, i) => {
    flat.set(t.dataSync(), layout[i]!.offset);
  });
  return flat;
}

/** Writes a flat vector into the model; the length must match the model's layout exactly. */
export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const layout = weightLayout(model);
  const expected = layoutSize(layout);
  if (flat.length !== expected) {
    throw makeError(
      `weight vector has ${flat.length} values but model '${model.name}' needs ${expected}`,
      'INVALID_ARGUMENT',
      { got: flat.length, expected },
    );
  }
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i]!)) {
      throw makeError(`weight vector has a non-finite value at index ${i}`, 'INVALID_ARGUMENT', { index: i });
    }
  }
  const tensors = layout.map((s) =>
    tf.tensor(flat.subarray(s.offset, s.offset + s.size), s.shape, 'float32'),
  );
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Describes a layout compactly, e.g. for a digest or a wire header. */
export function layoutSignature(layout: WeightLayout): string {
  return layout.map((s) => `${s.name}:${s.shape.join('x')}`).join(',');
}
