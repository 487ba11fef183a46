import {
  type Attributes,
  type Context,
  type HrTime,
  type MetricAdvice,
  type Span,
  type SpanContext,
  trace,
  ValueType,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

/** What toolscope's hot paths need of a histogram: an OTel `Histogram` satisfies it too. */
export interface HistogramRecorder {
  /** `context`: the measurement's trace (its span), for an exemplar when that trace is exported. */
  record(value: number, attributes?: Attributes, context?: Context): void;
}

/** Whether a span's trace is exported: not (or unknown), yes, or not decided yet. */
export const TraceState = { None: 0, Kept: 1, Pending: 2 } as const;
export type TraceState = (typeof TraceState)[keyof typeof TraceState];

/**
 * Says whether a measurement may carry its trace's ids as an exemplar: only
 * traces that are exported can be looked up from a histogram bucket. The
 * {@link TailSampler} is one.
 */
export interface ExemplarGate {
  traceState(span: Span): TraceState;
  /** Runs `apply` if and when the trace of `span`, now undecided, is exported. */
  defer(span: Span, apply: () => void): void;
}

/** The exemplar of one bucket: the latest measurement in it that belongs to an exported trace. */
export interface BucketExemplar {
  value: number;
  /** Epoch ms of the measurement. */
  timeMs: number;
  traceId: string;
  spanId: string;
}

/**
 * A histogram data point as {@link LocalHistograms} collects it: with an
 * exemplar per bucket where there is one (aligned with `buckets.counts`).
 * OpenMetrics carries them; OTLP and the Prometheus text format ignore them.
 */
export type HistogramPointWithExemplars = DataPoint<Histogram> & {
  exemplars?: ReadonlyArray<BucketExemplar | undefined>;
};

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
  /** Per bucket, made on the first exemplar. */
  exemplars: Array<BucketExemplar | undefined> | undefined;
}

/** Where the histograms find the gate (set once tracing is set up, after the histograms exist). */
interface GateHolder {
  gate: ExemplarGate | undefined;
}

function setExemplar(point: Point, index: number, value: number, timeMs: number, context: SpanContext): void {
  let exemplars = point.exemplars;
  if (exemplars === undefined) {
    exemplars = new Array<BucketExemplar | undefined>(point.counts.length).fill(undefined);
    point.exemplars = exemplars;
  }
  const slot = exemplars[index];
  if (slot === undefined)
    exemplars[index] = { value, timeMs, traceId: context.traceId, spanId: context.spanId };
  else if (timeMs >= slot.timeMs) {
    // Rewritten in place: a steady stream of kept traces allocates nothing here.
    slot.value = value;
    slot.timeMs = timeMs;
    slot.traceId = context.traceId;
    slot.spanId = context.spanId;
  }
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
  readonly #exemplars: GateHolder;

  constructor(
    readonly name: string,
    readonly unit: string,
    readonly description: string,
    boundaries: readonly number[],
    cardinalityLimit: number,
    exemplars: GateHolder,
  ) {
    this.#boundaries = boundaries;
    this.#limit = cardinalityLimit;
    this.#exemplars = exemplars;
  }

  record(value: number, attributes: Attributes = NO_ATTRIBUTES, context?: Context): void {
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
    if (context !== undefined && this.#exemplars.gate !== undefined)
      this.#offer(point, index, value, context);
  }

  #offer(point: Point, index: number, value: number, context: Context): void {
    const span = trace.getSpan(context);
    if (span === undefined) return;
    const gate = this.#exemplars.gate as ExemplarGate;
    const state = gate.traceState(span);
    if (state === TraceState.Kept) setExemplar(point, index, value, Date.now(), span.spanContext());
    else if (state === TraceState.Pending) {
      const timeMs = Date.now();
      gate.defer(span, () => setExemplar(point, index, value, timeMs, span.spanContext()));
    }
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
      exemplars: undefined,
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
      dataPoints: [...this.#byKey.values()].map((point): HistogramPointWithExemplars => {
        const data: HistogramPointWithExemplars = {
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
        };
        if (point.exemplars) data.exemplars = point.exemplars.map((slot) => slot && { ...slot });
        return data;
      }),
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
  readonly #exemplars: GateHolder = { gate: undefined };

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
        this.#exemplars,
      );
      this.#histograms.set(name, histogram);
    }
    return histogram;
  }

  /**
   * Measurements recorded with a context from now on carry exemplars: the
   * trace and span ids of the latest measurement per bucket whose trace `gate`
   * says is exported. Without a gate there are none (traces go nowhere).
   */
  setExemplarGate(gate: ExemplarGate | undefined): void {
    this.#exemplars.gate = gate;
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
