/**
 * Startup kits: the folder `aidoc provision` writes for each federation member (coordinator, hospital
 * worker, vendor, operator) and everything that reads one back.
 *
 * A kit folder holds
 * - `tls.crt`  the member's certificate (PEM; the names follow Kubernetes TLS secrets, so a kit can be
 *              mounted as one),
 * - `tls.key`  its private key (PKCS#8 PEM, mode 0600),
 * - `ca.crt`   the federation CA certificate, the only root the member trusts,
 * - `kit.json` the manifest below,
 * - any files a kit extension added (e.g. HE keys in hospital kits), listed under `extensions`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { makeError } from './errors.js';
import {
  ROLES,
  certificateFingerprint,
  readCertificateIdentity,
  verifyIssuedBy,
  type CertificateIdentity,
} from './pki.js';

export const KIT_MANIFEST_FILE = 'kit.json';
export const KIT_CERT_FILE = 'tls.crt';
export const KIT_KEY_FILE = 'tls.key';
export const KIT_CA_FILE = 'ca.crt';

const kitManifestSchema = z.object({
  kind: z.literal('aidoc-kit'),
  version: z.literal(1),
  federationId: z.string().min(1),
  role: z.enum(ROLES),
  name: z.string().min(1),
  /** `aidoc://<role>/<name>`, as in the certificate. */
  identityUri: z.string(),
  /** SHA-256 (hex) of this member's certificate. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /** SHA-256 (hex) of the federation CA certificate. */
  caFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /** `host:port` members dial to reach the coordinator. */
  coordinatorAddress: z.string().min(1),
  /** The identity name the coordinator's certificate must carry (clients check it on every connection). */
  coordinatorName: z.string().min(1),
  /** Coordinator kits only: `host:port` the gRPC server binds. */
  listenAddress: z.string().optional(),
  createdAt: z.string(),
  /** Per-extension data (e.g. `ckks`: which files hold which keys). */
  extensions: z.record(z.string(), z.unknown()).default({}),
});

/** The contents of `kit.json`. */
export type KitManifest = z.infer<typeof kitManifestSchema>;

/** A kit read from disk and checked. */
export interface Kit {
  dir: string;
  manifest: KitManifest;
  certPem: string;
  keyPem: string;
  caPem: string;
  /** The identity read from the certificate (it agrees with the manifest). */
  identity: CertificateIdentity;
  /** Non-fatal findings, e.g. a private key readable by other users. */
  warnings: string[];
}

/** Parses and validates a kit manifest (the JSON text of `kit.json`). */
export function parseKitManifest(json: string, source = KIT_MANIFEST_FILE): KitManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw makeError(`${source} is not valid JSON: ${(e as Error).message}`, 'INVALID_ARGUMENT', { source });
  }
  const parsed = kitManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw makeError(
      `${source} is not a valid aidoc kit manifest: ${problems.join('; ')}`,
      'INVALID_ARGUMENT',
      {
        source,
        problems,
      },
    );
  }
  return parsed.data;
}

/**
 * Reads a kit folder and checks that it is coherent: the certificate is signed by the kit's CA, carries
 * the identity and fingerprint the manifest names, and the key belongs to it. Throws INVALID_ARGUMENT
 * (naming the file and what to do) when anything disagrees.
 */
export async function loadKit(dir: string): Promise<Kit> {
  const read = async (file: string): Promise<string> => {
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch (e) {
      throw makeError(
        `cannot read ${join(dir, file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; is ${dir} a kit written by 'aidoc provision'?`,
        'INVALID_ARGUMENT',
        { dir, file },
      );
    }
  };
  const manifestPath = join(dir, KIT_MANIFEST_FILE);
  const manifest = parseKitManifest(await read(KIT_MANIFEST_FILE), manifestPath);
  const [certPem, keyPem, caPem] = await Promise.all([
    read(KIT_CERT_FILE),
    read(KIT_KEY_FILE),
    read(KIT_CA_FILE),
  ]);
  const bad = (message: string): never => {
    throw makeError(`kit ${dir}: ${message}`, 'INVALID_ARGUMENT', { dir });
  };

  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    new X509Certificate(caPem);
  } catch (e) {
    return bad(`a certificate file is not a valid PEM certificate (${(e as Error).message})`);
  }
  if (certificateFingerprint(caPem) !== manifest.caFingerprint)
    bad(`${KIT_CA_FILE} is not the CA named in ${KIT_MANIFEST_FILE}`);
  if (!verifyIssuedBy(certPem, caPem)) bad(`${KIT_CERT_FILE} is not signed by ${KIT_CA_FILE}`);
  const identity = readCertificateIdentity(cert);
  if (identity.fingerprint !== manifest.fingerprint)
    bad(`${KIT_CERT_FILE} is not the certificate named in ${KIT_MANIFEST_FILE}`);
  if (identity.role !== manifest.role || identity.name !== manifest.name) {
    bad(
      `${KIT_CERT_FILE} is for ${identity.role} ${identity.name}, but ${KIT_MANIFEST_FILE} says ${manifest.role} ${manifest.name}`,
    );
  }
  let keyMatches = false;
  try {
    keyMatches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (e) {
    bad(`${KIT_KEY_FILE} is not a valid private key (${(e as Error).message})`);
  }
  if (!keyMatches) bad(`${KIT_KEY_FILE} does not belong to ${KIT_CERT_FILE}`);

  const warnings: string[] = [];
  if (process.platform !== 'win32') {
    const mode = (await stat(join(dir, KIT_KEY_FILE))).mode & 0o777;
    // Not fatal: Kubernetes mounts secrets 0644 by default inside a single-user container.
    if (mode & 0o077)
      warnings.push(
        `${join(dir, KIT_KEY_FILE)} is readable by other users (mode ${mode.toString(8)}); chmod 600 it`,
      );
  }
  return { dir, manifest, certPem, keyPem, caPem, identity, warnings };
}
