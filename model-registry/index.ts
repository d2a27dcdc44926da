/** The model registry's public surface; see README.md beside this file. */
export type { ModelStore, StoreCallOptions, StoreGetOptions } from './model-store.js';
export { createLocalModelStore, type LocalModelStoreOptions } from './store-local.js';
export { createKuboModelStore, type KuboModelStoreOptions } from './store-kubo.js';
export { IMPORT_SETTINGS, type ImportSettings, computeCid, parseCid } from './import-settings.js';
export { canonicalJson } from './canonical-json.js';
export { normalizeSha256, sha256Hex, sha256ToBytes32 } from './digest.js';
export {
  MANIFEST_FORMAT,
  MODEL_JSON_FILE,
  WEIGHTS_FILE,
  type ManifestFile,
  type PutVersionOptions,
  type StoredVersion,
  type VersionManifest,
  decodeManifest,
  encodeManifest,
  getManifest,
  putVersion,
  versionManifestSchema,
} from './manifest.js';
export {
  PULLED_MANIFEST_FILE,
  type FolderExpectation,
  type FolderVerification,
  type PullVersionOptions,
  type PulledVersion,
  pullVersion,
  verifyFolder,
} from './pull.js';
