/**
 * How off-chain values map onto the contracts' types: string ids become bytes32 keys by keccak256
 * of their UTF-8 bytes (the contracts compute the same for jobs and datasets), epsilon becomes
 * uint64 fixed point with 9 decimals, rounded up so the chain never under-counts privacy loss, and
 * AIDOC amounts are bigint base units (18 decimals).
 */
import { formatUnits, keccak256, parseUnits, toUtf8Bytes } from 'ethers';
import { assertArgument } from '../common/errors.js';

/** 1.0 epsilon on chain. */
export const EPSILON_SCALE = 1_000_000_000n;
export const AIDOC_DECIMALS = 18;

/** The bytes32 key of a job, dataset, purpose or schema id. */
export function idKey(id: string): string {
  assertArgument(id.length > 0, 'an id must not be empty');
  return keccak256(toUtf8Bytes(id));
}

export const jobKey = idKey;
export const datasetKey = idKey;
export const purposeKey = idKey;
export const schemaKey = idKey;

/** Epsilon to nano-epsilon, rounded up (but 0.3 stays 300000000, not ...001 from float noise). */
export function toNanoEpsilon(epsilon: number): bigint {
  assertArgument(
    Number.isFinite(epsilon) && epsilon >= 0,
    `epsilon must be a finite number >= 0, got ${epsilon}`,
  );
  const scaled = epsilon * 1e9;
  const nearest = Math.round(scaled);
  // Within a few ulps of an integer is float noise from the multiplication, not a fraction.
  const units =
    Math.abs(scaled - nearest) <= 4 * Number.EPSILON * Math.max(1, scaled) ? nearest : Math.ceil(scaled);
  assertArgument(units < 2 ** 63, `epsilon ${epsilon} is too large for the chain`);
  return BigInt(units);
}

export function fromNanoEpsilon(units: bigint): number {
  return Number(units) / 1e9;
}

/** "12.5" AIDOC to base units. */
export function parseAidoc(amount: string): bigint {
  try {
    return parseUnits(amount, AIDOC_DECIMALS);
  } catch {
    assertArgument(false, `not an AIDOC amount: ${JSON.stringify(amount)}`);
  }
}

export function formatAidoc(units: bigint): string {
  return formatUnits(units, AIDOC_DECIMALS);
}
