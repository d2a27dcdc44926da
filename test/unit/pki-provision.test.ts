import { X509Certificate } from 'node:crypto';
import {
  copyFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionCommand } from '../../cli/commands/provision.js';
import { AidocError } from '../../common/errors.js';
import { provisionFederation, type KitExtension } from '../../common/pki-federation.js';
import { loadKit, parseKitManifest } from '../../common/pki-kit.js';
import { verifyIssuedBy } from '../../common/pki.js';

const mode = (path: string) => statSync(path).mode & 0o777;

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AidocError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an AidocError');
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('aidoc provision', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'aidoc-provision-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  test('writes the CA, a coordinator kit and one kit per member, keys 0600, CA key in no kit', async () => {
    const out = join(tmp, 'fed');
    const r = await provisionFederation({
      out,
      workers: ['hospital-a', 'hospital-b', 'hospital-c'],
      vendors: ['acme'],
      coordinatorAddress: 'coord.example.org:9443',
      federationId: 'fed-unit',
    });
    expect(r.federationId).toBe('fed-unit');
    expect(r.listenAddress).toBe('0.0.0.0:9443');
    expect(r.workers.map((w) => w.name)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect(r.operators.map((o) => o.dir)).toEqual([join(out, 'operators', 'operator')]);
    expect(mode(join(out, 'ca', 'ca.key'))).toBe(0o600);
    expect(mode(join(out, 'ca'))).toBe(0o700);
    const caKey = readFileSync(join(out, 'ca', 'ca.key'), 'utf8');
    const caCert = readFileSync(join(out, 'ca', 'ca.crt'), 'utf8');

    for (const m of [r.coordinator, ...r.workers, ...r.vendors, ...r.operators]) {
      expect(readdirSync(m.dir).sort()).toEqual(['ca.crt', 'kit.json', 'tls.crt', 'tls.key']);
      expect(mode(join(m.dir, 'tls.key'))).toBe(0o600);
      expect(mode(m.dir)).toBe(0o700);
      const kit = await loadKit(m.dir);
      expect(kit.warnings).toEqual([]);
      expect(kit.identity).toEqual({ role: m.role, name: m.name, fingerprint: m.fingerprint });
      expect(kit.manifest.coordinatorAddress).toBe('coord.example.org:9443');
      expect(kit.manifest.caFingerprint).toBe(r.caFingerprint);
      expect(verifyIssuedBy(kit.certPem, caCert)).toBe(true);
    }
    for (const f of allFiles(out).filter((f) => !f.startsWith(join(out, 'ca')))) {
      expect(readFileSync(f, 'utf8')).not.toContain(caKey.split('\n')[1]);
    }
    const coordinator = await loadKit(r.coordinator.dir);
    expect(coordinator.manifest.listenAddress).toBe('0.0.0.0:9443');
    const x = new X509Certificate(coordinator.certPem);
    expect(x.checkHost('coord.example.org')).toBe('coord.example.org');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect((await loadKit(r.workers[0]!.dir)).manifest.listenAddress).toBeUndefined();
    const fed = JSON.parse(readFileSync(join(out, 'federation.json'), 'utf8')) as {
      kind: string;
      workers: unknown[];
    };
    expect(fed.kind).toBe('aidoc-federation');
    expect(fed.workers).toHaveLength(3);
  });

  test('refuses to overwrite a federation unless forced, and then replaces only its own folders', async () => {
    const out = join(tmp, 'fed');
    const first = await provisionFederation({ out, workers: ['hospital-a'], vendors: [] });
    writeFileSync(join(out, 'NOTES.txt'), 'operator notes');
    const refused = await codeOf(provisionFederation({ out, workers: ['hospital-a'], vendors: [] }));
    expect(refused.code).toBe('INVALID_ARGUMENT');
    expect(refused.message).toContain('--force');
    expect((await loadKit(join(out, 'workers', 'hospital-a'))).manifest.caFingerprint).toBe(
      first.caFingerprint,
    );

    const second = await provisionFederation({ out, workers: ['hospital-b'], vendors: [], force: true });
    expect(second.caFingerprint).not.toBe(first.caFingerprint);
    expect(existsSync(join(out, 'workers', 'hospital-a'))).toBe(false);
    expect(readFileSync(join(out, 'NOTES.txt'), 'utf8')).toBe('operator notes');
  });

  test('kit extensions add files to the kits they choose: a secret for hospitals, nothing for the coordinator', async () => {
    let prepared = 0;
    const ext: KitExtension = {
      name: 'test-he',
      prepare: async ({ federationId }) => {
        prepared++;
        const secret = await Promise.resolve(`secret-of-${federationId}`); // e.g. key generation
        return async (member) => {
          await Promise.resolve();
          if (member.role !== 'worker') return undefined;
          return {
            files: [{ name: 'he-secret.key', data: secret, secret: true }],
            manifest: { scheme: 'test' },
          };
        };
      },
    };
    const out = join(tmp, 'fed');
    const r = await provisionFederation({
      out,
      workers: ['hospital-a', 'hospital-b'],
      vendors: ['acme'],
      extensions: [ext],
    });
    expect(prepared).toBe(1);
    for (const w of r.workers) {
      expect(readFileSync(join(w.dir, 'he-secret.key'), 'utf8')).toBe(`secret-of-${r.federationId}`);
      expect(mode(join(w.dir, 'he-secret.key'))).toBe(0o600);
      expect((await loadKit(w.dir)).manifest.extensions['test-he']).toEqual({
        scheme: 'test',
        files: ['he-secret.key'],
      });
    }
    for (const m of [r.coordinator, ...r.vendors, ...r.operators]) {
      expect(existsSync(join(m.dir, 'he-secret.key'))).toBe(false);
      expect((await loadKit(m.dir)).manifest.extensions).toEqual({});
    }
  });

  test('bad input is refused before anything is written', async () => {
    const out = join(tmp, 'fed');
    const clobber: KitExtension = {
      name: 'bad',
      prepare: () => Promise.resolve(() => Promise.resolve({ files: [{ name: 'tls.key', data: 'x' }] })),
    };
    for (const p of [
      provisionFederation({ out, workers: ['hospital-a', 'hospital-a'], vendors: [] }),
      provisionFederation({ out, workers: ['Hospital A'], vendors: [] }),
      provisionFederation({ out, workers: ['hospital-a'], vendors: [], coordinatorAddress: 'no-port' }),
      provisionFederation({ out, workers: ['hospital-a'], vendors: [], extensions: [clobber] }),
    ]) {
      expect((await codeOf(p)).code).toBe('INVALID_ARGUMENT');
    }
    expect(existsSync(out)).toBe(false);
  });

  test('loadKit notices swapped certificates, foreign keys, broken manifests and loose key modes', async () => {
    const out = join(tmp, 'fed');
    const r = await provisionFederation({ out, workers: ['hospital-a', 'hospital-b'], vendors: [] });
    const [a, b] = r.workers as [(typeof r.workers)[0], (typeof r.workers)[0]];
    copyFileSync(join(b.dir, 'tls.crt'), join(a.dir, 'tls.crt'));
    expect((await codeOf(loadKit(a.dir))).message).toContain('is not the certificate named in kit.json');
    chmodSync(join(b.dir, 'tls.key'), 0o600);
    const kb = await loadKit(b.dir);
    writeFileSync(join(b.dir, 'tls.key'), readFileSync(join(r.coordinator.dir, 'tls.key')));
    expect((await codeOf(loadKit(b.dir))).message).toContain('tls.key does not belong to tls.crt');
    writeFileSync(join(b.dir, 'tls.key'), kb.keyPem, { mode: 0o644 });
    chmodSync(join(b.dir, 'tls.key'), 0o644);
    expect((await loadKit(b.dir)).warnings[0]).toContain('readable by other users');
    expect((await codeOf(loadKit(join(tmp, 'nowhere')))).message).toContain(
      "a kit written by 'aidoc provision'",
    );
    expect(() => parseKitManifest('{"kind":"aidoc-kit","version":2}')).toThrow(
      /not a valid aidoc kit manifest/,
    );
  });

  test('the CLI command provisions and prints one JSON line', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: () => undefined };
    const flags = {
      out: join(tmp, 'cli-fed'),
      workers: 'hospital-a, hospital-b,hospital-c',
      vendors: 'acme',
      operators: 'operator',
      'coordinator-address': '127.0.0.1:7443',
      json: true,
    };
    await provisionCommand.run({ flags, positionals: [], io, signal: new AbortController().signal });
    expect(lines).toHaveLength(1);
    const res = JSON.parse(lines[0] as string) as {
      workers: { name: string }[];
      listenAddress: string;
      vendors: unknown[];
    };
    expect(res.workers.map((w) => w.name)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect(res.listenAddress).toBe('127.0.0.1:7443');
    expect(res.vendors).toHaveLength(1);
    lines.length = 0;
    await expect(
      provisionCommand.run({
        flags: { ...flags, json: false },
        positionals: [],
        io,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(/already holds a federation/);
    await provisionCommand.run({
      flags: { ...flags, json: false, force: true },
      positionals: [],
      io,
      signal: new AbortController().signal,
    });
    expect(lines[0]).toMatch(/^Federation fed-[0-9a-f]{12} in /);
    expect(lines.filter((l) => l.includes(' worker '))).toHaveLength(3);
  });
});
