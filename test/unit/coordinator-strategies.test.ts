import { createStrategy, checkStrategySpec } from '../../coordinator/create-strategy.js';
import { UpdateAccumulator } from '../../coordinator/update-accumulator.js';
import type { LocalTrainConfig } from '../../coordinator/strategy.js';

const base: LocalTrainConfig = { epochs: 1, batchSize: 16, learningRate: 0.1, proximalMu: 0, seed: 1 };

function meanOf(global: Float32Array, clients: { w: number[]; n: number }[]) {
  const acc = new UpdateAccumulator(global.length);
  for (const c of clients) acc.add(Float32Array.from(c.w.map((v, i) => v - global[i]!)), c.n);
  return acc.mean();
}

describe('FedAvg', () => {
  test('the new global model is the records-weighted mean of the client models', () => {
    const global = Float32Array.from([0, 1, 2]);
    const clients = [
      { w: [1, 1, 1], n: 10 },
      { w: [4, 2, 0], n: 30 },
    ];
    const s = createStrategy('fedavg');
    const next = s.aggregateTrain(1, {
      global,
      meanDelta: meanOf(global, clients),
      results: [],
      failures: [],
    });
    expect(Array.from(next)).toEqual([3.25, 1.75, 0.25]);
    expect(s.configureTrain(1, base).proximalMu).toBe(0);
  });

  test('FedProx asks clients for the proximal term and averages like FedAvg', () => {
    const s = createStrategy('fedprox', { mu: 0.5 });
    expect(s.name).toBe('fedprox');
    expect(s.configureTrain(3, base)).toEqual({ ...base, proximalMu: 0.5 });
  });
});

describe('server optimizers (Reddi et al. 2021)', () => {
  test('FedAdam follows m, v and the update rule step by step', () => {
    const s = createStrategy('fedadam', { eta: 0.1, beta_1: 0.9, beta_2: 0.99, tau: 0.01 });
    let x: Float32Array = Float32Array.from([1, -1]);
    let m = [0, 0];
    let v = [1e-4, 1e-4];
    for (const d of [
      [0.2, -0.4],
      [0.1, 0.3],
    ]) {
      const next = s.aggregateTrain(1, {
        global: x,
        meanDelta: Float32Array.from(d),
        results: [],
        failures: [],
      });
      m = m.map((mi, i) => 0.9 * mi + 0.1 * d[i]!);
      v = v.map((vi, i) => 0.99 * vi + 0.01 * d[i]! ** 2);
      const expected = Array.from(x).map((xi, i) => xi + (0.1 * m[i]!) / (Math.sqrt(v[i]!) + 0.01));
      Array.from(next).forEach((got, i) => expect(got).toBeCloseTo(expected[i]!, 5));
      x = next;
    }
  });

  test('FedYogi and FedAdagrad move v as their rules say', () => {
    const d = Float32Array.from([0.5]);
    const yogi = createStrategy('fedyogi', { eta: 1, beta_1: 0, beta_2: 0.9, tau: 0.001 });
    // v0 = tau^2 < d^2, so Yogi adds (1-b2) d^2: v = 1e-6 + 0.1*0.25.
    const y = yogi.aggregateTrain(1, {
      global: Float32Array.from([0]),
      meanDelta: d,
      results: [],
      failures: [],
    });
    expect(y[0]).toBeCloseTo(0.5 / (Math.sqrt(1e-6 + 0.025) + 0.001), 5);
    const ada = createStrategy('fedadagrad', { eta: 1, beta_1: 0, tau: 0.001 });
    const a = ada.aggregateTrain(1, {
      global: Float32Array.from([0]),
      meanDelta: d,
      results: [],
      failures: [],
    });
    expect(a[0]).toBeCloseTo(0.5 / (Math.sqrt(1e-6 + 0.25) + 0.001), 5);
  });

  test('state survives a save/restore (a resumed job continues exactly)', () => {
    const run = (restart: boolean) => {
      let s = createStrategy('fedadam');
      let x: Float32Array = Float32Array.from([0.3, 0.1, -0.2]);
      for (let r = 1; r <= 4; r++) {
        if (restart && r === 3) {
          const saved = JSON.parse(JSON.stringify(s.saveState())) as ReturnType<typeof s.saveState>;
          s = createStrategy('fedadam');
          s.restoreState(saved);
        }
        x = s.aggregateTrain(r, {
          global: x,
          meanDelta: Float32Array.from([0.01 * r, -0.02, 0.03]),
          results: [],
          failures: [],
        });
      }
      return Array.from(x);
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe('strategy specs', () => {
  test('unknown names and parameters are listed', () => {
    expect(checkStrategySpec('fedsgd')).toEqual([
      "strategy 'fedsgd' is unknown; choose one of: fedavg, fedprox, fedadam, fedyogi, fedadagrad",
    ]);
    expect(checkStrategySpec('fedadam', { eta: 0.1, momentum: 0.9 })).toEqual([
      "strategy fedadam has no parameter 'momentum' (it takes: eta, beta_1, beta_2, tau)",
    ]);
    expect(() => createStrategy('fedadam', { eta: -1 })).toThrow(/eta must be > 0/);
  });
});

describe('update accumulator', () => {
  test('refuses a wrong-length, non-finite or unweighted update without adding anything', () => {
    const acc = new UpdateAccumulator(3);
    expect(() => acc.add(new Float32Array(2), 5)).toThrow(/2 values, the model has 3/);
    expect(() => acc.add(Float32Array.from([0, NaN, 0]), 5)).toThrow(/non-finite value at index 1/);
    expect(() => acc.add(new Float32Array(3), 0)).toThrow(/positive integer/);
    expect(acc.count).toBe(0);
    acc.add(Float32Array.from([1, 2, 3]), 2);
    expect(Array.from(acc.mean())).toEqual([1, 2, 3]);
  });
});
