/**
 * Loads the aidoc.v1 wire contract at run time from the `.proto` files (the single source of truth), with
 * the same options the generated types in `protos/generated/` were made with (`protos/loader-options.json`):
 * lowerCamelCase field names, 64-bit integers as JS numbers (the contract keeps them below 2^53), enums as
 * their string names, bytes as Buffers, every field present on decoded messages (zero values included)
 * and a virtual field naming the set member of each oneof (e.g. `part: 'chunk'`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { makeError } from '../common/errors.js';
import type { ProtoGrpcType as AdminProto } from './generated/admin.js';
import type { ProtoGrpcType as JobProto } from './generated/job.js';
import type { ProtoGrpcType as WorkerProto } from './generated/worker.js';

/** The `aidoc.v1` package: service client constructors (with `.service` definitions) and message types. */
export type AidocV1 = WorkerProto['aidoc']['v1'] & JobProto['aidoc']['v1'] & AdminProto['aidoc']['v1'];

/** The services of the contract, by their proto names. */
export type AidocServiceName = 'WorkerService' | 'JobService' | 'AdminService';

/** The `.proto` files, relative to {@link protoRoot}. */
export const PROTO_FILES = [
  'aidoc/v1/common.proto',
  'aidoc/v1/worker.proto',
  'aidoc/v1/job.proto',
  'aidoc/v1/admin.proto',
];

let cachedRoot: string | undefined;

/**
 * The folder holding `aidoc/v1/*.proto`: `protos/` of the package, whether this module runs from the
 * TypeScript sources (`protos/load.ts`) or from the build (`dist/protos/load.js`).
 */
export function protoRoot(): string {
  if (cachedRoot) return cachedRoot;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [here, join(here, '..', '..', 'protos')]) {
    if (existsSync(join(candidate, 'aidoc', 'v1', 'worker.proto'))) return (cachedRoot = candidate);
  }
  throw makeError(
    `cannot find the aidoc.v1 .proto files near ${here}; the package is incomplete`,
    'INTERNAL',
    {
      searched: here,
    },
  );
}

interface LoaderOptionsFile {
  keepCase: boolean;
  longs: 'Number' | 'String';
  enums: 'String';
  bytes: 'Buffer';
  defaults: boolean;
  oneofs: boolean;
}

/** The proto-loader options shared with the type generator (`scripts/gen-protos.mjs`). */
export function loaderOptions(): protoLoader.Options {
  const o = JSON.parse(readFileSync(join(protoRoot(), 'loader-options.json'), 'utf8')) as LoaderOptionsFile;
  return {
    keepCase: o.keepCase,
    longs: o.longs === 'Number' ? Number : String,
    enums: String,
    bytes: Buffer,
    defaults: o.defaults,
    oneofs: o.oneofs,
    includeDirs: [protoRoot()],
  };
}

let cachedPackage: AidocV1 | undefined;

/** Loads (once per process) and returns the typed `aidoc.v1` package. */
export function loadAidocProtos(): AidocV1 {
  if (cachedPackage) return cachedPackage;
  const definition = protoLoader.loadSync(PROTO_FILES, loaderOptions());
  const loaded = grpc.loadPackageDefinition(definition) as unknown as WorkerProto & JobProto & AdminProto;
  cachedPackage = loaded.aidoc.v1;
  return cachedPackage;
}
