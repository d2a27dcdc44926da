/**
 * Redis for integration tests: the URL (AIDOC_TEST_REDIS_URL, default redis://127.0.0.1:6379), a
 * probe run once at import, `describeRedis` that runs a suite when Redis answers, FAILS it under
 * CI=true when Redis is missing and skips it with a message otherwise, unique queue names, and a
 * TCP proxy that can cut every connection through it for a while (a real outage, seen only by the
 * clients that connect through the proxy: the Redis server and other clients are untouched).
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';

export const REDIS_URL = process.env.AIDOC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const CI = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/** Sends PING over a raw socket; resolves undefined if Redis answered, else what went wrong. */
export function probeRedis(url = REDIS_URL, timeoutMs = 1500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const { host, port } = hostPort(url);
    const socket = connect({ host, port });
    let reply = '';
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n'))
        done(reply.startsWith('+PONG') ? undefined : `unexpected reply ${reply.trim()}`);
    });
    socket.on('error', (e: Error) => done(e.message));
  });
}

/** Why Redis cannot be used, or undefined when it answers. Probed once per test file. */
export const redisProblem: string | undefined = await probeRedis();

/** `describe` for suites that need Redis (see the file comment for what happens without it). */
export function describeRedis(name: string, fn: () => void): void {
  if (redisProblem === undefined) {
    describe(name, fn);
  } else if (CI) {
    describe(name, () => {
      test('Redis is reachable', () => {
        throw new Error(
          `${name} needs Redis at ${REDIS_URL} (${redisProblem}); CI=true, so this fails instead of skipping`,
        );
      });
    });
  } else {
    process.stderr.write(
      `SKIPPED '${name}': no Redis at ${REDIS_URL} (${redisProblem}); set CI=true to fail instead\n`,
    );
    describe.skip(name, fn);
  }
}

/** A fresh queue name per test, as BullMQ's own tests do. */
export function uniqueQueueName(): string {
  return `test-${randomUUID()}`;
}

export interface RedisProxy {
  /** redis:// URL that reaches Redis through the proxy. */
  readonly url: string;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Cuts every connection now and drops new ones until `ms` have passed. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a TCP proxy to `target` on a free loopback port. */
export async function startRedisProxy(target = REDIS_URL): Promise<RedisProxy> {
  const upstream = hostPort(target);
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const remote = connect(upstream);
    const pair = [client, remote];
    for (const s of pair) {
      open.add(s);
      s.on('error', () => pair.forEach((x) => x.destroy()));
      s.on('close', () => {
        open.delete(s);
        pair.forEach((x) => x.destroy());
      });
    }
    client.pipe(remote);
    remote.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    get connections() {
      return open.size / 2;
    },
    async outage(ms) {
      down = true;
      for (const s of open) s.destroy();
      await new Promise((r) => setTimeout(r, ms));
      down = false;
    },
    close() {
      down = true;
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
