import { loadWdbc } from '../../datasets/wdbc.js';
import {
  membershipAdvantageBound,
  membershipInference,
  perExampleLosses,
} from '../../privacy/membership-inference.js';
import { createSecureRandom } from '../../privacy/secure-random.js';
import { useTrainingBackend } from '../../training/backend.js';
import { buildBuiltinModel } from '../../training/models.js';
import { evaluate } from '../../training/train.js';

describe('loss-threshold membership inference', () => {
  test('separable losses give advantage 1 and AUC 1; the best threshold is the largest member loss', () => {
    const r = membershipInference([0.1, 0.2, 0.3], [0.5, 0.6, 0.7, 0.8]);
    expect(r).toMatchObject({
      advantage: 1,
      threshold: 0.3,
      tpr: 1,
      fpr: 0,
      auc: 1,
      members: 3,
      nonMembers: 4,
    });
    // Yeom's threshold is the mean member loss 0.2: TPR 2/3, FPR 0.
    expect(r.yeomAdvantage).toBeCloseTo(2 / 3, 12);
  });

  test('hand-checked mixed case with ties', () => {
    // members 1, 2, 2, 4; non-members 2, 3, 5
    const r = membershipInference([1, 2, 2, 4], [2, 3, 5]);
    // tau=1: 1/4 - 0 = .25; tau=2: 3/4 - 1/3 = .4167; tau=3: 3/4 - 2/3; tau=4: 1 - 2/3 = .333
    expect(r.advantage).toBeCloseTo(3 / 4 - 1 / 3, 12);
    expect(r.threshold).toBe(2);
    // AUC: pairs (m < n) + ties/2 over 12 pairs: m=1: 3; m=2: 2 + 0.5; m=2: 2 + 0.5; m=4: 1 -> 9/12
    expect(r.auc).toBeCloseTo(9 / 12, 12);
  });

  test('identical distributions: advantage near 0 and AUC near 1/2', () => {
    const rng = createSecureRandom({ seed: 5 });
    const a = Float64Array.from({ length: 4000 }, () => rng.uniform());
    const b = Float64Array.from({ length: 4000 }, () => rng.uniform());
    const r = membershipInference(a, b);
    // The max over thresholds of a KS-like difference: ~1.36*sqrt(2/4000) = 0.03 at 95%.
    expect(r.advantage).toBeLessThan(0.05);
    expect(Math.abs(r.auc - 0.5)).toBeLessThan(0.03);
  });

  test('the bounds epsilon implies', () => {
    const b = membershipAdvantageBound(1, 1e-5);
    expect(b.yeom).toBeCloseTo(Math.E - 1, 12);
    expect(b.hypothesisTesting).toBeCloseTo((Math.E - 1 + 2e-5) / (Math.E + 1), 12);
    expect(membershipAdvantageBound(0, 0).hypothesisTesting).toBe(0);
    expect(membershipAdvantageBound(1000, 1e-5).hypothesisTesting).toBe(1);
    expect(() => membershipAdvantageBound(-1, 0)).toThrow(/epsilon/);
  });

  test('perExampleLosses averages to evaluate()', async () => {
    await useTrainingBackend('wasm');
    const { dataset } = await loadWdbc();
    const m = buildBuiltinModel('wdbc-mlp', 1);
    const losses = await perExampleLosses(m, dataset, { batchSize: 100 });
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    expect(losses).toHaveLength(dataset.n);
    expect(mean).toBeCloseTo((await evaluate(m, dataset)).loss, 5);
    m.dispose();
  });
});
