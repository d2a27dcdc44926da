/**
 * What our WASM kernels (wasm-conv2d-backprop-*.ts) share: calling the backend's own kernels
 * directly, and the small attribute helpers.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const BACKEND_NAME = 'wasm';

export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap };
export type WasmKernel = (args: KernelArgs) => TensorInfo;

/** One of the wasm backend's registered kernels, called directly (no engine, no tape). */
export function wasmKernel(name: string): WasmKernel {
  const config = tf.getKernel(name, BACKEND_NAME);
  if (config === undefined) {
    throw new Error(`the wasm backend has no '${name}' kernel; import '@tensorflow/tfjs-backend-wasm' first`);
  }
  return config.kernelFunc as unknown as WasmKernel;
}

export function pair(v: number | [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

/** A view of `t` with another shape over the same data; not owned, never disposed. */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * The top/left padding tfjs gives an NHWC convolution. Only these are taken from tfjs: the
 * gradient kernels take their sizes from dy (tfjs-core does not pass dimRoundingMode to them).
 */
export function topLeftPadding(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number],
  dilations: [number, number],
  pad: Parameters<typeof tf.backend_util.computeConv2DInfo>[4],
  dimRoundingMode: Parameters<typeof tf.backend_util.computeConv2DInfo>[5],
): [top: number, left: number] {
  const { padInfo } = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return [padInfo.top, padInfo.left];
}
