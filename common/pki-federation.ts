/**
 * Provisioning a federation: one CA, one coordinator kit, one kit per hospital worker, vendor and
 * operator, written under one folder:
 *
 *   DIR/federation.json            what was provisioned (ids, fingerprints, kit folders)
 *   DIR/ca/ca.crt, ca.key          the CA; ca.key stays with the operator and never goes into a kit
 *   DIR/coordinator/               the coordinator's kit (kit.json has listenAddress)
 *   DIR/workers/<name>/            one kit per hospital worker
 *   DIR/vendors/<name>/            one kit per AI vendor
 *   DIR/operators/<name>/          one kit per operator (admin API, `aidoc workers`)
 *
 * Extension point: a {@link KitExtension} adds files and manifest entries to chosen kits. The homomorphic
 * encryption issue plugs in here: its extension creates the HE keys once per federation and gives the
 * secret key to hospital (worker) kits only; the coordinator kit gets no key at all, which is what keeps
 * the coordinator from reading any single hospital's update.
 */
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { assertArgument, makeError, throwIfAborted } from './errors.js';
import { KIT_CA_FILE, KIT_CERT_FILE, KIT_KEY_FILE, KIT_MANIFEST_FILE, type KitManifest } from './pki-kit.js';
import {
  assertIdentityName,
  createCertificateAuthority,
  identityUri,
  issueCertificate,
  type CertificateAuthority,
  type Identity,
  type IssuedCertificate,
  type Role,
} from './pki.js';

export const FEDERATION_MANIFEST_FILE = 'federation.json';

/** A file an extension adds to one kit. */
export interface KitFile {
  /** File name inside the kit folder (no slashes). */
  name: string;
  data: Uint8Array | string;
  /** Secret files are written with mode 0600. @defaultValue false */
  secret?: boolean;
}

/** What an extension adds to one kit. */
export interface KitContribution {
  files?: KitFile[];
  /** Stored in the kit's `kit.json` under `extensions[<extension name>]`. */
  manifest?: Record<string, unknown>;
}

/**
 * Adds material to kits at provisioning time. `prepare` runs once per federation (e.g. to generate a key
 * set) and returns the function called for each member; returning undefined adds nothing to that kit.
 * The extension decides who gets what, and must document its custody argument (who can decrypt what).
 */
export interface KitExtension {
  /** Stable key under `kit.json` `extensions`, e.g. `ckks`. */
  name: string;
  prepare(args: {
    federationId: string;
    /** Every member that will get a kit, coordinator first (e.g. to give each kit the others' public keys). */
    members: readonly Identity[];
    signal?: AbortSignal;
  }): Promise<(member: Identity) => Promise<KitContribution | undefined>>;
}

export interface ProvisionOptions {
  /** Folder to write the federation into (created if missing). */
  out: string;
  /** Hospital worker names, e.g. `['hospital-a', 'hospital-b']`. */
  workers: string[];
  /** Vendor names, e.g. `['acme']`. */
  vendors: string[];
  /**
   * Operator names (callers of the admin API).
   * @defaultValue `['operator']`
   */
  operators?: string[];
  /**
   * `host:port` members dial to reach the coordinator; its host goes into the coordinator certificate.
   * @defaultValue `'127.0.0.1:7443'`
   */
  coordinatorAddress?: string;
  /**
   * `host:port` the coordinator binds.
   * @defaultValue the coordinator address when its host is a loopback address, else `0.0.0.0:<port>`
   */
  listenAddress?: string;
  /**
   * The coordinator's identity name.
   * @defaultValue `'coordinator'`
   */
  coordinatorName?: string;
  /**
   * Names the federation.
   * @defaultValue a random `fed-<12 hex>`
   */
  federationId?: string;
  /**
   * Replace a federation already in `out` (every kit issued from it stops working).
   * @defaultValue false
   */
  force?: boolean;
  /**
   * Kit extensions (e.g. HE keys for hospital kits).
   * @defaultValue none
   */
  extensions?: KitExtension[];
  signal?: AbortSignal;
}

export interface ProvisionedMember {
  role: Role;
  name: string;
  identityUri: string;
  /** Kit folder, absolute. */
  dir: string;
  fingerprint: string;
  notAfter: string;
}

export interface ProvisionResult {
  federationId: string;
  /** The federation folder, absolute. */
  out: string;
  caFingerprint: string;
  coordinatorAddress: string;
  listenAddress: string;
  coordinator: ProvisionedMember;
  workers: ProvisionedMember[];
  vendors: ProvisionedMember[];
  operators: ProvisionedMember[];
}

/** The folders `provisionFederation` owns inside `out`; only these are replaced by `force`. */
const OWNED = [FEDERATION_MANIFEST_FILE, 'ca', 'coordinator', 'workers', 'vendors', 'operators'];
const ROLE_FOLDER: Record<Exclude<Role, 'coordinator'>, string> = {
  worker: 'workers',
  vendor: 'vendors',
  operator: 'operators',
};

/** Splits `host:port` / `[v6]:port`; throws INVALID_ARGUMENT otherwise. */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  assertArgument(
    m && port > 0 && port < 65536,
    `address ${JSON.stringify(address)} is not host:port (e.g. 127.0.0.1:7443 or [::1]:7443)`,
    { address },
  );
  return { host: (m[1] ?? m[2]) as string, port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function uniqueNames(names: string[], what: string): string[] {
  for (const n of names) assertIdentityName(n, `${what} name`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  assertArgument(dup === undefined, `${what} name ${JSON.stringify(dup)} is listed twice`, { name: dup });
  return names;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates a federation (see the module comment for the layout). */
export async function provisionFederation(options: ProvisionOptions): Promise<ProvisionResult> {
  const out = resolve(options.out);
  const workers = uniqueNames(options.workers, 'worker');
  const vendors = uniqueNames(options.vendors, 'vendor');
  const operators = uniqueNames(options.operators ?? ['operator'], 'operator');
  const coordinatorName = options.coordinatorName ?? 'coordinator';
  assertIdentityName(coordinatorName, 'coordinator name');
  const coordinatorAddress = options.coordinatorAddress ?? '127.0.0.1:7443';
  const { host, port } = parseHostPort(coordinatorAddress);
  const listenAddress = options.listenAddress ?? (isLoopback(host) ? coordinatorAddress : `0.0.0.0:${port}`);
  parseHostPort(listenAddress);
  const extensions = options.extensions ?? [];
  const extNames = extensions.map((e) => e.name);
  assertArgument(
    new Set(extNames).size === extNames.length,
    `kit extensions must have distinct names: ${extNames.join(', ')}`,
  );

  const present: string[] = [];
  for (const f of OWNED) if (await exists(join(out, f))) present.push(f);
  if (present.length > 0 && !options.force) {
    throw makeError(
      `${out} already holds a federation (${present.join(', ')}); pass --force to replace it, which invalidates every kit issued from it`,
      'INVALID_ARGUMENT',
      { out, present },
    );
  }
  throwIfAborted(options.signal, 'provisioning');

  // Everything is generated before anything is written or removed, so a failure leaves `out` as it was.
  const ca = createCertificateAuthority({ federationId: options.federationId });
  const dnsNames = ['localhost'];
  const ipAddresses = ['127.0.0.1', '::1'];
  if (isIP(host)) {
    if (!ipAddresses.includes(host)) ipAddresses.push(host);
  } else if (!dnsNames.includes(host)) dnsNames.push(host);

  interface Planned {
    cert: IssuedCertificate;
    dir: string;
  }
  const planned: Planned[] = [
    {
      cert: issueCertificate(ca, { role: 'coordinator', name: coordinatorName }, { dnsNames, ipAddresses }),
      dir: join(out, 'coordinator'),
    },
  ];
  for (const [role, names] of [
    ['worker', workers],
    ['vendor', vendors],
    ['operator', operators],
  ] as const) {
    for (const name of names) {
      planned.push({ cert: issueCertificate(ca, { role, name }), dir: join(out, ROLE_FOLDER[role], name) });
    }
  }

  const contributors = [];
  for (const ext of extensions) {
    contributors.push({
      name: ext.name,
      contribute: await ext.prepare({
        federationId: ca.federationId,
        members: planned.map((p) => p.cert.identity),
        signal: options.signal,
      }),
    });
  }
  const contributions = new Map<Planned, { name: string; contribution: KitContribution }[]>();
  for (const p of planned) {
    const list = [];
    for (const c of contributors) {
      throwIfAborted(options.signal, 'provisioning');
      const contribution = await c.contribute(p.cert.identity);
      if (contribution) {
        for (const f of contribution.files ?? []) {
          assertArgument(
            /^[A-Za-z0-9._-]+$/.test(f.name) &&
              ![KIT_MANIFEST_FILE, KIT_CERT_FILE, KIT_KEY_FILE, KIT_CA_FILE].includes(f.name),
            `kit extension ${c.name} may not write ${JSON.stringify(f.name)}`,
          );
        }
        list.push({ name: c.name, contribution });
      }
    }
    contributions.set(p, list);
  }
  throwIfAborted(options.signal, 'provisioning');

  for (const f of present) await rm(join(out, f), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await writeCa(out, ca);

  const createdAt = new Date().toISOString();
  const members: ProvisionedMember[] = [];
  for (const p of planned) {
    const { identity } = p.cert;
    const extensionManifests: Record<string, unknown> = {};
    const files: KitFile[] = [];
    for (const { name, contribution } of contributions.get(p) ?? []) {
      extensionManifests[name] = {
        ...(contribution.manifest ?? {}),
        files: (contribution.files ?? []).map((f) => f.name),
      };
      files.push(...(contribution.files ?? []));
    }
    const manifest: KitManifest = {
      kind: 'aidoc-kit',
      version: 1,
      federationId: ca.federationId,
      role: identity.role,
      name: identity.name,
      identityUri: identityUri(identity),
      fingerprint: p.cert.fingerprint,
      caFingerprint: ca.fingerprint,
      coordinatorAddress,
      coordinatorName,
      ...(identity.role === 'coordinator' ? { listenAddress } : {}),
      createdAt,
      extensions: extensionManifests,
    };
    await writeKitFolder(p.dir, p.cert, ca.certPem, manifest, files);
    members.push({
      role: identity.role,
      name: identity.name,
      identityUri: manifest.identityUri,
      dir: p.dir,
      fingerprint: p.cert.fingerprint,
      notAfter: p.cert.notAfter.toISOString(),
    });
  }

  const result: ProvisionResult = {
    federationId: ca.federationId,
    out,
    caFingerprint: ca.fingerprint,
    coordinatorAddress,
    listenAddress,
    coordinator: members[0] as ProvisionedMember,
    workers: members.filter((m) => m.role === 'worker'),
    vendors: members.filter((m) => m.role === 'vendor'),
    operators: members.filter((m) => m.role === 'operator'),
  };
  await writeFile(
    join(out, FEDERATION_MANIFEST_FILE),
    JSON.stringify(
      { kind: 'aidoc-federation', version: 1, createdAt, extensions: extNames, ...result },
      null,
      2,
    ) + '\n',
    { mode: 0o644 },
  );
  return result;
}

async function writeSecret(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600); // whatever the umask
}

async function writePublic(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(path, data, { mode: 0o644, flag: 'wx' });
}

async function writeCa(out: string, ca: CertificateAuthority): Promise<void> {
  const dir = join(out, 'ca');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writePublic(join(dir, 'ca.crt'), ca.certPem);
  await writeSecret(join(dir, 'ca.key'), ca.keyPem);
}

async function writeKitFolder(
  dir: string,
  cert: IssuedCertificate,
  caPem: string,
  manifest: KitManifest,
  files: KitFile[],
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writePublic(join(dir, KIT_CERT_FILE), cert.certPem);
  await writeSecret(join(dir, KIT_KEY_FILE), cert.keyPem);
  await writePublic(join(dir, KIT_CA_FILE), caPem);
  for (const f of files) {
    if (f.secret) await writeSecret(join(dir, f.name), f.data);
    else await writePublic(join(dir, f.name), f.data);
  }
  await writePublic(join(dir, KIT_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}
