import { type Attributes, type AttributeValue, diag } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { BucketExemplar, HistogramPointWithExemplars } from './LocalHistograms.js';
import { prometheusUnitSuffix } from './prometheusNames.js';

/** The content type of what {@link serializeOpenMetrics} writes. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Whether an `Accept` header asks for OpenMetrics (as Prometheus does when it can store exemplars). */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((item) => item.trim());
    if (type?.toLowerCase() !== 'application/openmetrics-text') continue;
    const q = params.find((param) => param.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

function sanitizeName(name: string): string {
  return name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function escapeLabelValue(value: AttributeValue | undefined): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(...sets: Attributes[]): string {
  let out = '';
  for (const set of sets)
    for (const [key, value] of Object.entries(set))
      out += `${out ? ',' : ''}${sanitizeName(key)}="${escapeLabelValue(value)}"`;
  return out ? `{${out}}` : '';
}

function number(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** ` # {trace_id="…",span_id="…"} value timestamp`: the OpenMetrics exemplar of one sample. */
function exemplar(e: BucketExemplar | undefined): string {
  if (!e) return '';
  return ` # {trace_id="${e.traceId}",span_id="${e.spanId}"} ${number(e.value)} ${(e.timeMs / 1000).toFixed(3)}`;
}

/**
 * OpenMetrics 1.0 text of collected metrics, with the same families, samples
 * and labels as `@opentelemetry/exporter-prometheus`'s Prometheus text
 * (`target_info`, `otel_scope_*` labels, `_total` counters, names as they come
 * — give it {@link withPrometheusNames}'s copy), plus what that format cannot
 * say: the exemplar of each histogram bucket, which links it to an exported
 * trace. A scrape in either format stores the same series.
 */
export function serializeOpenMetrics(metrics: ResourceMetrics): string {
  const out: string[] = [];
  out.push(
    '# TYPE target info',
    '# HELP target Target metadata',
    `target_info${labels(metrics.resource.attributes)} 1`,
  );
  const seen = new Set<string>();
  for (const { scope, metrics: list } of metrics.scopeMetrics) {
    const scopeLabels: Attributes = { otel_scope_name: scope.name };
    if (scope.schemaUrl) scopeLabels.otel_scope_schema_url = scope.schemaUrl;
    if (scope.version) scopeLabels.otel_scope_version = scope.version;
    for (const metric of list) {
      const family = familyOf(metric);
      if (family === undefined) continue;
      if (seen.has(family.name)) {
        diag.warn(
          `toolscope: metric family ${family.name} collected twice; the second is left out of OpenMetrics`,
        );
        continue;
      }
      seen.add(family.name);
      out.push(`# TYPE ${family.name} ${family.type}`);
      const unit = prometheusUnitSuffix(metric.descriptor.unit, family.type === 'gauge');
      if (unit && family.name.endsWith(`_${unit}`)) out.push(`# UNIT ${family.name} ${unit}`);
      out.push(`# HELP ${family.name} ${escapeHelp(metric.descriptor.description || 'description missing')}`);
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        for (const point of metric.dataPoints) histogram(out, family.name, point, scopeLabels);
      } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
        const sample = family.type === 'counter' ? `${family.name}_total` : family.name;
        for (const point of metric.dataPoints as DataPoint<number>[])
          out.push(`${sample}${labels(point.attributes, scopeLabels)} ${number(point.value)}`);
      }
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

function familyOf(metric: MetricData): { name: string; type: 'counter' | 'gauge' | 'histogram' } | undefined {
  let name = sanitizeName(metric.descriptor.name);
  if (name === '' || name === '_') return undefined;
  if (name[0] !== undefined && name[0] >= '0' && name[0] <= '9') name = `_${name}`;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      // A monotonic sum is a counter; its samples end in `_total`, its family name does not.
      return metric.isMonotonic
        ? { name: name.endsWith('_total') ? name.slice(0, -'_total'.length) : name, type: 'counter' }
        : { name, type: 'gauge' };
    case DataPointType.GAUGE:
      return { name, type: 'gauge' };
    case DataPointType.HISTOGRAM:
      return { name, type: 'histogram' };
    default:
      diag.debug(`toolscope: metric ${name} has a type OpenMetrics output does not carry; left out`);
      return undefined;
  }
}

function histogram(
  out: string[],
  name: string,
  point: HistogramPointWithExemplars,
  scopeLabels: Attributes,
): void {
  const { buckets, count, sum } = point.value;
  const exemplars = point.exemplars;
  let cumulative = 0;
  for (let i = 0; i < buckets.counts.length; i++) {
    cumulative += buckets.counts[i] as number;
    const bound = buckets.boundaries[i];
    // The last count is the overflow bucket (no boundary): `+Inf`.
    const le = bound === undefined || bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound);
    out.push(
      `${name}_bucket${labels(point.attributes, scopeLabels, { le })} ${cumulative}${exemplar(exemplars?.[i])}`,
    );
    if (le === '+Inf') break;
  }
  out.push(`${name}_count${labels(point.attributes, scopeLabels)} ${count}`);
  if (sum !== undefined) out.push(`${name}_sum${labels(point.attributes, scopeLabels)} ${number(sum)}`);
}
