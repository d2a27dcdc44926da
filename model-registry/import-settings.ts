/**
 * The one set of UnixFS import settings both model stores use, so the same bytes get the same
 * content id in the embedded store and in Kubo. A content id is only reproducible if every
 * choice below matches: CID version, leaf encoding, chunking, DAG layout and its fan-out, hash.
 *
 * - CIDv1, raw leaves, SHA-256: what Kubo's `--cid-version 1` implies and today's default for
 *   new content (IPIP-499's "unixfs-v1-2025" profile uses the same).
 * - Fixed-size 1 MiB chunks: Kubo's `--chunker size-1048576`; a 40 MB model is 40 leaves.
 * - Balanced layout with at most 174 links per node: Kubo's default (`Import.UnixFSFileMaxLinks`)
 *   and js-ipfs's. The unixfs-v1-2025 profile raises it to 1024; a Kubo node configured with
 *   that profile gives different ids for files over 174 MiB, and `put` on the Kubo store then
 *   fails loudly (it checks the daemon's id against the one computed here).
 */
import { unixfs } from '@helia/unixfs';
import type { AddOptions } from '@helia/unixfs';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { CID } from 'multiformats/cid';
import { makeError } from '../common/errors.js';

export interface ImportSettings {
  /** Always 1 here; part of the type so a change is a visible, reviewed decision. */
  cidVersion: 1;
  /** Leaves are raw blocks (codec 0x55), not dag-pb wrapped. */
  rawLeaves: true;
  /** Fixed chunk size in bytes. */
  chunkSize: number;
  /** Maximum links per node of the balanced DAG. */
  maxChildrenPerNode: number;
}

export const IMPORT_SETTINGS: Readonly<ImportSettings> = Object.freeze({
  cidVersion: 1,
  rawLeaves: true,
  chunkSize: 1024 * 1024,
  maxChildrenPerNode: 174,
});

/** Options for `@helia/unixfs` `addBytes` that realise `settings` (the embedded store's side). */
export function unixfsAddOptions(
  settings: ImportSettings = IMPORT_SETTINGS,
  signal?: AbortSignal,
): AddOptions {
  return {
    cidVersion: settings.cidVersion,
    rawLeaves: settings.rawLeaves,
    chunker: fixedSize({ chunkSize: settings.chunkSize }),
    layout: balanced({ maxChildrenPerNode: settings.maxChildrenPerNode }),
    // A file that fits one chunk is addressed by its raw leaf, as Kubo does.
    reduceSingleLeafToSelf: true,
    ...(signal ? { signal } : {}),
  };
}

/**
 * Kubo RPC `add` parameters that realise `settings` (the Kubo store's side). Kubo's balanced
 * layout fan-out is not an RPC parameter: it is the daemon's (default 174), which is why
 * `maxChildrenPerNode` is fixed at that value and the Kubo store re-checks every id it gets.
 */
export function kuboAddOptions(settings: ImportSettings = IMPORT_SETTINGS): {
  cidVersion: 1;
  rawLeaves: true;
  chunker: string;
  trickle: false;
  hashAlg: 'sha2-256';
} {
  return {
    cidVersion: settings.cidVersion,
    rawLeaves: settings.rawLeaves,
    chunker: `size-${settings.chunkSize}`,
    trickle: false,
    hashAlg: 'sha2-256',
  };
}

/** A blockstore that keeps nothing: importing into it only computes the content id. */
const discard = {
  put: (cid: CID) => cid,
  get: (): never => {
    throw makeError('the discard blockstore holds no blocks', 'INTERNAL');
  },
  has: () => false,
};

/**
 * The content id `bytes` get under `settings`, computed locally without storing anything.
 * Costs one SHA-256 pass over the bytes (about 0.1 s for 40 MB).
 */
export async function computeCid(
  bytes: Uint8Array,
  options: { settings?: ImportSettings; signal?: AbortSignal } = {},
): Promise<CID> {
  return unixfs({ blockstore: discard }).addBytes(bytes, unixfsAddOptions(options.settings, options.signal));
}

/** Parses a content id string; INVALID_ARGUMENT when it is not one. */
export function parseCid(value: string): CID {
  try {
    return CID.parse(value);
  } catch (e) {
    throw makeError(`'${value}' is not a content id (CID)`, 'INVALID_ARGUMENT', { cid: value }, e);
  }
}

/** Whether two content ids name the same content (same codec and multihash, any CID version). */
export function sameContent(a: CID, b: CID): boolean {
  if (a.code !== b.code) return false;
  const x = a.multihash.bytes;
  const y = b.multihash.bytes;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
