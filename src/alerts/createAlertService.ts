import { AlertEngine } from './AlertEngine.js';
import type { AlertEvent } from './AlertEvent.js';
import type { AlertHandler } from './AlertHandler.js';
import { AlertService, type AlertTimers } from './AlertService.js';
import { type AlertsConfig, alertRulesFromConfig } from './alertRuleConfigSchema.js';
import { type AlertLogLevel, createLogAlertHandler } from './logAlertHandler.js';
import { createMcpLoggingAlertHandler, type McpLoggingLevel } from './mcpLoggingAlertHandler.js';
import { createWebhookAlertHandler } from './webhookAlertHandler.js';

/** What the host provides at the edges. */
export interface AlertEdges {
  /** toolscope's logger; enables the `log` handler when `config.log`. */
  readonly log?: (level: AlertLogLevel, message: string, event: AlertEvent) => void;
  /** Sends an MCP logging notification to connected clients; enables the `mcp` handler when `config.notifyClients`. */
  readonly notifyClients?: (level: McpLoggingLevel, data: unknown) => void;
  /** Extra handlers (names must not clash). */
  readonly handlers?: readonly AlertHandler[];
  readonly clock?: () => number;
  readonly onEvent?: (event: AlertEvent) => void;
  readonly onError?: (error: unknown, handler: string) => void;
  readonly timers?: AlertTimers;
}

/**
 * Builds the alerting stack for a parsed `toolscope.alerts` section: rules
 * (built-ins merged with the config's), the engine, handlers (log, MCP logging,
 * one per webhook) and the service. Call `start()` on the result.
 */
export function createAlertService(config: AlertsConfig, edges: AlertEdges = {}): AlertService {
  const rules = alertRulesFromConfig(config);
  const handlers: AlertHandler[] = [];
  if (config.log && edges.log !== undefined) handlers.push(createLogAlertHandler(edges.log));
  if (config.notifyClients && edges.notifyClients !== undefined) {
    handlers.push(createMcpLoggingAlertHandler(edges.notifyClients));
  }
  for (const w of config.webhooks) {
    handlers.push(
      createWebhookAlertHandler({
        url: w.url,
        name: w.name,
        headers: w.headers,
        maxAttempts: w.maxAttempts,
        timeoutMs: w.timeoutMs,
      }),
    );
  }
  handlers.push(...(edges.handlers ?? []));
  const names = new Set<string>();
  for (const h of handlers) {
    if (names.has(h.name)) throw new Error(`two alert handlers are named "${h.name}"`);
    names.add(h.name);
  }
  const engine = new AlertEngine(rules, { historySize: config.historySize });
  return new AlertService(engine, {
    rules,
    handlers,
    evaluateIntervalMs: config.evaluateIntervalMs,
    clock: edges.clock,
    onEvent: edges.onEvent,
    onError: edges.onError,
    timers: edges.timers,
  });
}
