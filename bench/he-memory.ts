/**
 * `npm run bench -- he-memory [--cycles 100] [--warmup 30] [--leak 10]`
 *
 * Is every SEAL object freed? Runs `cycles` secure-aggregation cycles in this process (three
 * workers encrypt and sign, the coordinator sums as it receives, the opener verifies and opens) and
 * reports how much the WebAssembly heap grew, then runs as many cycles again that each leak `leak`
 * summed ciphertexts on purpose (the positive control: what a forgotten `delete()` would do).
 *
 * What is measured. SEAL's objects live in node-seal's WebAssembly memory, which garbage
 * collection never frees and which never shrinks; Node reports its size in `external` (in a plain
 * process; not inside Jest's VM context, which is why the test runs this bench). The memory grows
 * in steps, so a small leak first fills the headroom of the last step (about 10 MiB here): over 100
 * cycles, a leak of one or two ciphertexts per cycle can stay inside it, ten per cycle cannot.
 * Leak-free, the heap does not grow at all once warm. The JS heap after a full collection is
 * reported too.
 */
import type { KeyObject } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHeAggregator } from '../privacy/he-aggregate.js';
import { createHeDecryptor, createHeEncryptor, loadHeCiphertext } from '../privacy/he-cipher.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  planHePrecision,
} from '../privacy/he-context.js';
import { encryptHeContribution, generateWorkerSigningKeyPair } from '../privacy/he-contribution.js';
import { createMemoryOpenerLedger, verifyAndOpen } from '../privacy/he-opener.js';
import { createHeLayout } from '../privacy/he-pack.js';
import type { CipherText } from '../privacy/he-seal.js';
import { createSeededRandom, generateOpenerKeyPair } from '../privacy/he-tag.js';

const MiB = 1024 * 1024;

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const cycles = flag(args, 'cycles', 100);
  const warmup = flag(args, 'warmup', 30);
  const leakPerCycle = flag(args, 'leak', 10);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  /** After a full collection, and after ArrayBuffer backing stores were released in the background. */
  const memory = async (): Promise<{ external: number; heapUsed: number }> => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const { external, heapUsed } = process.memoryUsage();
    return { external, heapUsed };
  };

  const params = await createHeParams();
  const ctx = await createHeContext(params);
  const sk = generateHeSecretKey(ctx);
  const plan = planHePrecision(params, { valueBound: 0.5 });
  const values = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i) / 4);
  const layout = createHeLayout(plan, ctx.slotCount, values.length);
  // Long-lived, as in a worker process over a job.
  const encryptor = createHeEncryptor(ctx, sk);
  const decryptor = createHeDecryptor(ctx, sk);
  const opener = generateOpenerKeyPair();
  const ids = ['w0', 'w1', 'w2'];
  const keys = new Map(ids.map((id) => [id, generateWorkerSigningKeyPair()]));
  const workerKey = (id: string): KeyObject | undefined => keys.get(id)?.publicKey;
  const random = createSeededRandom('he-memory');

  /** One round; `leak` keeps `leakPerCycle` loaded copies of the first summed ciphertext. */
  const cycle = async (round: number, leak?: CipherText[]): Promise<number> => {
    const agg = createHeAggregator({ ctx, plan, layout, jobId: 'mem', round, openerId: 'w0', workerKey });
    try {
      for (const id of ids) {
        const enc = await encryptHeContribution({
          ctx,
          secretKey: sk,
          plan,
          layout,
          values,
          jobId: 'mem',
          round,
          workerId: id,
          openerId: 'w0',
          openerPublicKey: opener.publicKey,
          signingKey: keys.get(id)?.privateKey as KeyObject,
          random,
          encryptor,
        });
        const sink = agg.begin(enc.contribution);
        enc.ciphertexts.forEach((wire, i) => sink.add(i, wire));
        sink.commit();
      }
      const request = agg.openRequest();
      for (let k = 0; leak && k < leakPerCycle; k++)
        leak.push(loadHeCiphertext(ctx, request.aggregate[0] ?? new Uint8Array()));
      const opened = await verifyAndOpen(request, {
        ctx,
        secretKey: sk,
        plan,
        layout,
        openerId: 'w0',
        openerPrivateKey: opener.privateKey,
        workerKey,
        minWorkers: 3,
        ledger: createMemoryOpenerLedger(),
        decryptor,
      });
      return opened.sum[1] ?? NaN;
    } finally {
      agg.delete();
    }
  };

  const leaked: CipherText[] = [];
  try {
    // The first cycles grow the WASM heap and SEAL's memory pools to their working size.
    for (let r = 0; r < warmup; r++) await cycle(r);
    const before = await memory();
    let last = NaN;
    for (let r = warmup; r < warmup + cycles; r++) last = await cycle(r);
    const after = await memory();
    for (let r = warmup + cycles; r < warmup + 2 * cycles; r++) await cycle(r, leaked);
    const leaky = await memory();
    const result = {
      cycles,
      warmup,
      // The opened sum of three equal updates is right (the cycles did real work).
      sumError: Math.abs(last - 3 * (values[1] ?? 0)),
      sumErrorBound: 3 * plan.step,
      wasmGrowthMiB: (after.external - before.external) / MiB,
      jsHeapGrowthMiB: (after.heapUsed - before.heapUsed) / MiB,
      leakPerCycle,
      leakedMiB: (leaked.length * 2 * ctx.slotCount * 8) / MiB,
      leakWasmGrowthMiB: (leaky.external - after.external) / MiB,
    };
    process.stderr.write(
      `he-memory: ${cycles} cycles after ${warmup} warm-up: WASM heap ${result.wasmGrowthMiB.toFixed(2)} MiB, JS heap ${result.jsHeapGrowthMiB.toFixed(2)} MiB; ` +
        `the same cycles leaking ${leakPerCycle} summed ciphertexts each (${result.leakedMiB.toFixed(1)} MiB): WASM heap +${result.leakWasmGrowthMiB.toFixed(2)} MiB\n`,
    );
    return result;
  } finally {
    for (const ct of leaked) ct.delete();
    encryptor.delete();
    decryptor.delete();
    sk.delete();
    ctx.delete();
  }
}
