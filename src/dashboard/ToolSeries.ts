import { type CallObservation, callCpuMicros } from '../pipeline/index.js';
import { LatencyHistogram } from './LatencyHistogram.js';

/**
 * One tool's figures per time bucket as parallel arrays, the shape uPlot plots.
 * `null` where a bucket had no call (a gap in the line, not a zero).
 */
export interface SeriesWindow {
  /** Bucket starts, epoch seconds. */
  t: number[];
  calls: number[];
  /** Calls that failed (JSON-RPC errors: timeouts, overload, transport, …). */
  errors: number[];
  /** Calls whose result was `isError: true`. */
  toolErrors: number[];
  /** Latency quantiles of the bucket's calls, ms (within ≈ 4.5 %). */
  p50: Array<number | null>;
  p95: Array<number | null>;
  p99: Array<number | null>;
  /** Mean CPU per call, µs (calls that profiling measured). */
  cpuMicros: Array<number | null>;
  /** Mean heap allocated per call, bytes. */
  heapBytes: Array<number | null>;
  /** Mean wait for a pool slot, ms. */
  queueWaitMs: Array<number | null>;
  /** Calls that had to wait for a pool slot. */
  waited: number[];
  /** Most calls running in the tool's pool at one admission, that call included. */
  inFlight: Array<number | null>;
  /** Highest anomaly score of the bucket's verdicts, 0…1. */
  score: Array<number | null>;
  /** 1 when a verdict in the bucket said the tool behaves anomalously. */
  anomaly: number[];
}

/** Sums over a range of buckets (exact, unlike quantiles, which do not add up). */
export interface SeriesTotals {
  calls: number;
  errors: number;
  toolErrors: number;
  durationSumMs: number;
  cpuSumMicros: number;
  cpuCount: number;
  heapSumBytes: number;
  heapCount: number;
}

const FIELDS = [
  'calls',
  'errors',
  'toolErrors',
  'durationSum',
  'queueWaitSum',
  'waited',
  'inFlightMax',
  'cpuSum',
  'cpuCount',
  'heapSum',
  'heapCount',
  'p50',
  'p95',
  'p99',
  'scoreMax',
  'anomaly',
] as const;
type Field = (typeof FIELDS)[number];

const round = (value: number, step: number) => Math.round(value / step) * step;
const orNull = (value: number) => (Number.isFinite(value) ? value : null);

/**
 * A fixed ring of time buckets for one tool: memory is `capacity` buckets whatever
 * the call volume. `record` is O(1) and allocation-free (one histogram per ring,
 * for the open bucket; its quantiles are frozen when the next bucket opens). Time
 * comes from the observations, so the ring runs in simulated time in tests.
 * Calls are placed by their end time; a call ending in an older bucket than the
 * newest (clock skew between calls) counts in the newest.
 */
export class ToolSeries {
  readonly resolutionMs: number;
  readonly capacity: number;
  readonly #fields: Record<Field, Float64Array>;
  readonly #open = new LatencyHistogram();
  #newest = Number.NEGATIVE_INFINITY;
  // The newest bucket's slot, kept so the common case (same bucket as the last call) does no modulo.
  #newestSlot = 0;
  #first = Number.NEGATIVE_INFINITY;

  /**
   * @param resolutionMs bucket width. @default 1000
   * @param capacity buckets kept. @default 300
   */
  constructor(resolutionMs = 1000, capacity = 300) {
    this.resolutionMs = resolutionMs;
    this.capacity = capacity;
    this.#fields = Object.fromEntries(FIELDS.map((field) => [field, new Float64Array(capacity)])) as Record<
      Field,
      Float64Array
    >;
  }

  /** Bucket number of an epoch-ms time. */
  bucketOf(timeMs: number): number {
    return Math.floor(timeMs / this.resolutionMs);
  }

  /** Oldest bucket still held, or `undefined` before the first call. */
  get oldestBucket(): number | undefined {
    return Number.isFinite(this.#newest)
      ? Math.max(this.#first, this.#newest - this.capacity + 1)
      : undefined;
  }

  /** Newest bucket, or `undefined` before the first call. */
  get newestBucket(): number | undefined {
    return Number.isFinite(this.#newest) ? this.#newest : undefined;
  }

  record(observation: CallObservation): void {
    const slot = this.#advance(this.bucketOf(observation.startTime + observation.durationMs));
    const f = this.#fields;
    f.calls[slot]!++;
    if (observation.outcome === 'error') f.errors[slot]!++;
    else if (observation.outcome === 'tool_error') f.toolErrors[slot]!++;
    f.durationSum[slot]! += observation.durationMs;
    this.#open.add(observation.durationMs);
    f.queueWaitSum[slot]! += observation.queueWaitMs;
    if (observation.queueWaitMs > 0) f.waited[slot]!++;
    const concurrency = observation.inFlightAtStart + 1;
    if (concurrency > f.inFlightMax[slot]!) f.inFlightMax[slot] = concurrency;
    const cpu = callCpuMicros(observation);
    if (cpu !== undefined) {
      f.cpuSum[slot]! += cpu;
      f.cpuCount[slot]!++;
    }
    if (observation.heapAllocatedBytes !== undefined) {
      f.heapSum[slot]! += observation.heapAllocatedBytes;
      f.heapCount[slot]!++;
    }
  }

  /** The analyzer's judgement of the call just recorded (verdicts follow their observation at once). */
  recordVerdict(score: number, anomaly: boolean): void {
    if (!Number.isFinite(this.#newest)) return;
    const slot = this.#newestSlot;
    const f = this.#fields;
    if (!(score <= f.scoreMax[slot]!)) f.scoreMax[slot] = score;
    if (anomaly) f.anomaly[slot] = 1;
  }

  /** Buckets `from`…`to` (inclusive), empty where nothing is held. */
  window(from: number, to: number): SeriesWindow {
    const out: SeriesWindow = {
      t: [],
      calls: [],
      errors: [],
      toolErrors: [],
      p50: [],
      p95: [],
      p99: [],
      cpuMicros: [],
      heapBytes: [],
      queueWaitMs: [],
      waited: [],
      inFlight: [],
      score: [],
      anomaly: [],
    };
    const oldest = this.oldestBucket ?? Number.POSITIVE_INFINITY;
    const live = this.#open.quantiles();
    const f = this.#fields;
    for (let bucket = from; bucket <= to; bucket++) {
      out.t.push((bucket * this.resolutionMs) / 1000);
      const held = bucket >= oldest && bucket <= this.#newest;
      const slot = this.#slot(bucket);
      const calls = held ? f.calls[slot]! : 0;
      out.calls.push(calls);
      out.errors.push(held ? f.errors[slot]! : 0);
      out.toolErrors.push(held ? f.toolErrors[slot]! : 0);
      out.waited.push(held ? f.waited[slot]! : 0);
      out.anomaly.push(held ? f.anomaly[slot]! : 0);
      if (!held || calls === 0) {
        for (const key of ['p50', 'p95', 'p99', 'cpuMicros', 'heapBytes', 'queueWaitMs', 'inFlight'] as const)
          out[key].push(null);
        out.score.push(null);
        continue;
      }
      const open = bucket === this.#newest;
      out.p50.push(orNull(round(open && live ? live.p50 : f.p50[slot]!, 0.001)));
      out.p95.push(orNull(round(open && live ? live.p95 : f.p95[slot]!, 0.001)));
      out.p99.push(orNull(round(open && live ? live.p99 : f.p99[slot]!, 0.001)));
      out.cpuMicros.push(f.cpuCount[slot]! > 0 ? round(f.cpuSum[slot]! / f.cpuCount[slot]!, 0.1) : null);
      out.heapBytes.push(f.heapCount[slot]! > 0 ? Math.round(f.heapSum[slot]! / f.heapCount[slot]!) : null);
      out.queueWaitMs.push(round(f.queueWaitSum[slot]! / calls, 0.001));
      out.inFlight.push(f.inFlightMax[slot]!);
      out.score.push(round(f.scoreMax[slot]!, 0.001));
    }
    return out;
  }

  /** Exact sums over buckets `from`…`to` (inclusive) that are still held. */
  totals(from: number, to: number): SeriesTotals {
    const totals: SeriesTotals = {
      calls: 0,
      errors: 0,
      toolErrors: 0,
      durationSumMs: 0,
      cpuSumMicros: 0,
      cpuCount: 0,
      heapSumBytes: 0,
      heapCount: 0,
    };
    const oldest = this.oldestBucket;
    if (oldest === undefined) return totals;
    const f = this.#fields;
    for (let bucket = Math.max(from, oldest); bucket <= Math.min(to, this.#newest); bucket++) {
      const slot = this.#slot(bucket);
      totals.calls += f.calls[slot]!;
      totals.errors += f.errors[slot]!;
      totals.toolErrors += f.toolErrors[slot]!;
      totals.durationSumMs += f.durationSum[slot]!;
      totals.cpuSumMicros += f.cpuSum[slot]!;
      totals.cpuCount += f.cpuCount[slot]!;
      totals.heapSumBytes += f.heapSum[slot]!;
      totals.heapCount += f.heapCount[slot]!;
    }
    return totals;
  }

  #slot(bucket: number): number {
    return ((bucket % this.capacity) + this.capacity) % this.capacity;
  }

  /** Makes `bucket` the newest (freezing the open one, clearing skipped ones); returns the slot to write. */
  #advance(bucket: number): number {
    if (bucket <= this.#newest) return this.#newestSlot;
    if (Number.isFinite(this.#newest)) {
      const quantiles = this.#open.quantiles();
      const slot = this.#newestSlot;
      this.#fields.p50[slot] = quantiles?.p50 ?? Number.NaN;
      this.#fields.p95[slot] = quantiles?.p95 ?? Number.NaN;
      this.#fields.p99[slot] = quantiles?.p99 ?? Number.NaN;
    } else {
      this.#first = bucket;
    }
    const from = Number.isFinite(this.#newest)
      ? Math.max(this.#newest + 1, bucket - this.capacity + 1)
      : bucket;
    for (let b = from; b <= bucket; b++) {
      const slot = this.#slot(b);
      for (const field of FIELDS) this.#fields[field][slot] = 0;
    }
    this.#newest = bucket;
    this.#newestSlot = this.#slot(bucket);
    this.#open.reset();
    return this.#newestSlot;
  }
}
