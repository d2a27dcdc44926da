/**
 * Model store throughput for a 10M-parameter model (40 MB of float32 weights): put and get on
 * the embedded store and on a Kubo-RPC daemon, plus a full verified pull (manifest + files +
 * digests + atomic write), next to two baselines: a plain file write/read of the same bytes and
 * one SHA-256/UnixFS id computation (what every put and every verified get must at least pay).
 *
 *   npm run bench -- store [--repeats 3] [--kubo URL | --no-kubo]
 *
 * Without --kubo, the archived js-ipfs daemon (devDependencies ipfs-core + ipfs-http-server) is
 * started on a loopback port, as the integration tests do; its figures are the stand-in's, not
 * Go Kubo's. MB = 10^6 bytes. Each figure is the median of the repeats.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { computeCid } from '../model-registry/import-settings.js';
import { putVersion } from '../model-registry/manifest.js';
import type { ModelStore } from '../model-registry/model-store.js';
import { pullVersion } from '../model-registry/pull.js';
import { createKuboModelStore } from '../model-registry/store-kubo.js';
import { createLocalModelStore } from '../model-registry/store-local.js';
import { modelToBytes } from '../training/model-files.js';
import { startIpfsDaemon } from '../test/helpers/ipfs-daemon.js';

const log = (s: string) => process.stderr.write(s + '\n');

/** Dense 1000-5000-1000-10: 10,016,010 parameters, seeded. */
function tenMillionParameterModel(): tf.LayersModel {
  const init = (i: number) => tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 42 + i });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [1000], units: 5000, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 1000, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const mbps = (bytes: number, seconds: number) => Math.round((bytes / 1e6 / seconds) * 10) / 10;

interface StoreFigures {
  putMBps: number;
  getMBps: number;
  pullMBps: number;
  putSeconds: number;
  getSeconds: number;
  pullSeconds: number;
}

async function benchStore(
  name: string,
  open: () => Promise<{ store: ModelStore; done: () => Promise<void> }>,
  model: { modelJson: string; weights: Uint8Array },
  repeats: number,
  scratch: string,
): Promise<StoreFigures> {
  const bytes = model.weights;
  const put: number[] = [];
  const get: number[] = [];
  const pull: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const { store, done } = await open();
    try {
      let cid = '';
      put.push(await timed(async () => (cid = await store.put(bytes))));
      get.push(
        await timed(async () => {
          const back = await store.get(cid);
          if (back.byteLength !== bytes.byteLength)
            throw new Error(`${name}: get returned ${back.byteLength} bytes`);
        }),
      );
      const v = await putVersion({ store, job: 'bench', round: r, parent: null, model });
      const out = join(scratch, `${name}-pull-${r}`);
      pull.push(
        await timed(() =>
          pullVersion({
            store,
            manifestCid: v.manifestCid,
            expectedSha256: v.sha256,
            outDir: out,
            isRevoked: () => false,
          }),
        ),
      );
      await rm(out, { recursive: true, force: true });
      log(
        `  ${name} run ${r + 1}: put ${put.at(-1)!.toFixed(3)} s, get ${get.at(-1)!.toFixed(3)} s, pull ${pull.at(-1)!.toFixed(3)} s`,
      );
    } finally {
      await done();
    }
  }
  const [p, g, l] = [median(put), median(get), median(pull)];
  return {
    putMBps: mbps(bytes.byteLength, p),
    getMBps: mbps(bytes.byteLength, g),
    pullMBps: mbps(bytes.byteLength, l),
    putSeconds: p,
    getSeconds: g,
    pullSeconds: l,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args,
    options: {
      repeats: { type: 'string', default: '3' },
      kubo: { type: 'string' },
      'no-kubo': { type: 'boolean' },
    },
  });
  const repeats = Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats must be a positive integer');

  log('building a 10M-parameter model ...');
  const tfModel = tenMillionParameterModel();
  const params = tfModel.countParams();
  const model = await modelToBytes(tfModel);
  tfModel.dispose();
  const size = model.weights.byteLength;
  log(`  ${params.toLocaleString('en')} parameters, weights ${(size / 1e6).toFixed(2)} MB`);

  const scratch = await mkdtemp(join(tmpdir(), 'aidoc-bench-store-'));
  const result: Record<string, unknown> = { params, weightBytes: size, repeats };
  try {
    // Baselines.
    const file = join(scratch, 'plain.bin');
    const write: number[] = [];
    for (let r = 0; r < repeats; r++) write.push(await timed(() => writeFile(file, model.weights)));
    const read: number[] = [];
    for (let r = 0; r < repeats; r++) read.push(await timed(() => readFile(file)));
    const hash: number[] = [];
    for (let r = 0; r < repeats; r++) hash.push(await timed(() => computeCid(model.weights)));
    result.baseline = {
      fileWriteMBps: mbps(size, median(write)),
      fileReadMBps: mbps(size, median(read)),
      unixfsCidMBps: mbps(size, median(hash)),
    };
    log(`baselines: ${JSON.stringify(result.baseline)}`);

    log('local store (blockstore-fs):');
    result.local = await benchStore(
      'local',
      async () => {
        const dir = await mkdtemp(join(scratch, 'local-'));
        const store = await createLocalModelStore({ dir });
        return {
          store,
          done: async () => {
            await store.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
      model,
      repeats,
      scratch,
    );

    if (!values['no-kubo']) {
      let url = values.kubo;
      let stop: (() => Promise<void>) | undefined;
      if (!url) {
        const daemon = await startIpfsDaemon();
        if ('unavailable' in daemon) {
          log(`no Kubo-RPC daemon: ${daemon.unavailable}`);
          result.kubo = { skipped: daemon.unavailable };
        } else {
          url = daemon.url;
          stop = () => daemon.stop();
          result.kuboDaemon = 'js-ipfs 0.66 (ipfs-core 0.18.1 + ipfs-http-server 0.15.1), offline, loopback';
        }
      } else {
        result.kuboDaemon = url;
      }
      if (url) {
        log(`kubo store (${url}):`);
        try {
          const kuboUrl = url;
          result.kubo = await benchStore(
            'kubo',
            () =>
              Promise.resolve({
                store: createKuboModelStore({ url: kuboUrl }),
                done: () => Promise.resolve(),
              }),
            model,
            repeats,
            scratch,
          );
        } finally {
          await stop?.();
        }
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  log(JSON.stringify(result, null, 2));
  return result;
}
