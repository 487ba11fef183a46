import type { Detector, Severity, Verdict, VerdictClass } from '../analysis/index.js';
import type { CallObservation } from '../pipeline/CallObservation.js';
import type { ActiveAlert, AlertEvent, AlertStatus } from './AlertEvent.js';
import type { BreakerState, BreakerStateEvent, UpstreamState, UpstreamStateEvent } from './AlertInputs.js';
import { AlertLifecycle, type AlertSubject, type Measurement } from './AlertLifecycle.js';
import type { AlertRule } from './AlertRule.js';
import { CallWindow } from './CallWindow.js';

/** Options of the `AlertEngine`. */
export interface AlertEngineOptions {
  /** Notified events kept for status and export. @default 200 */
  readonly historySize?: number;
  /** Calls kept per tool and per service for the window rules. @default 2048 */
  readonly windowCapacity?: number;
}

const DETECTOR_WORDS: Record<Detector, string> = {
  zscore: 'figures off their baseline',
  errors: 'error rate',
  forest: 'isolation forest',
  memory: 'memory growth',
  load: 'load',
};

interface ToolVerdict {
  readonly subject: AlertSubject;
  anomaly: boolean;
  verdictClass: VerdictClass | undefined;
  detector: Detector | undefined;
  severity: Severity | undefined;
  since: number;
  time: number;
  score: number;
  reason: string;
}

const RANK: Record<Severity, number> = { warning: 1, critical: 2 };

/**
 * Alert rules over the call stream, verdicts and state events: pure, no timers.
 * Feed it (`onObservation`, `onVerdict`, `onUpstreamState`, `onBreakerState`),
 * call `evaluate(now)` regularly, hand the returned events to handlers.
 *
 * Per rule and subject: the condition must hold `forMs` before the alert is
 * active; activation notifies unless the same rule and subject notified less
 * than `cooldownMs` ago (then it is active but quiet, and counted as suppressed);
 * when the condition stops holding, a notified alert resolves.
 */
export class AlertEngine {
  private readonly rules: readonly AlertRule[];
  private readonly states = new Map<string, AlertLifecycle>();
  private readonly toolWindows = new Map<string, { subject: AlertSubject; window: CallWindow }>();
  private readonly serviceWindows = new Map<string, { subject: AlertSubject; window: CallWindow }>();
  private readonly verdicts = new Map<string, ToolVerdict>();
  private readonly upstreams = new Map<string, { state: UpstreamState; since: number; reason?: string }>();
  private readonly breakers = new Map<
    string,
    { subject: AlertSubject; state: BreakerState; since: number }
  >();
  private readonly recent: AlertEvent[] = [];
  private readonly historySize: number;
  private readonly capacity: number;
  private readonly needsWindows: { tool: boolean; service: boolean };
  private readonly scratch: Float64Array;
  private readonly patterns = new Map<string, { service: RegExp; tool: RegExp | undefined }>();

  constructor(rules: readonly AlertRule[], options: AlertEngineOptions = {}) {
    const names = new Set<string>();
    for (const r of rules) {
      if (names.has(r.name)) throw new Error(`alert rule "${r.name}" is defined twice`);
      names.add(r.name);
    }
    this.rules = rules;
    for (const r of rules) {
      this.patterns.set(r.name, {
        service: glob(r.service),
        tool: r.tool === undefined ? undefined : glob(r.tool),
      });
    }
    this.historySize = Math.max(1, options.historySize ?? 200);
    this.capacity = Math.max(16, options.windowCapacity ?? 2048);
    this.scratch = new Float64Array(this.capacity);
    const windowed = rules.filter((r) => r.condition === 'error_rate' || r.condition === 'latency_p95');
    this.needsWindows = {
      tool: windowed.some((r) => (r.groupBy ?? 'tool') === 'tool'),
      service: windowed.some((r) => r.groupBy === 'service'),
    };
  }

  /** Records a finished call for the window rules. Hot path: O(1). */
  onObservation(obs: CallObservation): void {
    if (this.needsWindows.tool)
      this.windowOf(this.toolWindows, obs.ref.key, obs.ref.service, obs.ref.tool).push(obs);
    if (this.needsWindows.service)
      this.windowOf(this.serviceWindows, obs.ref.service, obs.ref.service).push(obs);
  }

  /** Records a verdict. Hot path: O(1). Returns true when the tool's anomaly state changed (worth an early `evaluate`). */
  onVerdict(v: Verdict): boolean {
    let tv = this.verdicts.get(v.ref.key);
    if (tv === undefined) {
      tv = {
        subject: { key: v.ref.key, service: v.ref.service, tool: v.ref.tool },
        anomaly: false,
        verdictClass: undefined,
        detector: undefined,
        severity: undefined,
        since: v.time,
        time: v.time,
        score: 0,
        reason: '',
      };
      this.verdicts.set(v.ref.key, tv);
    }
    const changed =
      tv.anomaly !== v.anomaly || tv.severity !== v.severity || (v.anomaly && tv.verdictClass !== v.class);
    if (v.anomaly && (!tv.anomaly || tv.verdictClass !== v.class)) tv.since = v.time;
    tv.anomaly = v.anomaly;
    tv.verdictClass = v.class;
    tv.detector = v.detector;
    tv.severity = v.severity;
    tv.time = v.time;
    tv.score = v.score;
    if (v.anomaly && changed) tv.reason = v.reasons[0] ?? '';
    return changed;
  }

  onUpstreamState(e: UpstreamStateEvent): void {
    const prev = this.upstreams.get(e.service);
    if (prev?.state === e.state) return;
    this.upstreams.set(e.service, { state: e.state, since: e.time, reason: e.reason });
  }

  onBreakerState(e: BreakerStateEvent): void {
    const key = e.scope === 'tool' && e.tool !== undefined ? `${e.service}/${e.tool}` : e.service;
    const prev = this.breakers.get(key);
    if (prev?.state === e.state) return;
    this.breakers.set(key, {
      subject: { key, service: e.service, tool: e.tool },
      state: e.state,
      since: e.time,
    });
  }

  /** Evaluates every rule at `now`; returns the notifications to send, oldest first. */
  evaluate(now: number): AlertEvent[] {
    const out: AlertEvent[] = [];
    for (const rule of this.rules) {
      const seen = new Set<string>();
      for (const subject of this.subjects(rule)) {
        const p = this.patterns.get(rule.name)!;
        if (!p.service.test(subject.service)) continue;
        if (p.tool !== undefined && !p.tool.test(subject.tool ?? '')) continue;
        seen.add(subject.key);
        this.step(rule, subject, this.measure(rule, subject, now), now, out);
      }
      for (const [key, state] of this.states) {
        if (!key.startsWith(`${rule.name}|`) || seen.has(state.subject.key)) continue;
        this.step(rule, state.subject, undefined, now, out);
      }
    }
    for (const e of out) {
      this.recent.push(e);
      if (this.recent.length > this.historySize) this.recent.shift();
    }
    return out;
  }

  /** Alerts whose condition holds now. */
  active(): ActiveAlert[] {
    return [...this.states.values()].filter((s) => s.active && s.last !== undefined).map((s) => s.toActive());
  }

  /** Notified events, oldest first (bounded by `historySize`). */
  history(): readonly AlertEvent[] {
    return [...this.recent];
  }

  status(): AlertStatus {
    return { active: this.active(), history: this.history() };
  }

  private step(
    rule: AlertRule,
    subject: AlertSubject,
    m: Measurement | undefined,
    now: number,
    out: AlertEvent[],
  ) {
    const key = `${rule.name}|${subject.key}`;
    let lifecycle = this.states.get(key);
    if (lifecycle === undefined) {
      // Nothing to track until the condition first holds.
      if (m === undefined || !m.holds) return;
      lifecycle = new AlertLifecycle(rule, subject);
      this.states.set(key, lifecycle);
    }
    const event = lifecycle.update(m, now);
    if (event !== undefined) out.push(event);
  }

  private *subjects(rule: AlertRule): Iterable<AlertSubject> {
    switch (rule.condition) {
      case 'error_rate':
      case 'latency_p95':
        for (const w of (rule.groupBy === 'service' ? this.serviceWindows : this.toolWindows).values())
          yield w.subject;
        return;
      case 'anomaly':
      case 'overload':
        for (const v of this.verdicts.values()) yield v.subject;
        return;
      case 'service_down':
        for (const service of this.upstreams.keys()) yield { key: service, service, tool: undefined };
        return;
      case 'breaker_open':
        for (const b of this.breakers.values()) yield b.subject;
        return;
    }
  }

  private measure(rule: AlertRule, subject: AlertSubject, now: number): Measurement | undefined {
    switch (rule.condition) {
      case 'error_rate':
      case 'latency_p95': {
        const windows = rule.groupBy === 'service' ? this.serviceWindows : this.toolWindows;
        const w = windows.get(subject.key);
        if (w === undefined) return undefined;
        const st = w.window.stats(now, rule.windowMs, this.scratch);
        if (st.calls < rule.minCalls) return { holds: false, since: now, value: 0, summary: '' };
        const secs = `${Math.round(rule.windowMs / 1000)} s`;
        if (rule.condition === 'error_rate') {
          const rate = st.errors / st.calls;
          const summary = `${subject.key}: error rate ${pct(rate)} over ${secs} (${st.calls} calls) ≥ ${pct(rule.threshold)}`;
          return { holds: rate >= rule.threshold, since: now, value: rate, summary };
        }
        const summary = `${subject.key}: p95 latency ${ms(st.p95Ms)} over ${secs} ≥ ${ms(rule.threshold)}`;
        return { holds: st.p95Ms >= rule.threshold, since: now, value: st.p95Ms, summary };
      }
      case 'anomaly':
      case 'overload': {
        const v = this.verdicts.get(subject.key);
        if (v === undefined) return undefined;
        const fresh = rule.windowMs <= 0 || now - v.time < rule.windowMs;
        const severe = v.severity !== undefined && RANK[v.severity] >= RANK[rule.minSeverity ?? 'warning'];
        // `anomaly` is about faults of the tool itself, `overload` about its saturated upstream.
        const overload = v.verdictClass === 'overload';
        const ofKind = rule.condition === 'overload' ? overload : !overload;
        const what = overload
          ? 'is overloaded'
          : `behaves anomalously${v.detector !== undefined ? ` (${DETECTOR_WORDS[v.detector]})` : ''}`;
        const summary = `${subject.key} ${what} (${v.severity ?? 'warning'})${v.reason ? `: ${v.reason}` : ''}`;
        return {
          holds: v.anomaly && ofKind && severe && fresh,
          since: v.since,
          value: v.score,
          summary,
          level: v.severity,
        };
      }
      case 'service_down': {
        const u = this.upstreams.get(subject.key);
        if (u === undefined) return undefined;
        const down = (rule.states ?? ['failed', 'reconnecting']).includes(u.state);
        const summary = `service ${subject.key} is ${u.state}${u.reason ? ` (${u.reason})` : ''}`;
        return { holds: down, since: u.since, value: down ? 1 : 0, summary };
      }
      case 'breaker_open': {
        const b = this.breakers.get(subject.key);
        if (b === undefined) return undefined;
        const summary = `circuit breaker for ${subject.key} is open`;
        return { holds: b.state === 'open', since: b.since, value: b.state === 'open' ? 1 : 0, summary };
      }
    }
  }

  private windowOf(
    map: Map<string, { subject: AlertSubject; window: CallWindow }>,
    key: string,
    service: string,
    tool?: string,
  ): CallWindow {
    let w = map.get(key);
    if (w === undefined) {
      w = { subject: { key, service, tool }, window: new CallWindow(this.capacity) };
      map.set(key, w);
    }
    return w.window;
  }
}

/** `*` matches any run of characters; no pattern matches everything. */
function glob(pattern: string | undefined): RegExp {
  if (pattern === undefined) return /^/;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

const pct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
