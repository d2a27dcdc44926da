/**
 * The one test suite every ModelStore implementation must pass (Helia's interface-tests style):
 * test/unit/model-store-local.test.ts runs it on the embedded store, and
 * test/integration/model-store-kubo.test.ts on the Kubo store against a real daemon.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { base32upper } from 'multiformats/bases/base32';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { isError } from '../../common/errors.js';
import { IMPORT_SETTINGS, computeCid } from '../../model-registry/import-settings.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { findBlockFile } from './ipfs-daemon.js';

export interface StoreFixture {
  store: ModelStore;
  /** Root folder under which the store's block files live (searched for a block to corrupt). */
  blocksDir: string;
  cleanup(): Promise<void>;
}

/** Deterministic bytes (xorshift32 from `seed`). */
export function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/** 3 MiB + 5 bytes, byte i = i mod 251: four leaves under one dag-pb root. */
export function patternBytes(): Uint8Array {
  return new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i % 251);
}

/**
 * Known content ids under the shared import settings. The js-ipfs daemon (Kubo RPC API, `add
 * --cid-version 1 --raw-leaves --chunker size-1048576`) and the embedded store both give these;
 * the empty-file id is the well-known one Kubo gives with raw leaves.
 */
export const KNOWN_CIDS = {
  empty: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
  pattern: 'bafybeidjdzyb7cjtwabgkg3psrr6d53vcxhxfxrt44ind74gq6coscbj74',
};

/** Content id of a raw leaf holding `bytes`. */
export async function rawLeafCid(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(bytes));
}

/** Changes one byte of the block file holding leaf `leaf`, keeping its length. */
export async function corruptBlock(blocksDir: string, leaf: CID): Promise<string> {
  const key = base32upper.baseEncode(leaf.multihash.bytes);
  const file = await findBlockFile(blocksDir, key);
  if (!file) throw new Error(`no block file for ${leaf.toString()} under ${blocksDir}`);
  const bytes = await readFile(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  await writeFile(file, bytes);
  return file;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isError(e, 'NOT_FOUND') ||
      isError(e, 'VERIFICATION_FAILED') ||
      isError(e, 'ABORTED') ||
      isError(e, 'INVALID_ARGUMENT')
      ? e.code
      : `unexpected: ${String(e)}`;
  }
}

export function modelStoreSuite(name: string, open: () => Promise<StoreFixture>): void {
  describe(`ModelStore contract: ${name}`, () => {
    let fx: StoreFixture;
    beforeAll(async () => {
      fx = await open();
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    it('round-trips small, empty and multi-chunk (10 MB+) content', async () => {
      for (const bytes of [
        new TextEncoder().encode('{"format":"layers-model"}'),
        new Uint8Array(0),
        seededBytes(10 * 1024 * 1024 + 12_345, 7),
      ]) {
        const cid = await fx.store.put(bytes);
        expect(CID.parse(cid).version).toBe(1);
        const back = await fx.store.get(cid);
        expect(back.byteLength).toBe(bytes.byteLength);
        expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
      }
    });

    it('gives the shared import settings’ content ids (same bytes, same id in every store)', async () => {
      expect(await fx.store.put(new Uint8Array(0))).toBe(KNOWN_CIDS.empty);
      expect(await fx.store.put(patternBytes())).toBe(KNOWN_CIDS.pattern);
      const big = seededBytes(IMPORT_SETTINGS.chunkSize * 2 + 1, 11);
      const cid = await fx.store.put(big);
      expect(cid).toBe((await computeCid(big)).toString());
      expect(await fx.store.put(big)).toBe(cid); // idempotent
      // One chunk or less: addressed by its raw leaf, as Kubo does.
      const small = seededBytes(1000, 3);
      expect(await fx.store.put(small)).toBe((await rawLeafCid(small)).toString());
    });

    it('has and pin know what the store holds', async () => {
      const cid = await fx.store.put(seededBytes(5000, 5));
      expect(await fx.store.has(cid)).toBe(true);
      await expect(fx.store.pin(cid)).resolves.toBeUndefined();
      const absent = (await rawLeafCid(seededBytes(64, 99))).toString();
      expect(await fx.store.has(absent)).toBe(false);
      expect(await codeOf(fx.store.pin(absent))).toBe('NOT_FOUND');
    });

    it('reports content it does not hold as NOT_FOUND, and a malformed id as INVALID_ARGUMENT', async () => {
      const absent = (await rawLeafCid(seededBytes(64, 98))).toString();
      expect(await codeOf(fx.store.get(absent))).toBe('NOT_FOUND');
      expect(await codeOf(fx.store.get('not-a-cid'))).toBe('INVALID_ARGUMENT');
    });

    it('detects a corrupted block (one byte changed on disk) and returns nothing', async () => {
      const bytes = seededBytes(3 * IMPORT_SETTINGS.chunkSize + 17, 21);
      const cid = await fx.store.put(bytes);
      expect(Buffer.from(await fx.store.get(cid)).equals(Buffer.from(bytes))).toBe(true);
      const leaf = await rawLeafCid(bytes.subarray(IMPORT_SETTINGS.chunkSize, 2 * IMPORT_SETTINGS.chunkSize));
      await corruptBlock(fx.blocksDir, leaf);
      let caught: unknown;
      try {
        await fx.store.get(cid);
      } catch (e) {
        caught = e;
      }
      expect(isError(caught, 'VERIFICATION_FAILED')).toBe(true);
    });

    it('refuses content larger than maxBytes', async () => {
      const bytes = seededBytes(2 * IMPORT_SETTINGS.chunkSize + 3, 31);
      const cid = await fx.store.put(bytes);
      expect(await codeOf(fx.store.get(cid, { maxBytes: IMPORT_SETTINGS.chunkSize }))).toBe(
        'VERIFICATION_FAILED',
      );
      expect((await fx.store.get(cid, { maxBytes: bytes.byteLength })).byteLength).toBe(bytes.byteLength);
    });

    it('stops on abort: before the call and while reading', async () => {
      const bytes = seededBytes(10 * 1024 * 1024, 41);
      const aborted = AbortSignal.abort(new Error('test'));
      expect(await codeOf(fx.store.put(bytes, { signal: aborted }))).toBe('ABORTED');
      const cid = await fx.store.put(bytes);
      expect(await codeOf(fx.store.get(cid, { signal: aborted }))).toBe('ABORTED');
      expect(await codeOf(fx.store.has(cid, { signal: aborted }))).toBe('ABORTED');
      const ac = new AbortController();
      const reading = fx.store.get(cid, { signal: ac.signal });
      setImmediate(() => ac.abort(new Error('test')));
      expect(await codeOf(reading)).toBe('ABORTED');
    });
  });
}
