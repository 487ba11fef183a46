import type { Severity } from '../analysis/index.js';
import type { UpstreamState } from './AlertInputs.js';

/**
 * What a rule watches. `error_rate` and `latency_p95` are windows over finished
 * calls; `anomaly` follows the analyzer's fault verdicts (the tool itself changed)
 * and `overload` its overload verdicts (a saturated upstream, with impact on callers);
 * `service_down` and `breaker_open` follow state events.
 */
export type AlertCondition =
  | 'service_down'
  | 'error_rate'
  | 'latency_p95'
  | 'anomaly'
  | 'overload'
  | 'breaker_open';

/** One alert rule. Times in ms. */
export interface AlertRule {
  /** Unique name; appears in events, metrics (`toolscope.alert.rule`) and status. */
  readonly name: string;
  readonly condition: AlertCondition;
  readonly level: Severity;
  /** Only this service (`*` wildcards allowed). @default every service */
  readonly service?: string;
  /** Only this tool (`*` wildcards allowed). @default every tool */
  readonly tool?: string;
  /** `error_rate` / `latency_p95`: judge each tool, or each service as a whole. @default 'tool' */
  readonly groupBy?: 'tool' | 'service';
  /** `error_rate` / `latency_p95`: the window; `anomaly`: verdicts older than this are stale. */
  readonly windowMs: number;
  /** `error_rate`: a fraction (0.2 = 20 %); `latency_p95`: milliseconds; otherwise unused. */
  readonly threshold: number;
  /** `error_rate` / `latency_p95`: fewer calls in the window never fire. */
  readonly minCalls: number;
  /** The condition must hold this long before the alert fires. */
  readonly forMs: number;
  /** After a notification, the same rule and subject notify again only after this long. */
  readonly cooldownMs: number;
  /** `anomaly`: the least verdict severity that counts. @default 'warning' */
  readonly minSeverity?: Severity;
  /** `service_down`: states that count as down. @default ['failed', 'reconnecting'] */
  readonly states?: readonly UpstreamState[];
  /** Names of the handlers to notify. @default every handler */
  readonly handlers?: readonly string[];
}

/** Default cooldown of every rule, ms. */
export const DEFAULT_COOLDOWN_MS = 300_000;

/**
 * The rules every deployment gets unless configured otherwise: a service down for
 * 10 s (critical), ≥ 20 % errors over a minute, p95 ≥ 5 s over five minutes, a
 * faulty tool (`anomaly`), an overloaded upstream that callers feel (`overload`), an
 * open breaker.
 */
export function builtinAlertRules(cooldownMs = DEFAULT_COOLDOWN_MS): AlertRule[] {
  return [
    {
      name: 'service_down',
      condition: 'service_down',
      level: 'critical',
      windowMs: 0,
      threshold: 1,
      minCalls: 0,
      forMs: 10_000,
      cooldownMs,
      states: ['failed', 'reconnecting'],
    },
    {
      name: 'error_rate',
      condition: 'error_rate',
      level: 'warning',
      groupBy: 'tool',
      windowMs: 60_000,
      threshold: 0.2,
      minCalls: 20,
      forMs: 0,
      cooldownMs,
    },
    {
      name: 'slow_p95',
      condition: 'latency_p95',
      level: 'warning',
      groupBy: 'tool',
      windowMs: 300_000,
      threshold: 5000,
      minCalls: 20,
      forMs: 0,
      cooldownMs,
    },
    // The analyzer's verdict classes, each its own rule: a fault (anomaly) and an overload.
    ...(['anomaly', 'overload'] as const).map(
      (condition): AlertRule => ({
        name: condition,
        condition,
        level: 'warning',
        windowMs: 300_000,
        threshold: 0.5,
        minCalls: 0,
        forMs: 0,
        cooldownMs,
        minSeverity: 'warning',
      }),
    ),
    {
      name: 'breaker_open',
      condition: 'breaker_open',
      level: 'warning',
      windowMs: 0,
      threshold: 1,
      minCalls: 0,
      forMs: 0,
      cooldownMs,
    },
  ];
}
