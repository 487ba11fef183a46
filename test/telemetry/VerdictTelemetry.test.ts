import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { Severity, Verdict } from '../../src/analysis/index.js';
import { VerdictTelemetry } from '../../src/telemetry/index.js';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function verdict(tool: string, severity?: Severity): Verdict {
  return {
    ref: { service: 'svc', tool, key: `svc/${tool}` },
    time: 0,
    score: severity ? 0.8 : 0.1,
    forestScore: undefined,
    anomaly: severity !== undefined,
    severity,
    deviations: [],
    reasons: [],
    recommendations: [],
    class: 'fault',
    detector: 'zscore',
    warmingUp: false,
  };
}

async function anomalyCounts(reader: PullReader) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === 'toolscope.anomalies');
  if (!metric) return {};
  expect(metric.dataPointType).toBe(DataPointType.SUM);
  expect(metric.dataPointType === DataPointType.SUM && metric.isMonotonic).toBe(true);
  return Object.fromEntries(
    metric.dataPoints.map((p) => [
      `${p.attributes['gen_ai.tool.name']}/${p.attributes['toolscope.severity']}`,
      p.value,
    ]),
  );
}

describe('VerdictTelemetry', () => {
  it('counts anomalous calls per tool and severity, cumulatively, and nothing for normal ones', async () => {
    const reader = new PullReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('toolscope');
    const telemetry = new VerdictTelemetry(meter, () => []);
    for (let i = 0; i < 3; i++) telemetry.record(verdict('search', 'warning'), undefined);
    telemetry.record(verdict('search', 'critical'), undefined);
    telemetry.record(verdict('search'), undefined);
    telemetry.record(verdict('fetch', 'warning'), undefined);
    telemetry.record(verdict('calm'), undefined);
    expect(await anomalyCounts(reader)).toEqual({
      'search/warning': 3,
      'search/critical': 1,
      'fetch/warning': 1,
    });
    telemetry.record(verdict('search', 'warning'), undefined);
    expect((await anomalyCounts(reader))['search/warning']).toBe(4);
  });
});
