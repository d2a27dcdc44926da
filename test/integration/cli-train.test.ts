import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runAidoc } from '../helpers/aidoc-cli.js';
import { modelFromBytes, readModelFolder } from '../../training/model-files.js';
import { useTrainingBackend } from '../../training/backend.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-cli-'));
  await useTrainingBackend('wasm');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('aidoc train --out writes a TF.js Layers model that loads and predicts', async () => {
  const out = join(dir, 'model');
  const r = await runAidoc(['train', '--epochs', '3', '--out', out, '--json']);
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout) as { out: string; history: unknown[] };
  expect(summary.out).toBe(out);
  expect(summary.history).toHaveLength(3);
  const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as {
    format: string;
    weightsManifest: unknown[];
  };
  expect(manifest.format).toBe('layers-model');
  const model = await modelFromBytes(await readModelFolder(out));
  const p = tf.tidy(() => (model.predict(tf.zeros([1, 30])) as tf.Tensor).dataSync());
  expect(p).toHaveLength(2);
  expect(p[0]! + p[1]!).toBeCloseTo(1, 5);
  model.dispose();
  // A second run into the same folder is refused rather than silently replacing the model.
  const again = await runAidoc(['train', '--epochs', '1', '--out', out]);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('already exists');
});

test('bad input fails with exit code 2 and a message naming what was wrong', async () => {
  const csv = join(dir, 'bad.csv');
  const schema = join(dir, 'schema.json');
  await writeFile(csv, 'a,b,label\n1,2,0\n3,oops,1\n');
  await writeFile(
    schema,
    JSON.stringify({ name: 'tiny', features: ['a', 'b'], label: 'label', classes: ['no', 'yes'] }),
  );
  const r = await runAidoc(['train', '--data', csv, '--schema', schema]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('bad.csv:3, column "b": the cell is not a number');

  const half = await runAidoc(['train', '--data', csv]);
  expect(half.code).toBe(2);
  expect(half.stderr).toContain('--data and --schema go together');

  const unknown = await runAidoc(['train', '--model', 'no-such-model']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('neither a built-in model');

  const cmd = await runAidoc(['frobnicate']);
  expect(cmd.code).toBe(2);
  expect(cmd.stderr).toContain("unknown command 'frobnicate'");
});

test('every command answers --help', async () => {
  const top = await runAidoc(['--help']);
  expect(top.code).toBe(0);
  const commands = [...top.stdout.matchAll(/^ {2}(\S+(?: \S+)*?) {2,}/gm)].map((m) => m[1]!);
  expect(commands).toEqual(expect.arrayContaining(['demo', 'train', 'models']));
  for (const c of commands) {
    const h = await runAidoc([...c.split(' '), '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: aidoc');
  }
}, 300_000);
