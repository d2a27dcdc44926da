/**
 * Secure-aggregation messages in the wire's extension fields, and ciphertext framing: a framed
 * payload read back through any chunking gives the same ciphertexts; a cut, empty or oversized
 * frame is refused with a reason.
 */
import { randomBytes } from 'node:crypto';
import {
  createCiphertextDeframer,
  decodeHeContribution,
  decodeHeOpenContext,
  decodeHeRoundSetup,
  encodeHeRoundSetup,
  frameCiphertexts,
  type HeRoundSetup,
} from '../../privacy/he-protocol.js';

const setup: HeRoundSetup = {
  version: 1,
  paramsDigest: 'a'.repeat(64),
  openerId: 'hospital-a',
  minWorkers: 2,
  maxWorkers: 3,
  valuesPerSlot: 2,
  valueBound: 1,
  valueCount: 1554,
  weightDenominator: 569,
};

test('a round setup survives the wire; wrong type, bad JSON and bad fields are refused', () => {
  const blob = encodeHeRoundSetup(setup);
  expect(decodeHeRoundSetup({ type: blob.type, data: new Uint8Array(blob.data) })).toEqual(setup);
  expect(() => decodeHeRoundSetup({ type: 'other', data: blob.data })).toThrow(
    /expected a aidoc.ckks.v1.RoundSetup/,
  );
  expect(() => decodeHeRoundSetup(null)).toThrow(/got none/);
  expect(() => decodeHeRoundSetup({ type: blob.type, data: Buffer.from('{') })).toThrow(/not JSON/);
  const bad = { ...setup, valuesPerSlot: 5, extra: 1 };
  expect(() => decodeHeRoundSetup({ type: blob.type, data: Buffer.from(JSON.stringify(bad)) })).toThrow(
    /malformed/,
  );
  expect(() => decodeHeContribution({ type: blob.type, data: blob.data })).toThrow(
    /expected a aidoc.ckks.v1.Contribution/,
  );
  expect(() =>
    decodeHeOpenContext({
      type: 'aidoc.ckks.v1.OpenContext',
      data: Buffer.from(JSON.stringify({ version: 1, setup, contributions: [{}] })),
    }),
  ).toThrow(/malformed/);
});

test('framed ciphertexts read back whole through any chunking', () => {
  const cts = [randomBytes(31_000), randomBytes(5), randomBytes(70_001)].map((b) => new Uint8Array(b));
  const framed = frameCiphertexts(cts);
  for (const chunk of [1, 3, 4, 7, 1000, 1 << 20]) {
    const out: Uint8Array[] = [];
    const d = createCiphertextDeframer((i, w) => {
      expect(i).toBe(out.length);
      out.push(Uint8Array.from(w));
    });
    for (let at = 0; at < framed.length; at += chunk) d.push(framed.subarray(at, at + chunk));
    d.end();
    expect(d.count).toBe(3);
    out.forEach((w, i) => expect(Buffer.from(w).equals(Buffer.from(cts[i]!))).toBe(true));
  }
});

test('a payload cut inside a frame, an empty frame or an oversized one is refused', () => {
  const framed = frameCiphertexts([new Uint8Array(100)]);
  const cut = createCiphertextDeframer(() => {});
  cut.push(framed.subarray(0, 50));
  expect(() => cut.end()).toThrow(/ends inside ciphertext 0/);
  const halfLength = createCiphertextDeframer(() => {});
  halfLength.push(framed.subarray(0, 2));
  expect(() => halfLength.end()).toThrow(/ends inside ciphertext 0/);
  expect(() => createCiphertextDeframer(() => {}).push(Buffer.alloc(8))).toThrow(/announces 0 bytes/);
  const big = Buffer.alloc(4);
  big.writeUInt32LE(2 ** 21);
  expect(() => createCiphertextDeframer(() => {}).push(big)).toThrow(/announces 2097152 bytes/);
});
