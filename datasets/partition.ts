/**
 * Partitioners for federated simulation: they deal a dataset's record indexes out to simulated
 * clients. Every partitioner is deterministic for its seed, and its parts are disjoint and
 * together cover every index exactly once. Each part is returned in ascending index order.
 *
 * - `partitionIid`: uniform random, equal sizes (within one).
 * - `partitionDirichlet`: label skew; per class, client shares drawn from Dirichlet(alpha)
 *   (Hsu, Qi and Brown 2019; the NIID-Bench recipe). Small alpha, strong skew.
 * - `partitionShards`: the pathological non-IID split of McMahan et al. 2017: sort by label,
 *   cut into equal shards, deal each client a few shards.
 */
import { assertArgument, makeError } from '../common/errors.js';
import type { Rng } from './rng.js';
import { createRng } from './rng.js';

function checkClients(clients: number, n: number): void {
  assertArgument(
    Number.isInteger(clients) && clients >= 1,
    `clients must be a positive integer, got ${clients}`,
  );
  assertArgument(n >= clients, `cannot give ${clients} clients a record each out of ${n}`, { n, clients });
}

function sortedParts(parts: number[][]): number[][] {
  return parts.map((p) => p.sort((a, b) => a - b));
}

/** Shuffles 0..n-1 and cuts it into `clients` parts whose sizes differ by at most one. */
export function partitionIid(n: number, clients: number, seed: number): number[][] {
  assertArgument(Number.isInteger(n) && n >= 0, `n must be a non-negative integer, got ${n}`);
  checkClients(clients, n);
  const order = createRng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const parts: number[][] = [];
  let start = 0;
  for (let c = 0; c < clients; c++) {
    const size = Math.floor(n / clients) + (c < n % clients ? 1 : 0);
    parts.push(order.slice(start, start + size));
    start += size;
  }
  return sortedParts(parts);
}

export interface DirichletOptions {
  /** Redraw until every client holds at least this many records. @defaultValue `1` */
  minSize?: number;
  /** Give up (INVALID_ARGUMENT) after this many draws. @defaultValue `1000` */
  maxAttempts?: number;
}

/** One Dirichlet(alpha, ..., alpha) draw over `k` parts. */
function dirichlet(rng: Rng, alpha: number, k: number): number[] {
  const g = Array.from({ length: k }, () => rng.gamma(alpha));
  const sum = g.reduce((a, b) => a + b, 0);
  if (sum > 0) return g.map((v) => v / sum);
  // Every gamma underflowed (tiny alpha): the limit of Dirichlet as alpha -> 0 is a random vertex.
  const p = new Array<number>(k).fill(0);
  p[rng.int(k)] = 1;
  return p;
}

/**
 * Label-skewed split: for each class, its records (shuffled) are cut among the clients in
 * proportions drawn from Dirichlet(alpha). The whole draw is repeated until every client has at
 * least `minSize` records.
 */
export function partitionDirichlet(
  labels: ArrayLike<number>,
  numClasses: number,
  clients: number,
  alpha: number,
  seed: number,
  options: DirichletOptions = {},
): number[][] {
  const { minSize, maxAttempts } = { minSize: 1, maxAttempts: 1000, ...options };
  const n = labels.length;
  checkClients(clients, n);
  assertArgument(alpha > 0 && Number.isFinite(alpha), `alpha must be a positive number, got ${alpha}`);
  assertArgument(Number.isInteger(minSize) && minSize >= 0, `minSize must be a non-negative integer`);
  assertArgument(
    minSize * clients <= n,
    `${clients} clients of at least ${minSize} records need more than ${n}`,
    {
      n,
      clients,
      minSize,
    },
  );
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    assertArgument(
      Number.isInteger(label) && label >= 0 && label < numClasses,
      `labels[${i}] = ${label} is not a class index`,
    );
    byClass[label]!.push(i);
  }
  const rng = createRng(seed);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const parts: number[][] = Array.from({ length: clients }, () => []);
    for (const members of byClass) {
      if (members.length === 0) continue;
      const shuffled = rng.shuffle([...members]);
      const p = dirichlet(rng, alpha, clients);
      let cumulative = 0;
      let start = 0;
      for (let c = 0; c < clients; c++) {
        cumulative += p[c]!;
        const end = c === clients - 1 ? shuffled.length : Math.round(cumulative * shuffled.length);
        for (let k = start; k < end; k++) parts[c]!.push(shuffled[k]!);
        start = Math.max(start, end);
      }
    }
    if (parts.every((part) => part.length >= minSize)) return sortedParts(parts);
  }
  throw makeError(
    `partitionDirichlet: no draw in ${maxAttempts} gave every one of ${clients} clients ${minSize} records ` +
      `(alpha ${alpha}); raise alpha, lower minSize or use fewer clients`,
    'INVALID_ARGUMENT',
    { clients, alpha, minSize, maxAttempts },
  );
}

/**
 * Pathological non-IID split (McMahan et al. 2017): records sorted by label (ties by index) are
 * cut into `clients * shardsPerClient` contiguous shards of equal size (within one), and each
 * client is dealt `shardsPerClient` shards at random. When class counts are multiples of the
 * shard size every shard holds one label, so a client sees at most `shardsPerClient` labels.
 */
export function partitionShards(
  labels: ArrayLike<number>,
  clients: number,
  shardsPerClient: number,
  seed: number,
): number[][] {
  const n = labels.length;
  checkClients(clients, n);
  assertArgument(
    Number.isInteger(shardsPerClient) && shardsPerClient >= 1,
    `shardsPerClient must be a positive integer, got ${shardsPerClient}`,
  );
  const shardCount = clients * shardsPerClient;
  assertArgument(shardCount <= n, `${shardCount} shards need at least ${shardCount} records, got ${n}`, {
    n,
    shardCount,
  });
  const sorted = Array.from({ length: n }, (_, i) => i).sort((a, b) => labels[a]! - labels[b]! || a - b);
  const shards: number[][] = [];
  let start = 0;
  for (let s = 0; s < shardCount; s++) {
    const size = Math.floor(n / shardCount) + (s < n % shardCount ? 1 : 0);
    shards.push(sorted.slice(start, start + size));
    start += size;
  }
  const order = createRng(seed).shuffle(Array.from({ length: shardCount }, (_, s) => s));
  const parts: number[][] = Array.from({ length: clients }, () => []);
  order.forEach((s, k) => parts[Math.floor(k / shardsPerClient)]!.push(...shards[s]!));
  return sortedParts(parts);
}
