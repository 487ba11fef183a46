import { trace } from '@opentelemetry/api';
import type { CallObservation, CallObserver } from '../pipeline/index.js';
import * as ts from './toolscopeNames.js';

/**
 * Puts toolscope's view of a call (queue wait, in-flight, attempts, CPU, heap, GC,
 * event-loop delay, upstream RSS) on the span it runs in: the SERVER span of the
 * request. That span ends with the answer, so this observer must run before the
 * answer leaves (`subscribe(…, { beforeAnswer: true })`). It costs next to
 * nothing when the span is not recorded.
 */
export class CallSpanAnnotator implements CallObserver {
  readonly #admission: boolean;

  /**
   * @param options.admission Calls pass an admit stage, so queue wait and in-flight figures mean
   *   something (not so for in-process instrumentation). @default true
   */
  constructor(options: { admission?: boolean } = {}) {
    this.#admission = options.admission ?? true;
  }

  onObservation(o: CallObservation): void {
    const admission = this.#admission;
    const span = o.traceContext ? trace.getSpan(o.traceContext) : trace.getActiveSpan();
    if (!span?.isRecording()) return;
    span.setAttribute(ts.ATTR_TS_SERVICE, o.ref.service);
    if (admission) {
      span.setAttribute(ts.ATTR_TS_QUEUE_WAIT, o.queueWaitMs / 1000);
      span.setAttribute(ts.ATTR_TS_IN_FLIGHT, o.inFlightAtStart);
    }
    if (o.errorType) span.setAttribute(ts.ATTR_TS_ERROR_TYPE, o.errorType);
    if (o.attempts > 1) span.setAttribute(ts.ATTR_TS_ATTEMPTS, o.attempts);
    if (o.cpuUserMicros !== undefined) {
      span.setAttribute(ts.ATTR_TS_CPU_USER_TIME, o.cpuUserMicros / 1e6);
      if (o.cpuSystemMicros !== undefined)
        span.setAttribute(ts.ATTR_TS_CPU_SYSTEM_TIME, o.cpuSystemMicros / 1e6);
      span.setAttribute(ts.ATTR_TS_CPU_ATTRIBUTION, o.cpuAttribution ?? 'call');
    }
    if (o.heapAllocatedBytes !== undefined)
      span.setAttribute(ts.ATTR_TS_HEAP_ALLOCATED, o.heapAllocatedBytes);
    if (o.gcOverlapMs !== undefined) span.setAttribute(ts.ATTR_TS_GC_OVERLAP, o.gcOverlapMs / 1000);
    if (o.eventLoopDelayMs !== undefined)
      span.setAttribute(ts.ATTR_TS_EVENT_LOOP_DELAY, o.eventLoopDelayMs / 1000);
    if (o.upstreamRssBytes !== undefined) span.setAttribute(ts.ATTR_TS_UPSTREAM_RSS, o.upstreamRssBytes);
  }
}
