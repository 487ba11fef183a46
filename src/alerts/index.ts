/**
 * alerts/: rules over calls, verdicts and state events, with windows, levels and
 * cooldowns (`AlertEngine`, pure), a thin shell (`AlertService`) and handlers at
 * the edge (log, webhook with retry, MCP logging notifications).
 */
export { AlertEngine, type AlertEngineOptions } from './AlertEngine.js';
export type { ActiveAlert, AlertEvent, AlertStatus } from './AlertEvent.js';
export type { AlertHandler } from './AlertHandler.js';
export type { BreakerState, BreakerStateEvent, UpstreamState, UpstreamStateEvent } from './AlertInputs.js';
export { type AlertCondition, type AlertRule, builtinAlertRules, DEFAULT_COOLDOWN_MS } from './AlertRule.js';
export { AlertService, type AlertServiceOptions, type AlertTimers } from './AlertService.js';
export {
  type AlertRuleConfig,
  type AlertsConfig,
  alertRuleConfigSchema,
  alertRulesFromConfig,
  alertsConfigSchema,
  webhookConfigSchema,
} from './alertRuleConfigSchema.js';
export { CallWindow, type WindowStats } from './CallWindow.js';
export { type AlertEdges, createAlertService } from './createAlertService.js';
export { type AlertLogLevel, createLogAlertHandler } from './logAlertHandler.js';
export { createMcpLoggingAlertHandler, type McpLoggingLevel } from './mcpLoggingAlertHandler.js';
export {
  createWebhookAlertHandler,
  type WebhookAlertOptions,
  WebhookDeliveryError,
} from './webhookAlertHandler.js';
