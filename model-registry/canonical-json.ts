/**
 * Canonical JSON: the one byte string a JSON value encodes to, so its SHA-256 (which goes on
 * chain) does not depend on who serialized it. Object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. For the values used
 * here (strings, finite numbers, booleans, null, arrays, plain objects) this is RFC 8785 (JCS).
 */
import { makeError } from '../common/errors.js';

export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, at: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw makeError(`${at} is ${value}; canonical JSON has only finite numbers`, 'INVALID_ARGUMENT', {
        at,
      });
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${at}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${encode(v, `${at}.${k}`)}`).join(',')}}`;
  }
  throw makeError(`${at} is a ${typeof value}; canonical JSON cannot hold it`, 'INVALID_ARGUMENT', { at });
}
