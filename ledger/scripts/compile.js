#!/usr/bin/env node
/**
 * Compiles ledger/contracts/*.sol offline with the `solc` npm package (its bundled compiler: no
 * download) and writes one ledger/generated/<Contract>.json per contract: ABI and creation
 * bytecode. The output is a pure function of the sources, the OpenZeppelin sources and the
 * compiler version, so it is checked in and CI runs `--check` to catch stale artifacts, as for
 * the protos.
 *
 *   node ledger/scripts/compile.js           write ledger/generated/*.json
 *   node ledger/scripts/compile.js --check   exit 1 if any generated file is missing, stale or extra
 *
 * Plain JavaScript (no build step) so CI can run it before anything is compiled.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync, unlinkSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const solc = require('solc');

/** Pinned so the bytecode never depends on the compiler's default, and so it runs on Hardhat 2's
 * default chain (which supports everything up to its default hardfork, later than cancun). */
export const EVM_VERSION = 'cancun';
export const SOLC_VERSION = '0.8.26';

const here = dirname(fileURLToPath(import.meta.url));
const ledgerDir = resolve(here, '..');
const contractsDir = join(ledgerDir, 'contracts');
const generatedDir = join(ledgerDir, 'generated');

/** Resolves `@openzeppelin/contracts/...` (and any other package import) from node_modules. */
function findImport(path) {
  try {
    return { contents: readFileSync(require.resolve(path), 'utf8') };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

/** Returns { files: Map<fileName, text> } for every contract declared in ledger/contracts. */
export function compileLedger() {
  if (!solc.version().startsWith(SOLC_VERSION + '+')) {
    throw new Error(`solc ${solc.version()} installed, ${SOLC_VERSION} expected (the pragma is pinned to it)`);
  }
  const names = readdirSync(contractsDir)
    .filter((f) => f.endsWith('.sol'))
    .sort();
  const sources = Object.fromEntries(
    names.map((n) => [`contracts/${n}`, { content: readFileSync(join(contractsDir, n), 'utf8') }]),
  );
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      // No metadata hash: the bytecode then depends on the code alone, not on comments or paths.
      metadata: { bytecodeHash: 'none' },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  for (const e of output.errors ?? []) process.stderr.write((e.formattedMessage ?? e.message) + '\n');
  if (errors.length > 0) throw new Error(`solc reported ${errors.length} error(s)`);

  const files = new Map();
  for (const sourceName of Object.keys(output.contracts ?? {}).sort()) {
    if (!sourceName.startsWith('contracts/')) continue; // OpenZeppelin's own contracts are not ours to ship
    for (const [contractName, c] of Object.entries(output.contracts[sourceName])) {
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts have no bytecode
      const artifact = {
        contractName,
        sourceName,
        compiler: solc.version(),
        evmVersion: EVM_VERSION,
        abi: c.abi,
        bytecode: '0x' + c.evm.bytecode.object,
      };
      files.set(`${contractName}.json`, JSON.stringify(artifact, null, 2) + '\n');
    }
  }
  return { files };
}

function main(argv) {
  const check = argv.includes('--check');
  const { files } = compileLedger();
  const existing = existsSync(generatedDir) ? readdirSync(generatedDir).filter((f) => f.endsWith('.json')) : [];
  const problems = [];
  for (const [name, text] of files) {
    const path = join(generatedDir, name);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === text) continue;
    if (check) problems.push(`${current === undefined ? 'missing' : 'stale'}: ledger/generated/${name}`);
    else {
      mkdirSync(generatedDir, { recursive: true });
      writeFileSync(path, text);
    }
  }
  for (const name of existing) {
    if (files.has(name)) continue;
    if (check) problems.push(`extra: ledger/generated/${name}`);
    else unlinkSync(join(generatedDir, name));
  }
  if (problems.length > 0) {
    process.stderr.write(problems.join('\n') + '\nRun `npm run ledger:compile` and commit ledger/generated.\n');
    return 1;
  }
  process.stderr.write(
    `ledger: ${files.size} contracts ${check ? 'up to date' : 'written to ledger/generated'} (solc ${solc.version()}, evm ${EVM_VERSION})\n`,
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
