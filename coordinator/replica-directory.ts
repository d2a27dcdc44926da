/**
 * Where the coordinator replicas sharing a Redis queue can be reached, for workers' discovery
 * (WorkerService.Discover): each replica writes its advertised address into one Redis hash every
 * few seconds; entries not refreshed within `ttlMs` are dead replicas and left out. A replica that
 * shuts down removes its entry at once.
 */
import { Redis } from 'ioredis';

export interface ReplicaInfo {
  replicaId: string;
  /** host:port where workers reach this replica. */
  address: string;
}

export interface ReplicaDirectory {
  readonly self: ReplicaInfo;
  /** The live replicas, this one included. */
  list(): Promise<ReplicaInfo[]>;
  close(): Promise<void>;
}

export interface RedisReplicaDirectoryOptions {
  redisUrl: string;
  /** The queue's name: replicas of one queue form one directory. */
  queue: string;
  replicaId: string;
  address: string;
  /** @defaultValue 'aidoc' */
  prefix?: string;
  /** How long an entry lives without refresh. @defaultValue 6,000 ms */
  ttlMs?: number;
  log?: (line: string) => void;
}

export async function createRedisReplicaDirectory(
  o: RedisReplicaDirectoryOptions,
): Promise<ReplicaDirectory> {
  const ttlMs = o.ttlMs ?? 6000;
  const key = `${o.prefix ?? 'aidoc'}:${o.queue}:replicas`;
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {}); // reconnects on its own; a refresh that fails is retried next tick
  await redis.connect();
  const self = { replicaId: o.replicaId, address: o.address };
  const refresh = () => redis.hset(key, o.replicaId, JSON.stringify({ address: o.address, at: Date.now() }));
  await refresh();
  const timer = setInterval(
    () => {
      refresh().catch((e: unknown) => o.log?.(`replica directory: refresh failed: ${(e as Error).message}`));
    },
    Math.max(200, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return {
    self,
    async list() {
      const entries = await redis.hgetall(key);
      const now = Date.now();
      const live: ReplicaInfo[] = [];
      for (const [replicaId, json] of Object.entries(entries)) {
        try {
          const e = JSON.parse(json) as { address: string; at: number };
          if (now - e.at <= ttlMs) live.push({ replicaId, address: e.address });
        } catch {
          // a malformed entry is not a replica
        }
      }
      return live.sort((a, b) => a.replicaId.localeCompare(b.replicaId));
    },
    async close() {
      clearInterval(timer);
      await redis.hdel(key, o.replicaId).catch(() => {});
      redis.disconnect();
    },
  };
}
