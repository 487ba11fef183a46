import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PATHS, ROOT, readText, readYaml } from './deployFiles.js';

/*
 * No Docker engine runs here, so docker-compose.yml is checked against a schema of
 * the Compose Specification keys it uses (unknown keys are errors, as typos would
 * be), and cross-checked with the files it mounts and the configs of the services
 * it wires together: every port one service dials is one the other listens on.
 */

const stringList = z.array(z.string());
const service = z.strictObject({
  image: z.string().optional(),
  build: z
    .union([z.string(), z.strictObject({ context: z.string(), dockerfile: z.string().optional() })])
    .optional(),
  command: z.union([z.string(), stringList]).optional(),
  restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: stringList.optional(),
  volumes: stringList.optional(),
  depends_on: stringList.optional(),
  mem_limit: z
    .string()
    .regex(/^\d+[kmg]$/)
    .optional(),
});
const composeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  services: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), service),
  volumes: z.record(z.string(), z.null()).optional(),
});
type Compose = z.infer<typeof composeSchema>;

/** `name:tag` with an exact release tag (1.2.3 or v1.2.3), never `latest` or a floating major. */
function isPinnedImage(image: string): boolean {
  const match =
    /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._/-]+:(v?\d+\.\d+\.\d+)(-[a-z0-9.-]+)?(@sha256:[a-f0-9]{64})?$/.exec(
      image,
    );
  return match !== null;
}

const compose: Compose = composeSchema.parse(readYaml(PATHS.compose));
const services = compose.services;
const svc = (name: string) => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
/** Container path (without the :ro flag) → host path (relative to the repo) of a service's bind mounts. */
function bindMounts(name: string): Map<string, string> {
  return new Map(
    (svc(name).volumes ?? [])
      .filter((v) => v.startsWith('./'))
      .map((v) => {
        const [host, container] = v.split(':') as [string, string];
        return [container, host];
      }),
  );
}
function hostPort(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port}`;
}

describe('docker-compose.yml', () => {
  it('matches the Compose schema for the keys it uses', () => {
    const result = composeSchema.safeParse(readYaml(PATHS.compose));
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it('runs the Collector (contrib), Jaeger v2, Prometheus, Grafana and toolscope', () => {
    expect(Object.keys(services).sort()).toEqual([
      'grafana',
      'jaeger',
      'otel-collector',
      'prometheus',
      'toolscope',
    ]);
    expect(svc('otel-collector').image).toMatch(/^otel\/opentelemetry-collector-contrib:/);
    expect(svc('jaeger').image).toMatch(/jaegertracing\/jaeger:2\./);
    expect(svc('prometheus').image).toMatch(/^prom\/prometheus:v3\./);
    expect(svc('grafana').image).toMatch(/^grafana\/grafana:/);
    expect(svc('toolscope').command?.[0]).toBe('demo');
  });

  it('pins every image to an exact release, including the Dockerfile base images', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        const dockerfile = readText(
          join(ROOT, typeof s.build === 'string' ? s.build : s.build.context, 'Dockerfile'),
        );
        const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] as string);
        expect(froms.length, name).toBeGreaterThan(0);
        for (const from of froms) expect(isPinnedImage(from), `${name}: FROM ${from}`).toBe(true);
        continue;
      }
      expect(s.image, `${name} has neither image nor build`).toBeDefined();
      expect(isPinnedImage(s.image as string), `${name}: ${s.image}`).toBe(true);
    }
  });

  it('recognises what is not pinned (the check can fail)', () => {
    for (const image of ['grafana/grafana', 'grafana/grafana:latest', 'prom/prometheus:v3', 'node:24-slim'])
      expect(isPinnedImage(image), image).toBe(false);
    for (const image of ['node:24.20.0-slim', 'cr.jaegertracing.io/jaegertracing/jaeger:2.21.0'])
      expect(isPinnedImage(image), image).toBe(true);
  });

  it('publishes ports on loopback only', () => {
    for (const [name, s] of Object.entries(services))
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('mounts files that exist and volumes that are declared; depends on services that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of s.volumes ?? []) {
        const [source] = volume.split(':') as [string];
        if (source.startsWith('./')) expect(existsSync(join(ROOT, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
      for (const dependency of s.depends_on ?? []) expect(services, name).toHaveProperty(dependency);
    }
  });

  it('wires toolscope to the Collector’s OTLP/HTTP receiver and exposes /metrics on all interfaces', () => {
    const env = svc('toolscope').environment ?? {};
    const collector = readYaml(PATHS.collector) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: Record<string, { endpoint: string }>;
    };
    const httpPort = collector.receivers.otlp.protocols.http.endpoint.split(':')[1];
    expect(hostPort(env.OTEL_EXPORTER_OTLP_ENDPOINT as string)).toBe(`otel-collector:${httpPort}`);
    expect(env.OTEL_EXPORTER_PROMETHEUS_HOST).toBe('0.0.0.0');
    expect(env.OTEL_SERVICE_NAME).toBe('toolscope');
    // The Collector sends spans to the jaeger service's OTLP/gRPC port (Jaeger v2's default 4317),
    // which listens beyond its own loopback.
    expect(collector.exporters['otlp_grpc/jaeger']?.endpoint).toBe('jaeger:4317');
    expect(svc('jaeger').environment?.JAEGER_LISTEN_HOST).toBe('0.0.0.0');
    // …and is started with the config file compose mounts.
    const mounted = [...bindMounts('otel-collector')].find(
      ([, host]) => host === './otel-collector.yaml',
    )?.[0];
    expect(svc('otel-collector').command).toContain(`--config=${mounted}`);
  });

  it('lets Prometheus store the exemplars toolscope serves, as many as the shipped config allows', () => {
    expect(svc('prometheus').command).toContain('--enable-feature=exemplar-storage');
    const prometheus = readYaml(PATHS.prometheus) as { storage?: { exemplars?: { max_exemplars?: number } } };
    expect(prometheus.storage?.exemplars?.max_exemplars).toBeGreaterThan(0);
  });

  it('gives Prometheus the shipped config and rules, and every scrape target is a service port', () => {
    const mounts = bindMounts('prometheus');
    const configPath = [...mounts].find(([, host]) => host === './collector/prometheus.yml')?.[0];
    expect(svc('prometheus').command).toContain(`--config.file=${configPath}`);
    const prometheus = readYaml(PATHS.prometheus) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    // rule_files are relative to the config file: rules/*.yml next to it.
    const configDir = (configPath as string).slice(0, (configPath as string).lastIndexOf('/'));
    for (const pattern of prometheus.rule_files) {
      const dir = `${configDir}/${pattern.slice(0, pattern.lastIndexOf('/'))}`;
      expect(mounts.get(dir), pattern).toBe('./collector/rules');
    }
    // What each service listens on, from its own config.
    const collector = readYaml(PATHS.collector) as {
      exporters: { prometheus: { endpoint: string } };
      service: {
        telemetry: { metrics: { readers: Array<{ pull: { exporter: { prometheus: { port: number } } } }> } };
      };
    };
    const listening = new Map<string, Set<string>>([
      ['prometheus', new Set(['9090'])],
      ['toolscope', new Set([svc('toolscope').environment?.OTEL_EXPORTER_PROMETHEUS_PORT as string])],
      [
        'otel-collector',
        new Set([
          collector.exporters.prometheus.endpoint.split(':')[1] as string,
          String(collector.service.telemetry.metrics.readers[0]?.pull.exporter.prometheus.port),
        ]),
      ],
    ]);
    for (const job of prometheus.scrape_configs)
      for (const target of job.static_configs.flatMap((c) => c.targets)) {
        const [host, port] = target.split(':') as [string, string];
        const service = host === 'localhost' ? 'prometheus' : host;
        expect(listening.get(service)?.has(port), `${job.job_name}: ${target}`).toBe(true);
      }
  });

  it('gives Grafana the provisioning and the dashboards where the provider looks for them', () => {
    const mounts = bindMounts('grafana');
    expect(mounts.get('/etc/grafana/provisioning')).toBe('./collector/grafana/provisioning');
    const provider = (
      readYaml(PATHS.grafanaDashboards) as { providers: Array<{ options: { path: string } }> }
    ).providers[0];
    expect(mounts.get(provider?.options.path as string)).toBe('./dashboards');
    const home = svc('grafana').environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    expect(home.startsWith(`${provider?.options.path}/`)).toBe(true);
    expect(existsSync(join(ROOT, 'dashboards', home.slice(home.lastIndexOf('/') + 1)))).toBe(true);
    // The datasources point at the compose services.
    const datasources = (
      readYaml(PATHS.grafanaDatasources) as { datasources: Array<{ type: string; url: string }> }
    ).datasources;
    expect(datasources.map((ds) => hostPort(ds.url))).toEqual(['prometheus:9090', 'jaeger:16686']);
    expect(svc('jaeger').ports).toContain('127.0.0.1:16686:16686');
  });

  it('builds toolscope from this repository with npm ci and npm run build', () => {
    const dockerfile = readText(PATHS.dockerfile);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build\b/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/cli\.js"\]$/m);
    expect(svc('toolscope').build).toBe('.');
  });
});
