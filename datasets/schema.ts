/**
 * The dataset schema: which columns of a hospital's table are features, which one is the label,
 * what the label's integer codes mean, and which column names each record's owner (patient).
 * A job names the schema it needs; a worker only takes part with data that matches it.
 *
 * Example (`datasets/wdbc/schema.json`):
 * ```json
 * { "name": "wdbc", "features": ["mean_radius", "..."], "label": "diagnosis",
 *   "classes": ["malignant", "benign"], "ownerId": "owner_id", "scaling": "standard" }
 * ```
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { makeError } from '../common/errors.js';

const columnName = z.string().trim().min(1, 'must be a non-empty column name');

const schemaObject = z
  .object({
    /** A short name for the dataset, used in logs and as the Dataset's name. */
    name: z.string().trim().min(1, 'must be a non-empty string'),
    /** Feature columns, in the order the model sees them. */
    features: z.array(columnName).min(1, 'must list at least one feature column'),
    /** The label column; its cells are integer indexes into `classes`. */
    label: columnName,
    /** Class names; label cell `i` means `classes[i]`. Classification needs at least two. */
    classes: z
      .array(z.string().trim().min(1, 'must be a non-empty class name'))
      .min(2, 'must list at least two classes'),
    /**
     * The column holding each record's owner id (kept as a string; consent is checked per owner).
     * Never a feature: an identifier must not be trained on.
     */
    ownerId: columnName.optional(),
    /** Feature scaling fitted on the loaded data. @defaultValue `'standard'` */
    scaling: z.enum(['none', 'standard', 'minmax']).default('standard'),
    /** An identifier jobs and workers use to agree on the schema, e.g. `wdbc-v1`. */
    schemaId: z.string().trim().min(1, 'must be a non-empty string').optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Map<string, number>();
    s.features.forEach((f, i) => {
      const first = seen.get(f);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i],
          message: `duplicates features[${first}] "${f}"`,
        });
      } else seen.set(f, i);
    });
    if (seen.has(s.label)) {
      ctx.addIssue({ code: 'custom', path: ['label'], message: `"${s.label}" is also listed as a feature` });
    }
    if (s.ownerId !== undefined) {
      if (seen.has(s.ownerId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ownerId'],
          message: `"${s.ownerId}" is also listed as a feature; an owner id must never be trained on`,
        });
      }
      if (s.ownerId === s.label) {
        ctx.addIssue({
          code: 'custom',
          path: ['ownerId'],
          message: `"${s.ownerId}" is also the label column`,
        });
      }
    }
    const classes = new Map<string, number>();
    s.classes.forEach((c, i) => {
      const first = classes.get(c);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['classes', i],
          message: `duplicates classes[${first}] "${c}"`,
        });
      } else classes.set(c, i);
    });
  });

/** A validated schema with defaults filled in (`scaling` is always present). */
export type DatasetSchema = z.output<typeof schemaObject>;
/** What a schema file may contain (`scaling` optional). */
export type DatasetSchemaInput = z.input<typeof schemaObject>;
export type ScalingKind = DatasetSchema['scaling'];

function invalid(file: string, problems: string[]) {
  return makeError(
    `Dataset schema ${file} is invalid: ${problems.join('; ')}. Fix the schema file and retry.`,
    'INVALID_DATASET',
    { file, problems },
  );
}

/**
 * Validates a schema. `json` is either the parsed value or the JSON text (a string is never a
 * valid schema, so a string is parsed first). Throws INVALID_DATASET with `info.problems` listing
 * every problem found, each as `path: message`.
 */
export function parseSchema(json: unknown, file: string): DatasetSchema {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw invalid(file, [`not valid JSON (${(e as Error).message})`]);
    }
  }
  const result = schemaObject.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `${path}: ${issue.message}`;
  });
  throw invalid(file, problems);
}

/** Reads and validates a schema file. A missing file is NOT_FOUND; a bad one INVALID_DATASET. */
export async function loadSchema(
  path: string,
  { signal }: { signal?: AbortSignal } = {},
): Promise<DatasetSchema> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal });
  } catch (e) {
    throw fileReadError(e, path, 'dataset schema');
  }
  return parseSchema(text, path);
}

/**
 * A digest of what makes two schemas interchangeable for training (features in order, label,
 * classes in order, scaling), so a coordinator can match a job to workers whatever the `name`.
 */
export function schemaFingerprint(schema: DatasetSchema): string {
  const canonical = JSON.stringify([schema.features, schema.label, schema.classes, schema.scaling]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Maps a failed read to a coded error: missing file NOT_FOUND, cancelled ABORTED. */
export function fileReadError(e: unknown, file: string, what: string) {
  const err = e as NodeJS.ErrnoException;
  if (err?.name === 'AbortError')
    return makeError(`Reading ${what} ${file} was cancelled`, 'ABORTED', { file }, e);
  if (err?.code === 'ENOENT') {
    return makeError(`The ${what} file ${file} does not exist; check the path.`, 'NOT_FOUND', { file }, e);
  }
  return makeError(
    `Cannot read the ${what} file ${file}: ${err?.message ?? String(e)}`,
    'INVALID_DATASET',
    { file },
    e,
  );
}
