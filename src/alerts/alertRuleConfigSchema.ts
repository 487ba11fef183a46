import { z } from 'zod';
import { type AlertRule, builtinAlertRules, DEFAULT_COOLDOWN_MS } from './AlertRule.js';

const level = z.enum(['warning', 'critical']);
const ms = z.number().int().min(0);

/**
 * One rule in `toolscope.alerts.rules`. A rule named like a built-in
 * (`service_down`, `error_rate`, `slow_p95`, `anomaly`, `overload`, `breaker_open`) overrides
 * its fields; `enabled: false` switches it off. Unset fields take the built-in's
 * value, or the condition's default.
 */
export const alertRuleConfigSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    /** What the rule watches. Required unless the name is a built-in's. */
    condition: z
      .enum(['service_down', 'error_rate', 'latency_p95', 'anomaly', 'overload', 'breaker_open'])
      .optional(),
    /** @default "warning" (built-ins have their own) */
    level: level.optional(),
    /** @default true */
    enabled: z.boolean().default(true),
    /** Service name or pattern with `*`. @default every service */
    service: z.string().min(1).optional(),
    /** Tool name or pattern with `*`. @default every tool */
    tool: z.string().min(1).optional(),
    /** error_rate / latency_p95: per tool or per service. @default "tool" */
    groupBy: z.enum(['tool', 'service']).optional(),
    /** Window of error_rate / latency_p95, staleness of anomaly, ms. */
    windowMs: ms.optional(),
    /** error_rate: fraction in (0, 1]; latency_p95: milliseconds. */
    threshold: z.number().positive().optional(),
    /** error_rate / latency_p95: fewer calls never fire. */
    minCalls: z.number().int().min(0).optional(),
    /** How long the condition must hold before firing, ms. */
    forMs: ms.optional(),
    /** Quiet time after a notification for the same rule and subject, ms. */
    cooldownMs: ms.optional(),
    /** anomaly / overload: least verdict severity. @default "warning" */
    minSeverity: level.optional(),
    /** service_down: states that count as down. @default ["failed", "reconnecting"] */
    states: z
      .array(z.enum(['initializing', 'ready', 'degraded', 'failed', 'reconnecting', 'stopped']))
      .min(1)
      .optional(),
    /** Handler names to notify (`log`, `mcp`, webhook names). @default all */
    handlers: z.array(z.string().min(1)).optional(),
  })
  .superRefine((rule, ctx) => {
    const builtin = BUILTIN_NAMES.has(rule.name);
    if (!builtin && rule.condition === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['condition'],
        message: 'a rule that is not a built-in needs a condition',
      });
    }
    const condition = rule.condition ?? BUILTINS.get(rule.name)?.condition;
    if (condition === 'error_rate' && rule.threshold !== undefined && rule.threshold > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'an error rate threshold is a fraction in (0, 1]',
      });
    }
  });

/** A webhook target in `toolscope.alerts.webhooks`. */
export const webhookConfigSchema = z.strictObject({
  /** Handler name rules can refer to. @default "webhook" */
  name: z.string().min(1).default('webhook'),
  url: z.url({ protocol: /^https?$/ }),
  /** Extra headers; use `${ENV_VAR}` for secrets. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Attempts in all. @default 4 */
  maxAttempts: z.number().int().min(1).max(20).optional(),
  /** Per-attempt timeout, ms. @default 5000 */
  timeoutMs: z.number().int().positive().optional(),
});

/** `toolscope.alerts` in the config file. */
export const alertsConfigSchema = z
  .strictObject({
    /** Use the built-in rules (service down, error rate, slow p95, anomaly, breaker open). @default true */
    builtins: z.boolean().default(true),
    /** Default cooldown of every rule, ms. @default 300000 */
    cooldownMs: ms.default(DEFAULT_COOLDOWN_MS),
    /** Extra rules, and overrides of built-ins by name. @default [] */
    rules: z.array(alertRuleConfigSchema).default([]),
    /** Webhook targets. @default [] */
    webhooks: z.array(webhookConfigSchema).default([]),
    /** Send alerts to connected MCP clients as logging notifications. @default true */
    notifyClients: z.boolean().default(true),
    /** Write alerts to toolscope's log. @default true */
    log: z.boolean().default(true),
    /** Rule evaluation interval, ms. @default 1000 */
    evaluateIntervalMs: z.number().int().min(10).default(1000),
    /** Alert events kept for status and export. @default 200 */
    historySize: z.number().int().min(1).max(100_000).default(200),
  })
  .superRefine((config, ctx) => {
    const unique = (names: string[], path: 'rules' | 'webhooks', what: string) => {
      const seen = new Set<string>();
      names.forEach((name, i) => {
        if (seen.has(name))
          ctx.addIssue({ code: 'custom', path: [path, i, 'name'], message: `duplicate ${what} "${name}"` });
        seen.add(name);
      });
    };
    unique(
      config.rules.map((r) => r.name),
      'rules',
      'rule name',
    );
    unique(
      config.webhooks.map((w) => w.name),
      'webhooks',
      'webhook name',
    );
  });

export type AlertRuleConfig = z.infer<typeof alertRuleConfigSchema>;
export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

const BUILTINS = new Map(builtinAlertRules().map((r) => [r.name, r]));
const BUILTIN_NAMES = new Set(BUILTINS.keys());

/** Per-condition defaults for rules that are not built-ins. */
const CONDITION_DEFAULTS = new Map(builtinAlertRules().map((r) => [r.condition, r]));

/** The rules in force for a parsed `toolscope.alerts` section: built-ins (if on) merged with the config's rules. */
export function alertRulesFromConfig(config: AlertsConfig): AlertRule[] {
  const builtins = config.builtins ? builtinAlertRules(config.cooldownMs) : [];
  const byName = new Map<string, AlertRule>(builtins.map((r) => [r.name, r]));
  for (const c of config.rules) {
    const { enabled, condition: requested, ...fields } = c;
    if (!enabled) {
      byName.delete(c.name);
      continue;
    }
    const builtin = BUILTINS.get(c.name);
    const condition = requested ?? builtin!.condition;
    // A built-in keeps its settings unless its condition is changed; other rules start from the condition's.
    const base: AlertRule =
      builtin?.condition === condition
        ? builtin
        : { ...CONDITION_DEFAULTS.get(condition)!, level: 'warning' };
    const set = Object.fromEntries(
      Object.entries(fields).filter(([, v]) => v !== undefined),
    ) as Partial<AlertRule>;
    byName.set(c.name, { ...base, cooldownMs: config.cooldownMs, ...set, name: c.name, condition });
  }
  return [...byName.values()];
}
