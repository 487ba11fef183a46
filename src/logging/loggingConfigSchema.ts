import { z } from 'zod';

/** Log levels, most to least verbose; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How each log line is written: a JSON object (for machines), or text (for a person at a terminal). */
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * `toolscope.logging`: toolscope's own logs, one line per event on stderr (stdout
 * being the MCP channel in stdio mode). `TOOLSCOPE_LOG_LEVEL` wins over `level`,
 * `TOOLSCOPE_LOG_FORMAT` over `format`; `OTEL_LOGS_EXPORTER=otlp` turns `otlp` on.
 */
export const loggingConfigSchema = z.strictObject({
  /**
   * Lowest level written. Per-call lines (one per tool call, one per HTTP API
   * request) are `debug`, so the default costs nothing per call. @default "info"
   */
  level: z.enum(LOG_LEVELS).default('info'),
  /**
   * `json` (one JSON object per line) or `text` (one readable line per event). Every line
   * toolscope logs uses it. @default "text" when stderr is a terminal, else "json"
   */
  format: z.enum(LOG_FORMATS).optional(),
  /** Also export log records over OTLP/HTTP (to OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT). @default false */
  otlp: z.boolean().default(false),
});

export type LoggingConfig = z.infer<typeof loggingConfigSchema>;
