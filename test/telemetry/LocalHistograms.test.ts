import type { Attributes } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { LocalHistograms } from '../../src/telemetry/index.js';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const BOUNDARIES = [0.01, 0.1, 1];
const SCOPE = { name: 'toolscope', version: '1.0.0' };

/** The same measurements into the SDK's histogram and into LocalHistograms, each read by its own reader. */
async function both(
  limit: number,
  measure: (record: (value: number, attributes: Attributes) => void) => void,
) {
  const sdkReader = new PullReader();
  const sdk = new MeterProvider({
    readers: [sdkReader],
    views: [{ instrumentName: 'calls.duration', aggregationCardinalityLimit: limit }],
  });
  const sdkHistogram = sdk.getMeter(SCOPE.name, SCOPE.version).createHistogram('calls.duration', {
    unit: 's',
    description: 'How long calls took.',
    advice: { explicitBucketBoundaries: BOUNDARIES },
  });
  measure((value, attributes) => sdkHistogram.record(value, attributes));

  const local = new LocalHistograms(SCOPE, { cardinalityLimit: limit });
  const localReader = new PullReader({ metricProducers: [local] });
  // A reader must belong to a MeterProvider to collect; this one has no instruments of its own.
  new MeterProvider({ readers: [localReader] });
  const localHistogram = local.createHistogram('calls.duration', {
    unit: 's',
    description: 'How long calls took.',
    advice: { explicitBucketBoundaries: BOUNDARIES },
  });
  measure((value, attributes) => localHistogram.record(value, attributes));

  return {
    sdk: (await sdkReader.collect()).resourceMetrics,
    local: (await localReader.collect()).resourceMetrics,
  };
}

/** What a data point says, independent of time stamps and series order. */
function points(metrics: ResourceMetrics) {
  return metrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .flatMap((metric) =>
      metric.dataPoints.map((point) => ({
        name: metric.descriptor.name,
        unit: metric.descriptor.unit,
        attributes: point.attributes,
        value: point.value,
      })),
    )
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

describe('LocalHistograms', () => {
  it('exports what the SDK exports for the same measurements: buckets (upper bounds inclusive), count, sum, min, max', async () => {
    const slow = { service: 'storage', tool: 'fetch' };
    const { sdk, local } = await both(2000, (record) => {
      for (const value of [0.001, 0.01, 0.0100001, 0.1, 0.5, 1, 3, Number.NaN]) record(value, slow);
      // A fresh object with the same labels in another order is the same series.
      record(0.2, { tool: 'fetch', service: 'storage' });
      record(0.05, { service: 'storage', tool: 'list' });
    });
    expect(points(local)).toEqual(points(sdk));
    const fetch = points(local).find((point) => point.attributes.tool === 'fetch');
    expect(fetch?.value).toMatchObject({
      count: 8,
      buckets: { boundaries: BOUNDARIES, counts: [2, 2, 3, 1] },
    });
  });

  it('folds label sets past the cardinality limit into one overflow series, as the SDK does', async () => {
    const { sdk, local } = await both(5, (record) => {
      for (let i = 0; i < 12; i++) record(i / 100, { tool: `tool-${i}` });
      record(0.5, { tool: 'tool-1' });
    });
    const localPoints = points(local);
    expect(localPoints).toEqual(points(sdk));
    expect(localPoints).toHaveLength(5);
    expect(
      localPoints.find((point) => point.attributes['otel.metric.overflow'] === true)?.value,
    ).toMatchObject({
      count: 8,
    });
  });

  it('serialises to the same Prometheus text', async () => {
    const { sdk, local } = await both(2000, (record) => {
      for (const value of [0.003, 0.04, 0.7, 2]) record(value, { service: 'lookup', tool: 'city' });
    });
    const serializer = new PrometheusSerializer();
    const text = serializer.serialize(local);
    expect(text).toContain(
      'calls_duration_bucket{service="lookup",tool="city",otel_scope_name="toolscope",otel_scope_version="1.0.0",le="0.1"} 2',
    );
    expect(text).toBe(serializer.serialize(sdk));
  });
});
