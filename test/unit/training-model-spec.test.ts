import * as tf from '@tensorflow/tfjs';
import { useTrainingBackend } from '../../training/backend.js';
import { buildModel, checkTopology } from '../../training/model-spec.js';
import { buildBuiltinModel } from '../../training/models.js';
import { getFlatWeights } from '../../training/weights.js';

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

function topologyOf(model: tf.LayersModel): unknown {
  return model.toJSON(undefined, false);
}

function mlpTopology(inputs: number, classes: number, extra: tf.layers.Layer[] = []) {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: 8, activation: 'relu' }),
      ...extra,
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
  const t = topologyOf(m);
  m.dispose();
  return t;
}

describe('user topologies', () => {
  test('a valid topology builds, with seeded reproducible weights', async () => {
    const topo = mlpTopology(30, 2);
    expect(await checkTopology(topo, { inputShape: [30], numClasses: 2 })).toEqual([]);
    const a = await buildModel({ topology: topo }, { inputShape: [30], numClasses: 2 }, 3);
    const b = await buildModel({ topology: topo }, { inputShape: [30], numClasses: 2 }, 3);
    expect(Array.from(getFlatWeights(a))).toEqual(Array.from(getFlatWeights(b)));
    a.dispose();
    b.dispose();
  });

  test('a whole model.json (modelTopology + manifest) is accepted too', async () => {
    const topo = mlpTopology(30, 2);
    expect(
      await checkTopology({ modelTopology: topo, weightsManifest: [] }, { inputShape: [30], numClasses: 2 }),
    ).toEqual([]);
  });

  test('every problem is reported at once', async () => {
    const topo = mlpTopology(31, 3, [
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 4, activation: 'swish' }),
    ]);
    const problems = await checkTopology(topo, { inputShape: [30], numClasses: 2 });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/BatchNormalization.*not supported/),
        expect.stringMatching(/activation "swish" is not supported/),
        expect.stringMatching(/input shape \[31\] does not match .* \[30\]/),
      ]),
    );
    await expect(buildModel({ topology: topo }, { inputShape: [30], numClasses: 2 })).rejects.toMatchObject({
      code: 'INVALID_MODEL',
      info: { problems },
    });
  });

  test('output size, final activation and the parameter cap are checked', async () => {
    const m = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [30], units: 3, activation: 'relu' })],
    });
    const problems = await checkTopology(topologyOf(m), { inputShape: [30], numClasses: 2, maxParams: 10 });
    m.dispose();
    expect(problems).toEqual([
      'the output shape [3] must be [2] (one probability per class)',
      'the last layer must use a softmax activation (got "relu")',
      'the model has 93 parameters, more than the cap of 10',
    ]);
  });

  test('garbage is refused with a clear message', async () => {
    expect(await checkTopology('nope', { inputShape: [30], numClasses: 2 })).toEqual([
      'the model file is not a JSON object with a TF.js Layers topology',
    ]);
    expect(
      await checkTopology(
        { class_name: 'Sequential', config: { layers: [] } },
        { inputShape: [30], numClasses: 2 },
      ),
    ).toEqual(['the topology has no layers (expected config.layers to be a non-empty list)']);
  });

  test('built-ins are checked against the dataset shape', async () => {
    await expect(
      buildModel({ builtin: 'lenet5' }, { inputShape: [30], numClasses: 2 }),
    ).rejects.toMatchObject({
      code: 'INVALID_MODEL',
      info: {
        problems: [
          "model 'lenet5' takes inputs of shape [28,28,1] but the dataset's records have shape [30]",
          "model 'lenet5' predicts 10 classes but the dataset has 2",
        ],
      },
    });
    const ok = await buildModel({ builtin: 'wdbc-mlp' }, { inputShape: [30], numClasses: 2 });
    expect(ok.countParams()).toBe(buildBuiltinModel('wdbc-mlp').countParams());
    ok.dispose();
  });
});
