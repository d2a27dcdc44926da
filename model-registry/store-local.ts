/**
 * The embedded model store: UnixFS blocks in a local folder (`@helia/unixfs` over
 * `blockstore-fs`), no networking, no daemon. Block files are named by their multihash
 * (`<dir>/<2 chars>/B<base32 multihash>.data`), the layout Helia and js-ipfs use.
 *
 * Every block read is hashed and compared to its content id before the UnixFS exporter sees it:
 * blockstore-fs reads files as they are, so a block changed on disk (bit rot, a partial write
 * from a crash, tampering) would otherwise be returned silently.
 *
 * Nothing is ever deleted, so all content is kept; `pin` only checks that the content is here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unixfs } from '@helia/unixfs';
import { FsBlockstore } from 'blockstore-fs';
import { NextToLast } from 'blockstore-fs/sharding';
import type { CID } from 'multiformats/cid';
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import { unixfsAddOptions, parseCid } from './import-settings.js';
import type { ModelStore, StoreCallOptions, StoreGetOptions } from './model-store.js';
import { concatChunks, storeError, tooLarge } from './store-errors.js';

export interface LocalModelStoreOptions {
  /** Folder holding the block files; created if missing. Required. */
  dir: string;
}

const SHA2_256 = 0x12;

/** Checks a block against its content id; VERIFICATION_FAILED on mismatch. */
function verifyBlock(cid: CID, bytes: Uint8Array): void {
  if (cid.multihash.code !== SHA2_256) {
    throw makeError(
      `block ${cid.toString()} uses a hash other than SHA-256; not supported`,
      'VERIFICATION_FAILED',
      {
        cid: cid.toString(),
        reason: 'hash-algorithm',
      },
    );
  }
  const digest = createHash('sha256').update(bytes).digest();
  const expected = cid.multihash.digest;
  if (digest.length !== expected.length || !digest.every((v, i) => v === expected[i])) {
    throw makeError(
      `block ${cid.toString()} does not match its content id: the local store is corrupted or was tampered with`,
      'VERIFICATION_FAILED',
      { cid: cid.toString(), reason: 'block-digest' },
    );
  }
}

/**
 * The blockstore the UnixFS importer/exporter sees: blockstore-fs for writes, and for reads a
 * whole-file read of the block (about twice as fast as blockstore-fs's 64 KiB stream) that is
 * verified before it is handed on.
 */
function verifyingBlockstore(inner: FsBlockstore, dir: string, sharding: NextToLast) {
  return {
    put: (cid: CID, bytes: Uint8Array, options?: StoreCallOptions) => inner.put(cid, bytes, options),
    has: (cid: CID, options?: StoreCallOptions) => inner.has(cid, options),
    async *get(cid: CID, options?: StoreCallOptions): AsyncGenerator<Uint8Array> {
      const { dir: shard, file } = sharding.encode(cid);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(join(dir, shard, file), { signal: options?.signal });
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ENOENT') {
          throw makeError(
            `the local store has no block ${cid.toString()}`,
            'NOT_FOUND',
            { cid: cid.toString() },
            e,
          );
        }
        throw e;
      }
      verifyBlock(cid, bytes);
      yield bytes;
    },
  };
}

export async function createLocalModelStore(options: LocalModelStoreOptions): Promise<ModelStore> {
  assertArgument(
    typeof options.dir === 'string' && options.dir.length > 0,
    'a local model store needs a folder',
    {
      dir: options.dir,
    },
  );
  // The sharding strategy is blockstore-fs's default, made explicit so reads can find the files.
  const sharding = new NextToLast();
  const inner = new FsBlockstore(options.dir, { createIfMissing: true, shardingStrategy: sharding });
  await inner.open();
  const blockstore = verifyingBlockstore(inner, options.dir, sharding);
  const fs = unixfs({ blockstore });

  const store: ModelStore = {
    kind: 'local',

    async put(bytes, { signal } = {}) {
      throwIfAborted(signal, 'storing the model bytes');
      try {
        const cid = await fs.addBytes(bytes, unixfsAddOptions(undefined, signal));
        return cid.toString();
      } catch (e) {
        throw storeError(e, 'storing the model bytes', undefined, signal);
      }
    },

    async get(cidText, { signal, maxBytes }: StoreGetOptions = {}) {
      const cid = parseCid(cidText);
      throwIfAborted(signal, `reading ${cidText}`);
      const chunks: Uint8Array[] = [];
      let total = 0;
      try {
        // offline: never ask a network for missing blocks (there is none; be explicit).
        for await (const c of fs.cat(cid, { signal, offline: true })) {
          total += c.byteLength;
          if (maxBytes !== undefined && total > maxBytes) throw tooLarge(cidText, maxBytes);
          chunks.push(c);
          throwIfAborted(signal, `reading ${cidText}`);
        }
      } catch (e) {
        throw storeError(e, `reading ${cidText}`, cidText, signal);
      }
      return concatChunks(chunks, total);
    },

    async has(cidText, { signal } = {}) {
      const cid = parseCid(cidText);
      throwIfAborted(signal, `looking up ${cidText}`);
      return inner.has(cid, { signal });
    },

    async pin(cidText, { signal } = {}) {
      if (!(await store.has(cidText, { signal }))) {
        throw makeError(`cannot pin ${cidText}: the local store does not hold it`, 'NOT_FOUND', {
          cid: cidText,
        });
      }
    },

    async close() {
      await inner.close();
    },
  };
  return store;
}
