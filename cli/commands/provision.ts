import { provisionFederation, type KitExtension } from '../../common/pki-federation.js';
import { createHeKitExtension } from '../../privacy/he-kit.js';
import type { CliCommand } from '../command.js';
import { optionalString, requireString } from '../flags.js';

/**
 * Kit extensions every `aidoc provision` applies: the BGV setup for secure aggregation (the secret
 * key, a signing key and an opener key into each hospital kit; the coordinator kit gets the
 * parameters and the hospitals' public keys, nothing that decrypts — privacy/he-kit.ts).
 */
export const provisionKitExtensions: KitExtension[] = [createHeKitExtension()];

function nameList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export const provisionCommand: CliCommand = {
  path: ['provision'],
  summary:
    'Create a federation: a CA and startup kits for the coordinator, hospital workers, vendors and operators',
  details: `
Writes DIR/ca (the CA; ca.key stays with you, it is in no kit), DIR/coordinator, DIR/workers/<name>,
DIR/vendors/<name> and DIR/operators/<name>. Each kit holds tls.crt, tls.key (mode 0600), ca.crt and
kit.json (identity, coordinator address). Hospital kits also hold the secure-aggregation keys
(he-secret.key, he-signing.key, he-opener.key, mode 0600); the coordinator kit holds only the
HE (BGV) parameters and the hospitals' public keys. Hand each hospital and vendor its own folder only.

Example:
  aidoc provision --out ./fed --workers hospital-a,hospital-b,hospital-c --vendors acme --coordinator-address 10.0.0.5:7443`,
  flags: {
    out: { type: 'string', valueName: 'DIR', description: 'Folder to write the federation into' },
    workers: { type: 'string', valueName: 'A,B,...', description: 'Hospital worker names (comma-separated)' },
    vendors: {
      type: 'string',
      valueName: 'A,B,...',
      description: 'Vendor names (comma-separated; default: none)',
    },
    operators: {
      type: 'string',
      valueName: 'A,B,...',
      description: 'Operator names (admin API)',
      default: 'operator',
    },
    'coordinator-address': {
      type: 'string',
      valueName: 'HOST:PORT',
      description: 'Address members dial; its host goes into the coordinator certificate',
      default: '127.0.0.1:7443',
    },
    'listen-address': {
      type: 'string',
      valueName: 'HOST:PORT',
      description:
        'Address the coordinator binds (default: the coordinator address if loopback, else 0.0.0.0:PORT)',
    },
    'federation-id': {
      type: 'string',
      valueName: 'ID',
      description: 'Name of the federation (default: random)',
    },
    force: { type: 'boolean', description: 'Replace a federation already in DIR (its kits stop working)' },
    json: { type: 'boolean', description: 'Print one JSON line with the result' },
  },
  async run({ flags, io, signal }) {
    const result = await provisionFederation({
      out: requireString(flags, 'out'),
      workers: nameList(requireString(flags, 'workers')),
      vendors: nameList(optionalString(flags, 'vendors')),
      operators: nameList(optionalString(flags, 'operators')),
      coordinatorAddress: optionalString(flags, 'coordinator-address'),
      listenAddress: optionalString(flags, 'listen-address'),
      federationId: optionalString(flags, 'federation-id'),
      force: flags.force === true,
      extensions: provisionKitExtensions,
      signal,
    });
    if (flags.json) {
      io.out(JSON.stringify(result));
      return;
    }
    io.out(`Federation ${result.federationId} in ${result.out}`);
    io.out(`  CA fingerprint ${result.caFingerprint}  (ca/ca.key stays with the operator)`);
    io.out(`  coordinator listens on ${result.listenAddress}, members dial ${result.coordinatorAddress}`);
    for (const m of [result.coordinator, ...result.workers, ...result.vendors, ...result.operators]) {
      io.out(`  ${m.role.padEnd(11)} ${m.name.padEnd(16)} ${m.fingerprint.slice(0, 16)}  ${m.dir}`);
    }
  },
};
