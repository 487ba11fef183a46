import type { Verdict, VerdictObserver } from '../analysis/index.js';
import { type CallObservation, type CallObserver, callCpuMicros } from '../pipeline/index.js';
import { type SeriesWindow, ToolSeries } from './ToolSeries.js';

/** Summary figures of one tool. Times in milliseconds. */
export interface ToolSummary {
  key: string;
  service: string;
  tool: string;
  calls: number;
  errors: number;
  toolErrors: number;
  /** Calls by error type (`timeout`, `overloaded`, …); lifetime counts. */
  errorTypes: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  queueWaitP95: number;
  /** Calls the percentiles are computed from (the most recent ones, in the window asked for). */
  percentileCalls: number;
  /**
   * Mean CPU per call (µs), when profiling measured it: exact (`cpuKind: "call"`) for tools in this
   * process, an estimated share of their process's CPU (`"process_share"`) for tools in another.
   */
  cpuMicrosMean: number | undefined;
  cpuKind: 'call' | 'process_share';
  /** Mean heap allocated per call (bytes), when profiling measured it. */
  heapBytesMean: number | undefined;
}

/** Several tools' series on one time axis (what a multi-line chart needs). */
export interface SeriesSet {
  /** Bucket width, ms. */
  bucketMs: number;
  /** Bucket starts, epoch seconds, shared by every tool. */
  t: number[];
  /** Per tool key; each tool's own `t` equals the shared one. */
  tools: Record<string, SeriesWindow>;
}

/** How much the collector keeps. */
export interface ToolStatsOptions {
  /** Recent calls kept per tool for percentiles. @default 4096 */
  capacity?: number;
  /** Fine series: bucket width (ms) and buckets kept. @default 1000 ms × 300 (5 min) */
  fine?: { resolutionMs: number; buckets: number };
  /** Coarse series, for longer trends and exports: @default 60 s × 360 (6 h) */
  coarse?: { resolutionMs: number; buckets: number };
}

/** Calls a tool's window holds before it first grows. */
const INITIAL_RECENT_CALLS = 64;

/**
 * Ring of recent calls (duration, queue wait, end time): memory stays bounded whatever the volume.
 * It starts small and doubles up to `capacity` as calls arrive, so the many tools that are called
 * rarely cost a few hundred bytes instead of the full window.
 */
class RecentCalls {
  #durations: Float64Array;
  #waits: Float64Array;
  #ends: Float64Array;
  #next = 0;
  #size = 0;
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
    const initial = Math.min(capacity, INITIAL_RECENT_CALLS);
    this.#durations = new Float64Array(initial);
    this.#waits = new Float64Array(initial);
    this.#ends = new Float64Array(initial);
  }
  push(durationMs: number, waitMs: number, endMs: number): void {
    // Full but below capacity: it has never wrapped, so the calls are in order and a copy keeps them.
    if (this.#size === this.#durations.length && this.#size < this.#capacity) this.#grow();
    this.#durations[this.#next] = durationMs;
    this.#waits[this.#next] = waitMs;
    this.#ends[this.#next] = endMs;
    this.#next = (this.#next + 1) % this.#durations.length;
    if (this.#size < this.#durations.length) this.#size++;
  }
  #grow(): void {
    const length = Math.min(this.#capacity, this.#durations.length * 2);
    const grown = (old: Float64Array) => {
      const next = new Float64Array(length);
      next.set(old);
      return next;
    };
    this.#durations = grown(this.#durations);
    this.#waits = grown(this.#waits);
    this.#ends = grown(this.#ends);
    this.#next = this.#size;
  }
  /** Sorted durations and waits of calls that ended at or after `since` (all when undefined). */
  sorted(since: number | undefined): { durations: Float64Array; waits: Float64Array } {
    if (since === undefined)
      return {
        durations: this.#durations.slice(0, this.#size).sort(),
        waits: this.#waits.slice(0, this.#size).sort(),
      };
    const durations: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      if (this.#ends[i]! >= since) {
        durations.push(this.#durations[i]!);
        waits.push(this.#waits[i]!);
      }
    }
    return { durations: Float64Array.from(durations).sort(), waits: Float64Array.from(waits).sort() };
  }
}

class ToolAccumulator {
  calls = 0;
  errors = 0;
  toolErrors = 0;
  readonly errorTypes: Record<string, number> = {};
  cpuSum = 0;
  cpuCount = 0;
  cpuKind: 'call' | 'process_share' = 'call';
  heapSum = 0;
  heapCount = 0;
  constructor(
    readonly service: string,
    readonly tool: string,
    readonly recent: RecentCalls,
    readonly fine: ToolSeries,
    readonly coarse: ToolSeries,
  ) {}
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Per-tool figures for summaries, the status API and export: lifetime counts,
 * latency percentiles over the most recent calls (a bounded window per tool),
 * and two bounded time series per tool (fine for live charts, coarse for trends),
 * with the analyzer's scores when subscribed to verdicts too. O(1) per call.
 */
export class ToolStatsCollector implements CallObserver, VerdictObserver {
  readonly #tools = new Map<string, ToolAccumulator>();
  readonly #capacity: number;
  readonly #fine: { resolutionMs: number; buckets: number };
  readonly #coarse: { resolutionMs: number; buckets: number };

  /** @param options sizes, or (as before) the number of recent calls kept per tool. */
  constructor(options: ToolStatsOptions | number = {}) {
    const o = typeof options === 'number' ? { capacity: options } : options;
    this.#capacity = o.capacity ?? 4096;
    this.#fine = o.fine ?? { resolutionMs: 1000, buckets: 300 };
    this.#coarse = o.coarse ?? { resolutionMs: 60_000, buckets: 360 };
  }

  /** Bucket width of the fine series, ms. */
  get fineResolutionMs(): number {
    return this.#fine.resolutionMs;
  }

  /** Bucket width of the coarse series, ms. */
  get coarseResolutionMs(): number {
    return this.#coarse.resolutionMs;
  }

  onObservation(observation: CallObservation): void {
    const { ref } = observation;
    let tool = this.#tools.get(ref.key);
    if (!tool) {
      tool = new ToolAccumulator(
        ref.service,
        ref.tool,
        new RecentCalls(this.#capacity),
        new ToolSeries(this.#fine.resolutionMs, this.#fine.buckets),
        new ToolSeries(this.#coarse.resolutionMs, this.#coarse.buckets),
      );
      this.#tools.set(ref.key, tool);
    }
    tool.calls++;
    if (observation.outcome !== 'success') {
      if (observation.outcome === 'tool_error') tool.toolErrors++;
      else tool.errors++;
      const type = observation.errorType ?? 'internal';
      tool.errorTypes[type] = (tool.errorTypes[type] ?? 0) + 1;
    }
    tool.recent.push(
      observation.durationMs,
      observation.queueWaitMs,
      observation.startTime + observation.durationMs,
    );
    tool.fine.record(observation);
    tool.coarse.record(observation);
    const cpu = callCpuMicros(observation);
    if (cpu !== undefined) {
      tool.cpuSum += cpu;
      tool.cpuCount++;
      tool.cpuKind = (observation.cpuAttribution ?? 'call') === 'call' ? 'call' : 'process_share';
    }
    if (observation.heapAllocatedBytes !== undefined) {
      tool.heapSum += observation.heapAllocatedBytes;
      tool.heapCount++;
    }
  }

  /** Marks the tool's current bucket with the verdict's score (the verdict of the call just observed). */
  onVerdict(verdict: Verdict): void {
    const tool = this.#tools.get(verdict.ref.key);
    if (!tool) return;
    tool.fine.recordVerdict(verdict.score, verdict.anomaly);
    tool.coarse.recordVerdict(verdict.score, verdict.anomaly);
  }

  /**
   * One summary per tool seen, sorted by key. With `since` (epoch ms), counts and
   * means cover calls since then (from the series: whole buckets, as far back as
   * they reach) and percentiles the recent calls since then; tools without a call
   * since then are left out.
   */
  summaries(since?: number, now: number = Date.now()): ToolSummary[] {
    const out: ToolSummary[] = [];
    for (const [key, tool] of [...this.#tools.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const { durations, waits } = tool.recent.sorted(since);
      let counts = {
        calls: tool.calls,
        errors: tool.errors,
        toolErrors: tool.toolErrors,
        cpuSum: tool.cpuSum,
        cpuCount: tool.cpuCount,
        heapSum: tool.heapSum,
        heapCount: tool.heapCount,
      };
      if (since !== undefined) {
        // The fine series is exact to the second; older windows fall back to the coarse one.
        const fineOldest = tool.fine.oldestBucket;
        const series =
          fineOldest !== undefined && tool.fine.bucketOf(since) >= fineOldest ? tool.fine : tool.coarse;
        const totals = series.totals(series.bucketOf(since), series.bucketOf(now));
        counts = {
          calls: totals.calls,
          errors: totals.errors,
          toolErrors: totals.toolErrors,
          cpuSum: totals.cpuSumMicros,
          cpuCount: totals.cpuCount,
          heapSum: totals.heapSumBytes,
          heapCount: totals.heapCount,
        };
        if (counts.calls === 0) continue;
      }
      out.push({
        key,
        service: tool.service,
        tool: tool.tool,
        calls: counts.calls,
        errors: counts.errors,
        toolErrors: counts.toolErrors,
        errorTypes: { ...tool.errorTypes },
        p50: percentile(durations, 0.5),
        p95: percentile(durations, 0.95),
        p99: percentile(durations, 0.99),
        queueWaitP95: percentile(waits, 0.95),
        percentileCalls: durations.length,
        cpuMicrosMean: counts.cpuCount > 0 ? counts.cpuSum / counts.cpuCount : undefined,
        cpuKind: tool.cpuKind,
        heapBytesMean: counts.heapCount > 0 ? counts.heapSum / counts.heapCount : undefined,
      });
    }
    return out;
  }

  /**
   * Every tool's series on a shared axis ending at `now`: the fine series by
   * default, from the oldest bucket any tool still holds (or `since`, if later).
   */
  series(now: number = Date.now(), options: { coarse?: boolean; since?: number } = {}): SeriesSet {
    const pick = (tool: ToolAccumulator) => (options.coarse ? tool.coarse : tool.fine);
    const resolutionMs = options.coarse ? this.#coarse.resolutionMs : this.#fine.resolutionMs;
    const to = Math.floor(now / resolutionMs);
    let from = to;
    for (const tool of this.#tools.values()) {
      const oldest = pick(tool).oldestBucket;
      if (oldest !== undefined && oldest < from) from = oldest;
    }
    if (options.since !== undefined && Number.isFinite(options.since))
      from = Math.max(from, Math.floor(options.since / resolutionMs));
    const tools: Record<string, SeriesWindow> = {};
    for (const [key, tool] of this.#tools) tools[key] = pick(tool).window(from, to);
    const t: number[] = [];
    for (let bucket = from; bucket <= to; bucket++) t.push((bucket * resolutionMs) / 1000);
    return { bucketMs: resolutionMs, t, tools };
  }
}
