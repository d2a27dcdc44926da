/**
 * Wire codec for SEAL ciphertexts: the coefficients bit-packed at the width of the modulus.
 *
 * SEAL stores each coefficient (a residue mod a 60-bit prime) in a 64-bit word, and its own zstd
 * and zlib modes do not recover the 4 idle bits (measured: zstd grows a seeded N=4096 ciphertext
 * from 32,962 to 32,972 bytes, zlib shrinks it by 0.9%). Packing at exactly ceil(log2 q) bits
 * saves 6.25% for a 60-bit prime and is lossless. Everything around the coefficient array (SEAL
 * header, parms id, scale, the 81-byte seed of a seeded ciphertext) is carried verbatim, so the
 * decoded bytes are exactly what SEAL wrote and SEAL's own checks still run when they are loaded.
 *
 * Layout: 'AHE' 0x01 | u8 bits | u8[3] 0 | u32 prefixLen | prefix | u32 coeffCount | packed
 *         | u32 tailLen | tail            (integers little-endian)
 */
import { makeError } from '../common/errors.js';

const MAGIC = [0x41, 0x48, 0x45, 0x01];
const SEAL_MAGIC = 0xa15e;
const SEAL_HEADER_BYTES = 16;
/** SEAL 4.1 ciphertext members before its data array: parms id, ntt flag, size, N, L, scale, correction. */
const CIPHERTEXT_MEMBER_BYTES = 32 + 1 + 8 * 5;

function bad(reason: string, info: Record<string, unknown> = {}): Error {
  return makeError(`malformed ciphertext bytes: ${reason}`, 'VERIFICATION_FAILED', info);
}

function readSealHeader(view: DataView, offset: number): { comprMode: number; size: number } {
  if (offset + SEAL_HEADER_BYTES > view.byteLength) throw bad('truncated SEAL header', { offset });
  if (view.getUint16(offset, true) !== SEAL_MAGIC || view.getUint8(offset + 2) !== SEAL_HEADER_BYTES) {
    throw bad('no SEAL header', { offset });
  }
  const size = Number(view.getBigUint64(offset + 8, true));
  return { comprMode: view.getUint8(offset + 5), size };
}

const scratch: Uint32Array[] = [0, 1, 2, 3].map(() => new Uint32Array(0));

/** Scratch buffer `which` (0, 1: packing; 2, 3: unpacking), `length` words, zeroed; grown on demand. */
function scratchWords(which: 0 | 1 | 2 | 3, length: number): Uint32Array {
  let buf = scratch[which]!;
  if (buf.length < length) scratch[which] = buf = new Uint32Array(length);
  const view = buf.subarray(0, length);
  view.fill(0);
  return view;
}

/** Packs SEAL's uncompressed ciphertext bytes (`saveArray(none)`), coefficients at `bits` each. */
export function packSealCiphertext(seal: Uint8Array, bits: number): Uint8Array {
  if (bits < 33 || bits > 61) throw makeError('bits must be 33..61', 'INVALID_ARGUMENT', { bits });
  const view = new DataView(seal.buffer, seal.byteOffset, seal.byteLength);
  const outer = readSealHeader(view, 0);
  if (outer.comprMode !== 0 || outer.size !== seal.byteLength)
    throw bad('expected an uncompressed SEAL ciphertext');
  const innerAt = SEAL_HEADER_BYTES + CIPHERTEXT_MEMBER_BYTES;
  const inner = readSealHeader(view, innerAt);
  if (inner.comprMode !== 0) throw bad('compressed data array');
  const countAt = innerAt + SEAL_HEADER_BYTES;
  const coeffCount = Number(view.getBigUint64(countAt, true));
  const dataAt = countAt + 8;
  const dataEnd = dataAt + coeffCount * 8;
  if (inner.size !== SEAL_HEADER_BYTES + 8 + coeffCount * 8 || dataEnd > seal.byteLength) {
    throw bad('data array size mismatch', { coeffCount });
  }
  const hiBits = bits - 32;
  // Copy to an aligned buffer so the coefficients can be read as (lo, hi) 32-bit words (scratch
  // reused across calls: a large update packs hundreds of ciphertexts).
  const words = scratchWords(0, coeffCount * 2);
  new Uint8Array(words.buffer, 0, coeffCount * 8).set(seal.subarray(dataAt, dataEnd));
  const packedBytes = Math.ceil((coeffCount * bits) / 8);
  const packed = scratchWords(1, Math.ceil(packedBytes / 4) + 1);
  let w = 0;
  let acc = 0;
  let used = 0; // bits of `acc` already filled
  for (let i = 0; i < coeffCount; i++) {
    const lo = words[2 * i] ?? 0;
    const hi = words[2 * i + 1] ?? 0;
    if (hi >>> hiBits !== 0) throw bad('coefficient wider than the modulus', { index: i });
    // 32 bits of lo: fills the current word and leaves `used` bits in the next.
    packed[w++] = (acc | (lo << used)) >>> 0;
    acc = used === 0 ? 0 : lo >>> (32 - used);
    // hiBits (< 32) bits of hi.
    const total = used + hiBits;
    acc = (acc | (hi << used)) >>> 0;
    if (total >= 32) {
      packed[w++] = acc;
      acc = hi >>> (32 - used);
      used = total - 32;
    } else {
      used = total;
    }
  }
  if (used > 0) packed[w++] = acc;
  const tailLength = seal.byteLength - dataEnd;
  const out = new Uint8Array(12 + dataAt + 4 + packedBytes + 4 + tailLength);
  const ov = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = bits;
  ov.setUint32(8, dataAt, true);
  out.set(seal.subarray(0, dataAt), 12);
  let p = 12 + dataAt;
  ov.setUint32(p, coeffCount, true);
  p += 4;
  out.set(new Uint8Array(packed.buffer, 0, packedBytes), p);
  p += packedBytes;
  ov.setUint32(p, tailLength, true);
  p += 4;
  out.set(seal.subarray(dataEnd), p);
  return out;
}

let unpacked = new Uint8Array(0);

/**
 * Inverse of `packSealCiphertext`; throws VERIFICATION_FAILED on malformed or truncated input.
 * With `reuse`, the result is a view of a buffer shared by every such call, valid until the next
 * one: for a caller that hands the bytes to SEAL at once (a coordinator loads thousands of
 * ciphertexts per round, each a 33 KB allocation otherwise).
 */
export function unpackSealCiphertext(wire: Uint8Array, reuse = false): Uint8Array {
  const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
  if (wire.byteLength < 12 || MAGIC.some((b, i) => wire[i] !== b)) throw bad('not an AHE1 ciphertext');
  const bits = wire[4] ?? 0;
  if (bits < 33 || bits > 61) throw bad('bad coefficient width', { bits });
  const prefixLength = view.getUint32(8, true);
  let p = 12 + prefixLength;
  if (p + 4 > wire.byteLength) throw bad('truncated prefix');
  const coeffCount = view.getUint32(p, true);
  p += 4;
  const packedBytes = Math.ceil((coeffCount * bits) / 8);
  if (p + packedBytes + 4 > wire.byteLength) throw bad('truncated coefficients', { coeffCount });
  const tailAt = p + packedBytes;
  const tailLength = view.getUint32(tailAt, true);
  if (tailAt + 4 + tailLength !== wire.byteLength) throw bad('length mismatch');
  const packed = scratchWords(2, Math.ceil(packedBytes / 4) + 1);
  new Uint8Array(packed.buffer, 0, packedBytes).set(wire.subarray(p, tailAt));
  const words = scratchWords(3, coeffCount * 2);
  const hiBits = bits - 32;
  const hiMask = 2 ** hiBits - 1;
  let r = 0;
  let cur = packed[0] ?? 0;
  let used = 0; // bits of `cur` already consumed
  for (let i = 0; i < coeffCount; i++) {
    const next = packed[++r] ?? 0;
    words[2 * i] = used === 0 ? cur : ((cur >>> used) | (next << (32 - used))) >>> 0;
    cur = next;
    // hiBits bits starting at `used` in cur (may spill into the following word).
    let hi = cur >>> used;
    if (used + hiBits >= 32) {
      const after = packed[++r] ?? 0;
      if (used !== 0) hi = (hi | (after << (32 - used))) >>> 0;
      cur = after;
      used = used + hiBits - 32;
    } else {
      used += hiBits;
    }
    words[2 * i + 1] = (hi & hiMask) >>> 0;
  }
  const length = prefixLength + coeffCount * 8 + tailLength;
  let out: Uint8Array;
  if (reuse) {
    if (unpacked.length < length) unpacked = new Uint8Array(length);
    out = unpacked.subarray(0, length);
  } else {
    out = new Uint8Array(length);
  }
  out.set(wire.subarray(12, 12 + prefixLength), 0);
  out.set(new Uint8Array(words.buffer, 0, coeffCount * 8), prefixLength);
  out.set(wire.subarray(tailAt + 4), prefixLength + coeffCount * 8);
  return out;
}
