/**
 * Loads a hospital's CSV table into a Dataset, as its schema describes.
 *
 * Format (RFC 4180, leniently): comma-separated, a header row naming the columns, fields may be
 * quoted with `"` (a doubled `""` inside is one quote; quoted fields may hold commas and line
 * breaks), lines end in LF, CRLF or CR, a UTF-8 byte-order mark is ignored, completely empty lines
 * are skipped, columns the schema does not name are ignored. Header names and cells are trimmed.
 *
 * Errors are INVALID_DATASET with `info` `{ file, line, column }` (1-based line of the record,
 * column name from the header), thrown at the first problem; nothing is returned half-loaded.
 *
 * Privacy: messages name the file, line and column but never echo a cell's content, because a
 * worker's error may be reported to the coordinator and a cell is patient data.
 */
import { readFile } from 'node:fs/promises';
import { makeError, throwIfAborted } from '../common/errors.js';
import type { Dataset } from './dataset.js';
import type { Scaler } from './scaler.js';
import { applyScaler, fitScaler } from './scaler.js';
import type { DatasetSchema } from './schema.js';
import { fileReadError } from './schema.js';

export type { Scaler } from './scaler.js';
export { applyScaler, fitScaler } from './scaler.js';

export interface CsvLoadOptions {
  /** Cancels the load between chunks of rows. @defaultValue none */
  signal?: AbortSignal;
  /**
   * Scale with these statistics instead of fitting new ones (e.g. a test file scaled like the
   * training file). @defaultValue fit `schema.scaling` on the loaded records
   */
  scaler?: Scaler;
}

export interface LoadedCsvDataset {
  /** The records, scaled. */
  dataset: Dataset;
  /** The statistics used to scale them (fitted here unless given); apply it to a test set. */
  scaler: Scaler;
}

/** A syntax problem found by the tokenizer; mapped to a column name by the loader. */
class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly fieldIndex: number,
    message: string,
  ) {
    super(message);
  }
}

interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Splits CSV text into records. Throws CsvSyntaxError on a malformed quote. */
function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const len = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  // Consumes one line ending at i, if there is one.
  const eol = (): boolean => {
    const c = text.charCodeAt(i);
    if (c === LF) {
      i++;
    } else if (c === CR) {
      i += text.charCodeAt(i + 1) === LF ? 2 : 1;
    } else return false;
    line++;
    return true;
  };

  while (i < len) {
    if (eol()) continue; // an empty line
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        i++;
        let value = '';
        let start = i;
        for (;;) {
          if (i >= len) throw new CsvSyntaxError(openLine, fields.length, 'quoted field is never closed');
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              value += text.slice(start, i + 1);
              i += 2;
              start = i;
              continue;
            }
            value += text.slice(start, i);
            i++;
            break;
          }
          if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
          i++;
        }
        const after = text.charCodeAt(i);
        if (i < len && after !== COMMA && after !== LF && after !== CR) {
          throw new CsvSyntaxError(line, fields.length, 'unexpected text after a closing quote');
        }
        fields.push(value);
      } else {
        const start = i;
        let c = text.charCodeAt(i);
        while (i < len && c !== COMMA && c !== LF && c !== CR) {
          if (c === QUOTE) {
            throw new CsvSyntaxError(
              line,
              fields.length,
              'a quote inside an unquoted field (quote the whole field)',
            );
          }
          c = text.charCodeAt(++i);
        }
        fields.push(text.slice(start, i));
      }
      if (i >= len) break;
      if (text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      eol();
      break;
    }
    records.push({ line: recordLine, fields });
  }
  return records;
}

// A decimal number: optional sign, digits with an optional fraction (or a bare fraction), optional exponent.
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
const INTEGER = /^\+?\d+$/;
const FLOAT32_MAX = 3.4028234663852886e38;
const ROWS_PER_ABORT_CHECK = 4096;

/**
 * Reads `csvPath` as described by `schema`: features become `x` (featureShape `[features.length]`),
 * the label `y`, the owner column `ownerIds`. Scales by `options.scaler` or by a scaler fitted
 * with `schema.scaling`, and returns that scaler too.
 */
export async function loadCsvDataset(
  csvPath: string,
  schema: DatasetSchema,
  options: CsvLoadOptions = {},
): Promise<LoadedCsvDataset> {
  const { signal } = options;
  throwIfAborted(signal, `Loading ${csvPath}`);
  let text: string;
  try {
    text = await readFile(csvPath, { encoding: 'utf8', signal });
  } catch (e) {
    throw fileReadError(e, csvPath, 'dataset');
  }
  throwIfAborted(signal, `Loading ${csvPath}`);

  const fail = (
    line: number,
    column: string | undefined,
    problem: string,
    extra: Record<string, unknown> = {},
  ) => {
    const where = column === undefined ? `${csvPath}:${line}` : `${csvPath}:${line}, column "${column}"`;
    return makeError(`${where}: ${problem}`, 'INVALID_DATASET', { file: csvPath, line, column, ...extra });
  };

  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    // A syntax error on line 1 is in the header itself, so there is no column name yet.
    const headerText = text.split(/\r\n|\n|\r/).find((l) => l !== '' && l !== '\ufeff') ?? '';
    const names = e.line === 1 ? [] : parseCsvSafe(headerText);
    throw fail(e.line, names[e.fieldIndex]?.trim() ?? `#${e.fieldIndex + 1}`, e.message);
  }

  const headerRecord = records[0];
  if (headerRecord === undefined) {
    throw fail(1, undefined, 'the file is empty; it needs a header row and at least one record');
  }
  const header = headerRecord.fields.map((h) => h.trim());
  const headerLine = headerRecord.line;

  // Resolve every column the schema names, reporting all missing (or ambiguous) ones at once.
  const positions = new Map<string, number[]>();
  header.forEach((name, k) => {
    const list = positions.get(name);
    if (list === undefined) positions.set(name, [k]);
    else list.push(k);
  });
  const wanted = [
    ...schema.features,
    schema.label,
    ...(schema.ownerId === undefined ? [] : [schema.ownerId]),
  ];
  const missing = wanted.filter((name) => !positions.has(name));
  if (missing.length > 0) {
    throw fail(
      headerLine,
      missing[0],
      `the header lacks ${missing.length === 1 ? 'column' : 'columns'} ${missing.map((m) => `"${m}"`).join(', ')}` +
        ` required by schema "${schema.name}"`,
      { columns: missing },
    );
  }
  const ambiguous = wanted.filter((name) => positions.get(name)!.length > 1);
  if (ambiguous.length > 0) {
    throw fail(
      headerLine,
      ambiguous[0],
      `the header names ${ambiguous.map((m) => `"${m}"`).join(', ')} more than once, so the column is ambiguous`,
      { columns: ambiguous },
    );
  }
  const col = (name: string) => positions.get(name)![0]!;
  const featureCols = schema.features.map(col);
  const labelCol = col(schema.label);
  const ownerCol = schema.ownerId === undefined ? -1 : col(schema.ownerId);

  const n = records.length - 1;
  if (n === 0) throw fail(headerLine, undefined, 'the file has a header row but no records');

  const f = featureCols.length;
  const k = schema.classes.length;
  const x = new Float32Array(n * f);
  const y = new Int32Array(n);
  const ownerIds = ownerCol < 0 ? undefined : new Array<string>(n);
  const width = header.length;

  for (let r = 0; r < n; r++) {
    if (r % ROWS_PER_ABORT_CHECK === 0) throwIfAborted(signal, `Loading ${csvPath}`);
    const { line, fields } = records[r + 1]!;
    if (fields.length !== width) {
      const column = fields.length < width ? header[fields.length] : `#${width + 1}`;
      throw fail(line, column, `the record has ${fields.length} fields but the header has ${width}`, {
        fields: fields.length,
        expected: width,
      });
    }
    for (let j = 0; j < f; j++) {
      const c = featureCols[j]!;
      const cell = fields[c]!.trim();
      let v = NaN;
      if (NUMBER.test(cell)) v = Number(cell);
      if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
        const problem =
          cell === ''
            ? 'the cell is empty; every feature needs a value'
            : NON_FINITE.test(cell) || NUMBER.test(cell)
              ? 'NaN or an infinite value is not allowed (a number beyond float32 range counts as infinite)'
              : 'the cell is not a number';
        throw fail(line, header[c], problem);
      }
      x[r * f + j] = v;
    }
    const labelCell = fields[labelCol]!.trim();
    const label = INTEGER.test(labelCell) ? Number(labelCell) : NaN;
    if (!(label >= 0 && label < k)) {
      throw fail(
        line,
        schema.label,
        `the label must be an integer class index from 0 to ${k - 1} (${schema.classes.join(', ')})`,
      );
    }
    y[r] = label;
    if (ownerIds !== undefined) {
      const owner = fields[ownerCol]!.trim();
      if (owner === '')
        throw fail(line, schema.ownerId, 'the owner id is empty; every record needs its owner');
      ownerIds[r] = owner;
    }
  }

  const raw: Dataset = {
    name: schema.name,
    x,
    y,
    n,
    featureShape: [f],
    numClasses: k,
    classes: [...schema.classes],
  };
  if (ownerIds !== undefined) raw.ownerIds = ownerIds;
  const scaler = options.scaler ?? fitScaler(raw, schema.scaling);
  return { dataset: applyScaler(raw, scaler), scaler };
}

/** Best-effort split of the header line for naming a column in a syntax error. */
function parseCsvSafe(line: string): string[] {
  try {
    return parseCsv(line)[0]?.fields ?? [];
  } catch {
    return [];
  }
}
