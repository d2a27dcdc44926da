/**
 * Mutual TLS and authorization by certificate identity.
 *
 * Every connection is mutual TLS against the federation CA only: a peer whose certificate another CA
 * signed never completes the handshake. The coordinator then authorizes each call on the identity in the
 * peer certificate (`aidoc://<role>/<name>`, see common/pki.ts), never on anything the request claims:
 * - WorkerService: role worker (a vendor cannot pull tasks or push updates);
 * - JobService:    role vendor, which sees only its own jobs, or operator, which sees all;
 * - AdminService:  role operator.
 * Clients check the other way round: the server certificate must carry the coordinator identity named
 * in their kit, so a worker or vendor certificate cannot stand in for the coordinator.
 */
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { makeError } from '../../common/errors.js';
import type { Kit } from '../../common/pki-kit.js';
import { readCertificateIdentity, type CertificateIdentity, type Role } from '../../common/pki.js';
import type { AidocServiceName } from '../../protos/load.js';

/** Who is calling: the identity in the peer's client certificate. */
export type Caller = CertificateIdentity;

/** The roles allowed to call each service. */
export const SERVICE_ROLES: Readonly<Record<AidocServiceName, readonly Role[]>> = {
  WorkerService: ['worker'],
  JobService: ['vendor', 'operator'],
  AdminService: ['operator'],
};

type KitTls = Pick<Kit, 'certPem' | 'keyPem' | 'caPem' | 'manifest'>;

/** Server credentials for the coordinator: its certificate, and client certificates required from the federation CA. */
export function createServerCredentials(kit: KitTls): grpc.ServerCredentials {
  if (kit.manifest.role !== 'coordinator') {
    throw makeError(
      `a gRPC server needs the coordinator kit, got a ${kit.manifest.role} kit (${kit.manifest.name})`,
      'INVALID_ARGUMENT',
      { role: kit.manifest.role },
    );
  }
  return grpc.ServerCredentials.createSsl(
    Buffer.from(kit.caPem),
    [{ cert_chain: Buffer.from(kit.certPem), private_key: Buffer.from(kit.keyPem) }],
    true,
  );
}

/**
 * Client credentials from a member kit: the member's certificate, the federation CA as the only root, and
 * a server check that accepts only the coordinator identity named in the kit (whatever host name was
 * dialled, so the coordinator may sit behind any address).
 */
export function createClientCredentials(kit: KitTls): grpc.ChannelCredentials {
  const expected = kit.manifest.coordinatorName;
  return grpc.credentials.createSsl(
    Buffer.from(kit.caPem),
    Buffer.from(kit.keyPem),
    Buffer.from(kit.certPem),
    {
      checkServerIdentity: (_host, cert) => {
        try {
          const id = readCertificateIdentity(cert.raw);
          if (id.role === 'coordinator' && id.name === expected) return undefined;
          return new Error(`server presented ${id.role} ${id.name}, expected coordinator ${expected}`);
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      },
    },
  );
}

/** A server call, of any kind. */
export interface AuthenticatedCall {
  /** grpc-js >= 1.10: the verified peer certificate of a TLS connection. */
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate };
  getPeer(): string;
}

/**
 * The identity of the peer of a server call, from its verified client certificate. Throws
 * PERMISSION_DENIED when there is none (which mutual TLS already prevents; this is the second lock).
 */
export function callerOf(call: AuthenticatedCall): Caller {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert?.raw) {
    throw makeError(
      `caller ${call.getPeer()} presented no verified client certificate`,
      'PERMISSION_DENIED',
      {
        peer: call.getPeer(),
      },
    );
  }
  // Parsing the certificate was the largest single cost in the coordinator's CPU profile; the same
  // few certificates call over and over, so remember them (the TLS layer has already verified them).
  const key = cert.raw.toString('base64');
  let identity = identityCache.get(key);
  if (!identity) {
    identity = readCertificateIdentity(cert.raw);
    if (identityCache.size >= IDENTITY_CACHE_SIZE) identityCache.delete(identityCache.keys().next().value!);
    identityCache.set(key, identity);
  }
  return identity;
}

const IDENTITY_CACHE_SIZE = 1024;
const identityCache = new Map<string, Caller>();

/** Throws PERMISSION_DENIED unless `caller`'s role may call `service`. */
export function authorizeService(service: AidocServiceName, caller: Caller): void {
  const allowed = SERVICE_ROLES[service];
  if (!allowed.includes(caller.role)) {
    throw makeError(
      `${caller.role} ${caller.name} may not call ${service} (allowed: ${allowed.join(', ')})`,
      'PERMISSION_DENIED',
      { service, role: caller.role, identity: caller.name },
    );
  }
}

/** True when `caller` may see a job submitted by vendor `jobVendor`. */
export function canSeeJob(caller: Caller, jobVendor: string): boolean {
  return caller.role === 'operator' || (caller.role === 'vendor' && caller.name === jobVendor);
}

/**
 * Throws NOT_FOUND unless `caller` may see the job. NOT_FOUND rather than PERMISSION_DENIED, so a vendor
 * cannot even learn that another vendor's job id exists.
 */
export function assertCanSeeJob(caller: Caller, job: { jobId: string; vendor: string }): void {
  if (!canSeeJob(caller, job.vendor))
    throw makeError(`job ${job.jobId} not found`, 'NOT_FOUND', { jobId: job.jobId });
}
