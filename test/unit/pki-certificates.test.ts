import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { isError } from '../../common/errors.js';
import {
  certificateFingerprint,
  createCertificateAuthority,
  identityUri,
  issueCertificate,
  parseIdentityUri,
  readCertificateIdentity,
  verifyIssuedBy,
} from '../../common/pki.js';

function expectCode(fn: () => unknown, code: Parameters<typeof isError>[1]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isError(caught, code)).toBe(true);
}

describe('pki', () => {
  const ca = createCertificateAuthority({ federationId: 'fed-test' });

  test('the CA is a self-signed CA certificate whose fingerprint is the SHA-256 of its DER', () => {
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.subject).toContain('CN=AIDOC Federated CA fed-test');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    expect(ca.fingerprint).toBe(createHash('sha256').update(x.raw).digest('hex'));
    expect(ca.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  test('a worker certificate carries its identity, is signed by the CA and is for client auth only', () => {
    const issued = issueCertificate(
      ca,
      { role: 'worker', name: 'hospital-a' },
      { now: new Date('2030-01-01T00:00:00Z') },
    );
    const x = new X509Certificate(issued.certPem);
    expect(x.ca).toBe(false);
    expect(verifyIssuedBy(issued.certPem, ca.certPem)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
    expect(x.subject.split('\n')).toEqual(['O=AIDOC Federated', 'OU=worker', 'CN=hospital-a']);
    expect(x.subjectAltName).toBe('URI:aidoc://worker/hospital-a');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(readCertificateIdentity(issued.certPem)).toEqual({
      role: 'worker',
      name: 'hospital-a',
      fingerprint: issued.fingerprint,
    });
    expect(new Date(x.validFrom).getTime()).toBe(new Date('2029-12-31T23:55:00Z').getTime());
    expect(new Date(x.validTo).getTime()).toBe(new Date('2030-01-01T00:00:00Z').getTime() + 825 * 86_400_000);
  });

  test('a coordinator certificate is for server and client auth and names the addresses clients dial', () => {
    const issued = issueCertificate(
      ca,
      { role: 'coordinator', name: 'coordinator' },
      { dnsNames: ['localhost', 'coordinator.aidoc.svc'], ipAddresses: ['127.0.0.1', '::1', 'fe80::1:2'] },
    );
    const x = new X509Certificate(issued.certPem);
    expect(x.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x.checkHost('coordinator.aidoc.svc')).toBe('coordinator.aidoc.svc');
    expect(x.checkHost('evil.example')).toBeUndefined();
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkIP('fe80::1:2')).toBe('fe80::1:2');
    expect(readCertificateIdentity(x).role).toBe('coordinator');
  });

  test('validity past 2049 is written as GeneralizedTime and read back exactly', () => {
    const late = createCertificateAuthority({ now: new Date('2045-06-01T12:00:00Z'), validityDays: 3650 });
    const x = new X509Certificate(late.certPem);
    expect(new Date(x.validTo).toISOString()).toBe('2055-05-30T12:00:00.000Z');
  });

  test('a certificate from another CA does not verify against this one', () => {
    const other = createCertificateAuthority();
    const issued = issueCertificate(other, { role: 'worker', name: 'hospital-a' });
    expect(verifyIssuedBy(issued.certPem, ca.certPem)).toBe(false);
    expect(verifyIssuedBy(issued.certPem, other.certPem)).toBe(true);
    expect(other.federationId).toMatch(/^fed-[0-9a-f]{12}$/);
  });

  test('serial numbers and keys differ between certificates of the same identity', () => {
    const a = issueCertificate(ca, { role: 'vendor', name: 'acme' });
    const b = issueCertificate(ca, { role: 'vendor', name: 'acme' });
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(a.fingerprint).not.toBe(b.fingerprint);
    expect(certificateFingerprint(Buffer.from(new X509Certificate(a.certPem).raw))).toBe(a.fingerprint);
  });

  test('bad names and roles are refused; a certificate without an aidoc identity is not a member', () => {
    for (const bad of ['', 'Hospital-A', 'hospital_a', '-a', 'a-', 'a'.repeat(64), 'a/b', 'a.b']) {
      expectCode(() => issueCertificate(ca, { role: 'worker', name: bad }), 'INVALID_ARGUMENT');
    }
    expectCode(() => issueCertificate(ca, { role: 'admin' as 'worker', name: 'x' }), 'INVALID_ARGUMENT');
    expectCode(
      () => issueCertificate(ca, { role: 'worker', name: 'x' }, { ipAddresses: ['1.2.3'] }),
      'INVALID_ARGUMENT',
    );
    const other = createCertificateAuthority();
    expectCode(
      () => issueCertificate({ certPem: ca.certPem, keyPem: other.keyPem }, { role: 'worker', name: 'x' }),
      'INVALID_ARGUMENT',
    );
    expectCode(() => readCertificateIdentity(ca.certPem), 'PERMISSION_DENIED');
  });

  test('identity URIs round-trip and reject anything else', () => {
    expect(identityUri({ role: 'vendor', name: 'acme' })).toBe('aidoc://vendor/acme');
    expect(parseIdentityUri('aidoc://worker/hospital-b')).toEqual({ role: 'worker', name: 'hospital-b' });
    for (const bad of [
      'aidoc://root/x',
      'aidoc://worker/',
      'aidoc://worker/a/b',
      'https://worker/a',
      'aidoc://worker/A',
    ]) {
      expect(parseIdentityUri(bad)).toBeUndefined();
    }
  });
});
