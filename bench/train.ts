/**
 * Training throughput of the local engine (TF.js on WASM) for `wdbc-mlp` and a small CNN
 * (`lenet5`), next to PyTorch on the same shapes when PyTorch is importable, plus a per-kernel
 * breakdown of one training step showing where the time goes.
 *
 *   npm run bench -- train [--seconds 5] [--batch 32] [--torch-threads 1]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useTrainingBackend } from '../training/backend.js';
import { syntheticDataset } from './bench-synthetic.js';
import { buildBuiltinModel } from '../training/models.js';
import { batchTensors, crossEntropy, trainLocal } from '../training/train.js';

const log = (s: string) => process.stderr.write(s + '\n');

async function throughput(
  model: string,
  shape: number[],
  classes: number,
  batchSize: number,
  seconds: number,
) {
  const data = syntheticDataset(batchSize * 64, shape, classes);
  const m = buildBuiltinModel(model, 1);
  await trainLocal(m, data, { batchSize, learningRate: 0.01 }); // warm-up: kernels compiled, buffers sized
  let samples = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while ((performance.now() - start) / 1000 < seconds) {
    samples += (await trainLocal(m, data, { batchSize, learningRate: 0.01 })).samples;
  }
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu0);
  m.dispose();
  // Per CPU-second as well as per wall-second: on a shared, loaded machine the CPU figure is the
  // one that compares (both sides run on one thread).
  return { wall: samples / wall, cpu: samples / ((used.user + used.system) / 1e6) };
}

/** Time per kernel for one training step, summed over the step, largest first. */
async function profileStep(model: string, shape: number[], classes: number, batchSize: number) {
  const data = syntheticDataset(batchSize, shape, classes);
  const m = buildBuiltinModel(model, 1);
  const vars = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const opt = tf.train.sgd(0.01);
  const order = Int32Array.from({ length: batchSize }, (_, i) => i);
  const step = () => {
    const { x, y } = batchTensors(data, order, 0, batchSize);
    const cost = opt.minimize(() => crossEntropy(y, m.apply(x, { training: true }) as tf.Tensor), true, vars);
    cost!.dataSync();
    tf.dispose([x, y, cost!]);
  };
  for (let i = 0; i < 5; i++) step();
  const reps = 20;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) step();
  const wallMs = (performance.now() - t0) / reps;
  const info = await tf.profile(step);
  const byKernel = new Map<string, number>();
  // Entries named `*__op` are op wrappers around kernels that are listed too: counting them would
  // count the same time twice.
  const kernels = info.kernels.filter((k) => !k.name.endsWith('__op'));
  for (const k of kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const kernelMs = [...byKernel.values()].reduce((a, b) => a + b, 0);
  const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  m.dispose();
  opt.dispose();
  return { wallMs, kernelMs, kernels: kernels.length, top };
}

function findPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function torchPeer(batchSize: number, seconds: number, threads: number) {
  const py = findPython();
  if (!py) return undefined;
  const here = dirname(fileURLToPath(import.meta.url));
  // The script ships next to the sources (bench/), not in dist/.
  const script = [join(here, 'torch_train.py'), join(here, '..', '..', 'bench', 'torch_train.py')].find(
    existsSync,
  );
  if (!script) return undefined;
  const r = spawnSync(py, [script, JSON.stringify({ batchSize, seconds, threads })], { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`PyTorch peer failed: ${r.stderr}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    torch: string;
    threads: number;
    mlp: number;
    mlpWall: number;
    cnnWall: number;
    cnn: number;
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '5' },
      batch: { type: 'string', default: '32' },
      'torch-threads': { type: 'string', default: '1' },
    },
  });
  const seconds = Number(values.seconds);
  const batchSize = Number(values.batch);
  const backend = await useTrainingBackend('wasm');
  log(`TF.js ${tf.version.tfjs} on ${backend}, batch ${batchSize}, ${seconds}s per measurement`);
  const mlpT = await throughput('wdbc-mlp', [30], 2, batchSize, seconds);
  log(`  wdbc-mlp  ${mlpT.wall.toFixed(0)} samples/s wall, ${mlpT.cpu.toFixed(0)} per CPU-second`);
  const cnnT = await throughput('lenet5', [28, 28, 1], 10, batchSize, seconds);
  log(`  lenet5    ${cnnT.wall.toFixed(0)} samples/s wall, ${cnnT.cpu.toFixed(0)} per CPU-second`);
  const mlp = mlpT.cpu;
  const cnn = cnnT.cpu;
  const profiles: Record<string, unknown> = {};
  for (const [name, shape, classes] of [
    ['wdbc-mlp', [30], 2],
    ['lenet5', [28, 28, 1], 10],
  ] as const) {
    const p = await profileStep(name, [...shape], classes, batchSize);
    profiles[name] = p;
    log(
      `\nOne step of ${name} (batch ${batchSize}): ${p.wallMs.toFixed(3)} ms wall, ${p.kernelMs.toFixed(3)} ms in ${p.kernels} kernels`,
    );
    for (const [k, ms] of p.top) log(`  ${k.padEnd(24)} ${ms.toFixed(3)} ms`);
  }
  const torch = torchPeer(batchSize, seconds, Number(values['torch-threads']));
  if (torch) {
    log(
      `\nPyTorch ${torch.torch} (${torch.threads} thread): mlp ${torch.mlp.toFixed(0)} per CPU-second (${torch.mlpWall.toFixed(0)} wall), cnn ${torch.cnn.toFixed(0)} per CPU-second (${torch.cnnWall.toFixed(0)} wall)`,
    );
  } else {
    log('\nPyTorch is not importable (apt-get install python3-torch); ratios are null');
  }
  return {
    batchSize,
    backend,
    /** Throughputs are samples per CPU-second of the (single-threaded) training process. */
    unit: 'samples per CPU-second',
    mlpSamplesPerSec: Math.round(mlp),
    cnnSamplesPerSec: Math.round(cnn),
    mlpSamplesPerWallSec: Math.round(mlpT.wall),
    cnnSamplesPerWallSec: Math.round(cnnT.wall),
    torchMlpSamplesPerSec: torch ? Math.round(torch.mlp) : null,
    torchCnnSamplesPerSec: torch ? Math.round(torch.cnn) : null,
    mlpVsTorch: torch ? +(mlp / torch.mlp).toFixed(3) : null,
    cnnVsTorch: torch ? +(cnn / torch.cnn).toFixed(3) : null,
    profiles,
  };
}
