// Lets a child process run the TypeScript sources directly, as Jest does in the test process:
//   node --import ./test/helpers/ts-hooks.mjs some-file.ts
// Each .ts file is transpiled on load (types dropped, no type check: `tsc` does that), and a
// relative './x.js' import falls back to './x.ts'. Used by tests that spawn real processes (a
// queue replica to SIGKILL) without depending on a fresh `npm run build`.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import ts from 'typescript';

// This file is both the `--import` entry (main thread: registers itself) and the hooks module
// (loader thread: exports resolve/load).
if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && relative && specifier.endsWith('.js'))
      return next(`${specifier.slice(0, -3)}.ts`, context);
    throw e;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
