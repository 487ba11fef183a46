import { type DiagLogger, DiagLogLevel } from '@opentelemetry/api';

/**
 * OpenTelemetry's diag output on stderr. Unlike `DiagConsoleLogger` it never
 * writes to stdout, which carries the MCP protocol in stdio mode.
 */
export class StderrDiagLogger implements DiagLogger {
  error(message: string, ...args: unknown[]): void {
    write('error', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    write('warn', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    write('info', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    write('debug', message, args);
  }
  verbose(message: string, ...args: unknown[]): void {
    write('verbose', message, args);
  }
}

function write(level: string, message: string, args: unknown[]): void {
  const extra = args.map((arg) =>
    arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : safeJson(arg),
  );
  process.stderr.write(`[toolscope ${level}] ${[message, ...extra].join(' ')}\n`);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Parse `OTEL_LOG_LEVEL`-style names. @default warn */
export function diagLevelFrom(value: string | undefined): DiagLogLevel {
  switch ((value ?? '').toLowerCase()) {
    case 'none':
      return DiagLogLevel.NONE;
    case 'error':
      return DiagLogLevel.ERROR;
    case 'info':
      return DiagLogLevel.INFO;
    case 'debug':
      return DiagLogLevel.DEBUG;
    case 'verbose':
    case 'all':
      return DiagLogLevel.ALL;
    default:
      return DiagLogLevel.WARN;
  }
}
