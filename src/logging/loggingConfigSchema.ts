import { z } from 'zod';

/** Log levels, most to least verbose; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `toolscope.logging`: toolscope's own structured logs (JSON lines on stderr,
 * stdout being the MCP channel in stdio mode). `TOOLSCOPE_LOG_LEVEL` wins over
 * `level`; `OTEL_LOGS_EXPORTER=otlp` turns `otlp` on.
 */
export const loggingConfigSchema = z.strictObject({
  /**
   * Lowest level written. Per-call lines (one per tool call, one per HTTP API
   * request) are `debug`, so the default costs nothing per call. @default "info"
   */
  level: z.enum(LOG_LEVELS).default('info'),
  /** Also export log records over OTLP/HTTP (to OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT). @default false */
  otlp: z.boolean().default(false),
});

export type LoggingConfig = z.infer<typeof loggingConfigSchema>;
