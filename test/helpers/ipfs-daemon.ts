/**
 * Starts a Kubo-RPC-compatible IPFS daemon for integration tests, on a free loopback port, with a
 * fresh temporary repo, offline (no swarm listeners, no bootstrap peers, no MDNS, no preload).
 *
 * No Kubo binary can be installed on this machine (its install downloads the Go binary), so the
 * daemon is the archived js-ipfs one: `ipfs-core` (the node) with `ipfs-http-server` (its Kubo
 * RPC API, `/api/v0/...`), exactly what `jsipfs daemon` runs minus the gateway and the gRPC
 * server. Both are devDependencies; the top-level `ipfs` package is not used because its optional
 * dependencies (wrtc, electron-webrtc) download binaries at install time.
 *
 * It runs in a child process (its libp2p-era dependency tree stays out of the test's module
 * graph) and dies with its parent: it exits when its stdin closes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface IpfsDaemon {
  /** RPC base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The daemon's repo folder; its blocks live under `blocks/`. */
  repo: string;
  /** Stops the daemon and deletes its repo. */
  stop(): Promise<void>;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// The daemon program. ipfs-core 0.18's dependency `mortice` now resolves to a version that calls
// Promise.withResolvers (Node 22+); the polyfill keeps the archived daemon running on Node 20.
const DAEMON = `
if (!Promise.withResolvers) Promise.withResolvers = function () {
  let resolve, reject
  const promise = new Promise((a, b) => { resolve = a; reject = b })
  return { promise, resolve, reject }
}
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
let core, http
try {
  core = await import('ipfs-core')
  http = await import('ipfs-http-server')
} catch (e) {
  say({ unavailable: String(e && e.message || e) })
  process.exit(3)
}
const ipfs = await core.create({
  repo: process.env.AIDOC_IPFS_REPO,
  offline: true,
  silent: true,
  start: true,
  preload: { enabled: false },
  init: { algorithm: 'Ed25519' },
  config: {
    Addresses: { API: '/ip4/127.0.0.1/tcp/0', Swarm: [], Gateway: '', Delegates: [] },
    Bootstrap: [],
    Discovery: { MDNS: { Enabled: false }, webRTCStar: { Enabled: false } },
  },
})
const api = new http.HttpApi(ipfs)
await api.start()
say({ api: api._apiServers[0].info.uri })
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  try { await api.stop(); await ipfs.stop() } finally { process.exit(0) }
}
process.on('SIGTERM', stop)
process.stdin.on('end', stop)
process.stdin.resume()
`;

/**
 * Starts the daemon. Resolves to `{ unavailable }` with the reason when the daemon's packages are
 * not installed, so a test can skip (or, under CI, fail) with a clear message.
 */
export async function startIpfsDaemon(
  options: { startTimeoutMs?: number } = {},
): Promise<IpfsDaemon | { unavailable: string }> {
  const repo = await mkdtemp(join(tmpdir(), 'aidoc-ipfs-'));
  const child = spawn(process.execPath, ['--input-type=module', '-e', DAEMON], {
    cwd: projectRoot,
    env: { ...process.env, AIDOC_IPFS_REPO: repo, DEBUG: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const first = await new Promise<{ api?: string; unavailable?: string }>((resolveLine, reject) => {
    let out = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(`IPFS daemon did not start within ${options.startTimeoutMs ?? 30_000} ms: ${stderr}`),
        ),
      options.startTimeoutMs ?? 30_000,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolveLine(JSON.parse(out.slice(0, nl)) as { api?: string; unavailable?: string });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`IPFS daemon exited with code ${code}: ${stderr}`));
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
    throw e;
  });
  if (first.unavailable !== undefined || first.api === undefined) {
    await rm(repo, { recursive: true, force: true });
    return { unavailable: first.unavailable ?? 'no API address reported' };
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url: first.api,
    repo,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      await rm(repo, { recursive: true, force: true });
    },
  };
}

/** Finds the file holding the block whose multihash encodes (base32, upper case) to `key`. */
export async function findBlockFile(root: string, key: string): Promise<string | undefined> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const e of entries) {
    const p = join(root, e.name);
    if (e.isDirectory()) {
      const found = await findBlockFile(p, key);
      if (found) return found;
    } else if (e.name.endsWith(`${key}.data`)) {
      return p;
    }
  }
  return undefined;
}
