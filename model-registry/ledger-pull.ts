/**
 * Pulling a version named `<job>@<round>` the way `aidoc model pull` and `aidoc demo --out` do:
 * the chain says which manifest (content id) and which digest, the store supplies the bytes, and
 * pull.ts checks the bytes against the chain before writing anything. The chain is also asked
 * whether the version is revoked, at the moment of the pull (not from a cached listing).
 */
import { assertArgument, isError, makeError } from '../common/errors.js';
import type { Ledger, VersionView } from '../ledger/ledger.js';
import type { ModelStore } from './model-store.js';
import { pullVersion, type PulledVersion } from './pull.js';

export type VersionLedger = Pick<Ledger, 'versions' | 'versionByContent'>;

/** Parses `J@V` (job id, round); the job id may itself contain `@`, the round is after the last one. */
export function parseVersionRef(ref: string): { jobId: string; round: number } {
  const at = ref.lastIndexOf('@');
  const jobId = ref.slice(0, at);
  const round = Number(ref.slice(at + 1));
  assertArgument(
    at > 0 && Number.isInteger(round) && round >= 0 && /^\d+$/.test(ref.slice(at + 1)),
    `'${ref}' is not a version: expected JOB@ROUND, e.g. job-1a2b3c4d@20`,
    { ref },
  );
  return { jobId, round };
}

/** The version `<job>@<round>` on chain; NOT_FOUND when the chain has no such version. */
export async function findVersion(ledger: VersionLedger, ref: string): Promise<VersionView> {
  const { jobId, round } = parseVersionRef(ref);
  const v = (await ledger.versions({ jobId })).find((x) => x.round === round);
  if (!v) throw makeError(`no version ${ref} on the ledger`, 'NOT_FOUND', { jobId, round });
  return v;
}

export interface PullFromLedgerOptions {
  ledger: VersionLedger;
  store: Pick<ModelStore, 'get'>;
  /** `<job>@<round>`. */
  ref: string;
  outDir: string;
  /** @defaultValue false */
  allowRevoked?: boolean;
  /** @defaultValue false */
  overwrite?: boolean;
  signal?: AbortSignal;
}

export async function pullFromLedger(o: PullFromLedgerOptions): Promise<PulledVersion> {
  const v = await findVersion(o.ledger, o.ref);
  return pullVersion({
    store: o.store,
    manifestCid: v.contentId,
    expectedSha256: v.sha256,
    outDir: o.outDir,
    // Asked again at pull time: a version revoked since the listing above is refused.
    isRevoked: async (cid) => (await o.ledger.versionByContent(cid))?.revoked ?? true,
    allowRevoked: o.allowRevoked ?? false,
    overwrite: o.overwrite ?? false,
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/**
 * Finds versions on chain for the coordinator's version store (`fromVersion`, parents committed by
 * another replica): where the manifest is, its digest, and whether governance revoked it.
 */
export function ledgerVersionResolver(
  ledger: VersionLedger,
): (versionId: string) => Promise<{ contentId: string; sha256: string; revoked: boolean } | undefined> {
  return async (versionId) => {
    try {
      const v = await findVersion(ledger, versionId);
      return { contentId: v.contentId, sha256: v.sha256, revoked: v.revoked };
    } catch (e) {
      if (isError(e, 'NOT_FOUND')) return undefined;
      throw e;
    }
  };
}
