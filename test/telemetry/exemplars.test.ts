import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  acceptsOpenMetrics,
  LocalHistograms,
  serializeOpenMetrics,
  TailSampler,
  withPrometheusNames,
} from '../../src/telemetry/index.js';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Tail sampling at ratio 0 feeding the exemplar gate of toolscope's histograms, plus one SDK counter and gauge. */
function setup() {
  const sampler = new TailSampler({
    ratio: 0,
    keep: ['errors'],
    bufferSpans: 1000,
    next: new SimpleSpanProcessor(new InMemorySpanExporter()),
  });
  const tracer = new BasicTracerProvider({ spanProcessors: [sampler] }).getTracer('test');
  const local = new LocalHistograms({ name: 'toolscope', version: '1.0.0' });
  local.setExemplarGate(sampler);
  const reader = new PullReader({ metricProducers: [local] });
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ 'service.name': 'toolscope-test' }),
  });
  const meter = provider.getMeter('toolscope', '1.0.0');
  meter.createCounter('toolscope.calls.rejected', { unit: '{call}', description: 'Rejected calls.' }).add(3, {
    'error.type': 'overloaded',
  });
  meter.createUpDownCounter('toolscope.pool.queued', { description: 'Queued "now".' }).add(2);
  const duration = local.createHistogram('toolscope.call.duration', {
    unit: 's',
    description: 'Call duration.',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1] },
  });
  const client = local.createHistogram('mcp.client.operation.duration', {
    unit: 's',
    description: 'Client side.',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1] },
  });
  return { sampler, tracer, reader, duration, client };
}

describe('exemplars on the latency histograms', () => {
  it('carry the ids of exported traces only, also for a measurement taken before the decision', async () => {
    const { tracer, reader, duration, client } = setup();
    const labels = { 'gen_ai.tool.name': 'fetch' };
    const call = (failed: boolean, seconds: number) => {
      const root = tracer.startSpan('tools/call svc_fetch', { kind: SpanKind.SERVER });
      const rootContext = trace.setSpan(ROOT_CONTEXT, root);
      const upstream = tracer.startSpan('tools/call fetch', { kind: SpanKind.CLIENT }, rootContext);
      upstream.end();
      // The CLIENT span's duration is recorded before its trace is decided (the root is still open).
      client.record(seconds, labels, trace.setSpan(ROOT_CONTEXT, upstream));
      if (failed) root.setStatus({ code: SpanStatusCode.ERROR });
      root.end();
      duration.record(seconds, labels, rootContext);
      return { root, upstream };
    };
    const failed = call(true, 0.05);
    call(false, 0.06); // ordinary, dropped at ratio 0: same bucket, newer, but never an exemplar
    const text = serializeOpenMetrics(withPrometheusNames((await reader.collect()).resourceMetrics));
    const traceId = failed.root.spanContext().traceId;
    expect(text).toMatch(
      new RegExp(
        `^toolscope_call_duration_seconds_bucket\\{gen_ai_tool_name="fetch",otel_scope_name="toolscope",otel_scope_version="1.0.0",le="0.1"\\} 2 # \\{trace_id="${traceId}",span_id="${failed.root.spanContext().spanId}"\\} 0.05 \\d+\\.\\d{3}$`,
        'm',
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `^mcp_client_operation_duration_seconds_bucket\\{.*le="0.1"\\} 2 # \\{trace_id="${traceId}",span_id="${failed.upstream.spanContext().spanId}"\\} 0.05 `,
        'm',
      ),
    );
    expect(text.match(/# \{trace_id=/g)).toHaveLength(2);
  });

  it('are served as OpenMetrics with the same series and values as the Prometheus text', async () => {
    const { tracer, reader, duration } = setup();
    const root = tracer.startSpan('tools/call a', { kind: SpanKind.SERVER });
    root.setStatus({ code: SpanStatusCode.ERROR });
    root.end();
    for (const seconds of [0.005, 0.2, 3])
      duration.record(seconds, { 'gen_ai.tool.name': 'a' }, trace.setSpan(ROOT_CONTEXT, root));
    const metrics = withPrometheusNames((await reader.collect()).resourceMetrics);
    const open = serializeOpenMetrics(metrics);
    const prometheus = new PrometheusSerializer().serialize(metrics);
    const samples = (text: string) =>
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.replace(/ # \{.*$/, ''))
        .sort();
    expect(samples(open)).toEqual(samples(prometheus));
    // OpenMetrics framing: counters are families without `_total`, the target is an info metric, and it ends with EOF.
    expect(open).toContain('# TYPE toolscope_calls_rejected counter\n');
    expect(open).toContain(
      'toolscope_calls_rejected_total{error_type="overloaded",otel_scope_name="toolscope"',
    );
    expect(open).toContain(
      '# TYPE toolscope_call_duration_seconds histogram\n# UNIT toolscope_call_duration_seconds seconds\n',
    );
    expect(open).toContain('# HELP toolscope_pool_queued Queued \\"now\\".\n');
    expect(open).toMatch(/^# TYPE target info\n/);
    expect(open.endsWith('# EOF\n')).toBe(true);
    // Every bucket of the point carries the exemplar of its own value.
    expect(
      open.match(
        /_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\} [\d.]+ \d+\.\d{3}$/gm,
      ),
    ).toHaveLength(3);
  });

  it('are asked for the way Prometheus asks', () => {
    expect(
      acceptsOpenMetrics(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
    ).toBe(true);
    expect(acceptsOpenMetrics('text/plain;version=0.0.4;q=1,*/*;q=0.1')).toBe(false);
    expect(acceptsOpenMetrics(undefined)).toBe(false);
    expect(acceptsOpenMetrics('application/openmetrics-text;q=0')).toBe(false);
  });
});
