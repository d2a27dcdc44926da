/**
 * The production model store: a Kubo daemon (or any server speaking the Kubo RPC API, such as
 * the archived js-ipfs daemon the integration test runs) through `kubo-rpc-client`'s add, cat,
 * block/stat and pin/add.
 *
 * The daemon is not trusted with integrity:
 * - `put` computes the content id locally with the shared import settings and checks that the
 *   daemon produced the same one (a daemon configured with other import settings, e.g. a
 *   different DAG fan-out, would otherwise silently give ids the embedded store cannot match).
 * - `get` re-imports the bytes `cat` returned and checks they give the content id asked for:
 *   Kubo does not re-hash blocks it reads from its own disk, so a corrupted repo, or a daemon
 *   that substitutes content, is caught here. One SHA-256 pass over the bytes (about 0.1 s for
 *   40 MB). Consequence: `get` only accepts content imported with the shared settings, which
 *   is everything this project stores.
 */
import { create } from 'kubo-rpc-client';
import type { KuboRPCClient } from 'kubo-rpc-client';
import { type AidocError, assertArgument, isError, makeError, throwIfAborted } from '../common/errors.js';
import { computeCid, kuboAddOptions, parseCid, sameContent } from './import-settings.js';
import type { ModelStore, StoreGetOptions } from './model-store.js';
import { concatChunks, errorName, storeError, tooLarge } from './store-errors.js';

export interface KuboModelStoreOptions {
  /** The daemon's RPC address, e.g. `http://127.0.0.1:5001`. Required. */
  url: string;
  /**
   * How long the daemon may look for a content's root block (locally or on the network) before
   * `get`, `pin` and `has` report it missing. The daemon enforces it (Kubo's `timeout`
   * parameter) and so do we, a second later, in case the daemon does not.
   * @defaultValue 30000
   */
  lookupTimeoutMs?: number;
}

const DEFAULTS = { lookupTimeoutMs: 30_000 };

/**
 * Whether a failed request means the daemon could not be reached at all. Node's fetch reports
 * every network-level failure as a TypeError whose `cause` says why (ECONNREFUSED, a DNS error,
 * a socket reset, a refused port); HTTP-level failures are HTTPError/TimeoutError instead.
 */
function unreachable(e: unknown): boolean {
  // By name, not instanceof: the error may come from another realm (e.g. under a test runner).
  return errorName(e) === 'TypeError' && (e as { cause?: unknown }).cause !== undefined;
}

function kuboError(e: unknown, what: string, url: string, cid?: string, signal?: AbortSignal): AidocError {
  if (!signal?.aborted && unreachable(e)) {
    return makeError(
      `${what}: the IPFS daemon at ${url} cannot be reached; is it running?`,
      'BACKEND_UNAVAILABLE',
      {
        url,
        ...(cid === undefined ? {} : { cid }),
      },
      e,
    );
  }
  return storeError(e, what, cid, signal);
}

export function createKuboModelStore(options: KuboModelStoreOptions): ModelStore {
  assertArgument(
    typeof options.url === 'string' && options.url.length > 0,
    'the Kubo model store needs a daemon URL',
  );
  const config = { ...DEFAULTS, ...options };
  assertArgument(
    Number.isFinite(config.lookupTimeoutMs) && config.lookupTimeoutMs > 0,
    'lookupTimeoutMs must be a positive number of milliseconds',
    { lookupTimeoutMs: config.lookupTimeoutMs },
  );
  const url = config.url;
  const client: KuboRPCClient = create({ url });

  /** The caller's signal, plus our own deadline a second after the daemon's. */
  const lookupSignal = (signal?: AbortSignal): AbortSignal => {
    const deadline = AbortSignal.timeout(config.lookupTimeoutMs + 1000);
    return signal ? AbortSignal.any([signal, deadline]) : deadline;
  };

  /** Resolves when the daemon holds (or found) the root block; NOT_FOUND otherwise. */
  const lookUp = async (cidText: string, what: string, signal: AbortSignal | undefined, offline: boolean) => {
    const cid = parseCid(cidText);
    throwIfAborted(signal, what);
    try {
      await client.block.stat(cid, {
        signal: lookupSignal(signal),
        timeout: config.lookupTimeoutMs,
        // Kubo's global `offline` option: answer from the local repo only, do not search.
        ...(offline ? { offline: true } : {}),
      });
    } catch (e) {
      const name = errorName(e);
      if (!signal?.aborted && (name === 'TimeoutError' || name === 'HTTPError' || name === 'AbortError')) {
        // Kubo answers a missing block with HTTP 500 ("not found locally" offline, or a timeout).
        throw makeError(
          `${what}: the IPFS daemon at ${url} does not have ${cidText} (looked ${config.lookupTimeoutMs} ms)`,
          'NOT_FOUND',
          { cid: cidText, url, daemonMessage: e instanceof Error ? e.message : String(e) },
          e,
        );
      }
      throw kuboError(e, what, url, cidText, signal);
    }
    return cid;
  };

  return {
    kind: 'kubo',

    async put(bytes, { signal } = {}) {
      throwIfAborted(signal, 'storing the model bytes');
      try {
        const [expected, added] = await Promise.all([
          computeCid(bytes, { signal }),
          client.add(bytes, { ...kuboAddOptions(), pin: true, signal }),
        ]);
        const got = parseCid(added.cid.toString());
        if (!sameContent(expected, got)) {
          throw makeError(
            `the IPFS daemon at ${url} stored the bytes as ${got.toString()}, but the shared import settings give ` +
              `${expected.toString()}; its import settings differ (check Import.UnixFSFileMaxLinks = 174)`,
            'VERIFICATION_FAILED',
            { url, expected: expected.toString(), got: got.toString(), reason: 'import-settings' },
          );
        }
        return expected.toString();
      } catch (e) {
        throw kuboError(e, 'storing the model bytes', url, undefined, signal);
      }
    },

    async get(cidText, { signal, maxBytes }: StoreGetOptions = {}) {
      const what = `reading ${cidText}`;
      const cid = await lookUp(cidText, what, signal, false);
      const chunks: Uint8Array[] = [];
      let total = 0;
      try {
        for await (const c of client.cat(cid, {
          signal,
          ...(maxBytes !== undefined ? { length: maxBytes + 1 } : {}),
        })) {
          total += c.byteLength;
          if (maxBytes !== undefined && total > maxBytes) throw tooLarge(cidText, maxBytes);
          chunks.push(c);
        }
      } catch (e) {
        throw kuboError(e, what, url, cidText, signal);
      }
      const bytes = concatChunks(chunks, total);
      const actual = await computeCid(bytes, { signal });
      if (!sameContent(actual, cid)) {
        throw makeError(
          `the IPFS daemon at ${url} returned bytes for ${cidText} that hash to ${actual.toString()}: ` +
            'its repository is corrupted or it substituted the content',
          'VERIFICATION_FAILED',
          { cid: cidText, url, got: actual.toString(), reason: 'content-digest' },
        );
      }
      return bytes;
    },

    async has(cidText, { signal } = {}) {
      try {
        await lookUp(cidText, `looking up ${cidText}`, signal, true);
        return true;
      } catch (e) {
        if (isError(e, 'NOT_FOUND')) return false;
        throw e;
      }
    },

    async pin(cidText, { signal } = {}) {
      const what = `pinning ${cidText}`;
      const cid = await lookUp(cidText, what, signal, false);
      try {
        await client.pin.add(cid, { signal });
      } catch (e) {
        throw kuboError(e, what, url, cidText, signal);
      }
    },

    close() {
      return Promise.resolve();
    },
  };
}
