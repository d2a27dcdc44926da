/**
 * Every SEAL object is freed: 100 encrypt + aggregate + open cycles keep the process flat.
 *
 * The WASM heap never shrinks and garbage collection does not free SEAL objects, so a leak of
 * even one ciphertext per cycle shows as steady RSS growth. A positive control at the end leaks
 * on purpose to show the probe sees a leak of that size.
 */
import type { KeyObject } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHeAggregator } from '../../privacy/he-aggregate.js';
import { createHeDecryptor, createHeEncryptor, loadHeCiphertext } from '../../privacy/he-cipher.js';
import type { HeDecryptor, HeEncryptor } from '../../privacy/he-cipher.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  planHePrecision,
} from '../../privacy/he-context.js';
import type { HeContext, HePrecisionPlan, HeSecretKey } from '../../privacy/he-context.js';
import { encryptHeContribution, generateWorkerSigningKeyPair } from '../../privacy/he-contribution.js';
import { createMemoryOpenerLedger, verifyAndOpen } from '../../privacy/he-opener.js';
import { createHeLayout } from '../../privacy/he-pack.js';
import type { HeLayout } from '../../privacy/he-pack.js';
import { createSeededRandom, generateOpenerKeyPair } from '../../privacy/he-tag.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
let ctx: HeContext;
let sk: HeSecretKey;
let plan: HePrecisionPlan;
let layout: HeLayout;
let encryptor: HeEncryptor;
let decryptor: HeDecryptor;
const opener = generateOpenerKeyPair();
const ids = ['w0', 'w1', 'w2'];
const keys = new Map(ids.map((id) => [id, generateWorkerSigningKeyPair()]));
const workerKey = (id: string): KeyObject | undefined => keys.get(id)?.publicKey;
const random = createSeededRandom('he-memory');
const values = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i) / 4);

beforeAll(async () => {
  const params = await createHeParams();
  ctx = await createHeContext(params);
  sk = generateHeSecretKey(ctx);
  plan = planHePrecision(params, { valueBound: 0.5 });
  layout = createHeLayout(plan, ctx.slotCount, values.length);
  // Long-lived, as in a worker process over a job.
  encryptor = createHeEncryptor(ctx, sk);
  decryptor = createHeDecryptor(ctx, sk);
});

afterAll(() => {
  encryptor.delete();
  decryptor.delete();
  sk.delete();
  ctx.delete();
});

async function cycle(round: number): Promise<number> {
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
    const opened = await verifyAndOpen(agg.openRequest(), {
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
}

function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

test('130 encrypt + aggregate + open cycles: RSS stays flat, and a real leak would show', async () => {
  // The first cycles grow the WASM heap and SEAL's memory pools to their working size.
  for (let r = 0; r < 30; r++) await cycle(r);
  const before = rss();
  let last = 0;
  for (let r = 30; r < 130; r++) last = await cycle(r);
  const growth = rss() - before;
  expect(Math.abs(last - 3 * (values[1] ?? 0))).toBeLessThan(3 * plan.step);
  // 100 cycles: leaking just the two summed ciphertexts per cycle would add 100 * 2 * 64 KiB =
  // 12.5 MiB; a leak-free run moves RSS by up to ~6 MiB (allocator and V8 noise, measured on a
  // loaded CI machine), so the bound sits between the two.
  expect(growth).toBeLessThan(8 * MiB);

  // Positive control: 300 ciphertexts never deleted (19 MiB of WASM heap).
  const wire =
    (
      await encryptHeContribution({
        ctx,
        secretKey: sk,
        plan,
        layout,
        values,
        jobId: 'mem',
        round: 1000,
        workerId: 'w0',
        openerId: 'w0',
        openerPublicKey: opener.publicKey,
        signingKey: keys.get('w0')?.privateKey as KeyObject,
        random,
      })
    ).ciphertexts[0] ?? new Uint8Array();
  const beforeLeak = rss();
  const leaked = Array.from({ length: 300 }, () => loadHeCiphertext(ctx, wire));
  const leakGrowth = rss() - beforeLeak;
  for (const ct of leaked) ct.delete();
  expect(leakGrowth).toBeGreaterThan(8 * MiB);
});
