/**
 * The model store: content-addressed bytes, the place where model versions (TF.js files and
 * their manifests) live. Two implementations share this interface and one test suite:
 *
 * - `createLocalModelStore({ dir })` (store-local.ts): UnixFS blocks in a local folder, no
 *   networking. The embedded default.
 * - `createKuboModelStore({ url })` (store-kubo.ts): a Kubo daemon (or anything speaking the
 *   Kubo RPC API) through `kubo-rpc-client`. Production.
 *
 * Contract shared by both:
 * - Content ids are CIDv1 strings (base32), made with the same UnixFS import settings
 *   (import-settings.ts), so the same bytes get the same content id in either store.
 * - `get` never returns bytes that do not hash to the content id asked for: a corrupted or
 *   substituted block is reported as VERIFICATION_FAILED, never handed on. Callers may still
 *   check their own digests (pull.ts does, against the chain), but need not trust the store.
 * - Every call takes `{ signal }`; an aborted call throws ABORTED.
 * - Errors are coded (common/errors.ts): NOT_FOUND (content not held / not reachable),
 *   VERIFICATION_FAILED (bytes do not match their content id, or exceed `maxBytes`),
 *   INVALID_ARGUMENT (not a CID), BACKEND_UNAVAILABLE (the daemon cannot be reached), ABORTED.
 */

/** Options every store call accepts. */
export interface StoreCallOptions {
  /** Cancels the call; the promise then rejects with an ABORTED error. @defaultValue none */
  signal?: AbortSignal;
}

export interface StoreGetOptions extends StoreCallOptions {
  /**
   * Refuse content larger than this many bytes (VERIFICATION_FAILED) instead of reading it all
   * into memory; pull.ts passes the size the manifest promises.
   * @defaultValue no limit
   */
  maxBytes?: number;
}

export interface ModelStore {
  /** Which implementation this is, for logs and reports (`'local'` or `'kubo'`). */
  readonly kind: string;
  /**
   * Stores `bytes` as one UnixFS file and returns its content id (CIDv1, base32). Idempotent:
   * the same bytes always give the same id, in either store. Content put is kept (pinned).
   */
  put(bytes: Uint8Array, options?: StoreCallOptions): Promise<string>;
  /**
   * Returns the bytes of a content id, verified against it. NOT_FOUND when the store does not
   * hold the content (the Kubo store gives the network `lookupTimeoutMs` to find its root).
   */
  get(cid: string, options?: StoreGetOptions): Promise<Uint8Array>;
  /** Whether the store holds the content's root block locally (no network fetch). */
  has(cid: string, options?: StoreCallOptions): Promise<boolean>;
  /** Keeps the content from garbage collection. NOT_FOUND when the store does not have it. */
  pin(cid: string, options?: StoreCallOptions): Promise<void>;
  /** Releases files or connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
