/**
 * Every SEAL object is freed: 100 encrypt + aggregate + open cycles leave the WebAssembly heap where
 * it was, and the same cycles leaking ten summed ciphertexts each make it grow (the positive
 * control: the probe sees a leak of that size).
 *
 * The cycles run in a plain Node process (`npm run bench -- he-memory`): there Node reports the
 * WebAssembly heap in `external`; inside Jest's VM context it does not (measured: no change with
 * 60 MiB leaked), and RSS moved by up to 16 MiB between leak-free runs on this machine.
 */
import { join } from 'node:path';
import { runBuilt } from '../helpers/aidoc-cli.js';

const BENCH = join(process.cwd(), 'dist', 'bench', 'run.js');

test('100 secure-aggregation cycles: the WASM heap stays flat; leaking 10 sums per cycle shows', async () => {
  const run = await runBuilt(BENCH, ['he-memory', '--cycles', '100', '--warmup', '30', '--leak', '10']);
  process.stderr.write(run.stderr);
  expect(run.code).toBe(0);
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Record<string, number>;
  expect(r.sumError).toBeLessThan(r.sumErrorBound!);
  expect(r.wasmGrowthMiB).toBeLessThan(1);
  expect(r.jsHeapGrowthMiB).toBeLessThan(4);
  // 1,000 leaked ciphertexts of 64 KiB: the heap must grow by most of it (the last growth step's
  // headroom, ~10 MiB here, absorbs the rest).
  expect(r.leakedMiB).toBeCloseTo(62.5, 1);
  expect(r.leakWasmGrowthMiB).toBeGreaterThan(r.leakedMiB! / 2);
}, 120_000);
