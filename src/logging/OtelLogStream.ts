import { type Attributes, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { type Logger as OtelLogger, SeverityNumber } from '@opentelemetry/api-logs';

/** pino's level labels → OpenTelemetry severity. */
const SEVERITY: Readonly<Record<string, SeverityNumber>> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

/** Fields of a pino line that are not attributes of the log record. */
const RESERVED = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'name',
  'trace_id',
  'span_id',
  'trace_flags',
]);

/**
 * A pino destination that turns each JSON line into an OpenTelemetry log record
 * (severity, body, attributes, and the trace context from `trace_id`/`span_id`),
 * so records exported over OTLP correlate with spans in the backend. Lines are
 * rare (nothing per call at the default level), so parsing each is acceptable;
 * a line that cannot be parsed is dropped, never thrown.
 */
export class OtelLogStream {
  readonly #logger: OtelLogger;

  constructor(logger: OtelLogger) {
    this.#logger = logger;
  }

  write(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = String(record.level ?? 'info');
    const attributes: Attributes = {};
    for (const [key, value] of Object.entries(record)) {
      if (RESERVED.has(key)) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        attributes[key] = value;
      else if (value !== null && value !== undefined) attributes[key] = JSON.stringify(value);
    }
    const traceId = record.trace_id;
    const spanId = record.span_id;
    const context =
      typeof traceId === 'string' && typeof spanId === 'string'
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId,
            spanId,
            traceFlags: record.trace_flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE,
            isRemote: false,
          })
        : undefined;
    const time =
      typeof record.time === 'string' || typeof record.time === 'number' ? new Date(record.time) : undefined;
    this.#logger.emit({
      severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
      severityText: level.toUpperCase(),
      body: typeof record.msg === 'string' ? record.msg : '',
      attributes,
      ...(time && !Number.isNaN(time.getTime()) ? { timestamp: time } : {}),
      ...(context ? { context } : {}),
    });
  }
}
