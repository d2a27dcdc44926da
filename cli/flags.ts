import { makeError } from '../common/errors.js';
import type { FlagValues } from './command.js';

/** Reads a required string flag. */
export function requireString(flags: FlagValues, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw makeError(`--${name} is required`, 'INVALID_ARGUMENT', { flag: name });
  }
  return v;
}

export function optionalString(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** Parses a numeric flag; rejects anything that is not a finite number, naming the flag. */
export function numberFlag(flags: FlagValues, name: string, fallback?: number): number {
  const v = flags[name];
  if (v === undefined) {
    if (fallback === undefined) throw makeError(`--${name} is required`, 'INVALID_ARGUMENT', { flag: name });
    return fallback;
  }
  const n = typeof v === 'string' ? Number(v.trim()) : NaN;
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
    throw makeError(`--${name} must be a number, got ${JSON.stringify(v)}`, 'INVALID_ARGUMENT', {
      flag: name,
    });
  }
  return n;
}

/** Parses an integer flag with an inclusive lower bound. */
export function intFlag(flags: FlagValues, name: string, min: number, fallback?: number): number {
  const n = numberFlag(flags, name, fallback);
  if (!Number.isInteger(n) || n < min) {
    throw makeError(`--${name} must be an integer >= ${min}, got ${n}`, 'INVALID_ARGUMENT', { flag: name });
  }
  return n;
}
