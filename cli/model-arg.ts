import { readFile } from 'node:fs/promises';
import { makeError } from '../common/errors.js';
import { isBuiltinModel, type ModelSpec } from '../training/model-spec.js';
import { BUILTIN_MODELS } from '../training/models.js';

/** `--model` takes a built-in name or the path of a TF.js Layers topology (model.json). */
export async function modelArg(value: string): Promise<ModelSpec> {
  if (isBuiltinModel(value)) return { builtin: value };
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch {
    throw makeError(
      `--model '${value}' is neither a built-in model (${BUILTIN_MODELS.join(', ')}) nor a readable topology file`,
      'INVALID_ARGUMENT',
      { model: value },
    );
  }
  try {
    return { topology: JSON.parse(text) as unknown };
  } catch (e) {
    throw makeError(`${value} is not valid JSON: ${(e as Error).message}`, 'INVALID_MODEL', { file: value });
  }
}
