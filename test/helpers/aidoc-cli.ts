/**
 * Runs the built `aidoc` command (dist/cli/aidoc.js) in a child process, as a user would.
 * `npm test` builds first; running Jest alone on a stale or missing dist/ fails with a hint.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const AIDOC = join(process.cwd(), 'dist', 'cli', 'aidoc.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runAidoc(
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return runBuilt(AIDOC, args, options);
}

/** Runs a built script (under dist/) in a child Node process. */
export function runBuilt(
  script: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run 'npm run build' first (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
