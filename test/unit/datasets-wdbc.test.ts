import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadCsvDataset } from '../../datasets/csv.js';
import { trainTestSplit } from '../../datasets/dataset.js';
import { loadSchema, schemaFingerprint } from '../../datasets/schema.js';
import { loadWdbc, packageRoot, wdbcPaths } from '../../datasets/wdbc.js';

describe('shipped WDBC', () => {
  it('resolves absolute paths inside the package root', () => {
    const paths = wdbcPaths();
    expect(isAbsolute(paths.csv)).toBe(true);
    expect(existsSync(paths.csv)).toBe(true);
    expect(existsSync(paths.schema)).toBe(true);
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
    expect(paths.csv).toBe(join(packageRoot(), 'datasets', 'wdbc', 'wdbc.csv'));
  });

  it('loads as 569 x 30 with 212 malignant (0) and 357 benign (1), standardised', async () => {
    const { dataset, scaler } = await loadWdbc();
    expect(dataset.n).toBe(569);
    expect(dataset.featureShape).toEqual([30]);
    expect(dataset.x.length).toBe(569 * 30);
    expect(dataset.classes).toEqual(['malignant', 'benign']);
    const counts = [0, 0];
    for (const label of dataset.y) counts[label]!++;
    expect(counts).toEqual([212, 357]);
    expect(scaler.kind).toBe('standard');
    // The mean radius of WDBC is 14.127 (DESCR range 6.981 .. 28.11).
    expect(scaler.center[0]).toBeCloseTo(14.127, 3);
    for (let j = 0; j < 30; j++) {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < dataset.n; i++) {
        const v = dataset.x[i * 30 + j]!;
        sum += v;
        sq += v * v;
      }
      expect(Math.abs(sum / dataset.n)).toBeLessThan(1e-5);
      expect(sq / dataset.n).toBeCloseTo(1, 4);
    }
  });

  it('has one synthetic owner id per record', async () => {
    const { dataset } = await loadWdbc();
    const owners = dataset.ownerIds!;
    expect(owners).toHaveLength(569);
    expect(new Set(owners).size).toBe(569);
    expect(owners[0]).toBe('owner-0001');
    expect(owners[568]).toBe('owner-0569');
  });

  it('has a schema whose feature order follows DESCR (field 0 mean radius ... field 29 worst fractal dimension)', async () => {
    const schema = await loadSchema(wdbcPaths().schema);
    expect(schema.features).toHaveLength(30);
    expect(schema.features[0]).toBe('mean_radius');
    expect(schema.features[10]).toBe('radius_error');
    expect(schema.features[20]).toBe('worst_radius');
    expect(schema.features[29]).toBe('worst_fractal_dimension');
    expect(schema.ownerId).toBe('owner_id');
    expect(schema.features).not.toContain('owner_id');
    expect(schemaFingerprint(schema)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('splits stratified 80/20 keeping the class shares', async () => {
    const { dataset } = await loadWdbc();
    const { train, test, trainIndices, testIndices } = trainTestSplit(dataset, {
      testFraction: 0.2,
      seed: 7,
    });
    expect(test.n).toBe(114); // round(569 * 0.2)
    expect(train.n).toBe(455);
    const malignant = (ys: Int32Array) => ys.filter((v) => v === 0).length;
    expect([42, 43]).toContain(malignant(test.y)); // 212 * 114 / 569 = 42.47
    expect(malignant(train.y) + malignant(test.y)).toBe(212);
    expect(new Set([...trainIndices, ...testIndices]).size).toBe(569);
  });

  // The copy must equal scikit-learn's file value for value; the source sits in ../shared next to
  // the repository on developer machines and in CI.
  const source = join(packageRoot(), '..', 'shared', 'data', 'wdbc', 'breast_cancer.csv');
  const check = existsSync(source) ? it : it.skip;
  if (!existsSync(source)) console.warn(`skipping the WDBC source comparison: ${source} is not present`);
  check('matches the scikit-learn source record for record', async () => {
    const schema = await loadSchema(wdbcPaths().schema);
    const { dataset } = await loadCsvDataset(wdbcPaths().csv, { ...schema, scaling: 'none' });
    const lines = readFileSync(source, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('569,30,malignant,benign');
    expect(lines.length - 1).toBe(dataset.n);
    for (let i = 0; i < dataset.n; i++) {
      const cells = lines[i + 1]!.split(',').map(Number);
      for (let j = 0; j < 30; j++) expect(dataset.x[i * 30 + j]).toBe(Math.fround(cells[j]!));
      expect(dataset.y[i]).toBe(cells[30]);
    }
  });
});
