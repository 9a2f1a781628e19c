#!/usr/bin/env node
// Deployment check (no cluster, no download): deploy/kubernetes/*.yaml against the Kubernetes and Prometheus Operator schemas bundled in npm packages.
//
// Three passes per document:
//   1. schema: the JSON Schema validators of `kubernetes-models` / `@kubernetes-models/prometheus-operator`
//      (types, formats, required fields; generated from the Kubernetes OpenAPI spec and the CRDs);
//   2. strict: the same packages' TypeScript types, through the TypeScript compiler's excess-property
//      check, so a misspelt field (`readinesProbe`) fails here instead of being dropped by the API server;
//   3. references: selectors, named ports, ConfigMaps, Secrets, volumes and the HPA target resolve
//      within the set of manifests, and kustomization.yaml lists every file.
// Usage: node scripts/validate-manifests.mjs [DIR]   (default deploy/kubernetes; exit 1 on any problem)
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** apiVersion/kind → the module holding its model (class for pass 1, `I<Kind>` interface for pass 2). */
const KINDS = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
};

/** Every document of every *.yaml file in dir, kustomization.yaml apart. */
export function loadManifests(dir) {
  const manifests = [];
  let kustomization;
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const docs = parseAllDocuments(text);
    for (const [i, d] of docs.entries()) {
      if (d.errors.length) throw new Error(`${file}: document ${i + 1}: ${d.errors[0].message}`);
      const doc = d.toJS();
      if (doc == null) continue;
      if (file === 'kustomization.yaml') kustomization = doc;
      else manifests.push({ file, doc });
    }
  }
  return {
    manifests,
    kustomization,
    files: readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
      .sort(),
  };
}

const label = ({ file, doc }) => `${file}: ${doc?.kind ?? '?'}/${doc?.metadata?.name ?? '?'}`;

async function schemaPass(manifests, problems) {
  for (const m of manifests) {
    const key = `${m.doc?.apiVersion}/${m.doc?.kind}`;
    const module = KINDS[key];
    if (!module) {
      problems.push(`${label(m)}: unsupported apiVersion/kind ${key} (known: ${Object.keys(KINDS).join(', ')})`);
      continue;
    }
    const Model = (await import(module))[m.doc.kind];
    try {
      new Model(m.doc).validate();
    } catch (err) {
      problems.push(`${label(m)}: schema: ${err.message}`);
    }
  }
}

const declarationCache = new Map();
let lastProgram;

function strictPass(manifests, problems) {
  const typed = manifests.filter((m) => KINDS[`${m.doc?.apiVersion}/${m.doc?.kind}`]);
  if (!typed.length) return;
  const file = join(ROOT, '__manifests__.ts');
  const lines = typed.map((m, i) => `import type { I${m.doc.kind} as T${i} } from '${KINDS[`${m.doc.apiVersion}/${m.doc.kind}`]}';`);
  const firstDocLine = lines.length;
  for (const [i, m] of typed.entries()) lines.push(`export const doc${i}: T${i} = ${JSON.stringify(m.doc)};`);
  const source = lines.join('\n');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  // The library and model declarations never change between runs: parse them once per process.
  host.getSourceFile = (name, lang, ...rest) => {
    if (name === file) return ts.createSourceFile(name, source, lang);
    let sf = declarationCache.get(name);
    if (!sf) declarationCache.set(name, (sf = getSourceFile.call(host, name, lang, ...rest)));
    return sf;
  };
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram({ rootNames: [file], options, host, oldProgram: lastProgram });
  lastProgram = program;
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ').slice(0, 400);
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const m = typed[line - firstDocLine];
    problems.push(m ? `${label(m)}: strict: ${message}` : `(types): ${message}`);
  }
}

const matches = (selector = {}, labels = {}) => Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

function referencePass(manifests, kustomization, files, problems) {
  const of = (kind) => manifests.filter((m) => m.doc?.kind === kind);
  const names = (kind) => new Set(of(kind).map((m) => m.doc.metadata?.name));
  const deployments = of('Deployment');
  const podLabels = deployments.map((d) => d.doc.spec?.template?.metadata?.labels ?? {});
  for (const d of deployments) {
    const spec = d.doc.spec ?? {};
    if (!matches(spec.selector?.matchLabels, spec.template?.metadata?.labels))
      problems.push(`${label(d)}: spec.selector does not match the pod template's labels`);
    const pod = spec.template?.spec ?? {};
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    for (const v of pod.volumes ?? []) {
      if (v.configMap && !names('ConfigMap').has(v.configMap.name))
        problems.push(`${label(d)}: volume ${v.name} uses ConfigMap ${v.configMap.name}, which no manifest defines`);
      if (v.configMap?.items) {
        const cm = of('ConfigMap').find((c) => c.doc.metadata?.name === v.configMap.name);
        for (const item of v.configMap.items)
          if (cm && !(item.key in (cm.doc.data ?? {})))
            problems.push(`${label(d)}: volume ${v.name} wants key ${item.key}, which ConfigMap ${v.configMap.name} lacks`);
      }
      if (v.secret && !names('Secret').has(v.secret.secretName))
        problems.push(`${label(d)}: volume ${v.name} uses Secret ${v.secret.secretName}, which no manifest defines`);
    }
    for (const c of pod.containers ?? []) {
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      for (const vm of c.volumeMounts ?? [])
        if (!volumes.has(vm.name)) problems.push(`${label(d)}: container ${c.name} mounts volume ${vm.name}, which the pod does not define`);
      for (const e of c.envFrom ?? []) {
        if (e.secretRef && !names('Secret').has(e.secretRef.name))
          problems.push(`${label(d)}: container ${c.name} reads Secret ${e.secretRef.name}, which no manifest defines`);
        if (e.configMapRef && !names('ConfigMap').has(e.configMapRef.name))
          problems.push(`${label(d)}: container ${c.name} reads ConfigMap ${e.configMapRef.name}, which no manifest defines`);
      }
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const port = c[probe]?.httpGet?.port;
        if (typeof port === 'string' && !ports.has(port)) problems.push(`${label(d)}: ${probe} uses port ${port}, which container ${c.name} does not name`);
      }
    }
  }
  const containerPorts = new Map();
  for (const d of deployments)
    for (const c of d.doc.spec?.template?.spec?.containers ?? []) for (const p of c.ports ?? []) containerPorts.set(p.name, p.containerPort);
  for (const s of of('Service')) {
    const spec = s.doc.spec ?? {};
    if (!podLabels.some((l) => matches(spec.selector, l))) problems.push(`${label(s)}: spec.selector matches no Deployment's pods`);
    for (const p of spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (typeof target === 'string' && !containerPorts.has(target)) problems.push(`${label(s)}: port ${p.name} targets ${target}, which no container names`);
      if (typeof target === 'number' && ![...containerPorts.values()].includes(target))
        problems.push(`${label(s)}: port ${p.name} targets ${target}, which no container exposes`);
    }
  }
  for (const sm of of('ServiceMonitor')) {
    const spec = sm.doc.spec ?? {};
    const services = of('Service').filter((s) => matches(spec.selector?.matchLabels, s.doc.metadata?.labels));
    if (!services.length) problems.push(`${label(sm)}: spec.selector matches no Service's labels`);
    for (const e of spec.endpoints ?? []) {
      if (!services.some((s) => (s.doc.spec?.ports ?? []).some((p) => p.name === e.port)))
        problems.push(`${label(sm)}: endpoint port ${e.port} is not a named port of the selected Service`);
    }
  }
  for (const pdb of of('PodDisruptionBudget')) {
    if (!podLabels.some((l) => matches(pdb.doc.spec?.selector?.matchLabels, l))) problems.push(`${label(pdb)}: spec.selector matches no Deployment's pods`);
  }
  for (const hpa of of('HorizontalPodAutoscaler')) {
    const ref = hpa.doc.spec?.scaleTargetRef ?? {};
    if (ref.kind !== 'Deployment' || !names('Deployment').has(ref.name))
      problems.push(`${label(hpa)}: scaleTargetRef ${ref.kind}/${ref.name} is not a Deployment in these manifests`);
  }
  if (kustomization) {
    const listed = new Set(kustomization.resources ?? []);
    for (const f of files) if (!listed.has(f)) problems.push(`kustomization.yaml: resources does not list ${f}`);
    for (const f of listed) if (!files.includes(f)) problems.push(`kustomization.yaml: resources lists ${f}, which does not exist`);
  }
}

/** All problems found in these documents ([] = valid). */
export async function validateDocuments(manifests, { kustomization, files = [] } = {}) {
  const problems = [];
  await schemaPass(manifests, problems);
  strictPass(manifests, problems);
  referencePass(manifests, kustomization, files, problems);
  return problems;
}

export async function validateManifests(dir = join(ROOT, 'deploy', 'kubernetes')) {
  const { manifests, kustomization, files } = loadManifests(dir);
  return { manifests, problems: await validateDocuments(manifests, { kustomization, files }) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(ROOT, 'deploy', 'kubernetes'));
  const { manifests, problems } = await validateManifests(dir);
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stdout.write(`${manifests.length} manifests checked, ${problems.length} problem(s)\n`);
  process.exitCode = problems.length ? 1 : 0;
}
