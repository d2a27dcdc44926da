/**
 * The round engine's side of the model registry: every committed round's global weights become
 * a version in the model store (TF.js files + manifest, see manifest.ts), and the manifest's
 * content id and SHA-256 are what the ledger then records for that round.
 *
 * Parents: the engine names versions `<job>@<round>`; the manifest and the chain name a parent
 * by its manifest content id. This store knows the versions it stored in this process, the ones
 * it was told about (`remember`: a resumed job's last checkpoint), and, through `resolve` (the
 * chain), any version committed anywhere in the federation. A parent it cannot find is an error
 * rather than a silently parentless version: the lineage must not lie.
 *
 * `load` brings a version's weights back from the store, checked against the digest the chain (or
 * the checkpoint) holds exactly as `aidoc model pull` checks them: that is how a job continues from
 * `fromVersion` and how a replica resumes another replica's job.
 */
import { makeError } from '../common/errors.js';
import { buildModel, type ModelSpec } from '../training/model-spec.js';
import { modelToBytes } from '../training/model-files.js';
import { setFlatWeights } from '../training/weights.js';
import { putVersion } from './manifest.js';
import { loadVersionWeights, type LoadedVersion } from './pull.js';
import type { ModelStore } from './model-store.js';

/** One committed round's weights, as the round engine hands them over. */
export interface VersionToStore {
  /** The engine's version id, `<job>@<round>`. */
  versionId: string;
  job: string;
  round: number;
  /** The engine's id of the version these weights continue from, if any. */
  parent?: string;
  /** The job's model and the dataset shape it was built for. */
  model: ModelSpec;
  inputShape: number[];
  numClasses: number;
  /** The global weights, flat, in the model's weight order. */
  weights: Float32Array;
  metrics: Record<string, number>;
  /** Epsilon per dataset spent on the job up to this round. */
  epsilon: Record<string, number>;
}

/** What the ledger records for a stored version. */
export interface StoredVersionRef {
  /** The manifest's content id: the chain's `contentId`. */
  contentId: string;
  /** SHA-256 of the manifest bytes, hex without `0x`: the chain's `sha256`. */
  sha256: string;
}

/** Where a version is, as the chain (or a checkpoint) records it. */
export interface VersionLocation extends StoredVersionRef {
  /** Revoked by governance: never continued from. @defaultValue false */
  revoked?: boolean;
}

export interface VersionStore {
  /** Stores a committed round's version; resolves once the manifest and its files are in the store. */
  commit(version: VersionToStore, options?: { signal?: AbortSignal }): Promise<StoredVersionRef>;
  /** The content id of a version known to this store, by engine version id. */
  contentIdOf(versionId: string): string | undefined;
  /** Records where a version committed elsewhere is (e.g. a resumed job's last checkpoint). */
  remember(versionId: string, ref: StoredVersionRef): void;
  /** Where a version is: known here, or asked of `resolve`; NOT_FOUND when neither knows it. */
  locate(versionId: string): Promise<StoredVersionRef>;
  /**
   * A version's weights, fetched and verified against its digest. VERIFICATION_FAILED for a
   * revoked version or bytes that do not match; NOT_FOUND for an unknown one.
   */
  load(versionId: string, options?: { signal?: AbortSignal }): Promise<LoadedVersion>;
}

export interface VersionStoreOptions {
  /** Where versions go (the embedded local store or Kubo). Required; the caller closes it. */
  store: Pick<ModelStore, 'put' | 'get'>;
  /**
   * Finds a version this process did not store, by engine version id (`<job>@<round>`); the
   * coordinator asks the chain. @defaultValue none: only versions known here
   */
  resolve?: (versionId: string) => Promise<VersionLocation | undefined>;
  /** Creation time of a version. @defaultValue () => new Date() */
  now?: () => Date;
}

export function createVersionStore(options: VersionStoreOptions): VersionStore {
  const now = options.now ?? (() => new Date());
  const stored = new Map<string, VersionLocation>();
  const find = async (versionId: string): Promise<VersionLocation> => {
    const here = stored.get(versionId);
    if (here) return here;
    const there = await options.resolve?.(versionId);
    if (!there) {
      throw makeError(
        `version ${versionId} is not in the model store${options.resolve ? ' nor on the ledger' : ' (this coordinator has no ledger to look it up)'}`,
        'NOT_FOUND',
        { versionId },
      );
    }
    stored.set(versionId, there);
    return there;
  };
  return {
    async commit(v, { signal } = {}) {
      let parent: string | null = null;
      if (v.parent !== undefined) {
        try {
          parent = (await find(v.parent)).contentId;
        } catch (e) {
          throw makeError(
            `cannot store ${v.versionId}: its parent ${v.parent} is not in the model store`,
            'NOT_FOUND',
            { versionId: v.versionId, parent: v.parent },
            e,
          );
        }
      }
      // The seed does not matter: every weight is overwritten right after.
      const model = await buildModel(v.model, { inputShape: v.inputShape, numClasses: v.numClasses });
      let files;
      try {
        setFlatWeights(model, v.weights);
        files = await modelToBytes(model);
      } finally {
        model.dispose();
      }
      const version = await putVersion({
        store: options.store,
        job: v.job,
        round: v.round,
        parent,
        model: files,
        // The manifest holds finite numbers only; a metric a round could not compute is left out.
        metrics: Object.fromEntries(Object.entries(v.metrics).filter(([, x]) => Number.isFinite(x))),
        epsilon: v.epsilon,
        created: now(),
        ...(signal ? { signal } : {}),
      });
      const ref = { contentId: version.manifestCid, sha256: version.sha256 };
      stored.set(v.versionId, ref);
      return ref;
    },
    contentIdOf: (versionId) => stored.get(versionId)?.contentId,
    remember(versionId, ref) {
      stored.set(versionId, { contentId: ref.contentId, sha256: ref.sha256 });
    },
    async locate(versionId) {
      const { contentId, sha256 } = await find(versionId);
      return { contentId, sha256 };
    },
    async load(versionId, { signal } = {}) {
      const where = await find(versionId);
      return loadVersionWeights({
        store: options.store,
        manifestCid: where.contentId,
        expectedSha256: where.sha256,
        isRevoked: () => where.revoked ?? false,
        allowRevoked: false,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
