/**
 * The federation's public-key infrastructure: one certificate authority (ECDSA P-256) per federation,
 * and one certificate per member whose identity and role are written into the certificate itself.
 *
 * Identity contract (what the coordinator authorizes on, and what other-language peers can read):
 * - the subject alternative name holds exactly one URI `aidoc://<role>/<name>`; this is authoritative;
 * - the subject repeats it for humans and tools: `O=AIDOC Federated, OU=<role>, CN=<name>`;
 *   a certificate whose OU/CN disagree with its URI is refused;
 * - the fingerprint is the SHA-256 of the certificate's DER, as 64 lowercase hex digits.
 *
 * Certificates are built here with node:crypto and a small DER encoder (no OpenSSL process, no global
 * polyfills); node's own X.509 parser and TLS stack read them back in the tests.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { assertArgument, makeError } from './errors.js';

/** Who a certificate belongs to. The CA's own certificate has no role. */
export const ROLES = ['coordinator', 'worker', 'vendor', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  role: Role;
  /** A DNS-label-like name: lowercase letters, digits and inner hyphens, 1 to 63 characters. */
  name: string;
}

export interface CertificateIdentity extends Identity {
  /** SHA-256 of the certificate's DER, lowercase hex. */
  fingerprint: string;
}

export interface CertificateAuthority {
  /** Names the federation; written into the CA's subject and every kit. */
  federationId: string;
  certPem: string;
  /** PKCS#8 PEM. Stays with the operator: whoever holds it can mint any identity. */
  keyPem: string;
  fingerprint: string;
}

export interface IssuedCertificate {
  identity: Identity;
  certPem: string;
  /** PKCS#8 PEM of the member's private key. */
  keyPem: string;
  fingerprint: string;
  notAfter: Date;
}

export interface CertificateAuthorityOptions {
  /**
   * Names the federation.
   * @defaultValue a random id like `fed-3f9a1c2b7d4e`
   */
  federationId?: string;
  /**
   * Days the CA certificate is valid.
   * @defaultValue 3650
   */
  validityDays?: number;
  /**
   * The time the certificate is issued at (tests).
   * @defaultValue now
   */
  now?: Date;
}

export interface IssueCertificateOptions {
  /**
   * Days the certificate is valid.
   * @defaultValue 825
   */
  validityDays?: number;
  /**
   * Extra DNS names for the subject alternative name (servers: names clients dial).
   * @defaultValue none
   */
  dnsNames?: string[];
  /**
   * IP addresses for the subject alternative name (servers: addresses clients dial).
   * @defaultValue none
   */
  ipAddresses?: string[];
  /**
   * The time the certificate is issued at (tests).
   * @defaultValue now
   */
  now?: Date;
}

const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ORGANIZATION = 'AIDOC Federated';
/** Issued certificates start this long before "now", so small clock differences between machines do not matter. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Throws INVALID_ARGUMENT unless `name` is a valid identity name. */
export function assertIdentityName(name: string, what = 'identity name'): void {
  assertArgument(
    NAME_RE.test(name),
    `${what} ${JSON.stringify(name)} is not valid: use 1-63 lowercase letters, digits and inner hyphens (e.g. hospital-a)`,
    { name },
  );
}

/** `aidoc://<role>/<name>`, the URI written into a member's certificate. */
export function identityUri(identity: Identity): string {
  return `aidoc://${identity.role}/${identity.name}`;
}

/** Parses `aidoc://<role>/<name>`; undefined for anything else. */
export function parseIdentityUri(uri: string): Identity | undefined {
  const m = /^aidoc:\/\/([a-z]+)\/([^/]+)$/.exec(uri);
  if (!m || !isRole(m[1]) || !NAME_RE.test(m[2] ?? '')) return undefined;
  return { role: m[1], name: m[2] as string };
}

/** SHA-256 of a certificate's DER (PEM or DER input), lowercase hex. */
export function certificateFingerprint(cert: string | Buffer | X509Certificate): string {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return createHash('sha256').update(x.raw).digest('hex');
}

/** Creates a federation's certificate authority: a self-signed ECDSA P-256 certificate and its key. */
export function createCertificateAuthority(options: CertificateAuthorityOptions = {}): CertificateAuthority {
  const federationId = options.federationId ?? `fed-${randomBytes(6).toString('hex')}`;
  assertIdentityName(federationId, 'federation id');
  const validityDays = options.validityDays ?? 3650;
  assertArgument(validityDays > 0, 'validityDays must be positive', { validityDays });
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = name([
    [OID.organization, ORGANIZATION],
    [OID.organizationalUnit, 'ca'],
    [OID.commonName, `AIDOC Federated CA ${federationId}`],
  ]);
  const ski = keyIdentifier(publicKey);
  const der = buildCertificate({
    issuer: subject,
    subject,
    publicKey,
    signingKey: privateKey,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true), integer(Buffer.from([0])))),
      extension(OID.keyUsage, true, keyUsage([KU.digitalSignature, KU.keyCertSign, KU.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octetString(ski)),
    ],
  });
  const certPem = toPem(der, 'CERTIFICATE');
  return {
    federationId,
    certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint: certificateFingerprint(certPem),
  };
}

/**
 * Issues a member certificate signed by `ca`. Coordinators get serverAuth and clientAuth usages (and should
 * be given the DNS names / IPs clients dial); every other role gets clientAuth only, so a stolen worker or
 * vendor certificate cannot impersonate the coordinator.
 */
export function issueCertificate(
  ca: Pick<CertificateAuthority, 'certPem' | 'keyPem'>,
  identity: Identity,
  options: IssueCertificateOptions = {},
): IssuedCertificate {
  assertArgument(
    isRole(identity.role),
    `unknown role ${JSON.stringify(identity.role)}; use one of ${ROLES.join(', ')}`,
  );
  assertIdentityName(identity.name);
  const validityDays = options.validityDays ?? 825;
  assertArgument(validityDays > 0, 'validityDays must be positive', { validityDays });
  const now = options.now ?? new Date();
  const caCert = new X509Certificate(ca.certPem);
  const caKey = createPrivateKey(ca.keyPem);
  assertArgument(caCert.checkPrivateKey(caKey), 'the CA key does not belong to the CA certificate');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  const altNames: Buffer[] = [tlv(0x86, Buffer.from(identityUri(identity), 'ascii'))];
  for (const dns of options.dnsNames ?? []) {
    assertArgument(/^[A-Za-z0-9*.-]+$/.test(dns), `invalid DNS name ${JSON.stringify(dns)}`);
    altNames.push(tlv(0x82, Buffer.from(dns, 'ascii')));
  }
  for (const ip of options.ipAddresses ?? []) altNames.push(tlv(0x87, ipBytes(ip)));

  const usages = identity.role === 'coordinator' ? [OID.serverAuth, OID.clientAuth] : [OID.clientAuth];
  const notAfter = new Date(now.getTime() + validityDays * DAY_MS);
  const der = buildCertificate({
    issuer: Buffer.from(caSubjectDer(caCert)),
    subject: name([
      [OID.organization, ORGANIZATION],
      [OID.organizationalUnit, identity.role],
      [OID.commonName, identity.name],
    ]),
    publicKey,
    signingKey: caKey,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, seq()),
      extension(OID.keyUsage, true, keyUsage([KU.digitalSignature])),
      extension(OID.extKeyUsage, false, seq(...usages.map(oid))),
      extension(OID.subjectAltName, false, seq(...altNames)),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(publicKey))),
      extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyIdentifier(caCert.publicKey)))),
    ],
  });
  const certPem = toPem(der, 'CERTIFICATE');
  return {
    identity: { role: identity.role, name: identity.name },
    certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint: certificateFingerprint(certPem),
    notAfter,
  };
}

/**
 * Reads the member identity out of a certificate (PEM, DER or parsed). Throws PERMISSION_DENIED when the
 * certificate carries no single valid `aidoc://` URI or its subject disagrees with it. It does not check
 * the chain: TLS has done that by the time a peer certificate reaches the caller (see
 * {@link verifyIssuedBy} for files).
 */
export function readCertificateIdentity(cert: string | Buffer | X509Certificate): CertificateIdentity {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const uris = (x.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4))
    .filter((uri) => uri.startsWith('aidoc:'));
  const fingerprint = certificateFingerprint(x);
  if (uris.length !== 1) {
    throw makeError(
      `certificate ${fingerprint.slice(0, 16)} carries ${uris.length} aidoc:// identities, expected exactly 1`,
      'PERMISSION_DENIED',
      { fingerprint },
    );
  }
  const identity = parseIdentityUri(uris[0] as string);
  if (!identity) {
    throw makeError(
      `certificate identity ${JSON.stringify(uris[0])} is not a valid aidoc://<role>/<name>`,
      'PERMISSION_DENIED',
      {
        fingerprint,
      },
    );
  }
  const subject = parseSubject(x.subject);
  if (subject.OU !== identity.role || subject.CN !== identity.name) {
    throw makeError(
      `certificate subject (OU=${subject.OU ?? ''}, CN=${subject.CN ?? ''}) disagrees with its identity ${uris[0]}`,
      'PERMISSION_DENIED',
      { fingerprint },
    );
  }
  return { ...identity, fingerprint };
}

/** True when `certPem` is signed by the CA in `caPem` and names it as issuer. */
export function verifyIssuedBy(certPem: string | Buffer, caPem: string | Buffer): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function parseSubject(subject: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of subject.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// A minimal DER encoder: exactly what an X.509 v3 certificate with these extensions needs.

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280, 4.2.1.3). */
const KU = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const octetString = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0): Buffer =>
  tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));
const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);

/** A non-negative INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const p of parts.slice(2)) {
    const bytes = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // YYYYMMDDHHMMSSZ
  const year = d.getUTCFullYear();
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(digits, 'ascii'));
}

function name(rdns: [string, string][]): Buffer {
  return seq(...rdns.map(([type, value]) => set(seq(oid(type), utf8String(value)))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octetString(value)) : seq(oid(id), octetString(value));
}

/** KeyUsage as a DER named-bit BIT STRING (trailing zero bits dropped). */
function keyUsage(bits: number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  return bitString(bytes, 7 - (highest & 7));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki).digest();
}

function ipBytes(ip: string): Buffer {
  const kind = isIP(ip);
  assertArgument(kind !== 0, `invalid IP address ${JSON.stringify(ip)}`);
  if (kind === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand an IPv6 address (with at most one "::") into 8 groups.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** The DER of the CA certificate's subject, so issued certificates name their issuer byte for byte. */
function caSubjectDer(caCert: X509Certificate): Buffer {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, sigAlg, issuer, validity, subject, ... } }
  const tbs = readTlv(readTlv(caCert.raw, 0).content, 0).content;
  let offset = 0;
  const fields: Buffer[] = [];
  while (offset < tbs.length && fields.length < 6) {
    const f = readTlv(tbs, offset);
    fields.push(tbs.subarray(offset, f.end));
    offset = f.end;
  }
  const subject = fields[5];
  if (!subject) throw makeError('cannot read the CA certificate subject', 'INTERNAL');
  return subject;
}

function readTlv(buf: Buffer, offset: number): { content: Buffer; end: number } {
  let p = offset + 1;
  let len = buf[p++] as number;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] as number);
  }
  return { content: buf.subarray(p, p + len), end: p + len };
}

function buildCertificate(args: {
  issuer: Buffer;
  subject: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}): Buffer {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01; // positive, 16 bytes, never zero
  const algorithm = seq(oid(OID.ecdsaWithSha256)); // parameters absent (RFC 5758)
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    args.issuer,
    seq(time(args.notBefore), time(args.notAfter)),
    args.subject,
    args.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...args.extensions)),
  );
  const signature = sign('sha256', tbs, args.signingKey); // DER ECDSA-Sig-Value
  return seq(tbs, algorithm, bitString(signature));
}

function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.endsWith('\n') ? b64 : b64 + '\n'}-----END ${label}-----\n`;
}
