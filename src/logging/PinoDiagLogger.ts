import type { DiagLogger } from '@opentelemetry/api';
import type { Logger } from 'pino';

/**
 * OpenTelemetry's `diag` channel (toolscope's internal warnings: an upstream
 * went away, an exporter failed) written as structured lines through pino, so
 * every line toolscope writes has one format. Extra arguments become `args`.
 */
export class PinoDiagLogger implements DiagLogger {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  error(message: string, ...args: unknown[]): void {
    this.#logger.error(fields(args), message);
  }
  warn(message: string, ...args: unknown[]): void {
    this.#logger.warn(fields(args), message);
  }
  info(message: string, ...args: unknown[]): void {
    this.#logger.info(fields(args), message);
  }
  debug(message: string, ...args: unknown[]): void {
    this.#logger.debug(fields(args), message);
  }
  verbose(message: string, ...args: unknown[]): void {
    this.#logger.trace(fields(args), message);
  }
}

function fields(args: unknown[]): Record<string, unknown> {
  if (args.length === 0) return {};
  const error = args.find((arg) => arg instanceof Error);
  const rest = args.filter((arg) => arg !== error).map((arg) => (arg instanceof Error ? arg.message : arg));
  return { ...(error ? { err: error } : {}), ...(rest.length > 0 ? { args: rest } : {}) };
}
