import { type Attributes, type HrTime, type MetricAdvice, ValueType } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

/** What toolscope's hot paths need of a histogram: an OTel `Histogram` satisfies it too. */
export interface HistogramRecorder {
  record(value: number, attributes?: Attributes): void;
}

/** Creates histograms: an OTel `Meter`, or {@link LocalHistograms}. */
export interface HistogramSource {
  createHistogram(
    name: string,
    options?: { unit?: string; description?: string; advice?: MetricAdvice },
  ): HistogramRecorder;
}

/** The SDK's default explicit buckets, used when an instrument gives no advice. */
const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000];
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const NO_ATTRIBUTES: Attributes = Object.freeze({});

interface Point {
  readonly attributes: Attributes;
  readonly counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Same key for the same attributes whatever their order (as the SDK's own). */
function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((key) => [key, attributes[key]]));
}

const OVERFLOW_KEY = attributesKey(OVERFLOW);

/** One cumulative explicit-bucket histogram. */
class LocalHistogram implements HistogramRecorder {
  readonly #boundaries: readonly number[];
  readonly #limit: number;
  /** Attribute objects seen before → their point: the hot path's one lookup. */
  readonly #byObject = new WeakMap<Attributes, Point>();
  readonly #byKey = new Map<string, Point>();

  constructor(
    readonly name: string,
    readonly unit: string,
    readonly description: string,
    boundaries: readonly number[],
    cardinalityLimit: number,
  ) {
    this.#boundaries = boundaries;
    this.#limit = cardinalityLimit;
  }

  record(value: number, attributes: Attributes = NO_ATTRIBUTES): void {
    if (Number.isNaN(value)) return;
    const point = this.#byObject.get(attributes) ?? this.#resolve(attributes);
    point.count += 1;
    point.sum += value;
    if (value < point.min) point.min = value;
    if (value > point.max) point.max = value;
    // Upper bounds are inclusive: the first boundary ≥ value (short lists, a scan beats a search).
    const boundaries = this.#boundaries;
    let index = 0;
    while (index < boundaries.length && (boundaries[index] as number) < value) index++;
    point.counts[index] = (point.counts[index] as number) + 1;
  }

  #resolve(attributes: Attributes): Point {
    const key = attributesKey(attributes);
    let point = this.#byKey.get(key);
    if (point === undefined) {
      // Past the limit, new label sets share one overflow series (the SDK's rule: limit − 1 sets + overflow);
      // like the SDK's cumulative memo, a set that overflowed stays there.
      if (this.#byKey.size >= this.#limit - 1) point = this.#overflow();
      else {
        point = this.#point({ ...attributes });
        this.#byKey.set(key, point);
      }
    }
    this.#byObject.set(attributes, point);
    return point;
  }

  #overflow(): Point {
    const key = OVERFLOW_KEY;
    let point = this.#byKey.get(key);
    if (point === undefined) {
      point = this.#point(OVERFLOW);
      this.#byKey.set(key, point);
    }
    return point;
  }

  #point(attributes: Attributes): Point {
    return {
      attributes,
      counts: new Array<number>(this.#boundaries.length + 1).fill(0),
      count: 0,
      sum: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
    };
  }

  collect(startTime: HrTime, endTime: HrTime): HistogramMetricData | undefined {
    if (this.#byKey.size === 0) return undefined;
    const boundaries = [...this.#boundaries];
    return {
      descriptor: {
        name: this.name,
        unit: this.unit,
        description: this.description,
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...this.#byKey.values()].map((point) => ({
        attributes: point.attributes,
        startTime,
        endTime,
        value: {
          buckets: { boundaries, counts: [...point.counts] },
          count: point.count,
          sum: point.sum,
          min: point.min,
          max: point.max,
        },
      })),
    };
  }
}

/**
 * Histograms toolscope aggregates itself and hands to its metric readers as a
 * `MetricProducer` (cumulative, explicit buckets, the SDK's cardinality rule).
 * Why: the SDK hashes the attribute object of every measurement (sort the keys,
 * `JSON.stringify`) to find its series, and with six or seven histograms per
 * tool call that was a third of the proxy's CPU. Here a series is found by the
 * identity of the attribute object, which the hot paths build once and reuse;
 * an unseen object is keyed like the SDK does, once. Exported data are the same
 * as the SDK's: names, units, buckets, labels, overflow series. They are always
 * cumulative (an OTLP delta-temporality preference does not apply to them).
 */
export class LocalHistograms implements HistogramSource, MetricProducer {
  readonly #scope: InstrumentationScope;
  readonly #cardinalityLimit: number;
  readonly #startTime: HrTime;
  readonly #histograms = new Map<string, LocalHistogram>();

  constructor(scope: InstrumentationScope, options: { cardinalityLimit?: number } = {}) {
    this.#scope = scope;
    this.#cardinalityLimit = options.cardinalityLimit ?? 2000;
    this.#startTime = millisToHrTime(Date.now());
  }

  createHistogram(
    name: string,
    options: { unit?: string; description?: string; advice?: MetricAdvice } = {},
  ): HistogramRecorder {
    let histogram = this.#histograms.get(name);
    if (histogram === undefined) {
      histogram = new LocalHistogram(
        name,
        options.unit ?? '',
        options.description ?? '',
        options.advice?.explicitBucketBoundaries ?? DEFAULT_BOUNDARIES,
        this.#cardinalityLimit,
      );
      this.#histograms.set(name, histogram);
    }
    return histogram;
  }

  async collect(): Promise<CollectionResult> {
    const endTime = millisToHrTime(Date.now());
    const metrics: HistogramMetricData[] = [];
    for (const histogram of this.#histograms.values()) {
      const data = histogram.collect(this.#startTime, endTime);
      if (data) metrics.push(data);
    }
    return {
      // The reader keeps the SDK's resource; this one is ignored.
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: this.#scope, metrics }] },
      errors: [],
    };
  }
}
