/**
 * The `TrainingBackend` plug-in point: which TensorFlow.js backend runs local training.
 *
 * - `wasm` (default): `@tensorflow/tfjs-backend-wasm` with SIMD, one thread per process (WASM
 *   threads do not work under Node). It lacks the Conv2DBackpropFilter kernel, so we register ours
 *   before first use (without it no CNN could train here), and we replace its slow
 *   Conv2DBackpropInput with one built on the backend's XNNPACK convolution.
 * - `cpu`: the pure-JS reference backend; slow, used by tests as the ground truth.
 * - `node-gpu`: `@tensorflow/tfjs-node-gpu` where it installs. Its install script downloads
 *   libtensorflow, which fails on machines without internet access; we then say so plainly.
 */
import * as tf from '@tensorflow/tfjs';
import { makeError } from '../common/errors.js';
import { registerWasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.js';
import { registerWasmConv2DBackpropInput } from './wasm-conv2d-backprop-input.js';

export type TrainingBackendName = 'wasm' | 'cpu' | 'node-gpu';

export const TRAINING_BACKENDS: readonly TrainingBackendName[] = ['wasm', 'cpu', 'node-gpu'];

let wasmLoaded = false;

/**
 * Selects and initializes the backend for this process. Idempotent; cheap when the backend is
 * already active. Throws BACKEND_UNAVAILABLE with what to do when it cannot be used here.
 */
export async function useTrainingBackend(name: TrainingBackendName = 'wasm'): Promise<TrainingBackendName> {
  if (!TRAINING_BACKENDS.includes(name)) {
    throw makeError(
      `unknown training backend '${String(name)}'; choose one of: ${TRAINING_BACKENDS.join(', ')}`,
      'INVALID_ARGUMENT',
      { backend: name },
    );
  }
  if (name === 'node-gpu') {
    // tfjs-node-gpu registers a backend named 'tensorflow' when imported.
    const pkg = '@tensorflow/tfjs-node-gpu';
    try {
      await import(pkg);
    } catch (e) {
      throw makeError(
        `the 'node-gpu' training backend needs ${pkg}, which is not installed here ` +
          `(its install downloads libtensorflow with CUDA, which fails without internet access or a GPU). ` +
          `Install it with 'npm install ${pkg}' on a machine with an NVIDIA GPU, or use --backend wasm.`,
        'BACKEND_UNAVAILABLE',
        { backend: name },
        e,
      );
    }
    await tf.setBackend('tensorflow');
    await tf.ready();
    return name;
  }
  if (name === 'wasm' && !wasmLoaded) {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmConv2DBackpropFilter();
    // The backend's own input-gradient kernel is a plain loop; ours runs on XNNPACK (~1.8x per LeNet-5 step).
    registerWasmConv2DBackpropInput();
    wasmLoaded = true;
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok)
      throw makeError(`TensorFlow.js could not initialize the '${name}' backend`, 'BACKEND_UNAVAILABLE');
  }
  await tf.ready();
  return name;
}
