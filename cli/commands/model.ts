/**
 * `aidoc model list|pull|verify|lineage`: the model versions the federation committed. The chain
 * (`--ledger-state` or `--rpc`, as for `aidoc ledger`) says which versions exist, their content
 * ids, digests and whether they are revoked; the model store (`--store DIR`, or a Kubo daemon with
 * `--kubo URL`) holds the bytes. Nothing pulled is trusted before it matches the chain.
 */
import { makeError } from '../../common/errors.js';
import type { Ledger, VersionView } from '../../ledger/ledger.js';
import { findVersion, pullFromLedger } from '../../model-registry/ledger-pull.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { verifyFolder } from '../../model-registry/pull.js';
import { createKuboModelStore } from '../../model-registry/store-kubo.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import type { CliCommand, FlagSpec, FlagValues } from '../command.js';
import { optionalString, requireString } from '../flags.js';
import { ledgerAccessFlags, withLedger } from './ledger.js';

/** Where the embedded model store keeps its blocks unless told otherwise (beside DEFAULT_LEDGER_STATE). */
export const DEFAULT_MODEL_STORE = '.aidoc/store';

const storeFlags: Record<string, FlagSpec> = {
  store: {
    type: 'string',
    valueName: 'DIR',
    description: `Embedded model store folder (default ${DEFAULT_MODEL_STORE}; aidoc demo uses DIR/store)`,
  },
  kubo: { type: 'string', valueName: 'URL', description: 'Kubo RPC API URL instead of the embedded store' },
};

async function withStore<T>(flags: FlagValues, fn: (s: ModelStore) => Promise<T>): Promise<T> {
  const kubo = optionalString(flags, 'kubo');
  const dir = optionalString(flags, 'store');
  if (kubo && dir) throw makeError('give --store or --kubo, not both', 'INVALID_ARGUMENT');
  const store = kubo
    ? createKuboModelStore({ url: kubo })
    : await createLocalModelStore({ dir: dir ?? DEFAULT_MODEL_STORE });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const versionName = (v: VersionView) => `${v.jobId ?? v.jobKey}@${v.round}`;

function versionJson(v: VersionView) {
  return {
    version: versionName(v),
    jobId: v.jobId,
    round: v.round,
    contentId: v.contentId,
    sha256: v.sha256,
    parent: v.parent,
    metrics: v.metrics,
    revoked: v.revoked,
    txHash: v.txHash,
  };
}

export const modelListCommand: CliCommand = {
  path: ['model', 'list'],
  summary: 'Model versions on chain: JOB@ROUND, content id, parent, revoked',
  flags: { ...ledgerAccessFlags, job: { type: 'string', valueName: 'JOB', description: 'Only this job' } },
  run({ flags, io }) {
    return withLedger(flags, false, async (ledger) => {
      const job = optionalString(flags, 'job');
      const versions = await ledger.versions(job ? { jobId: job } : {});
      if (flags.json) return void io.out(JSON.stringify({ versions: versions.map(versionJson) }));
      if (versions.length === 0) io.out('no model versions on the ledger');
      for (const v of versions) {
        io.out(
          `${versionName(v).padEnd(24)} ${v.contentId}  parent ${v.parent ?? '-'}${v.revoked ? '  REVOKED' : ''}`,
        );
      }
    });
  },
};

export const modelPullCommand: CliCommand = {
  path: ['model', 'pull'],
  summary: 'Pull a version into a folder that TF.js loads, checked against the chain before writing',
  details: `Refuses a revoked version unless --allow-revoked, and any byte that does not match the
digest on chain (nothing is written then). The folder holds model.json, group1-shard1of1.bin and
aidoc-version.json (the manifest), which \`aidoc model verify\` checks later.`,
  positionals: 'JOB@ROUND',
  flags: {
    ...ledgerAccessFlags,
    ...storeFlags,
    out: { type: 'string', valueName: 'DIR', description: 'Folder to create (must not exist)' },
    'allow-revoked': { type: 'boolean', description: 'Pull a revoked version anyway' },
  },
  run({ flags, positionals, io, signal }) {
    const [ref] = positionals;
    if (!ref) throw makeError('which version? give JOB@ROUND', 'INVALID_ARGUMENT');
    const outDir = requireString(flags, 'out');
    return withLedger(flags, false, (ledger) =>
      withStore(flags, async (store) => {
        const pulled = await pullFromLedger({
          ledger,
          store,
          ref,
          outDir,
          allowRevoked: Boolean(flags['allow-revoked']),
          signal,
        });
        if (flags.json) {
          return void io.out(
            JSON.stringify({
              version: ref,
              dir: pulled.dir,
              contentId: pulled.manifestCid,
              sha256: pulled.sha256,
              revoked: pulled.revoked,
              files: pulled.files,
            }),
          );
        }
        if (pulled.revoked) io.err(`warning: ${ref} is REVOKED on chain; pulled because --allow-revoked`);
        io.out(`pulled ${ref} (${pulled.manifestCid}) into ${pulled.dir}, verified against the chain`);
        io.out(`load it: tf.loadLayersModel('file://${pulled.dir}/model.json')`);
      }),
    );
  },
};

export const modelVerifyCommand: CliCommand = {
  path: ['model', 'verify'],
  summary: 'Check a pulled folder against the chain: manifest digest, every file, not revoked',
  positionals: 'DIR',
  flags: ledgerAccessFlags,
  run({ flags, positionals, io }) {
    const [dir] = positionals;
    if (!dir) throw makeError('which folder? give DIR', 'INVALID_ARGUMENT');
    return withLedger(flags, false, async (ledger) => {
      const self = await verifyFolder(dir);
      const onChain = await ledger.versionByContent(self.manifestCid);
      const report = onChain
        ? await verifyFolder(dir, { sha256: onChain.sha256, manifestCid: onChain.contentId })
        : self;
      const problems = [...report.problems];
      if (!onChain) problems.push(`version ${self.manifestCid} is not recorded on the ledger`);
      else if (onChain.revoked) problems.push(`version ${versionName(onChain)} is revoked on the ledger`);
      const ok = problems.length === 0;
      if (flags.json) {
        io.out(
          JSON.stringify({
            ok,
            problems,
            contentId: report.manifestCid,
            sha256: report.sha256,
            version: onChain ? versionName(onChain) : null,
            revoked: onChain?.revoked ?? null,
          }),
        );
      } else if (ok) {
        io.out(`ok: ${dir} is ${versionName(onChain!)} (${report.manifestCid}), as recorded on chain`);
      } else {
        io.out(`NOT OK: ${dir}`);
        for (const p of problems) io.out(`  ${p}`);
      }
      return ok ? 0 : 1;
    });
  },
};

export const modelLineageCommand: CliCommand = {
  path: ['model', 'lineage'],
  summary: 'The parent chain of a version, newest first, from the chain',
  positionals: 'JOB@ROUND',
  flags: ledgerAccessFlags,
  run({ flags, positionals, io }) {
    const [ref] = positionals;
    if (!ref) throw makeError('which version? give JOB@ROUND', 'INVALID_ARGUMENT');
    return withLedger(flags, false, async (ledger: Ledger) => {
      const chain: VersionView[] = [await findVersion(ledger, ref)];
      const seen = new Set([chain[0]!.contentId]);
      for (let parent = chain[0]!.parent; parent !== null;) {
        const v = await ledger.versionByContent(parent);
        if (!v)
          throw makeError(
            `parent ${parent} of ${versionName(chain.at(-1)!)} is not on the ledger`,
            'NOT_FOUND',
          );
        if (seen.has(v.contentId)) throw makeError(`lineage loops at ${v.contentId}`, 'VERIFICATION_FAILED');
        seen.add(v.contentId);
        chain.push(v);
        parent = v.parent;
      }
      if (flags.json) return void io.out(JSON.stringify({ lineage: chain.map(versionJson) }));
      for (const v of chain) {
        io.out(`${versionName(v).padEnd(24)} ${v.contentId}${v.revoked ? '  REVOKED' : ''}`);
      }
    });
  },
};

export const modelCommands: CliCommand[] = [
  modelListCommand,
  modelPullCommand,
  modelVerifyCommand,
  modelLineageCommand,
];
