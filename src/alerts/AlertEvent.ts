import type { Severity } from '../analysis/index.js';
import type { AlertCondition } from './AlertRule.js';

/** One notification of an alert: it started firing, or it resolved. */
export interface AlertEvent {
  /** `rule|subject|n`: the same for the firing and the resolved event of one alert. */
  readonly id: string;
  readonly status: 'firing' | 'resolved';
  readonly rule: string;
  readonly condition: AlertCondition;
  readonly level: Severity;
  /** What the alert is about: a service, or `service/tool`. */
  readonly subject: string;
  readonly service: string;
  readonly tool: string | undefined;
  /** Epoch ms of this event. */
  readonly time: number;
  /** Epoch ms since when the condition has held. */
  readonly since: number;
  /** The measured value: an error rate, a p95 in ms, an anomaly score, 1 for a state. */
  readonly value: number;
  readonly threshold: number;
  /**
   * One line for humans, e.g. "error rate 34 % over 60 s (41 calls) ≥ 20 %": the condition as it
   * (last) held, also on the resolved event, whose `status` says it is over.
   */
  readonly summary: string;
  /** Re-fires swallowed by the cooldown since the previous notification. */
  readonly suppressed: number;
}

/** An alert whose condition holds now (notified or held back by the cooldown). */
export interface ActiveAlert {
  readonly id: string;
  readonly rule: string;
  readonly condition: AlertCondition;
  readonly level: Severity;
  readonly subject: string;
  readonly service: string;
  readonly tool: string | undefined;
  readonly since: number;
  readonly value: number;
  readonly threshold: number;
  readonly summary: string;
  /** False when the cooldown held the notification back. */
  readonly notified: boolean;
}

/** The alert engine's state for the status API and export. */
export interface AlertStatus {
  readonly active: readonly ActiveAlert[];
  /** Notified events, oldest first, bounded. */
  readonly history: readonly AlertEvent[];
}
