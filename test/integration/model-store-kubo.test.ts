/**
 * The Kubo store against a real Kubo-RPC-compatible daemon (the js-ipfs daemon, see
 * test/helpers/ipfs-daemon.ts): the shared ModelStore suite, plus the proof that the embedded
 * store and the daemon give the same content id for the same bytes.
 *
 * Without the daemon's packages the tests skip with a message; under CI=true they fail.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { create } from 'kubo-rpc-client';
import { isError } from '../../common/errors.js';
import { IMPORT_SETTINGS, computeCid, kuboAddOptions } from '../../model-registry/import-settings.js';
import type { ModelStore } from '../../model-registry/model-store.js';
import { createKuboModelStore } from '../../model-registry/store-kubo.js';
import { createLocalModelStore } from '../../model-registry/store-local.js';
import { type IpfsDaemon, startIpfsDaemon } from '../helpers/ipfs-daemon.js';
import { KNOWN_CIDS, modelStoreSuite, patternBytes, seededBytes } from '../helpers/model-store-suite.js';

const started = await startIpfsDaemon();
const daemon: IpfsDaemon | undefined = 'unavailable' in started ? undefined : started;
const whyMissing = 'unavailable' in started ? started.unavailable : '';

if (!daemon) {
  describe('Kubo model store', () => {
    it('needs a Kubo-RPC-compatible daemon (devDependencies ipfs-core + ipfs-http-server)', () => {
      if (process.env.CI === 'true') {
        throw new Error(`no IPFS daemon could be started under CI: ${whyMissing}`);
      }
      console.warn(`skipping the Kubo store tests: no IPFS daemon (${whyMissing}); run npm install`);
    });
  });
} else {
  afterAll(async () => {
    await daemon.stop();
  });

  modelStoreSuite('kubo (js-ipfs daemon over the Kubo RPC API)', () =>
    Promise.resolve({
      // The offline daemon answers a missing block only when its lookup times out.
      store: createKuboModelStore({ url: daemon.url, lookupTimeoutMs: 1500 }),
      blocksDir: join(daemon.repo, 'blocks'),
      cleanup: () => Promise.resolve(),
    }),
  );

  describe('embedded and Kubo stores agree', () => {
    let local: ModelStore;
    let kubo: ModelStore;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'aidoc-store-'));
      local = await createLocalModelStore({ dir });
      kubo = createKuboModelStore({ url: daemon.url, lookupTimeoutMs: 1500 });
    });
    afterAll(async () => {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('same bytes, same content id: empty, one chunk, exactly one chunk, many chunks', async () => {
      const cases = [
        new Uint8Array(0),
        seededBytes(12_345, 1),
        seededBytes(IMPORT_SETTINGS.chunkSize, 2),
        patternBytes(),
        seededBytes(10 * 1024 * 1024 + 7, 3),
      ];
      for (const bytes of cases) {
        const [a, b] = [await local.put(bytes), await kubo.put(bytes)];
        expect(b).toBe(a);
        // And each store serves what the other stored, under the same id.
        expect(Buffer.from(await kubo.get(a)).equals(Buffer.from(await local.get(b)))).toBe(true);
      }
      expect(await local.put(patternBytes())).toBe(KNOWN_CIDS.pattern);
    });

    it('the DAG layout matches past 174 leaves (balanced, 174 links per node), shown with 1 KiB chunks', async () => {
      // 1 MiB chunks would need 175 MiB to reach a second tree level; the layout code is the same
      // for any chunk size, so a 1 KiB chunker shows it with 400 leaves.
      const settings = { ...IMPORT_SETTINGS, chunkSize: 1024 };
      const bytes = seededBytes(400 * 1024 + 9, 4);
      const client = create({ url: daemon.url });
      const added = await client.add(bytes, { ...kuboAddOptions(settings), pin: false });
      const mine = await computeCid(bytes, { settings });
      expect(added.cid.toString()).toBe(mine.toString());
      const wider = await computeCid(bytes, { settings: { ...settings, maxChildrenPerNode: 1024 } });
      expect(wider.toString()).not.toBe(mine.toString()); // the fan-out matters, and is matched
    });

    it('an unreachable daemon is BACKEND_UNAVAILABLE', async () => {
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          server.close(() => resolve(port));
        });
      });
      const dead = createKuboModelStore({ url: `http://127.0.0.1:${port}`, lookupTimeoutMs: 500 });
      let caught: unknown;
      try {
        await dead.put(new Uint8Array(10));
      } catch (e) {
        caught = e;
      }
      expect(isError(caught, 'BACKEND_UNAVAILABLE')).toBe(true);
    });
  });
}
