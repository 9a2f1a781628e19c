// deploy/kubernetes: schema, strict-field and reference checks (scripts/validate-manifests.mjs), plus what s3bridge itself needs from them.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { loadManifests, validateDocuments, validateManifests, type Manifest } from '../../../scripts/validate-manifests.mjs';

// biome-ignore lint/suspicious/noExplicitAny: walks arbitrary YAML documents
type Doc = Record<string, any>;

const DIR = new URL('../../../deploy/kubernetes', import.meta.url).pathname;
const loaded = loadManifests(DIR);
const byKind = (kind: string): Doc => {
  const found = loaded.manifests.filter((m) => m.doc.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!.doc;
};

describe('the manifests validate', () => {
  it('against the bundled schemas, strictly, with every reference resolved', async () => {
    const { manifests, problems } = await validateManifests(DIR);
    expect(problems).toEqual([]);
    expect(manifests.map((m) => `${m.doc.apiVersion} ${m.doc.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'monitoring.coreos.com/v1 ServiceMonitor',
      'policy/v1 PodDisruptionBudget',
      'v1 ConfigMap',
      'v1 Secret',
      'v1 Service',
    ]);
  });

  // Each mutation breaks one copy of the real manifests; the validator must name the problem.
  const mutations: Array<[string, (docs: Record<string, Doc>) => void, RegExp]> = [
    [
      'a misspelt field',
      (d) => {
        d.Deployment!.spec.template.spec.containers[0].readinesProbe = {};
      },
      /Deployment\/s3bridge: strict: .*readinesProbe/,
    ],
    [
      'a port given as a word',
      (d) => {
        d.Deployment!.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
      },
      /Deployment\/s3bridge: schema: .*containerPort must be integer/,
    ],
    [
      'a missing required field',
      (d) => {
        delete d.Deployment!.spec.selector;
      },
      /Deployment\/s3bridge: schema: .*selector/,
    ],
    [
      'a ServiceMonitor field of the wrong type',
      (d) => {
        d.ServiceMonitor!.spec.endpoints[0].interval = 30;
      },
      /ServiceMonitor\/s3bridge: schema: .*interval/,
    ],
    [
      'a misspelt ServiceMonitor field',
      (d) => {
        d.ServiceMonitor!.spec.endpoints[0].intervall = '30s';
      },
      /ServiceMonitor\/s3bridge: strict: .*intervall/,
    ],
    [
      'a ServiceMonitor port the Service lacks',
      (d) => {
        d.ServiceMonitor!.spec.endpoints[0].port = 'metrics';
      },
      /endpoint port metrics is not a named port/,
    ],
    [
      'a ServiceMonitor selecting nothing',
      (d) => {
        d.ServiceMonitor!.spec.selector.matchLabels = { app: 'other' };
      },
      /ServiceMonitor\/s3bridge: spec.selector matches no Service/,
    ],
    [
      'a ServiceMonitor of another API version',
      (d) => {
        d.ServiceMonitor!.apiVersion = 'monitoring.coreos.com/v1alpha1';
      },
      /unsupported apiVersion\/kind monitoring.coreos.com\/v1alpha1\/ServiceMonitor/,
    ],
    [
      'a Service selecting no pods',
      (d) => {
        d.Service!.spec.selector = { 'app.kubernetes.io/name': 's3-bridge' };
      },
      /Service\/s3bridge: spec.selector matches no Deployment/,
    ],
    [
      'a Service port to an unnamed container port',
      (d) => {
        d.Service!.spec.ports[1].targetPort = 'metrics';
      },
      /port admin targets metrics/,
    ],
    [
      'a probe on an unnamed port',
      (d) => {
        d.Deployment!.spec.template.spec.containers[0].readinessProbe.httpGet.port = 'http';
      },
      /readinessProbe uses port http/,
    ],
    [
      'a missing Secret',
      (d) => {
        d.Deployment!.spec.template.spec.containers[0].envFrom[0].secretRef.name = 'nope';
      },
      /reads Secret nope/,
    ],
    [
      'a missing ConfigMap key',
      (d) => {
        d.Deployment!.spec.template.spec.volumes[0].configMap.items[0].key = 'other.yaml';
      },
      /wants key other.yaml/,
    ],
    [
      'a mount of no volume',
      (d) => {
        d.Deployment!.spec.template.spec.containers[0].volumeMounts[0].name = 'cfg';
      },
      /mounts volume cfg/,
    ],
    [
      'an HPA aimed elsewhere',
      (d) => {
        d.HorizontalPodAutoscaler!.spec.scaleTargetRef.name = 'other';
      },
      /scaleTargetRef Deployment\/other/,
    ],
    [
      'an HPA of an old API version',
      (d) => {
        d.HorizontalPodAutoscaler!.apiVersion = 'autoscaling/v1';
      },
      /unsupported apiVersion\/kind autoscaling\/v1/,
    ],
  ];
  it.each(mutations)('and catch %s', async (_name, mutate, expected) => {
    const copy: Manifest[] = structuredClone(loaded.manifests);
    mutate(Object.fromEntries(copy.map((m) => [m.doc.kind, m.doc])));
    const problems = await validateDocuments(copy, { kustomization: loaded.kustomization, files: loaded.files });
    expect(problems.join('\n')).toMatch(expected);
  });

  it('and catch a kustomization that forgets a file', async () => {
    const problems = await validateDocuments(loaded.manifests, { kustomization: { resources: ['deployment.yaml', 'ghost.yaml'] }, files: loaded.files });
    expect(problems).toContain('kustomization.yaml: resources does not list service.yaml');
    expect(problems).toContain('kustomization.yaml: resources lists ghost.yaml, which does not exist');
  });
});

describe('the Deployment runs s3bridge as the contract expects', () => {
  const deployment = byKind('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('runs 2 replicas of the image entry point on the mounted config', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect([...container.command, ...container.args]).toEqual(['node', '/app/dist/main.js', '--config', '/etc/s3bridge/config.yaml']);
    const mount = container.volumeMounts.find((m: Doc) => m.mountPath === '/etc/s3bridge');
    const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
    expect(volume.configMap).toEqual({ name: 's3bridge-config', items: [{ key: 'config.yaml', path: 'config.yaml' }] });
  });

  it('probes /healthz and /readyz on the admin port 9090', () => {
    const admin = container.ports.find((p: Doc) => p.name === 'admin');
    expect(admin.containerPort).toBe(9090);
    expect(container.ports.find((p: Doc) => p.name === 's3').containerPort).toBe(8080);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
  });

  it('sets requests and limits, and runs unprivileged on a read-only root filesystem', () => {
    for (const r of ['cpu', 'memory']) {
      expect(container.resources.requests[r]).toBeTruthy();
      expect(container.resources.limits[r]).toBeTruthy();
    }
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('gives in-flight requests their grace period before the pod is killed', () => {
    const config = parseConfig(byKind('ConfigMap').data['config.yaml'], secretEnv());
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + config.server.shutdownGraceSeconds);
  });
});

/** The environment the pod gets: the Secret's keys (envFrom) and the Deployment's env. */
function secretEnv(): NodeJS.ProcessEnv {
  const secret = byKind('Secret');
  const env = byKind('Deployment').spec.template.spec.containers[0].env ?? [];
  return { ...secret.stringData, ...Object.fromEntries(env.map((e: Doc) => [e.name, e.value])) };
}

describe('the ConfigMap and Secret', () => {
  it('hold a config s3bridge accepts, listening on the pod IP on the Service ports', () => {
    const config = parseConfig(byKind('ConfigMap').data['config.yaml'], secretEnv());
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 9090, metrics: true });
    const service = byKind('Service');
    expect(service.spec.ports.map((p: Doc) => [p.name, p.port])).toEqual([
      ['s3', 8080],
      ['admin', 9090],
    ]);
  });

  it('keep every secret out of the ConfigMap: the config fails without the Secret', () => {
    expect(() => parseConfig(byKind('ConfigMap').data['config.yaml'], {})).toThrow(/S3BRIDGE_CLIENT_SECRET_ACCESS_KEY is not set/);
    const text: string = byKind('ConfigMap').data['config.yaml'];
    expect(text).not.toMatch(/secretAccessKey:\s*[^$\s]/);
  });

  it('ship only placeholder secret values', () => {
    const secret = byKind('Secret');
    expect(secret.data).toBeUndefined();
    expect(new Set(Object.values(secret.stringData))).toEqual(new Set(['REPLACE_ME']));
  });
});

describe('scaling and scraping', () => {
  it('autoscales the Deployment on CPU with autoscaling/v2, from 2 replicas', () => {
    const hpa = byKind('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(2);
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  });

  it('scrapes /metrics on the admin port of the s3bridge Service', () => {
    const sm = byKind('ServiceMonitor');
    const service = byKind('Service');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v)).toBe(true);
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'admin', path: '/metrics' })]);
  });
});
