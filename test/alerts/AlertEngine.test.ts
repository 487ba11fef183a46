import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../src/alerts/AlertEngine.js';
import { type AlertRule, builtinAlertRules } from '../../src/alerts/AlertRule.js';
import type { Verdict } from '../../src/analysis/index.js';
import type { CallObservation } from '../../src/pipeline/CallObservation.js';

const T0 = 1_700_000_000_000;
const ref = (tool = 'search', service = 'svc') => ({ service, tool, key: `${service}/${tool}` });

function call(time: number, opts: Partial<CallObservation> = {}): CallObservation {
  return {
    ref: ref(),
    agent: undefined,
    startTime: time,
    durationMs: 50,
    queueWaitMs: 0,
    inFlightAtStart: 0,
    inputBytes: 10,
    outputBytes: 10,
    outcome: 'success',
    errorType: undefined,
    attempts: 1,
    ...opts,
  };
}

function verdict(
  time: number,
  anomaly: boolean,
  severity?: 'warning' | 'critical',
  verdictClass: 'fault' | 'overload' = 'fault',
): Verdict {
  return {
    ref: ref(),
    time,
    score: anomaly ? 0.8 : 0.1,
    forestScore: undefined,
    anomaly,
    severity: anomaly ? (severity ?? 'warning') : undefined,
    deviations: [],
    reasons: anomaly ? ['latency 2.0× typical (100 ms vs 50 ms)'] : [],
    recommendations: [],
    class: verdictClass,
    detector: verdictClass === 'fault' ? 'zscore' : 'load',
    warmingUp: false,
  };
}

const rule = (name: string, over: Partial<AlertRule> = {}): AlertRule => ({
  ...builtinAlertRules().find((r) => r.name === name)!,
  ...over,
});

describe('AlertEngine', () => {
  it('fires once when the error rate passes the threshold and resolves when it falls', () => {
    const engine = new AlertEngine([rule('error_rate', { windowMs: 10_000, minCalls: 10 })]);
    let t = T0;
    const next = () => {
      t += 100;
      return t;
    };
    for (let i = 0; i < 30; i++) engine.onObservation(call(next()));
    expect(engine.evaluate(t + 50)).toEqual([]);
    for (let i = 0; i < 30; i++) {
      engine.onObservation(call(next(), { outcome: 'tool_error', errorType: 'tool_error' }));
    }
    const fired = engine.evaluate(t + 50);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      status: 'firing',
      rule: 'error_rate',
      subject: 'svc/search',
      level: 'warning',
    });
    expect(fired[0]!.value).toBeGreaterThan(0.2);
    expect(fired[0]!.summary).toMatch(/error rate \d+ % over 10 s/);
    // Still failing: no second notification.
    engine.onObservation(call(next(), { outcome: 'tool_error', errorType: 'tool_error' }));
    expect(engine.evaluate(t + 50)).toEqual([]);
    for (let i = 0; i < 200; i++) engine.onObservation(call(next()));
    const resolved = engine.evaluate(t + 50);
    expect(resolved).toEqual([expect.objectContaining({ status: 'resolved', id: fired[0]!.id })]);
    expect(engine.active()).toEqual([]);
  });

  it('never fires on fewer calls than minCalls, nor on callers’ own mistakes', () => {
    const engine = new AlertEngine([rule('error_rate', { windowMs: 10_000, minCalls: 10 })]);
    for (let i = 0; i < 9; i++)
      engine.onObservation(call(T0 + i, { outcome: 'error', errorType: 'transport' }));
    expect(engine.evaluate(T0 + 100)).toEqual([]);
    for (let i = 0; i < 50; i++) {
      engine.onObservation(call(T0 + 10 + i, { outcome: 'error', errorType: 'invalid_params' }));
    }
    expect(engine.evaluate(T0 + 100)).toEqual([]);
  });

  it('fires slow p95 from the calls in the window only', () => {
    const engine = new AlertEngine([rule('slow_p95', { threshold: 1000, windowMs: 60_000, minCalls: 20 })]);
    for (let i = 0; i < 100; i++)
      engine.onObservation(call(T0 + i * 100, { durationMs: i % 25 === 0 ? 3000 : 100 }));
    expect(engine.evaluate(T0 + 10_000)).toEqual([]);
    for (let i = 0; i < 100; i++) engine.onObservation(call(T0 + 10_000 + i * 100, { durationMs: 2000 }));
    const [e] = engine.evaluate(T0 + 20_100);
    expect(e).toMatchObject({ status: 'firing', rule: 'slow_p95', threshold: 1000 });
    expect(e!.value).toBe(2000);
    // A minute later the slow calls have left the window.
    for (let i = 0; i < 100; i++) engine.onObservation(call(T0 + 80_000 + i * 100, { durationMs: 100 }));
    expect(engine.evaluate(T0 + 90_100)[0]).toMatchObject({ status: 'resolved' });
  });

  it('fires service down only after the state has lasted forMs, as critical', () => {
    const engine = new AlertEngine([rule('service_down')]);
    engine.onUpstreamState({ service: 'svc', state: 'ready', time: T0 });
    expect(engine.evaluate(T0 + 1000)).toEqual([]);
    engine.onUpstreamState({ service: 'svc', state: 'failed', time: T0 + 2000, reason: 'exit code 1' });
    expect(engine.evaluate(T0 + 5000)).toEqual([]);
    const [e] = engine.evaluate(T0 + 12_000);
    expect(e).toMatchObject({ status: 'firing', level: 'critical', subject: 'svc', since: T0 + 2000 });
    expect(e!.summary).toBe('service svc is failed (exit code 1)');
    engine.onUpstreamState({ service: 'svc', state: 'ready', time: T0 + 20_000 });
    expect(engine.evaluate(T0 + 20_001)[0]).toMatchObject({ status: 'resolved' });
  });

  it('notifies a flapping alert once per cooldown, and again if it outlasts the cooldown', () => {
    const engine = new AlertEngine([rule('breaker_open', { cooldownMs: 60_000 })]);
    const breaker = (state: 'open' | 'closed', time: number) =>
      engine.onBreakerState({ service: 'svc', tool: 'search', scope: 'tool', state, time });
    breaker('open', T0);
    expect(engine.evaluate(T0)).toHaveLength(1);
    breaker('closed', T0 + 5000);
    expect(engine.evaluate(T0 + 5000)[0]).toMatchObject({ status: 'resolved', subject: 'svc/search' });
    breaker('open', T0 + 10_000);
    expect(engine.evaluate(T0 + 10_000)).toEqual([]);
    expect(engine.active()).toEqual([expect.objectContaining({ rule: 'breaker_open', notified: false })]);
    breaker('closed', T0 + 15_000);
    expect(engine.evaluate(T0 + 15_000)).toEqual([]);
    breaker('open', T0 + 20_000);
    expect(engine.evaluate(T0 + 20_000)).toEqual([]);
    const late = engine.evaluate(T0 + 61_000);
    expect(late).toEqual([expect.objectContaining({ status: 'firing', suppressed: 2 })]);
    expect(engine.history().map((e) => e.status)).toEqual(['firing', 'resolved', 'firing']);
  });

  it('follows the analyzer: fires on an anomalous episode and resolves when it ends or goes stale', () => {
    const engine = new AlertEngine([rule('anomaly', { windowMs: 30_000 })]);
    expect(engine.onVerdict(verdict(T0, false))).toBe(false);
    expect(engine.onVerdict(verdict(T0 + 100, false))).toBe(false);
    expect(engine.onVerdict(verdict(T0 + 200, true))).toBe(true);
    const [e] = engine.evaluate(T0 + 300);
    expect(e).toMatchObject({ status: 'firing', condition: 'anomaly', since: T0 + 200 });
    expect(e!.summary).toContain('latency 2.0× typical');
    engine.onVerdict(verdict(T0 + 400, false));
    expect(engine.evaluate(T0 + 500)[0]).toMatchObject({ status: 'resolved' });
    engine.onVerdict(verdict(T0 + 400_000, true));
    engine.evaluate(T0 + 400_000);
    // No more calls: after the window the verdict is stale and the alert resolves.
    expect(engine.evaluate(T0 + 431_000)[0]).toMatchObject({ status: 'resolved' });
  });

  it('alerts a fault as an anomaly and an overload with impact as an overload, never one as the other', () => {
    const engine = new AlertEngine([
      rule('anomaly', { windowMs: 30_000 }),
      ...builtinAlertRules().filter((r) => r.name === 'overload'),
    ]);
    engine.onVerdict(verdict(T0, true, 'warning', 'overload'));
    const [overload] = engine.evaluate(T0 + 100);
    expect(overload).toMatchObject({ status: 'firing', rule: 'overload', condition: 'overload' });
    expect(overload!.summary).toContain('is overloaded');
    // The same tool turns faulty: the overload resolves, the anomaly fires.
    engine.onVerdict(verdict(T0 + 200, true, 'warning', 'fault'));
    const events = engine.evaluate(T0 + 300);
    expect(events.map((e) => `${e.rule} ${e.status}`).sort()).toEqual([
      'anomaly firing',
      'overload resolved',
    ]);
  });

  it('notifies again when an anomaly escalates from warning to critical, once, whatever the cooldown', () => {
    const engine = new AlertEngine([rule('anomaly', { windowMs: 30_000, cooldownMs: 300_000 })]);
    engine.onVerdict(verdict(T0, true, 'warning'));
    expect(engine.evaluate(T0)).toMatchObject([{ status: 'firing', level: 'warning' }]);
    engine.onVerdict(verdict(T0 + 1000, true, 'critical'));
    const [escalated] = engine.evaluate(T0 + 1000);
    expect(escalated).toMatchObject({ status: 'firing', level: 'critical' });
    expect(escalated!.summary).toContain('(critical)');
    // Still critical: no further notification.
    engine.onVerdict(verdict(T0 + 2000, true, 'critical'));
    expect(engine.evaluate(T0 + 2000)).toEqual([]);
    engine.onVerdict(verdict(T0 + 3000, false));
    expect(engine.evaluate(T0 + 3000)).toMatchObject([{ status: 'resolved', level: 'critical' }]);
  });

  it('counts only anomalies at or above minSeverity', () => {
    const engine = new AlertEngine([rule('anomaly', { name: 'critical_anomaly', minSeverity: 'critical' })]);
    engine.onVerdict(verdict(T0, true, 'warning'));
    expect(engine.evaluate(T0)).toEqual([]);
    engine.onVerdict(verdict(T0 + 1, true, 'critical'));
    expect(engine.evaluate(T0 + 1)).toHaveLength(1);
  });

  it('applies service and tool patterns', () => {
    const engine = new AlertEngine([
      rule('breaker_open', { name: 'db_breakers', service: 'db-*', tool: 'query*' }),
      rule('breaker_open', { name: 'all_breakers' }),
    ]);
    engine.onBreakerState({ service: 'db-main', tool: 'query_rows', scope: 'tool', state: 'open', time: T0 });
    engine.onBreakerState({ service: 'web', scope: 'service', state: 'open', time: T0 });
    const fired = engine.evaluate(T0).map((e) => `${e.rule} ${e.subject}`);
    expect(fired.sort()).toEqual([
      'all_breakers db-main/query_rows',
      'all_breakers web',
      'db_breakers db-main/query_rows',
    ]);
  });

  it('keeps a bounded history and shows active alerts in status', () => {
    const engine = new AlertEngine([rule('breaker_open', { cooldownMs: 0 })], { historySize: 3 });
    for (let i = 0; i < 4; i++) {
      engine.onBreakerState({ service: 'svc', scope: 'service', state: 'open', time: T0 + i * 10 });
      engine.evaluate(T0 + i * 10);
      engine.onBreakerState({ service: 'svc', scope: 'service', state: 'closed', time: T0 + i * 10 + 5 });
      engine.evaluate(T0 + i * 10 + 5);
    }
    engine.onBreakerState({ service: 'svc', scope: 'service', state: 'open', time: T0 + 100 });
    engine.evaluate(T0 + 100);
    const status = engine.status();
    expect(status.history).toHaveLength(3);
    expect(status.history.at(-1)).toMatchObject({ status: 'firing', id: 'breaker_open|svc|5' });
    expect(status.active).toEqual([
      expect.objectContaining({ subject: 'svc', notified: true, since: T0 + 100 }),
    ]);
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
  });

  it('refuses two rules with the same name', () => {
    expect(() => new AlertEngine([rule('anomaly'), rule('anomaly')])).toThrow(/defined twice/);
  });
});
