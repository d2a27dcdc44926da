/**
 * The WDBC breast-cancer dataset shipped in `datasets/wdbc/` (569 records, 30 features, classes
 * malignant/benign, synthetic owner ids; see its README for origin and license).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeError } from '../common/errors.js';
import type { CsvLoadOptions, LoadedCsvDataset } from './csv.js';
import { loadCsvDataset } from './csv.js';
import { loadSchema } from './schema.js';

/**
 * The folder holding this package's package.json, found by walking up from this module. The same
 * walk works from `datasets/wdbc.ts` (Jest, tsx) and from `dist/datasets/wdbc.js`, which has no
 * copy of the data files.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw makeError('Cannot find the aidoc package root (no package.json above this module)', 'NOT_FOUND', {
        from: fileURLToPath(import.meta.url),
      });
    }
    dir = parent;
  }
}

/** Absolute paths of the shipped WDBC table and its schema. */
export function wdbcPaths(): { csv: string; schema: string } {
  const folder = join(packageRoot(), 'datasets', 'wdbc');
  return { csv: join(folder, 'wdbc.csv'), schema: join(folder, 'schema.json') };
}

/** Loads the shipped WDBC set with its schema (standard scaling unless `options.scaler` is given). */
export async function loadWdbc(options: CsvLoadOptions = {}): Promise<LoadedCsvDataset> {
  const paths = wdbcPaths();
  const schema = await loadSchema(paths.schema, { signal: options.signal });
  return loadCsvDataset(paths.csv, schema, options);
}
