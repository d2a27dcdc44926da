/**
 * Owner-share Merkle trees: every ticket verifies, none verifies with altered fields, the proof
 * length reveals only the padded size, leaves match the contract's own hashing, and a rebate
 * splits exactly.
 */
import { Contract, Wallet } from 'ethers';
import { createHash } from 'node:crypto';
import { interfaces } from '../../ledger/artifacts.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { deployLedger } from '../../ledger/deployment.js';
import { openEmbeddedChain } from '../../ledger/embedded-chain.js';
import { TxSender } from '../../ledger/tx-sender.js';
import { buildOwnerShares, ownerLeaf, splitRebate, verifyOwnerClaim } from '../../ledger/owner-shares.js';
import { jobKey } from '../../ledger/units.js';

/** Deterministic bytes for tests (SHA-256 counter mode); production uses node:crypto. */
function seeded(seed: string) {
  let counter = 0;
  return (n: number) => {
    const out = Buffer.alloc(n);
    for (let off = 0; off < n; off += 32) {
      createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, off);
    }
    return new Uint8Array(out);
  };
}

const hospital = devAccount('hospital-a').address;
const owners = (n: number) => Array.from({ length: n }, (_, i) => devAccount(`owner-${i}`).address);

test('every ticket verifies against the root; tampered ones do not', () => {
  const shares = owners(5).map((account, i) => ({ account, amount: BigInt(100 * (i + 1)) }));
  const tree = buildOwnerShares({ hospital, jobId: 'j', round: 2, shares, randomBytes: seeded('a') });
  expect(tree.total).toBe(1500n);
  expect(tree.tickets.map((t) => t.account)).toEqual(shares.map((s) => s.account));
  for (const t of tree.tickets) {
    expect(verifyOwnerClaim(t)).toBe(true);
    expect(verifyOwnerClaim({ ...t, amount: (BigInt(t.amount) + 1n).toString() })).toBe(false);
    expect(verifyOwnerClaim({ ...t, round: 3 })).toBe(false);
    expect(verifyOwnerClaim({ ...t, jobId: 'k' })).toBe(false);
    expect(verifyOwnerClaim({ ...t, salt: '0x' + '00'.repeat(32) })).toBe(false);
    expect(verifyOwnerClaim({ ...t, hospital: devAccount('hospital-b').address })).toBe(false);
  }
  // Same input, other randomness: another root (salts and positions differ).
  const other = buildOwnerShares({ hospital, jobId: 'j', round: 2, shares, randomBytes: seeded('b') });
  expect(other.root).not.toBe(tree.root);
  // Same randomness: the same tree (the injected source is the only randomness).
  expect(buildOwnerShares({ hospital, jobId: 'j', round: 2, shares, randomBytes: seeded('a') }).root).toBe(
    tree.root,
  );
});

test('the proof length reveals only the padded tree size (16 leaves at least)', () => {
  const depth = (n: number) =>
    buildOwnerShares({
      hospital,
      jobId: 'j',
      round: 1,
      shares: owners(n).map((account) => ({ account, amount: 1n })),
      randomBytes: seeded(`n${n}`),
    }).tickets[0]!.proof.length;
  expect([depth(1), depth(2), depth(16), depth(17), depth(33)]).toEqual([4, 4, 4, 5, 6]);
});

test('an owner listed twice is refused', () => {
  const [a] = owners(1);
  expect(() =>
    buildOwnerShares({
      hospital,
      jobId: 'j',
      round: 1,
      shares: [
        { account: a!, amount: 1n },
        { account: a!, amount: 2n },
      ],
    }),
  ).toThrow(/appears twice/);
});

test('splitRebate is proportional and adds up exactly', () => {
  const parts = splitRebate(100n, [
    { account: 'a', records: 1 },
    { account: 'b', records: 1 },
    { account: 'c', records: 1 },
  ]);
  expect(parts.map((p) => p.amount)).toEqual([34n, 33n, 33n]);
  const big = splitRebate(10n ** 18n, [
    { account: 'a', records: 7 },
    { account: 'b', records: 0 },
    { account: 'c', records: 13 },
  ]);
  expect(big.reduce((t, p) => t + p.amount, 0n)).toBe(10n ** 18n);
  expect(big.map((p) => p.amount)).toEqual([350000000000000000n, 0n, 650000000000000000n]);
  expect(() => splitRebate(1n, [{ account: 'a', records: 0 }])).toThrow(/at least one record/);
});

test('leaves hash exactly as RebateClaims.leafOf does', async () => {
  const chain = await openEmbeddedChain();
  try {
    const deployment = await deployLedger({
      sender: new TxSender(
        chain.provider,
        new Wallet(devAccount('operator').privateKey),
        BigInt(chain.chainId),
      ),
      chainId: chain.chainId,
      coordinator: devAccount('coordinator').address,
    });
    const claims = new Contract(deployment.contracts.RebateClaims, interfaces.RebateClaims, chain.provider);
    const account = devAccount('owner-1').address;
    const salt = '0x' + 'ab'.repeat(32);
    const onChain = (await claims
      .getFunction('leafOf')
      .staticCall(hospital, jobKey('job-9'), 7, account, 12345n, salt)) as string;
    expect(ownerLeaf(hospital, 'job-9', 7, account, 12345n, salt)).toBe(onChain);
  } finally {
    chain.provider.destroy();
    chain.close();
  }
});
