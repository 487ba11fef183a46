import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import type { Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LoggingConfig, LogLevel } from './loggingConfigSchema.js';
import { OtelLogStream } from './OtelLogStream.js';

/** How toolscope's logging is set up. */
export interface LoggingOptions {
  config: LoggingConfig;
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** Where JSON lines go. @default stderr (stdout may carry MCP), written synchronously */
  destination?: DestinationStream;
  /** Resource of exported log records (the telemetry setup's, so logs and spans name the same service). */
  resource?: Resource;
  /** toolscope's version (instrumentation scope of exported records). */
  version?: string;
}

/** toolscope's logger and what it owns. */
export interface Logging {
  readonly logger: Logger;
  readonly level: LogLevel;
  /** True when records are also exported over OTLP. */
  readonly exporting: boolean;
  /** Flush and stop the OTLP export (bounded). */
  shutdown(): Promise<void>;
}

/**
 * The level in effect: `TOOLSCOPE_LOG_LEVEL` (pino names, or diag names:
 * `none`, `verbose`, `all`) wins over the config's `level`.
 */
export function logLevelFrom(config: LoggingConfig, env: Record<string, string | undefined>): LogLevel {
  switch ((env.TOOLSCOPE_LOG_LEVEL ?? '').toLowerCase()) {
    case 'none':
    case 'silent':
      return 'silent';
    case 'verbose':
    case 'all':
    case 'trace':
      return 'trace';
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
      return 'warn';
    case 'error':
      return 'error';
    case 'fatal':
      return 'fatal';
    default:
      return config.level;
  }
}

/**
 * Structured JSON logs with pino: one line per record, level names as text, ISO
 * times, on stderr. With `logging.otlp` (or `OTEL_LOGS_EXPORTER=otlp`) records
 * also go over OTLP/HTTP through an OpenTelemetry LoggerProvider on the same
 * resource as traces and metrics (endpoint from the standard `OTEL_EXPORTER_OTLP_*`
 * variables). `OTEL_SDK_DISABLED=true` turns the export off.
 */
export function createLogging(options: LoggingOptions): Logging {
  const env = options.env ?? process.env;
  const level = logLevelFrom(options.config, env);
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const exporters = (env.OTEL_LOGS_EXPORTER ?? '').split(',').map((item) => item.trim());
  const exporting =
    env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true' &&
    !exporters.includes('none') &&
    (options.config.otlp || exporters.includes('otlp'));
  let provider: LoggerProvider | undefined;
  let stream: DestinationStream = destination;
  if (exporting) {
    provider = new LoggerProvider({
      ...(options.resource ? { resource: options.resource } : {}),
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })],
    });
    stream = pino.multistream([
      { level, stream: destination },
      { level, stream: new OtelLogStream(provider.getLogger('toolscope', options.version)) },
    ]);
  }
  const logger = pino(
    {
      name: 'toolscope',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return {
    logger,
    level,
    exporting,
    async shutdown() {
      if (!provider) return;
      await Promise.race([
        provider.shutdown().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
    },
  };
}
