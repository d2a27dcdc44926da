/**
 * The round engine's side of the model registry: every committed round's global weights become
 * a version in the model store (TF.js files + manifest, see manifest.ts), and the manifest's
 * content id and SHA-256 are what the ledger then records for that round.
 *
 * Parents: the engine names versions `<job>@<round>`; the manifest and the chain name a parent
 * by its manifest content id. This store remembers the content id of every version it stored in
 * this process, which covers a job's own rounds and `fromVersion` (the engine can only continue
 * from versions whose weights it holds, i.e. committed in this process). A parent it does not
 * know is an error rather than a silently parentless version: the lineage must not lie.
 */
import { makeError } from '../common/errors.js';
import { buildModel, type ModelSpec } from '../training/model-spec.js';
import { modelToBytes } from '../training/model-files.js';
import { setFlatWeights } from '../training/weights.js';
import { putVersion } from './manifest.js';
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

export interface VersionStore {
  /** Stores a committed round's version; resolves once the manifest and its files are in the store. */
  commit(version: VersionToStore, options?: { signal?: AbortSignal }): Promise<StoredVersionRef>;
  /** The content id of a version stored in this process, by engine version id. */
  contentIdOf(versionId: string): string | undefined;
}

export interface VersionStoreOptions {
  /** Where versions go (the embedded local store or Kubo). Required; the caller closes it. */
  store: Pick<ModelStore, 'put'>;
  /** Creation time of a version. @defaultValue () => new Date() */
  now?: () => Date;
}

export function createVersionStore(options: VersionStoreOptions): VersionStore {
  const now = options.now ?? (() => new Date());
  const stored = new Map<string, string>();
  return {
    async commit(v, { signal } = {}) {
      let parent: string | null = null;
      if (v.parent !== undefined) {
        parent = stored.get(v.parent) ?? null;
        if (parent === null) {
          throw makeError(
            `cannot store ${v.versionId}: its parent ${v.parent} is not in the model store`,
            'NOT_FOUND',
            { versionId: v.versionId, parent: v.parent },
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
      stored.set(v.versionId, version.manifestCid);
      return { contentId: version.manifestCid, sha256: version.sha256 };
    },
    contentIdOf: (versionId) => stored.get(versionId),
  };
}
