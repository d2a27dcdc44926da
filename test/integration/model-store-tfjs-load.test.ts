/**
 * A pulled model loads and predicts in a fresh Node process with stock @tensorflow/tfjs, using
 * exactly the loading code model-registry/README.md shows (`tf.loadLayersModel('file://…')`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { putVersion } from '../../model-registry/manifest.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { pullVersion } from '../../model-registry/pull.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { modelToBytes } from '../../training/model-files.js';
import { buildBuiltinModel } from '../../training/models.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function readmeSnippet(): Promise<string> {
  const readme = await readFile(join(projectRoot, 'model-registry', 'README.md'), 'utf8');
  const m = /<!-- tfjs-file-loader:start -->\s*```js\n([\s\S]*?)```\s*<!-- tfjs-file-loader:end -->/.exec(
    readme,
  );
  if (!m?.[1]) throw new Error('model-registry/README.md has no tfjs-file-loader block');
  return m[1];
}

describe('a pulled model in a fresh process with stock TF.js', () => {
  let root: string;
  let store: ModelStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aidoc-tfjs-load-'));
    store = await createLocalModelStore({ dir: join(root, 'store') });
  });
  afterAll(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('loads with tf.loadLayersModel("file://DIR/model.json") and predicts what the original predicts', async () => {
    const model = buildBuiltinModel('wdbc-mlp', 5);
    const rows = [
      Array.from({ length: 30 }, (_, i) => Math.sin(i)),
      Array.from({ length: 30 }, (_, i) => i / 30),
    ];
    const expected = Array.from((model.predict(tf.tensor2d(rows)) as tf.Tensor).dataSync());
    const v = await putVersion({
      store,
      job: 'job-load',
      round: 2,
      parent: null,
      model: await modelToBytes(model),
    });
    const dir = join(root, 'pulled');
    await pullVersion({
      store,
      manifestCid: v.manifestCid,
      expectedSha256: v.sha256,
      outDir: dir,
      isRevoked: () => false,
    });

    const snippet = await readmeSnippet();
    const placeholder = "const dir = 'pulled-model';";
    expect(snippet).toContain(placeholder);
    const program =
      snippet.replace(placeholder, `const dir = ${JSON.stringify(dir)};`) +
      `\nconst y = model.predict(tf.tensor2d(${JSON.stringify(rows)}));\n` +
      `process.stdout.write('PREDICTIONS ' + JSON.stringify(Array.from(y.dataSync())) + '\\n');\n`;
    // cwd = project root so the fresh process resolves the project's @tensorflow/tfjs.
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith('PREDICTIONS '));
    expect(line).toBeDefined();
    const got = JSON.parse(line!.slice('PREDICTIONS '.length)) as number[];
    expect(got).toHaveLength(expected.length);
    got.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 6));

    // And the handler is what makes it work: without it, stock TF.js cannot read file:// in Node.
    const bare = `import * as tf from '@tensorflow/tfjs';\nawait tf.loadLayersModel(${JSON.stringify(`file://${dir}/model.json`)});\n`;
    const without = spawnSync(process.execPath, ['--input-type=module', '-e', bare], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(without.status).not.toBe(0);
  });
});
