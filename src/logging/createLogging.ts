import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import type { Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogFormat, LoggingConfig, LogLevel } from './loggingConfigSchema.js';
import { OtelLogStream } from './OtelLogStream.js';
import { TextLogStream } from './TextLogStream.js';

/** How toolscope's logging is set up. */
export interface LoggingOptions {
  config: LoggingConfig;
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** Where lines go, in the chosen format. @default stderr (stdout may carry MCP), written synchronously */
  destination?: DestinationStream;
  /** Whether a person reads the lines at a terminal (picks the default format). @default process.stderr.isTTY */
  isTTY?: boolean;
  /** Resource of exported log records (the telemetry setup's, so logs and spans name the same service). */
  resource?: Resource;
  /** toolscope's version (instrumentation scope of exported records). */
  version?: string;
}

/** toolscope's logger and what it owns. */
export interface Logging {
  readonly logger: Logger;
  readonly level: LogLevel;
  readonly format: LogFormat;
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
 * The format in effect: `TOOLSCOPE_LOG_FORMAT` (`json` or `text`), else the config's
 * `format`, else text for a terminal and JSON for anything else (an agent's log file,
 * a container, a pipe).
 */
export function logFormatFrom(
  config: LoggingConfig,
  env: Record<string, string | undefined>,
  isTTY: boolean,
): LogFormat {
  const chosen = (env.TOOLSCOPE_LOG_FORMAT ?? '').trim().toLowerCase();
  if (chosen === 'json' || chosen === 'text') return chosen;
  return config.format ?? (isTTY ? 'text' : 'json');
}

/**
 * toolscope's logs with pino: one line per record on stderr, as JSON (level names
 * as text, ISO times, `name: "toolscope"`) or as text (see `logFormatFrom`). With `logging.otlp` (or `OTEL_LOGS_EXPORTER=otlp`) records
 * also go over OTLP/HTTP through an OpenTelemetry LoggerProvider on the same
 * resource as traces and metrics (endpoint from the standard `OTEL_EXPORTER_OTLP_*`
 * variables). `OTEL_SDK_DISABLED=true` turns the export off.
 */
export function createLogging(options: LoggingOptions): Logging {
  const env = options.env ?? process.env;
  const level = logLevelFrom(options.config, env);
  const format = logFormatFrom(options.config, env, options.isTTY ?? process.stderr.isTTY === true);
  const raw = options.destination ?? pino.destination({ dest: 2, sync: true });
  const destination = format === 'text' ? new TextLogStream(raw) : raw;
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
    format,
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
