/** A `hardhat node` child process on a free loopback port, for tests that need a real JSON-RPC chain. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../demo/federated-demo.js';

export interface HardhatNode {
  url: string;
  /** The node's process, e.g. to freeze it with SIGSTOP. */
  child: ChildProcess;
  stop(): Promise<void>;
}

async function rpcUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startHardhatNode(): Promise<HardhatNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const node = spawn(
    process.execPath,
    [
      'node_modules/hardhat/internal/cli/bootstrap.js',
      'node',
      '--config',
      'ledger/hardhat.config.cjs',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
    },
  );
  let stderr = '';
  node.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!(await rpcUp(url))) {
    if (Date.now() > deadline || node.exitCode !== null) {
      node.kill('SIGKILL');
      throw new Error(`hardhat node did not start on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child: node,
    async stop() {
      if (node.exitCode !== null || node.signalCode !== null) return;
      const exited = new Promise((r) => node.once('exit', r));
      node.kill('SIGCONT');
      node.kill('SIGKILL');
      await exited;
    },
  };
}
