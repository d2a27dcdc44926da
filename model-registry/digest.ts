/**
 * SHA-256 digests as the model registry writes them: 64 lowercase hex digits, no prefix. The
 * chain stores the same digest as a bytes32 (`0x` + 64 hex digits); `normalizeSha256` accepts
 * either form.
 */
import { createHash } from 'node:crypto';
import { makeError } from '../common/errors.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Lowercase hex without `0x`; INVALID_ARGUMENT unless `value` is a SHA-256 digest in hex. */
export function normalizeSha256(value: string): string {
  const hex = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw makeError(
      `'${value}' is not a SHA-256 digest (64 hex digits, optionally 0x-prefixed)`,
      'INVALID_ARGUMENT',
      {
        value,
      },
    );
  }
  return hex.toLowerCase();
}

/** The chain's bytes32 form of a digest. */
export function sha256ToBytes32(value: string): string {
  return `0x${normalizeSha256(value)}`;
}
