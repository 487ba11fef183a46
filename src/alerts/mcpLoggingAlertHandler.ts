import type { AlertHandler } from './AlertHandler.js';

/** MCP `notifications/message` levels (RFC 5424 names, as the MCP spec lists them). */
export type McpLoggingLevel =
  | 'debug'
  | 'info'
  | 'notice'
  | 'warning'
  | 'error'
  | 'critical'
  | 'alert'
  | 'emergency';

/**
 * Sends alert events to connected MCP clients as logging notifications through
 * `send(level, data)`, which the gateway provides (it knows the sessions and each
 * client's `logging/setLevel`). `data` is the event plus a `message` line and the
 * `logger` name.
 */
export function createMcpLoggingAlertHandler(
  send: (level: McpLoggingLevel, data: unknown) => void,
  options: { name?: string; logger?: string } = {},
): AlertHandler {
  const logger = options.logger ?? 'toolscope.alerts';
  return {
    name: options.name ?? 'mcp',
    handle(event) {
      const level: McpLoggingLevel =
        event.status === 'resolved' ? 'notice' : event.level === 'critical' ? 'critical' : 'warning';
      const message = event.status === 'resolved' ? `resolved: ${event.summary}` : event.summary;
      send(level, { logger, message, ...event });
    },
  };
}
