import type { Severity } from '../analysis/index.js';
import type { ActiveAlert, AlertEvent } from './AlertEvent.js';
import type { AlertRule } from './AlertRule.js';

/** What an alert is about: a service, or one tool of it. */
export interface AlertSubject {
  /** The service, or `service/tool`. */
  readonly key: string;
  readonly service: string;
  readonly tool: string | undefined;
}

/** What a rule measured for one subject at one evaluation. */
export interface Measurement {
  readonly holds: boolean;
  /** Since when the condition has held, as far as the measurement knows (e.g. a state change). */
  readonly since: number;
  readonly value: number;
  readonly summary: string;
  /** The level this measurement warrants, when it knows better than the rule (an anomaly's severity). */
  readonly level?: Severity | undefined;
}

/**
 * One rule × subject: pending (the condition holds, for less than `forMs`) →
 * active → resolved. Activation notifies unless the last notification is less
 * than `cooldownMs` old; then the alert is active but quiet, and notifies when
 * the cooldown ends if it is still active. Only a notified alert notifies its
 * resolution.
 */
export class AlertLifecycle {
  active = false;
  notified = false;
  activeSince = 0;
  last: Measurement | undefined;
  private pendingSince: number | undefined;
  private lastNotifiedAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  private sequence = 0;
  /** Level of the last firing notification (escalations notify again). */
  private notifiedLevel: Severity | undefined;

  constructor(
    readonly rule: AlertRule,
    readonly subject: AlertSubject,
  ) {}

  get id(): string {
    return `${this.rule.name}|${this.subject.key}|${this.sequence}`;
  }

  /** Advances with this evaluation's measurement (`undefined`: the subject is gone); returns the notification due. */
  update(m: Measurement | undefined, now: number): AlertEvent | undefined {
    if (m === undefined || !m.holds) {
      this.pendingSince = undefined;
      if (!this.active) return undefined;
      this.active = false;
      const wasNotified = this.notified;
      this.notified = false;
      return wasNotified ? this.event('resolved', now, m ?? this.last!) : undefined;
    }
    this.last = m;
    this.pendingSince ??= Math.min(m.since, now);
    let activated = false;
    if (!this.active) {
      if (now - this.pendingSince < this.rule.forMs) return undefined;
      this.active = true;
      this.activeSince = this.pendingSince;
      this.sequence++;
      this.notified = false;
      activated = true;
    }
    if (this.notified) {
      // An alert that grows worse (warning → critical) is news: it notifies again, cooldown or not.
      const level = this.levelOf(m);
      if (level === 'critical' && this.notifiedLevel !== 'critical') {
        this.notifiedLevel = level;
        this.lastNotifiedAt = now;
        return this.event('firing', now, m);
      }
      return undefined;
    }
    if (now - this.lastNotifiedAt < this.rule.cooldownMs) {
      if (activated) this.suppressed++;
      return undefined;
    }
    this.notified = true;
    this.lastNotifiedAt = now;
    this.notifiedLevel = this.levelOf(m);
    const e = this.event('firing', now, m);
    this.suppressed = 0;
    return e;
  }

  /** The alert as status shows it (only meaningful while `active`). */
  toActive(): ActiveAlert {
    const { rule, subject } = this;
    return {
      id: this.id,
      rule: rule.name,
      condition: rule.condition,
      level: this.levelOf(this.last),
      subject: subject.key,
      service: subject.service,
      tool: subject.tool,
      since: this.activeSince,
      value: this.last?.value ?? 0,
      threshold: rule.threshold,
      summary: this.last?.summary ?? '',
      notified: this.notified,
    };
  }

  private levelOf(m: Measurement | undefined): Severity {
    return m?.level ?? this.rule.level;
  }

  private event(status: 'firing' | 'resolved', now: number, m: Measurement): AlertEvent {
    const { rule, subject } = this;
    return {
      id: this.id,
      status,
      rule: rule.name,
      condition: rule.condition,
      level: status === 'resolved' ? (this.notifiedLevel ?? this.rule.level) : this.levelOf(m),
      subject: subject.key,
      service: subject.service,
      tool: subject.tool,
      time: now,
      since: this.activeSince,
      value: m.value,
      threshold: rule.threshold,
      // The condition as it last held; `status` says it resolved (readers add the word, once).
      summary: status === 'resolved' ? (this.last?.summary ?? m.summary) : m.summary,
      suppressed: this.suppressed,
    };
  }
}
