import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AidocError, isError } from '../../common/errors.js';
import { loadSchema, parseSchema, schemaFingerprint } from '../../datasets/schema.js';

const fixture = fileURLToPath(new URL('../fixtures/datasets/tiny.schema.json', import.meta.url));

function thrown(fn: () => unknown): AidocError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AidocError) return e;
    throw e;
  }
  throw new Error('expected an AidocError');
}

const valid = { name: 'x', features: ['a', 'b'], label: 'y', classes: ['neg', 'pos'] };

describe('parseSchema', () => {
  it('accepts a minimal schema and fills scaling with standard', () => {
    const s = parseSchema(valid, 'x.json');
    expect(s).toEqual({ ...valid, scaling: 'standard' });
    expect(s.ownerId).toBeUndefined();
  });

  it('accepts JSON text as well as a parsed value', () => {
    const s = parseSchema(
      JSON.stringify({ ...valid, ownerId: 'owner', scaling: 'minmax', schemaId: 'x-v1' }),
      'x.json',
    );
    expect(s.ownerId).toBe('owner');
    expect(s.scaling).toBe('minmax');
    expect(s.schemaId).toBe('x-v1');
  });

  it('lists every problem at once, with the file', () => {
    const e = thrown(() =>
      parseSchema(
        { name: '', features: [], label: 3, classes: ['only'], scaling: 'log', extra: true },
        'bad.json',
      ),
    );
    expect(isError(e, 'INVALID_DATASET')).toBe(true);
    expect(e.info.file).toBe('bad.json');
    const problems = e.info.problems as string[];
    for (const path of ['name', 'features', 'label', 'classes', 'scaling', '(root)']) {
      expect(problems.some((p) => p.startsWith(`${path}:`))).toBe(true);
    }
    expect(problems.length).toBeGreaterThanOrEqual(6);
    expect(e.message).toContain('bad.json');
    expect(e.message).toContain('scaling');
  });

  it('rejects missing required fields', () => {
    const problems = thrown(() => parseSchema({}, 'empty.json')).info.problems as string[];
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['classes', 'features', 'label', 'name']);
  });

  it('rejects duplicates, a label among features, an owner id among features or as the label', () => {
    const e = thrown(() =>
      parseSchema(
        { name: 'x', features: ['a', 'b', 'a', 'y'], label: 'y', classes: ['p', 'q', 'p'], ownerId: 'b' },
        'dup.json',
      ),
    );
    const problems = e.info.problems as string[];
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^features\.2: duplicates features\[0\] "a"/),
        expect.stringMatching(/^label: "y" is also listed as a feature/),
        expect.stringMatching(/^ownerId: "b" is also listed as a feature/),
        expect.stringMatching(/^classes\.2: duplicates/),
      ]),
    );
    const asLabel = thrown(() => parseSchema({ ...valid, ownerId: 'y' }, 'o.json'));
    expect((asLabel.info.problems as string[])[0]).toMatch(/^ownerId: .*label/);
  });

  it('rejects text that is not JSON', () => {
    const e = thrown(() => parseSchema('{ "name": ', 'broken.json'));
    expect(isError(e, 'INVALID_DATASET')).toBe(true);
    expect((e.info.problems as string[])[0]).toMatch(/not valid JSON/);
  });

  it('fingerprints the training-relevant parts only', () => {
    const a = parseSchema(valid, 'a.json');
    const b = parseSchema({ ...valid, name: 'other', ownerId: 'o' }, 'b.json');
    const c = parseSchema({ ...valid, features: ['b', 'a'] }, 'c.json');
    expect(schemaFingerprint(a)).toBe(schemaFingerprint(b));
    expect(schemaFingerprint(a)).not.toBe(schemaFingerprint(c));
    expect(schemaFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('loadSchema', () => {
  it('loads a schema file', async () => {
    const s = await loadSchema(fixture);
    expect(s.name).toBe('tiny');
    expect(s.features).toEqual(['age', 'dose']);
    expect(s.scaling).toBe('none');
  });

  it('reports a missing file as NOT_FOUND and a bad one as INVALID_DATASET naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aidoc-schema-'));
    try {
      await expect(loadSchema(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ ...valid, features: 'a' }));
      await expect(loadSchema(bad)).rejects.toMatchObject({
        code: 'INVALID_DATASET',
        info: { file: bad, problems: [expect.stringMatching(/^features:/)] },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
