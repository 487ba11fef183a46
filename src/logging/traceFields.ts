import { type Context, isSpanContextValid, trace } from '@opentelemetry/api';

/** The trace fields of a log line (OpenTelemetry's log data model names, as pino/Bunyan bridges write them). */
export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

const NONE: TraceFields = Object.freeze({});

/**
 * `trace_id`, `span_id` and `trace_flags` of the span in `context`, for a log
 * line written inside that span; an empty object when there is none. Context is
 * passed explicitly because the gateway runs without a context manager.
 */
export function traceFields(context: Context | undefined): TraceFields {
  if (context === undefined) return NONE;
  const span = trace.getSpanContext(context);
  if (span === undefined || !isSpanContextValid(span)) return NONE;
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    trace_flags: span.traceFlags.toString(16).padStart(2, '0'),
  };
}
