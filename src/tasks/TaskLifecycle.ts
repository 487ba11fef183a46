import {
  type Attributes,
  type Context,
  type Histogram,
  isSpanContextValid,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR_GEN_AI_TOOL_NAME } from '../telemetry/semconv.js';
import {
  ATTR_TS_SERVICE,
  ATTR_TS_TASK_END_REASON,
  ATTR_TS_TASK_ID,
  ATTR_TS_TASK_STATUS,
  ATTR_TS_TASK_UPSTREAM_ID,
  EVENT_TS_TASK_STATUS,
  METRIC_TS_TASK_DURATION,
  SPAN_TS_TASK,
} from '../telemetry/toolscopeNames.js';
import type { TaskEntry, TaskTransition } from './TaskRegistry.js';
import { isTerminal } from './taskMessages.js';

/** Why a lifecycle span ended before the gateway saw a terminal status. */
export type TaskEndReason = 'expired' | 'evicted' | 'shutdown';

/**
 * Traces each task's life as one span, `toolscope.task {tool}`, from its
 * creation to the terminal status the gateway sees (in a `tasks/get`,
 * `tasks/result`, `tasks/cancel` or `tasks/list` answer, or a status
 * notification), linked to the `tools/call` that created it, with an event per
 * status change timed when the receiver says it happened; and records
 * `toolscope.task.duration`. A task's work outlives the call that created it, so
 * its span starts a trace of its own rather than hanging off a finished parent;
 * the originating call's span gets the task's id.
 */
export class TaskLifecycle {
  readonly #tracer: Tracer;
  readonly #duration: Histogram | undefined;

  constructor(tracer: Tracer, meter: Meter | undefined) {
    this.#tracer = tracer;
    this.#duration = meter?.createHistogram(METRIC_TS_TASK_DURATION, {
      unit: 's',
      description: 'Lifetime of tasks created through the gateway, from creation to their terminal status.',
    });
  }

  /** A task was created by the call running in `origin` (the call's SERVER span context). */
  started(entry: TaskEntry, origin: Context | undefined): void {
    const originSpan = origin ? trace.getSpan(origin) : undefined;
    originSpan?.setAttribute(ATTR_TS_TASK_ID, entry.id);
    const link = originSpan?.spanContext();
    const span = this.#tracer.startSpan(
      `${SPAN_TS_TASK} ${entry.exposedName}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: entry.createdAt,
        root: true,
        links: link && isSpanContextValid(link) ? [{ context: link }] : [],
        attributes: {
          [ATTR_TS_TASK_ID]: entry.id,
          [ATTR_TS_TASK_UPSTREAM_ID]: entry.upstreamId,
          [ATTR_TS_SERVICE]: entry.service,
          [ATTR_GEN_AI_TOOL_NAME]: entry.tool,
          [ATTR_TS_TASK_STATUS]: entry.status,
        },
      },
      ROOT_CONTEXT,
    );
    span.addEvent(EVENT_TS_TASK_STATUS, { [ATTR_TS_TASK_STATUS]: entry.status }, entry.createdAt);
    entry.trace = span;
    if (isTerminal(entry.status)) this.#end(entry, span, entry.lastUpdatedAt, undefined);
  }

  /** The gateway saw a status change. */
  changed(entry: TaskEntry, transition: TaskTransition): void {
    const span = entry.trace as Span | undefined;
    if (!span) return;
    const at = Math.max(transition.at, entry.createdAt);
    span.addEvent(EVENT_TS_TASK_STATUS, { [ATTR_TS_TASK_STATUS]: transition.to }, at);
    span.setAttribute(ATTR_TS_TASK_STATUS, transition.to);
    if (isTerminal(transition.to)) this.#end(entry, span, at, undefined);
  }

  /** The gateway stops following the task before seeing it end. */
  abandoned(entry: TaskEntry, reason: TaskEndReason, now: number): void {
    const span = entry.trace as Span | undefined;
    if (!span) return;
    this.#end(entry, span, now, reason);
  }

  #end(entry: TaskEntry, span: Span, at: number, reason: TaskEndReason | undefined): void {
    entry.trace = undefined;
    if (reason) span.setAttribute(ATTR_TS_TASK_END_REASON, reason);
    if (entry.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(Math.max(at, entry.createdAt));
    if (reason === undefined && this.#duration) {
      const attributes: Attributes = {
        [ATTR_TS_SERVICE]: entry.service,
        [ATTR_GEN_AI_TOOL_NAME]: entry.tool,
        [ATTR_TS_TASK_STATUS]: entry.status,
      };
      this.#duration.record(Math.max(0, at - entry.createdAt) / 1000, attributes);
    }
  }
}
