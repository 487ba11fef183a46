import type { CallObservation } from '../pipeline/CallObservation.js';

/**
 * What limits a tool, as far as its calls show:
 * - `cpu_bound`: most of a call's wall time is on a CPU (more concurrency than cores buys nothing);
 * - `io_bound`: calls mostly wait (network, disk, a dependency): concurrency is what scales them;
 * - `memory_heavy`: calls allocate a lot, or the upstream's memory keeps growing;
 * - `mixed`: in between;
 * - `unknown`: too few calls with CPU figures yet.
 */
export type LoadPattern = 'cpu_bound' | 'io_bound' | 'memory_heavy' | 'mixed' | 'unknown';

/** A tool's load profile: the pattern and the figures behind it. */
export interface LoadProfile {
  readonly pattern: LoadPattern;
  /** CPU time / execution time, weighted towards recent calls (≈ cores kept busy by one call). */
  readonly cpuRatio: number | undefined;
  /** Heap allocated per call, weighted towards recent calls, bytes. */
  readonly heapPerCallBytes: number | undefined;
  /** Growth of the upstream's resident memory, bytes per minute (weighted least squares). */
  readonly memoryTrendBytesPerMin: number | undefined;
  /** Calls that contributed CPU figures. */
  readonly samples: number;
}

export interface LoadPatternClassifierOptions {
  /** CPU ratio at or above which a tool is CPU-bound. @default 0.6 */
  readonly cpuBoundRatio?: number;
  /** CPU ratio at or below which a tool is I/O-bound. @default 0.2 */
  readonly ioBoundRatio?: number;
  /** Heap allocated per call at or above which a tool is memory-heavy. @default 8 MiB */
  readonly heavyHeapBytes?: number;
  /** Memory growth at or above which a tool is memory-heavy. @default 16 MiB per minute */
  readonly heavyTrendBytesPerMin?: number;
  /** Weight half-life, in calls. @default 200 */
  readonly halfLifeCalls?: number;
  /** Calls with CPU figures needed before classifying. @default 20 */
  readonly minSamples?: number;
}

interface ToolStats {
  cpuRatio: number;
  heap: number;
  heapSeen: boolean;
  samples: number;
  // Exponentially weighted sums for the memory trend (time in minutes relative to t0).
  t0: number;
  sw: number;
  st: number;
  sm: number;
  stt: number;
  stm: number;
}

/**
 * Classifies each tool's load pattern from its observations: the CPU/latency ratio says
 * CPU- or I/O-bound, heap per call and the upstream memory trend say memory-heavy. O(1) per
 * observation (exponentially weighted sums, no history kept).
 */
export class LoadPatternClassifier {
  readonly #tools = new Map<string, ToolStats>();
  readonly #o: Required<LoadPatternClassifierOptions>;
  readonly #alpha: number;

  constructor(options: LoadPatternClassifierOptions = {}) {
    this.#o = {
      cpuBoundRatio: options.cpuBoundRatio ?? 0.6,
      ioBoundRatio: options.ioBoundRatio ?? 0.2,
      heavyHeapBytes: options.heavyHeapBytes ?? 8 * 1024 * 1024,
      heavyTrendBytesPerMin: options.heavyTrendBytesPerMin ?? 16 * 1024 * 1024,
      halfLifeCalls: options.halfLifeCalls ?? 200,
      minSamples: options.minSamples ?? 20,
    };
    this.#alpha = 1 - 2 ** (-1 / this.#o.halfLifeCalls);
  }

  observe(observation: CallObservation): void {
    if (observation.outcome === 'error') return; // refused or failed calls say nothing about the work
    const s = this.#stats(observation.ref.key, observation.startTime);
    const a = this.#alpha;
    const execMs = observation.durationMs - observation.queueWaitMs;
    const cpuMicros = (observation.cpuUserMicros ?? 0) + (observation.cpuSystemMicros ?? 0);
    if (
      execMs > 0 &&
      (observation.cpuUserMicros !== undefined || observation.cpuSystemMicros !== undefined)
    ) {
      // A process-level figure is the whole process's CPU while the call ran: how busy the process
      // was is what says CPU- or I/O-bound. Split per call it would call a CPU-bound server that
      // queues calls internally "I/O-bound" (each call mostly waits — for the CPU).
      const window = observation.cpuWindowMs;
      const processLevel = (observation.cpuAttribution ?? 'call') !== 'call';
      const ratio =
        processLevel && window !== undefined && window > 0
          ? cpuMicros / 1000 / window
          : cpuMicros / 1000 / execMs;
      s.cpuRatio = s.samples === 0 ? ratio : s.cpuRatio + a * (ratio - s.cpuRatio);
      s.samples++;
    }
    if (observation.heapAllocatedBytes !== undefined) {
      s.heap = s.heapSeen
        ? s.heap + a * (observation.heapAllocatedBytes - s.heap)
        : observation.heapAllocatedBytes;
      s.heapSeen = true;
    }
    if (observation.upstreamRssBytes !== undefined) {
      const t = (observation.startTime + observation.durationMs - s.t0) / 60_000;
      const m = observation.upstreamRssBytes;
      const decay = 1 - a;
      s.sw = s.sw * decay + 1;
      s.st = s.st * decay + t;
      s.sm = s.sm * decay + m;
      s.stt = s.stt * decay + t * t;
      s.stm = s.stm * decay + t * m;
    }
  }

  /** Tool keys (`service/tool`) seen so far. */
  toolKeys(): IterableIterator<string> {
    return this.#tools.keys();
  }

  /** The profile of one tool (`ref.key`). */
  profile(toolKey: string): LoadProfile {
    const s = this.#tools.get(toolKey);
    if (s === undefined) {
      return {
        pattern: 'unknown',
        cpuRatio: undefined,
        heapPerCallBytes: undefined,
        memoryTrendBytesPerMin: undefined,
        samples: 0,
      };
    }
    const denominator = s.sw * s.stt - s.st * s.st;
    const trend = s.sw >= 3 && denominator > 1e-12 ? (s.sw * s.stm - s.st * s.sm) / denominator : undefined;
    const heap = s.heapSeen ? s.heap : undefined;
    const cpu = s.samples > 0 ? s.cpuRatio : undefined;
    const o = this.#o;
    let pattern: LoadPattern = 'unknown';
    if (
      (heap !== undefined && heap >= o.heavyHeapBytes) ||
      (trend !== undefined && trend >= o.heavyTrendBytesPerMin)
    ) {
      pattern = 'memory_heavy';
    } else if (cpu !== undefined && s.samples >= o.minSamples) {
      pattern = cpu >= o.cpuBoundRatio ? 'cpu_bound' : cpu <= o.ioBoundRatio ? 'io_bound' : 'mixed';
    }
    return {
      pattern,
      cpuRatio: cpu,
      heapPerCallBytes: heap,
      memoryTrendBytesPerMin: trend,
      samples: s.samples,
    };
  }

  #stats(key: string, time: number): ToolStats {
    let s = this.#tools.get(key);
    if (s === undefined) {
      s = {
        cpuRatio: 0,
        heap: 0,
        heapSeen: false,
        samples: 0,
        t0: time,
        sw: 0,
        st: 0,
        sm: 0,
        stt: 0,
        stm: 0,
      };
      this.#tools.set(key, s);
    }
    return s;
  }
}
