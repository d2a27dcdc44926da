/**
 * The Kubernetes manifests against the code they run (no cluster here, so what can drift is
 * checked statically): every `aidoc` invocation names a real command with real flags, each flag
 * that takes a value has one, kustomizations list files that exist, every Service selects a
 * workload, and every Secret/ConfigMap the operator must create is named in k8s/README.md.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import { commands } from '../../cli/commands/index.js';

type Doc = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
};

const ROOT = join(process.cwd(), 'k8s');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : n.endsWith('.yaml') ? [p] : [];
  });
}

const files = yamlFiles(ROOT);
const docs: { file: string; doc: Doc }[] = files.flatMap((file) =>
  loadAll(readFileSync(file, 'utf8'))
    .filter((d): d is Doc => typeof d === 'object' && d !== null)
    .map((doc) => ({ file, doc })),
);
const workloads = docs.filter((d) => ['Deployment', 'StatefulSet'].includes(d.doc.kind ?? ''));

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
}
const podSpec = (d: Doc) =>
  (d.spec as { template: { spec: { containers: Container[]; volumes?: Record<string, unknown>[] } } })
    .template.spec;

/** The `aidoc` arguments a container runs, or undefined if it runs something else. */
function aidocArgs(c: Container): string[] | undefined {
  if (c.image === 'aidoc-federated' && !c.command) return c.args ?? [];
  const script = c.command?.[0] === '/bin/sh' ? (c.args ?? []).join(' ') : undefined;
  const at = script?.indexOf('aidoc.js');
  if (script === undefined || at === undefined || at < 0) return undefined;
  return (script.slice(at + 'aidoc.js'.length).match(/"[^"]*"|\S+/g) ?? []).map((t) =>
    t.replace(/^"|"$/g, ''),
  );
}

test('the manifests parse and there is one per part of the deployment', () => {
  expect(workloads.map((w) => w.doc.metadata?.name).sort()).toEqual([
    'aidoc-chain',
    'aidoc-coordinator',
    'aidoc-kubo',
    'aidoc-redis',
    'aidoc-worker',
  ]);
});

test('every aidoc invocation names a real command, real flags, and a value for each valued flag', () => {
  let checked = 0;
  for (const w of workloads) {
    for (const c of podSpec(w.doc).containers) {
      const args = aidocArgs(c);
      if (!args) continue;
      const cmd = commands
        .filter((k) => k.path.every((p, i) => args[i] === p))
        .sort((a, b) => b.path.length - a.path.length)[0];
      expect({ container: c.name, command: cmd?.path.join(' ') }).toEqual({
        container: c.name,
        command: expect.any(String),
      });
      const rest = args.slice(cmd!.path.length);
      for (let i = 0; i < rest.length; i++) {
        const t = rest[i]!;
        expect(t.startsWith('--')).toBe(true);
        const name = t.slice(2);
        const spec = cmd!.flags[name];
        expect({ file: w.file, flag: name, known: spec !== undefined }).toEqual({
          file: w.file,
          flag: name,
          known: true,
        });
        if (spec!.type === 'string') {
          const value = rest[++i];
          expect({ flag: name, value }).toEqual({ flag: name, value: expect.stringMatching(/^[^-]/) });
        }
      }
      checked++;
    }
  }
  // coordinator (per replica), worker; the chain runs hardhat, not aidoc.
  expect(checked).toBe(2);
});

test('kustomizations list files that exist', () => {
  for (const { file, doc } of docs.filter((d) => d.doc.kind === 'Kustomization')) {
    for (const r of (doc.resources as string[] | undefined) ?? []) {
      const p = join(dirname(file), r);
      expect({ file, resource: r, exists: existsSync(p) }).toEqual({ file, resource: r, exists: true });
    }
  }
});

test('every Service selects a workload (or one pod of a StatefulSet)', () => {
  for (const { doc } of docs.filter((d) => d.doc.kind === 'Service')) {
    const selector = (doc.spec as { selector: Record<string, string> }).selector;
    const pod = selector['statefulset.kubernetes.io/pod-name'];
    const matched = workloads.some((w) => {
      if (pod !== undefined) {
        const replicas = (w.doc.spec as { replicas?: number }).replicas ?? 1;
        return (
          w.doc.kind === 'StatefulSet' &&
          Array.from({ length: replicas }, (_, i) => `${w.doc.metadata?.name}-${i}`).includes(pod)
        );
      }
      const labels = (w.doc.spec as { template: { metadata: { labels: Record<string, string> } } }).template
        .metadata.labels;
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    expect({ service: doc.metadata?.name, matched }).toEqual({ service: doc.metadata?.name, matched: true });
  }
});

test('every Secret and ConfigMap the pods mount is defined here or named in k8s/README.md for the operator', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const defined = new Set(docs.filter((d) => d.doc.kind === 'ConfigMap').map((d) => d.doc.metadata?.name));
  for (const w of workloads) {
    for (const v of podSpec(w.doc).volumes ?? []) {
      const name =
        (v.secret as { secretName?: string } | undefined)?.secretName ??
        (v.configMap as { name?: string } | undefined)?.name;
      if (name === undefined || defined.has(name)) continue;
      expect({ name, documented: readme.includes(`\`${name}\``) }).toEqual({ name, documented: true });
    }
  }
});
