/**
 * Per-feature scaling, fitted on one dataset and applied to others (a test set, a later batch of
 * records) so that all are scaled alike.
 *
 * Privacy: a fitted scaler holds per-feature means and deviations (or minima and maxima) of the
 * hospital's records. They are not covered by the DP accountant, so a scaler stays on the worker
 * that fitted it: never put one in an update, a log line or a model manifest.
 */
import { assertArgument } from '../common/errors.js';
import type { Dataset } from './dataset.js';
import { featureSize } from './dataset.js';
import type { ScalingKind } from './schema.js';

export type { ScalingKind } from './schema.js';

/**
 * Scaling statistics: feature j maps to `(x - center[j]) / scale[j]`.
 * - `standard`: center = mean, scale = population standard deviation (as scikit-learn's StandardScaler);
 * - `minmax`: center = min, scale = max - min (values land in [0, 1]);
 * - `none`: center 0, scale 1.
 * A constant feature gets scale 1, so it maps to 0 instead of dividing by zero.
 */
export interface Scaler {
  kind: ScalingKind;
  center: number[];
  scale: number[];
}

/** Fits per-feature statistics on `ds` (in float64; a dataset with no records fits the identity). */
export function fitScaler(ds: Dataset, kind: ScalingKind): Scaler {
  const f = featureSize(ds);
  const center = new Array<number>(f).fill(0);
  const scale = new Array<number>(f).fill(1);
  if (kind === 'none' || ds.n === 0) return { kind, center, scale };

  if (kind === 'standard') {
    const sum = new Float64Array(f);
    for (let i = 0; i < ds.n; i++) for (let j = 0; j < f; j++) sum[j]! += ds.x[i * f + j]!;
    for (let j = 0; j < f; j++) center[j] = sum[j]! / ds.n;
    // Two-pass variance: no catastrophic cancellation on features with a large mean (WDBC areas).
    const sq = new Float64Array(f);
    for (let i = 0; i < ds.n; i++) {
      for (let j = 0; j < f; j++) {
        const d = ds.x[i * f + j]! - center[j]!;
        sq[j]! += d * d;
      }
    }
    for (let j = 0; j < f; j++) {
      const std = Math.sqrt(sq[j]! / ds.n);
      scale[j] = std > 0 ? std : 1;
    }
  } else {
    const min = new Float64Array(f).fill(Infinity);
    const max = new Float64Array(f).fill(-Infinity);
    for (let i = 0; i < ds.n; i++) {
      for (let j = 0; j < f; j++) {
        const v = ds.x[i * f + j]!;
        if (v < min[j]!) min[j] = v;
        if (v > max[j]!) max[j] = v;
      }
    }
    for (let j = 0; j < f; j++) {
      center[j] = min[j]!;
      const range = max[j]! - min[j]!;
      scale[j] = range > 0 ? range : 1;
    }
  }
  return { kind, center, scale };
}

/** Returns `ds` scaled by `scaler` (a new Dataset; `ds` is untouched, and returned as is for `none`). */
export function applyScaler(ds: Dataset, scaler: Scaler): Dataset {
  const f = featureSize(ds);
  assertArgument(
    scaler.center.length === f && scaler.scale.length === f,
    `scaler has ${scaler.center.length} features, dataset "${ds.name}" has ${f}`,
  );
  if (scaler.kind === 'none') return ds;
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < ds.n; i++) {
    for (let j = 0; j < f; j++) x[i * f + j] = (ds.x[i * f + j]! - scaler.center[j]!) / scaler.scale[j]!;
  }
  return { ...ds, x };
}
