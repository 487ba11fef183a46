import type { Attributes } from '@opentelemetry/api';
import type { CallObservation, CallObserver } from '../pipeline/index.js';
import { BYTES_BUCKETS, TOOLSCOPE_SECONDS_BUCKETS } from './instruments.js';
import type { HistogramRecorder, HistogramSource } from './LocalHistograms.js';
import { ATTR_ERROR_TYPE, ATTR_GEN_AI_TOOL_NAME } from './semconv.js';
import * as ts from './toolscopeNames.js';

interface ToolAttributes {
  base: Attributes;
  byError: Map<string, Attributes>;
  cpu: Map<string, Attributes>;
}

/**
 * Records every finished call as `toolscope.*` histograms (duration by
 * toolscope's error classes, queue wait, CPU, heap, GC, event-loop delay).
 * Attribute objects are built once per tool and reused. {@link CallSpanAnnotator}
 * puts the same figures on the call's span.
 */
export class ObservationMetrics implements CallObserver {
  readonly #duration: HistogramRecorder;
  readonly #queueWait: HistogramRecorder;
  readonly #cpuUser: HistogramRecorder;
  readonly #cpuSystem: HistogramRecorder;
  readonly #heap: HistogramRecorder;
  readonly #gc: HistogramRecorder;
  readonly #eventLoop: HistogramRecorder;
  readonly #tools = new Map<string, ToolAttributes>();
  readonly #admission: boolean;

  /**
   * @param options.admission Calls pass an admit stage, so queue wait and in-flight figures mean
   *   something. In-process instrumentation has none: it skips that histogram and those span
   *   attributes (a constant 0 per call costs a measurement and says nothing). @default true
   */
  constructor(meter: HistogramSource, options: { admission?: boolean } = {}) {
    this.#admission = options.admission ?? true;
    const seconds = { explicitBucketBoundaries: [...TOOLSCOPE_SECONDS_BUCKETS] };
    this.#duration = meter.createHistogram(ts.METRIC_TS_CALL_DURATION, {
      unit: 's',
      description: 'Tool call duration through toolscope, including queue wait and retries.',
      advice: {
        explicitBucketBoundaries: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      },
    });
    this.#queueWait = meter.createHistogram(ts.METRIC_TS_POOL_QUEUE_WAIT, {
      unit: 's',
      description: 'Time calls waited for a pool slot.',
      advice: seconds,
    });
    this.#cpuUser = meter.createHistogram(ts.METRIC_TS_CPU_USER_TIME, {
      unit: 's',
      description: 'CPU user time per call.',
      advice: seconds,
    });
    this.#cpuSystem = meter.createHistogram(ts.METRIC_TS_CPU_SYSTEM_TIME, {
      unit: 's',
      description: 'CPU system time per call.',
      advice: seconds,
    });
    this.#heap = meter.createHistogram(ts.METRIC_TS_HEAP_ALLOCATED, {
      unit: 'By',
      description: 'JS heap allocated per call (estimate).',
      advice: { explicitBucketBoundaries: [...BYTES_BUCKETS] },
    });
    this.#gc = meter.createHistogram(ts.METRIC_TS_GC_OVERLAP, {
      unit: 's',
      description: 'GC pause time overlapping a call.',
      advice: seconds,
    });
    this.#eventLoop = meter.createHistogram(ts.METRIC_TS_EVENT_LOOP_DELAY, {
      unit: 's',
      description: 'Largest event-loop delay seen during a call.',
      advice: seconds,
    });
  }

  onObservation(o: CallObservation): void {
    const tool = this.#toolAttributes(o);
    const errorKey = o.errorType ?? '';
    let withError = tool.byError.get(errorKey);
    if (!withError) {
      withError = o.errorType ? { ...tool.base, [ATTR_ERROR_TYPE]: o.errorType } : tool.base;
      if (o.agent) withError = { ...withError, [ts.ATTR_TS_AGENT]: o.agent };
      tool.byError.set(errorKey, withError);
    }
    // With the call's trace: an exported trace becomes the exemplar of its bucket.
    this.#duration.record(o.durationMs / 1000, withError, o.traceContext);
    if (this.#admission) this.#queueWait.record(o.queueWaitMs / 1000, tool.base);
    if (o.cpuUserMicros !== undefined) {
      const attribution = o.cpuAttribution ?? 'call';
      let cpu = tool.cpu.get(attribution);
      if (!cpu) {
        cpu = { ...tool.base, [ts.ATTR_TS_CPU_ATTRIBUTION]: attribution };
        tool.cpu.set(attribution, cpu);
      }
      this.#cpuUser.record(o.cpuUserMicros / 1e6, cpu);
      if (o.cpuSystemMicros !== undefined) this.#cpuSystem.record(o.cpuSystemMicros / 1e6, cpu);
    }
    if (o.heapAllocatedBytes !== undefined) this.#heap.record(o.heapAllocatedBytes, tool.base);
    if (o.gcOverlapMs !== undefined) this.#gc.record(o.gcOverlapMs / 1000, tool.base);
    if (o.eventLoopDelayMs !== undefined) this.#eventLoop.record(o.eventLoopDelayMs / 1000, tool.base);
  }

  #toolAttributes(o: CallObservation): ToolAttributes {
    let tool = this.#tools.get(o.ref.key);
    if (!tool) {
      tool = {
        base: { [ts.ATTR_TS_SERVICE]: o.ref.service, [ATTR_GEN_AI_TOOL_NAME]: o.ref.tool },
        byError: new Map(),
        cpu: new Map(),
      };
      // Past this many tools the metric's own cardinality limit folds the rest into overflow.
      if (this.#tools.size < 10_000) this.#tools.set(o.ref.key, tool);
    }
    return tool;
  }
}
