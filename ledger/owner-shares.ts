/**
 * Owner shares of a hospital's rebate, as a Merkle tree the hospital builds off chain and whose
 * root it posts to RebateClaims; each owner gets a claim ticket (amount, salt, proof) privately.
 * See RebateClaims.sol for the privacy argument; in short: salted leaves, never published, and a
 * tree padded with random leaves to a power of two of at least 16, shuffled, so the chain learns
 * only what an owner reveals by claiming.
 *
 * The hashing matches RebateClaims.leafOf and OpenZeppelin's MerkleProof (sorted pairs).
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { AbiCoder, concat, getAddress, hexlify, keccak256 } from 'ethers';
import { assertArgument } from '../common/errors.js';
import type { OwnerClaimTicket } from './ledger.js';
import { jobKey } from './units.js';

export interface OwnerShare {
  /** The owner's payout address (a fresh one per round makes rounds unlinkable). */
  account: string;
  /** Base units of AIDOC. */
  amount: bigint;
}

export interface OwnerShareTree {
  root: string;
  /** Sum of the shares: what the hospital deposits. */
  total: bigint;
  /** One ticket per share, in the order of the input: give each to its owner only. */
  tickets: OwnerClaimTicket[];
}

export interface BuildOwnerSharesOptions {
  /** The hospital worker's address (the pool belongs to it). */
  hospital: string;
  jobId: string;
  round: number;
  shares: OwnerShare[];
  /**
   * Smallest tree size: the proof length then reveals only that there were at most this many owners.
   * @defaultValue 16
   */
  minLeaves?: number;
  /**
   * Source of salts, padding leaves and the shuffle. Inject a seeded one only in tests.
   * @defaultValue node:crypto randomBytes
   */
  randomBytes?: (n: number) => Uint8Array;
}

const coder = AbiCoder.defaultAbiCoder();

/** RebateClaims.leafOf, off chain. */
export function ownerLeaf(
  hospital: string,
  jobId: string,
  round: number,
  account: string,
  amount: bigint,
  salt: string,
): string {
  const inner = keccak256(
    coder.encode(
      ['address', 'bytes32', 'uint32', 'address', 'uint256', 'bytes32'],
      [hospital, jobKey(jobId), round, account, amount, salt],
    ),
  );
  return keccak256(inner);
}

function hashPair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

export function buildOwnerShares(options: BuildOwnerSharesOptions): OwnerShareTree {
  const { jobId, round, shares } = options;
  const hospital = getAddress(options.hospital);
  const random = options.randomBytes ?? ((n: number) => cryptoRandomBytes(n));
  assertArgument(shares.length > 0, 'at least one owner share is needed');
  const seen = new Set<string>();
  for (const s of shares) {
    assertArgument(s.amount >= 0n, `a share must not be negative (${s.account})`);
    const a = getAddress(s.account);
    assertArgument(!seen.has(a), `owner ${a} appears twice; merge its shares`);
    seen.add(a);
  }
  let size = 1;
  while (size < Math.max(shares.length, options.minLeaves ?? 16)) size *= 2;

  const salts = shares.map(() => hexlify(random(32)));
  const real = shares.map((s, i) =>
    ownerLeaf(hospital, jobId, round, getAddress(s.account), s.amount, salts[i]!),
  );
  // Padding leaves are random 32-byte values: no preimage, so nobody can claim them.
  const leaves = [...real, ...Array.from({ length: size - real.length }, () => hexlify(random(32)))];
  // Shuffle (Fisher-Yates with unbiased draws) so a leaf's position says nothing about the owner.
  const position = leaves.map((_, i) => i);
  for (let i = leaves.length - 1; i > 0; i--) {
    const j = uniform(i + 1, random);
    [position[i], position[j]] = [position[j]!, position[i]!];
  }
  const layer0 = position.map((p) => leaves[p]!);
  const layers: string[][] = [layer0];
  while (layers[layers.length - 1]!.length > 1) {
    const prev = layers[layers.length - 1]!;
    const next: string[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(hashPair(prev[i]!, prev[i + 1]!));
    layers.push(next);
  }
  const root = layers[layers.length - 1]![0]!;
  const indexOf = new Map(position.map((p, i) => [p, i]));
  const tickets = shares.map((s, k) => {
    let index = indexOf.get(k)!;
    const proof: string[] = [];
    for (let level = 0; level < layers.length - 1; level++) {
      proof.push(layers[level]![index ^ 1]!);
      index >>= 1;
    }
    return {
      hospital,
      jobId,
      round,
      account: getAddress(s.account),
      amount: s.amount.toString(),
      salt: salts[k]!,
      proof,
      root,
    };
  });
  return { root, total: shares.reduce((t, s) => t + s.amount, 0n), tickets };
}

/** Checks a ticket against its root off chain (what the contract will check). */
export function verifyOwnerClaim(ticket: OwnerClaimTicket): boolean {
  let node = ownerLeaf(
    ticket.hospital,
    ticket.jobId,
    ticket.round,
    ticket.account,
    BigInt(ticket.amount),
    ticket.salt,
  );
  for (const sibling of ticket.proof) node = hashPair(node, sibling);
  return node === ticket.root;
}

/**
 * Splits a rebate among owners in proportion to their records (largest remainder, so the parts
 * add up to `total` exactly). A hospital's policy may differ; this is the default.
 */
export function splitRebate(total: bigint, owners: { account: string; records: number }[]): OwnerShare[] {
  assertArgument(total >= 0n, 'total must not be negative');
  const sum = owners.reduce((t, o) => t + BigInt(o.records), 0n);
  assertArgument(sum > 0n, 'owners must hold at least one record between them');
  const base = owners.map((o) => (total * BigInt(o.records)) / sum);
  const rest = owners.map((o, i) => ({ i, r: (total * BigInt(o.records)) % sum }));
  let left = total - base.reduce((t, b) => t + b, 0n);
  rest.sort((a, b) => (b.r > a.r ? 1 : b.r < a.r ? -1 : a.i - b.i));
  for (const { i } of rest) {
    if (left === 0n) break;
    base[i] = base[i]! + 1n;
    left -= 1n;
  }
  return owners.map((o, i) => ({ account: o.account, amount: base[i]! }));
}

/** A uniform integer in [0, n) from random bytes, by rejection (no modulo bias). */
function uniform(n: number, random: (n: number) => Uint8Array): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const b = random(4);
    const x = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
    if (x < limit) return x % n;
  }
}
