import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PATHS, readText } from './deployFiles.js';

/*
 * No Collector runs here, so otel-collector.yaml is checked against a schema of
 * the contrib components it uses (field names as in the 0.160 docs; unknown keys
 * are errors, as they are for the Collector) and for a pipeline that holds
 * together: every component a pipeline names is defined, every defined one is
 * used, memory_limiter runs first and batch last. The gateway-tier variant in the
 * comments is uncommented and checked the same way.
 */

const endpoint = z.string().regex(/^[a-z0-9.-]+:\d{2,5}$/);
const otlpReceiver = z.strictObject({
  protocols: z
    .strictObject({
      grpc: z.strictObject({ endpoint }).optional(),
      http: z.strictObject({ endpoint }).optional(),
    })
    .refine((p) => p.grpc || p.http, 'at least one protocol'),
});
const memoryLimiter = z.strictObject({
  check_interval: z.string().regex(/^\d+(ms|s)$/),
  limit_percentage: z.number().int().min(1).max(100).optional(),
  spike_limit_percentage: z.number().int().min(1).max(100).optional(),
  limit_mib: z.number().int().positive().optional(),
  spike_limit_mib: z.number().int().positive().optional(),
});
const batch = z.strictObject({
  send_batch_size: z.number().int().positive().optional(),
  send_batch_max_size: z.number().int().positive().optional(),
  timeout: z
    .string()
    .regex(/^\d+(ms|s)$/)
    .optional(),
});
const tailSampling = z.strictObject({
  decision_wait: z.string(),
  policies: z.array(
    z.discriminatedUnion('type', [
      z.strictObject({
        name: z.string(),
        type: z.literal('status_code'),
        status_code: z.strictObject({ status_codes: z.array(z.enum(['OK', 'ERROR', 'UNSET'])) }),
      }),
      z.strictObject({
        name: z.string(),
        type: z.literal('latency'),
        latency: z.strictObject({ threshold_ms: z.number().int().positive() }),
      }),
      z.strictObject({
        name: z.string(),
        type: z.literal('probabilistic'),
        probabilistic: z.strictObject({ sampling_percentage: z.number().min(0).max(100) }),
      }),
    ]),
  ),
});
const tls = z.strictObject({ insecure: z.boolean() });
const otlpGrpcExporter = z.strictObject({ endpoint, tls: tls.optional() });
const prometheusExporter = z.strictObject({
  endpoint,
  metric_expiration: z.string().optional(),
  namespace: z.string().optional(),
});
const loadBalancing = z.strictObject({
  routing_key: z.enum(['traceID', 'service', 'resource', 'metric']),
  protocol: z.strictObject({ otlp: z.strictObject({ tls: tls.optional(), timeout: z.string().optional() }) }),
  resolver: z.strictObject({
    dns: z.strictObject({ hostname: z.string(), port: z.number().int().positive() }).optional(),
    static: z.strictObject({ hostnames: z.array(z.string()) }).optional(),
  }),
});

/** Component ids are `type` or `type/name`; the type picks the schema. */
function componentMap(schemas: Record<string, z.ZodType>) {
  return z.record(z.string(), z.unknown()).superRefine((components, ctx) => {
    for (const [id, config] of Object.entries(components)) {
      const type = id.split('/')[0] as string;
      const schema = schemas[type];
      if (!schema) {
        ctx.addIssue({ code: 'custom', message: `unknown component type ${type}`, path: [id] });
        continue;
      }
      const result = schema.safeParse(config);
      if (!result.success)
        for (const issue of result.error.issues)
          ctx.addIssue({ code: 'custom', message: issue.message, path: [id, ...issue.path] });
    }
  });
}

const pipeline = z.strictObject({
  receivers: z.array(z.string()).min(1),
  processors: z.array(z.string()).optional(),
  exporters: z.array(z.string()).min(1),
});
const collectorConfig = z.strictObject({
  receivers: componentMap({ otlp: otlpReceiver }),
  processors: componentMap({ memory_limiter: memoryLimiter, batch, tail_sampling: tailSampling }),
  exporters: componentMap({
    otlp_grpc: otlpGrpcExporter,
    prometheus: prometheusExporter,
    load_balancing: loadBalancing,
  }),
  extensions: componentMap({ health_check: z.strictObject({ endpoint }) }).optional(),
  service: z.strictObject({
    extensions: z.array(z.string()).optional(),
    pipelines: z.record(z.string().regex(/^(traces|metrics|logs)(\/[a-z0-9_-]+)?$/), pipeline),
    telemetry: z
      .strictObject({
        metrics: z.strictObject({
          level: z.enum(['none', 'basic', 'normal', 'detailed']),
          readers: z.array(
            z.strictObject({
              pull: z.strictObject({
                exporter: z.strictObject({
                  prometheus: z.strictObject({ host: z.string(), port: z.number().int().positive() }),
                }),
              }),
            }),
          ),
        }),
      })
      .optional(),
  }),
});
type CollectorConfig = z.infer<typeof collectorConfig>;

/** Pipelines that hold together; returns the problems found. */
function pipelineProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const [name, p] of Object.entries(config.service.pipelines)) {
    const signal = name.split('/')[0];
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of p[kind] ?? []) {
        used[kind].add(id);
        if (!(id in (config[kind] ?? {}))) problems.push(`${name}: ${kind} ${id} is not defined`);
      }
    }
    const processors = p.processors ?? [];
    if (processors[0] !== 'memory_limiter') problems.push(`${name}: memory_limiter must come first`);
    if (processors.includes('batch') && processors.at(-1) !== 'batch')
      problems.push(`${name}: batch must come last`);
    if (signal === 'metrics' && p.exporters.some((id) => id.startsWith('load_balancing')))
      problems.push(`${name}: trace-id load balancing is for traces`);
    if (signal !== 'traces' && processors.some((id) => id.startsWith('tail_sampling')))
      problems.push(`${name}: tail sampling is for traces`);
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const)
    for (const id of Object.keys(config[kind] ?? {}))
      if (!used[kind].has(id)) problems.push(`${kind} ${id} is defined but no pipeline uses it`);
  for (const id of config.service.extensions ?? [])
    if (!(id in (config.extensions ?? {}))) problems.push(`extension ${id} is not defined`);
  return problems;
}

/** The YAML between `# --- <name>: begin ---` and `# --- <name>: end ---`, uncommented. */
function commentedBlock(text: string, name: string): string {
  const match = new RegExp(`# --- ${name}: begin ---\\n([\\s\\S]*?)# --- ${name}: end ---`).exec(text);
  if (!match) throw new Error(`no commented block "${name}"`);
  return (match[1] as string)
    .split('\n')
    .map((line) => {
      if (line !== '' && line !== '#' && !line.startsWith('# '))
        throw new Error(`not a commented line: ${line}`);
      return line.slice(2);
    })
    .join('\n');
}

const text = readText(PATHS.collector);

describe('otel-collector.yaml', () => {
  const config = collectorConfig.parse(parseYaml(text));

  it('matches the schema of the contrib components it uses', () => {
    expect(collectorConfig.safeParse(parseYaml(text)).success).toBe(true);
  });

  it('has pipelines that reference defined components, memory_limiter first and batch last', () => {
    expect(pipelineProblems(config)).toEqual([]);
  });

  it('receives OTLP over gRPC and HTTP on all interfaces, on the standard ports', () => {
    const otlp = otlpReceiver.parse(config.receivers.otlp);
    expect(otlp.protocols.grpc?.endpoint).toBe('0.0.0.0:4317');
    expect(otlp.protocols.http?.endpoint).toBe('0.0.0.0:4318');
  });

  it('sends traces to Jaeger over OTLP and metrics to a Prometheus endpoint', () => {
    expect(config.service.pipelines.traces?.exporters).toEqual(['otlp_grpc/jaeger']);
    expect(otlpGrpcExporter.parse(config.exporters['otlp_grpc/jaeger']).endpoint).toBe('jaeger:4317');
    expect(config.service.pipelines.metrics?.exporters).toEqual(['prometheus']);
    expect(prometheusExporter.parse(config.exporters.prometheus).endpoint).toBe('0.0.0.0:8889');
    expect(config.service.telemetry?.metrics.readers[0]?.pull.exporter.prometheus).toEqual({
      host: '0.0.0.0',
      port: 8888,
    });
  });

  it('uses no deprecated component names (otlp/otlphttp/loadbalancing exporters)', () => {
    for (const id of Object.keys(config.exporters))
      expect(['otlp', 'otlphttp', 'loadbalancing']).not.toContain(id.split('/')[0]);
  });

  it('documents a gateway tier that load-balances spans by trace id to a sampling tier', () => {
    const tier1 = collectorConfig.parse(parseYaml(commentedBlock(text, 'tier 1')));
    expect(pipelineProblems(tier1)).toEqual([]);
    const lb = loadBalancing.parse(tier1.exporters.load_balancing);
    expect(lb.routing_key).toBe('traceID');
    expect(tier1.service.pipelines.traces?.exporters).toEqual(['load_balancing']);

    const tier2 = collectorConfig.parse(parseYaml(commentedBlock(text, 'tier 2')));
    expect(pipelineProblems(tier2)).toEqual([]);
    expect(tier2.service.pipelines.traces?.processors).toContain('tail_sampling');
    // Tier 1 sends to where tier 2 listens.
    const tier2Grpc = otlpReceiver.parse(tier2.receivers.otlp).protocols.grpc?.endpoint;
    expect(`:${lb.resolver.dns?.port}`).toBe(tier2Grpc?.slice(tier2Grpc.lastIndexOf(':')));
  });

  it('catches a broken pipeline (the checks can fail)', () => {
    const broken = structuredClone(config);
    broken.service.pipelines.traces = { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger'] };
    expect(pipelineProblems(broken)).toEqual(
      expect.arrayContaining([
        'traces: exporters jaeger is not defined',
        'traces: memory_limiter must come first',
        'exporters otlp_grpc/jaeger is defined but no pipeline uses it',
      ]),
    );
    expect(
      collectorConfig.safeParse({
        ...parseYaml(text),
        processors: { memory_limiter: { check_intervall: '1s' } },
      }).success,
    ).toBe(false);
  });
});
