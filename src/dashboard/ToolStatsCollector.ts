import type { CallObservation, CallObserver } from '../pipeline/index.js';

/** Summary figures of one tool. Times in milliseconds. */
export interface ToolSummary {
  key: string;
  service: string;
  tool: string;
  calls: number;
  errors: number;
  toolErrors: number;
  /** Calls by error type (`timeout`, `overloaded`, …). */
  errorTypes: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  queueWaitP95: number;
  /** Mean CPU per call (µs), when profiling measured it. */
  cpuMicrosMean: number | undefined;
  /** Mean heap allocated per call (bytes), when profiling measured it. */
  heapBytesMean: number | undefined;
}

/** Fixed-size ring of recent values: memory stays bounded whatever the call volume. */
class Ring {
  readonly #values: Float64Array;
  #next = 0;
  #size = 0;
  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }
  push(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#size < this.#values.length) this.#size++;
  }
  sorted(): Float64Array {
    return this.#values.slice(0, this.#size).sort();
  }
}

class ToolAccumulator {
  calls = 0;
  errors = 0;
  toolErrors = 0;
  readonly errorTypes: Record<string, number> = {};
  readonly durations: Ring;
  readonly queueWaits: Ring;
  cpuSum = 0;
  cpuCount = 0;
  heapSum = 0;
  heapCount = 0;
  constructor(
    readonly service: string,
    readonly tool: string,
    capacity: number,
  ) {
    this.durations = new Ring(capacity);
    this.queueWaits = new Ring(capacity);
  }
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Per-tool call counts and latency percentiles over the most recent calls
 * (a bounded window per tool), for summaries and the status API.
 */
export class ToolStatsCollector implements CallObserver {
  readonly #tools = new Map<string, ToolAccumulator>();
  readonly #capacity: number;

  /** @param capacity recent calls kept per tool for percentiles. @default 4096 */
  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  onObservation(observation: CallObservation): void {
    const { ref } = observation;
    let tool = this.#tools.get(ref.key);
    if (!tool) {
      tool = new ToolAccumulator(ref.service, ref.tool, this.#capacity);
      this.#tools.set(ref.key, tool);
    }
    tool.calls++;
    if (observation.outcome !== 'success') {
      if (observation.outcome === 'tool_error') tool.toolErrors++;
      else tool.errors++;
      const type = observation.errorType ?? 'internal';
      tool.errorTypes[type] = (tool.errorTypes[type] ?? 0) + 1;
    }
    tool.durations.push(observation.durationMs);
    tool.queueWaits.push(observation.queueWaitMs);
    if (observation.cpuUserMicros !== undefined) {
      tool.cpuSum += observation.cpuUserMicros + (observation.cpuSystemMicros ?? 0);
      tool.cpuCount++;
    }
    if (observation.heapAllocatedBytes !== undefined) {
      tool.heapSum += observation.heapAllocatedBytes;
      tool.heapCount++;
    }
  }

  /** One summary per tool seen, sorted by key. */
  summaries(): ToolSummary[] {
    return [...this.#tools.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, tool]) => {
        const durations = tool.durations.sorted();
        const waits = tool.queueWaits.sorted();
        return {
          key,
          service: tool.service,
          tool: tool.tool,
          calls: tool.calls,
          errors: tool.errors,
          toolErrors: tool.toolErrors,
          errorTypes: { ...tool.errorTypes },
          p50: percentile(durations, 0.5),
          p95: percentile(durations, 0.95),
          p99: percentile(durations, 0.99),
          queueWaitP95: percentile(waits, 0.95),
          cpuMicrosMean: tool.cpuCount > 0 ? tool.cpuSum / tool.cpuCount : undefined,
          heapBytesMean: tool.heapCount > 0 ? tool.heapSum / tool.heapCount : undefined,
        };
      });
  }
}
