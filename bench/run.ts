/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts (compiled to dist/bench/<name>.js).
 * Human-readable progress and tables go to stderr; the last line on stdout is one JSON object
 * with the figures, so scripts can read it with `tail -1`.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchModule {
  run(args: string[]): Promise<Record<string, unknown>>;
}

const here = dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('bench-'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    process.stderr.write(`Usage: npm run bench -- <name> [args]\nBenchmarks: ${available().join(', ')}\n`);
    return name ? 0 : 2;
  }
  if (!available().includes(name)) {
    process.stderr.write(`unknown benchmark '${name}'; available: ${available().join(', ')}\n`);
    return 2;
  }
  const mod = (await import(`./${name}.js`)) as BenchModule;
  const result = await mod.run(args);
  process.stdout.write(JSON.stringify({ bench: name, ...result }) + '\n');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
