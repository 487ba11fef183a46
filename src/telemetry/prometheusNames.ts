import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

const UNIT_WORDS: Record<string, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  d: 'days',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  '%': 'percent',
};

/**
 * The Prometheus unit suffix of an OpenTelemetry unit, per the OTel→Prometheus
 * compatibility rules: `s` → `seconds`, `By` → `bytes`, `{call}` annotations
 * dropped, `1` → `ratio` (gauges only), `m/s` → `meters_per_second`.
 */
export function prometheusUnitSuffix(unit: string, isGauge: boolean): string {
  const cleaned = unit.replace(/\{[^}]*\}/g, '').trim();
  if (cleaned === '') return '';
  if (cleaned === '1') return isGauge ? 'ratio' : '';
  const [numerator = '', denominator] = cleaned.split('/');
  const word = (part: string) => UNIT_WORDS[part] ?? part.replace(/[^A-Za-z0-9_]/g, '_');
  return denominator ? `${word(numerator)}_per_${word(denominator)}` : word(numerator);
}

/** The OTel metric name with its Prometheus unit suffix (not repeated when already there). */
export function withUnitSuffix(name: string, unit: string, isGauge: boolean): string {
  const suffix = prometheusUnitSuffix(unit, isGauge);
  if (!suffix) return name;
  const normalized = name.replace(/[^A-Za-z0-9_:]/g, '_');
  return normalized.endsWith(`_${suffix}`) ? name : `${name}_${suffix}`;
}

/**
 * A copy of collected metrics whose names carry their unit suffix, so the stock
 * serializer (which adds `_total` to counters but no units) emits
 * `mcp_server_operation_duration_seconds_count`. OTLP export is unaffected.
 */
export function withPrometheusNames(metrics: ResourceMetrics): ResourceMetrics {
  return {
    ...metrics,
    scopeMetrics: metrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric): MetricData => {
        const isGauge = metric.dataPointType === DataPointType.GAUGE;
        const name = withUnitSuffix(metric.descriptor.name, metric.descriptor.unit, isGauge);
        return name === metric.descriptor.name
          ? metric
          : ({ ...metric, descriptor: { ...metric.descriptor, name } } as MetricData);
      }),
    })),
  };
}
