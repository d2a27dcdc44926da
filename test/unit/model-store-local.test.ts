import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isError } from '../../common/errors.js';
import {
  IMPORT_SETTINGS,
  computeCid,
  kuboAddOptions,
  parseCid,
} from '../../model-registry/import-settings.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { KNOWN_CIDS, modelStoreSuite, patternBytes } from '../helpers/model-store-suite.js';

modelStoreSuite('local (blockstore-fs)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aidoc-store-'));
  const store = await createLocalModelStore({ dir });
  return {
    store,
    blocksDir: dir,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('import settings', () => {
  it('are CIDv1, raw leaves, 1 MiB fixed chunks, balanced with 174 links, and map to Kubo add flags', () => {
    expect(IMPORT_SETTINGS).toEqual({
      cidVersion: 1,
      rawLeaves: true,
      chunkSize: 1048576,
      maxChildrenPerNode: 174,
    });
    expect(kuboAddOptions()).toEqual({
      cidVersion: 1,
      rawLeaves: true,
      chunker: 'size-1048576',
      trickle: false,
      hashAlg: 'sha2-256',
    });
  });

  it('computeCid gives the known ids without storing anything', async () => {
    expect((await computeCid(new Uint8Array(0))).toString()).toBe(KNOWN_CIDS.empty);
    expect((await computeCid(patternBytes())).toString()).toBe(KNOWN_CIDS.pattern);
  });

  it('parseCid rejects what is not a CID with INVALID_ARGUMENT', () => {
    expect(parseCid(KNOWN_CIDS.empty).version).toBe(1);
    let caught: unknown;
    try {
      parseCid('Qm-not-a-cid');
    } catch (e) {
      caught = e;
    }
    expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('the local store survives a reopen (blocks are on disk)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aidoc-store-'));
    try {
      const a = await createLocalModelStore({ dir });
      const cid = await a.put(patternBytes());
      await a.close();
      const b = await createLocalModelStore({ dir });
      expect((await b.get(cid)).byteLength).toBe(patternBytes().byteLength);
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
