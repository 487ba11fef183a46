import { DiagLogLevel, diag, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import {
  CallLogObserver,
  createLogging,
  loggingConfigSchema,
  logLevelFrom,
  OtelLogStream,
  PinoDiagLogger,
  traceFields,
} from '../../src/logging/index.js';
import type { CallObservation } from '../../src/pipeline/index.js';

const SPAN = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};
const CONTEXT = trace.setSpanContext(ROOT_CONTEXT, SPAN);

/** A pino destination that keeps the parsed lines. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return {
    lines,
    stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  };
}

function observation(overrides: Partial<CallObservation> = {}): CallObservation {
  return {
    ref: { service: 'svc', tool: 'echo', key: 'svc/echo' },
    agent: undefined,
    startTime: 0,
    durationMs: 12.34,
    queueWaitMs: 0,
    inFlightAtStart: 0,
    inputBytes: 10,
    outputBytes: 10,
    outcome: 'success',
    errorType: undefined,
    attempts: 1,
    traceContext: CONTEXT,
    ...overrides,
  } as CallObservation;
}

describe('logging', () => {
  it('TOOLSCOPE_LOG_LEVEL wins over the config level, diag names included', () => {
    const config = loggingConfigSchema.parse({ level: 'warn' });
    expect(logLevelFrom(config, {})).toBe('warn');
    expect(logLevelFrom(config, { TOOLSCOPE_LOG_LEVEL: 'debug' })).toBe('debug');
    expect(logLevelFrom(config, { TOOLSCOPE_LOG_LEVEL: 'none' })).toBe('silent');
    expect(logLevelFrom(config, { TOOLSCOPE_LOG_LEVEL: 'verbose' })).toBe('trace');
    expect(loggingConfigSchema.parse({}).level).toBe('info');
  });

  it('writes JSON lines with the level name, an ISO time and the message', () => {
    const { lines, stream } = capture();
    const { logger } = createLogging({ config: loggingConfigSchema.parse({}), env: {}, destination: stream });
    logger.info({ service: 'x' }, 'hello');
    logger.debug('not at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'toolscope', service: 'x', msg: 'hello' });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("traceFields gives a span context's ids, and nothing without one", () => {
    expect(traceFields(CONTEXT)).toEqual({ trace_id: SPAN.traceId, span_id: SPAN.spanId, trace_flags: '01' });
    expect(traceFields(ROOT_CONTEXT)).toEqual({});
    expect(traceFields(undefined)).toEqual({});
  });

  it('logs one debug line per call with its trace ids, and nothing per call at the default level', () => {
    const quiet = capture();
    const info = createLogging({ config: loggingConfigSchema.parse({}), env: {}, destination: quiet.stream });
    new CallLogObserver(info.logger).onObservation(observation());
    expect(quiet.lines).toEqual([]);
    const loud = capture();
    const debug = createLogging({
      config: loggingConfigSchema.parse({ level: 'debug' }),
      env: {},
      destination: loud.stream,
    });
    new CallLogObserver(debug.logger).onObservation(
      observation({ outcome: 'tool_error', errorType: 'tool_error' }),
    );
    expect(loud.lines[0]).toMatchObject({
      level: 'debug',
      msg: 'tool call',
      trace_id: SPAN.traceId,
      span_id: SPAN.spanId,
      service: 'svc',
      tool: 'echo',
      outcome: 'tool_error',
      durationMs: 12.3,
    });
  });

  it('turns pino lines into OpenTelemetry log records carrying the trace context', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    const stream = new OtelLogStream(provider.getLogger('test'));
    const { logger } = createLogging({
      config: loggingConfigSchema.parse({ level: 'debug' }),
      env: {},
      destination: stream,
    });
    logger.child(traceFields(CONTEXT)).warn({ tool: 'echo', count: 2, nested: { a: 1 } }, 'slow call');
    stream.write('not json');
    await provider.forceFlush();
    const [record] = exporter.getFinishedLogRecords();
    expect(exporter.getFinishedLogRecords()).toHaveLength(1);
    expect(record?.body).toBe('slow call');
    expect(record?.severityNumber).toBe(SeverityNumber.WARN);
    expect(record?.attributes).toMatchObject({ tool: 'echo', count: 2, nested: '{"a":1}' });
    expect(record?.spanContext?.traceId).toBe(SPAN.traceId);
    expect(record?.spanContext?.spanId).toBe(SPAN.spanId);
  });

  it('routes OpenTelemetry diag through pino', () => {
    const { lines, stream } = capture();
    const { logger } = createLogging({ config: loggingConfigSchema.parse({}), env: {}, destination: stream });
    diag.setLogger(new PinoDiagLogger(logger), {
      logLevel: DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
    try {
      diag.warn('toolscope: upstream went away', new Error('boom'), 'extra');
      diag.info('not at warn');
    } finally {
      diag.disable();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'toolscope: upstream went away', args: ['extra'] });
    expect(lines[0]?.err).toMatchObject({ message: 'boom' });
  });
});
