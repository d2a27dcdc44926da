import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AidocError } from '../../common/errors.js';
import { applyScaler, fitScaler, loadCsvDataset } from '../../datasets/csv.js';
import type { Dataset } from '../../datasets/dataset.js';
import type { DatasetSchema } from '../../datasets/schema.js';
import { loadSchema, parseSchema } from '../../datasets/schema.js';

const fixtures = fileURLToPath(new URL('../fixtures/datasets/', import.meta.url));

const schema: DatasetSchema = parseSchema(
  { name: 't', features: ['a', 'b'], label: 'y', classes: ['c0', 'c1', 'c2'], ownerId: 'o', scaling: 'none' },
  't.json',
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function csv(text: string): Promise<string> {
  const file = join(dir, `case-${++counter}.csv`);
  await writeFile(file, text);
  return file;
}

/** Loads `text` and returns the INVALID_DATASET error it must raise. */
async function failure(text: string, s: DatasetSchema = schema): Promise<{ e: AidocError; file: string }> {
  const file = await csv(text);
  try {
    await loadCsvDataset(file, s);
  } catch (e) {
    if (e instanceof AidocError && e.code === 'INVALID_DATASET') return { e, file };
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

async function expectFailure(text: string, line: number, column: string | undefined, problem: RegExp) {
  const { e, file } = await failure(text);
  expect(e.info).toMatchObject({ file, line, column });
  expect(e.message).toContain(file);
  expect(e.message).toContain(`${file}:${line}`);
  if (column !== undefined) expect(e.message).toContain(`column "${column}"`);
  expect(e.message).toMatch(problem);
  return e;
}

describe('loadCsvDataset: parsing', () => {
  it('reads quoted fields, CRLF, embedded newlines and doubled quotes, skips blank lines and extra columns', async () => {
    const s = await loadSchema(join(fixtures, 'tiny.schema.json'));
    const { dataset, scaler } = await loadCsvDataset(join(fixtures, 'tiny.csv'), s);
    expect(dataset.n).toBe(4);
    expect(dataset.featureShape).toEqual([2]);
    expect(Array.from(dataset.x)).toEqual([34, 1.5, 51, 2.25, 62, 0.5, -1, 3]);
    expect(Array.from(dataset.y)).toEqual([0, 1, 2, 1]);
    expect(dataset.ownerIds).toEqual(['o-1', 'o-2', 'o-3', 'o-4']);
    expect(dataset.classes).toEqual(['low', 'mid', 'high']);
    expect(dataset.numClasses).toBe(3);
    expect(dataset.name).toBe('tiny');
    expect(scaler).toEqual({ kind: 'none', center: [0, 0], scale: [1, 1] });
  });

  it('accepts LF, a BOM, a missing final newline, quoted headers and columns in any order', async () => {
    const file = await csv('\ufeffo,"y",b,a\nx1,2,20,10\nx2,0,21,11');
    const { dataset } = await loadCsvDataset(file, schema);
    expect(Array.from(dataset.x)).toEqual([10, 20, 11, 21]);
    expect(Array.from(dataset.y)).toEqual([2, 0]);
    expect(dataset.ownerIds).toEqual(['x1', 'x2']);
  });

  it('leaves out ownerIds when the schema has no owner column', async () => {
    const file = await csv('a,b,y\n1,2,0\n');
    const { ownerId: _unused, ...rest } = schema;
    const { dataset } = await loadCsvDataset(file, rest);
    expect(dataset.ownerIds).toBeUndefined();
    expect(dataset.n).toBe(1);
  });
});

describe('loadCsvDataset: errors name file, line and column', () => {
  it('names every missing column at once', async () => {
    const e = await expectFailure('a,other\n1,2\n', 1, 'b', /lacks columns "b", "y", "o"/);
    expect(e.info.columns).toEqual(['b', 'y', 'o']);
  });

  it('rejects a column named twice', async () => {
    await expectFailure('a,b,a,y,o\n1,2,3,0,x\n', 1, 'a', /more than once/);
  });

  it('rejects an empty file and a file of blank lines', async () => {
    await expectFailure('', 1, undefined, /empty/);
    await expectFailure('\n\r\n\n', 1, undefined, /empty/);
  });

  it('rejects a header-only file', async () => {
    await expectFailure('a,b,y,o\n', 1, undefined, /header row but no records/);
    await expectFailure('\n\na,b,y,o\r\n\r\n', 3, undefined, /header row but no records/);
  });

  it('rejects a row of the wrong width', async () => {
    await expectFailure('a,b,y,o\n1,2,0,x\n1,2,0\n', 3, 'o', /3 fields but the header has 4/);
    await expectFailure('a,b,y,o\n1,2,0,x,extra\n', 2, '#5', /5 fields but the header has 4/);
  });

  it('rejects non-numeric and empty feature cells', async () => {
    await expectFailure('a,b,y,o\n1,2,0,x\n1,abc,0,x\n', 3, 'b', /not a number/);
    await expectFailure('a,b,y,o\n0x10,2,0,x\n', 2, 'a', /not a number/);
    await expectFailure('a,b,y,o\n1,2,0,x\n\n1, ,0,x\n', 4, 'b', /empty/);
    await expectFailure('a,b,y,o\n1,"2,5",0,x\n', 2, 'b', /not a number/);
  });

  it('rejects NaN and infinite values, including values beyond float32', async () => {
    for (const cell of ['NaN', 'nan', 'Infinity', '-inf', '1e400', '-1e39']) {
      await expectFailure(`a,b,y,o\n1,${cell},0,x\n`, 2, 'b', /NaN or an infinite value/);
    }
  });

  it('rejects labels that are not an integer class index', async () => {
    for (const cell of ['3', '-1', '1.0', 'c1', '', '1e0']) {
      await expectFailure(
        `a,b,y,o\n1,2,${cell},x\n`,
        2,
        'y',
        /integer class index from 0 to 2 \(c0, c1, c2\)/,
      );
    }
  });

  it('rejects an empty owner id', async () => {
    await expectFailure('a,b,y,o\n1,2,0,x\n1,2,1,  \n', 3, 'o', /owner id is empty/);
  });

  it('rejects malformed quoting', async () => {
    await expectFailure('a,b,y,o\n1,2,0,x\n1,"2,0,x\n', 3, 'b', /never closed/);
    await expectFailure('a,b,y,o\n1,"2"3,0,x\n', 2, 'b', /after a closing quote/);
    await expectFailure('a,b,y,o\n1,2,0,x"y\n', 2, 'o', /quote inside an unquoted field/);
    await expectFailure('a,"b,y,o\n', 1, '#2', /never closed/);
    await expectFailure('\n\na,b,y,o\n1,2,0,x\n1,2,"0\n', 5, 'y', /never closed/);
  });

  it('reports the line where a multi-line record starts', async () => {
    await expectFailure('a,b,y,o\n1,2,0,"multi\nline"\n1,x,0,x\n', 4, 'b', /not a number/);
  });

  it('never echoes cell content in the message', async () => {
    const { e } = await failure('a,b,y,o\n1,secret-patient-42,0,x\n');
    expect(e.message).not.toContain('secret-patient-42');
    expect(JSON.stringify(e.info)).not.toContain('secret-patient-42');
  });

  it('reports a missing file as NOT_FOUND and honours an aborted signal', async () => {
    await expect(loadCsvDataset(join(dir, 'missing.csv'), schema)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const file = await csv('a,b,y,o\n1,2,0,x\n');
    await expect(loadCsvDataset(file, schema, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});

describe('scaling', () => {
  const table = 'a,b,y,o\n1,10,0,p\n2,10,1,q\n3,10,0,r\n6,10,1,s\n';

  function column(ds: Dataset, j: number): number[] {
    return Array.from({ length: ds.n }, (_, i) => ds.x[i * 2 + j]!);
  }

  it('standardises with population statistics and maps a constant feature to 0', async () => {
    const { dataset, scaler } = await loadCsvDataset(await csv(table), { ...schema, scaling: 'standard' });
    expect(scaler.kind).toBe('standard');
    expect(scaler.center).toEqual([3, 10]);
    expect(scaler.scale[0]).toBeCloseTo(Math.sqrt(3.5), 12); // var of 1,2,3,6 with ddof 0
    expect(scaler.scale[1]).toBe(1);
    const a = column(dataset, 0);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 6);
    expect(a.reduce((s, v) => s + v * v, 0) / a.length).toBeCloseTo(1, 6);
    expect(column(dataset, 1)).toEqual([0, 0, 0, 0]);
  });

  it('min-max scales into [0, 1]', async () => {
    const { dataset, scaler } = await loadCsvDataset(await csv(table), { ...schema, scaling: 'minmax' });
    expect(scaler).toEqual({ kind: 'minmax', center: [1, 10], scale: [5, 1] });
    column(dataset, 0).forEach((v, i) => expect(v).toBeCloseTo([0, 0.2, 0.4, 1][i]!, 6));
  });

  it('applies a given scaler instead of fitting one (a test file scaled like the training file)', async () => {
    const train = await loadCsvDataset(await csv(table), { ...schema, scaling: 'standard' });
    const test = await loadCsvDataset(await csv('a,b,y,o\n3,12,0,t\n'), schema, { scaler: train.scaler });
    expect(test.scaler).toBe(train.scaler);
    expect(test.dataset.x[0]).toBeCloseTo(0, 6);
    expect(test.dataset.x[1]).toBeCloseTo(2, 6);
  });

  it('fitScaler/applyScaler leave the input untouched and check the width', async () => {
    const raw = (await loadCsvDataset(await csv(table), schema)).dataset;
    const before = Array.from(raw.x);
    const scaled = applyScaler(raw, fitScaler(raw, 'minmax'));
    expect(Array.from(raw.x)).toEqual(before);
    expect(scaled.x).not.toBe(raw.x);
    expect(applyScaler(raw, fitScaler(raw, 'none'))).toBe(raw);
    let error: unknown;
    try {
      applyScaler(raw, { kind: 'standard', center: [0], scale: [1] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
