import { inspect } from 'node:util';
import { type ExportResult, ExportResultCode, hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * `OTEL_TRACES_EXPORTER=console` for a process whose stdout may turn out to carry
 * MCP (an app instrumented with `toolscope/register`: an agent that is only a client
 * has stdout free, a stdio server does not). Each span is printed as the SDK's
 * `ConsoleSpanExporter` prints it, on stdout while `stdoutIsProtocol()` is false and
 * on stderr once it is true, never corrupting the protocol.
 */
export class StdioSafeConsoleExporter implements SpanExporter {
  readonly #stdoutIsProtocol: () => boolean;

  constructor(stdoutIsProtocol: () => boolean) {
    this.#stdoutIsProtocol = stdoutIsProtocol;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const out = this.#stdoutIsProtocol() ? process.stderr : process.stdout;
    for (const span of spans) out.write(`${inspect(info(span), { depth: 3 })}\n`);
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** The fields `ConsoleSpanExporter` prints. */
function info(span: ReadableSpan) {
  const context = span.spanContext();
  return {
    resource: { attributes: span.resource.attributes },
    instrumentationScope: span.instrumentationScope,
    traceId: context.traceId,
    parentSpanContext: span.parentSpanContext,
    traceState: context.traceState?.serialize(),
    name: span.name,
    id: context.spanId,
    kind: span.kind,
    timestamp: hrTimeToMicroseconds(span.startTime),
    duration: hrTimeToMicroseconds(span.duration),
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links,
  };
}
