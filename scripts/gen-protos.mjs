#!/usr/bin/env node
// Generates the TypeScript types of the aidoc.v1 wire contract from protos/aidoc/v1/*.proto into
// protos/generated/ with @grpc/proto-loader's proto-loader-gen-types, using the same loader options as
// the runtime (protos/loader-options.json). The generated files are checked in and never edited by hand.
//
//   node scripts/gen-protos.mjs           regenerate protos/generated/
//   node scripts/gen-protos.mjs --check   exit 1 if protos/generated/ differs from what generation gives (CI)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, renameSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoRoot = join(root, 'protos');
const outDir = join(protoRoot, 'generated');
const check = process.argv.includes('--check');

const options = JSON.parse(readFileSync(join(protoRoot, 'loader-options.json'), 'utf8'));
const allProtos = readdirSync(join(protoRoot, 'aidoc', 'v1'))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => `aidoc/v1/${f}`);
// Entry points are the files that declare a service. Files of shared messages (common.proto) are still
// covered, through the imports, but get no top-level file of their own: that file would only hold unused
// imports, which the strict tsconfig (noUnusedLocals) rejects.
const protoFiles = allProtos.filter((f) => /^service\s/m.test(readFileSync(join(protoRoot, f), 'utf8')));

const require = createRequire(import.meta.url);
const genTypes = join(
  dirname(require.resolve('@grpc/proto-loader/package.json')),
  'build',
  'bin',
  'proto-loader-gen-types.js',
);

function generate(target) {
  const args = [
    genTypes,
    `--keepCase=${options.keepCase}`,
    `--longs=${options.longs}`,
    `--enums=${options.enums}`,
    `--bytes=${options.bytes}`,
    ...(options.defaults ? ['--defaults'] : []),
    ...(options.oneofs ? ['--oneofs'] : []),
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    '--includeComments',
    '-I',
    'protos',
    '-O',
    target,
    ...protoFiles,
  ];
  // Run from the repository root with relative paths: the generated "Original file" comments then do
  // not depend on where the checkout lives.
  execFileSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

const tmp = mkdtempSync(join(tmpdir(), 'aidoc-protos-'));
try {
  const fresh = join(tmp, 'generated');
  generate(fresh);
  if (check) {
    const want = listFiles(fresh);
    const have = listFiles(outDir);
    const problems = [];
    for (const f of want) {
      if (!have.includes(f)) problems.push(`missing: protos/generated/${f}`);
      else if (readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(outDir, f), 'utf8')) {
        problems.push(`differs: protos/generated/${f}`);
      }
    }
    for (const f of have)
      if (!want.includes(f)) problems.push(`not generated (stale): protos/generated/${f}`);
    if (problems.length > 0) {
      console.error(problems.join('\n'));
      console.error(
        `protos:check: ${problems.length} generated file(s) out of date. Run 'npm run protos:gen' and commit.`,
      );
      process.exitCode = 1;
    } else {
      console.error(
        `protos:check: protos/generated is up to date (${want.length} files from ${allProtos.length} protos).`,
      );
    }
  } else {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(dirname(outDir), { recursive: true });
    renameSync(fresh, outDir);
    console.error(
      `protos:gen: wrote ${listFiles(outDir).length} files to protos/generated from ${allProtos.length} protos.`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
