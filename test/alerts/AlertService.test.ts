import { describe, expect, it } from 'vitest';
import { AlertEngine } from '../../src/alerts/AlertEngine.js';
import type { AlertEvent } from '../../src/alerts/AlertEvent.js';
import type { AlertHandler } from '../../src/alerts/AlertHandler.js';
import { type AlertRule, builtinAlertRules } from '../../src/alerts/AlertRule.js';
import { AlertService, type AlertTimers } from '../../src/alerts/AlertService.js';
import { alertRulesFromConfig, alertsConfigSchema } from '../../src/alerts/alertRuleConfigSchema.js';
import { createAlertService } from '../../src/alerts/createAlertService.js';
import type { Verdict } from '../../src/analysis/index.js';

const T0 = 1_700_000_000_000;

class ManualTimers implements AlertTimers {
  intervals: { ms: number; unrefed: boolean; cleared: boolean; fn: () => void }[] = [];
  immediates: (() => void)[] = [];
  setInterval(fn: () => void, ms: number) {
    const entry = { fn, ms, unrefed: false, cleared: false };
    this.intervals.push(entry);
    return Object.assign(entry, {
      unref: () => {
        entry.unrefed = true;
      },
    });
  }
  clearInterval(h: unknown) {
    (h as { cleared: boolean }).cleared = true;
  }
  setImmediate(fn: () => void) {
    this.immediates.push(fn);
  }
  flush() {
    const run = this.immediates.splice(0);
    for (const fn of run) fn();
    return run.length;
  }
}

const recorder = (name: string, seen: string[]): AlertHandler => ({
  name,
  handle: (e) => void seen.push(`${name}:${e.rule}:${e.status}`),
});

function anomalous(time: number, anomaly: boolean): Verdict {
  return {
    ref: { service: 'svc', tool: 'search', key: 'svc/search' },
    time,
    score: anomaly ? 0.9 : 0.1,
    forestScore: 0.5,
    anomaly,
    severity: anomaly ? 'critical' : undefined,
    deviations: [],
    reasons: [],
    recommendations: [],
    class: 'fault',
    detector: 'zscore',
    warmingUp: false,
  };
}

describe('AlertService', () => {
  it('evaluates right after a state event, routes to the rule’s handlers and reports failures', async () => {
    const rules: AlertRule[] = [
      { ...builtinAlertRules().find((r) => r.name === 'breaker_open')!, handlers: ['a', 'broken'] },
    ];
    const seen: string[] = [];
    const errors: string[] = [];
    const timers = new ManualTimers();
    let now = T0;
    const service = new AlertService(new AlertEngine(rules), {
      rules,
      timers,
      clock: () => now,
      handlers: [
        recorder('a', seen),
        recorder('b', seen),
        { name: 'broken', handle: () => Promise.reject(new Error('down')) },
      ],
      onError: (_e, handler) => errors.push(handler),
    });
    service.onBreakerState({ service: 'svc', scope: 'service', state: 'open', time: now });
    service.onBreakerState({ service: 'svc', scope: 'service', state: 'open', time: now });
    expect(timers.flush()).toBe(1);
    await service.settled();
    expect(seen).toEqual(['a:breaker_open:firing']);
    expect(errors).toEqual(['broken']);
    now += 1000;
    service.onBreakerState({ service: 'svc', scope: 'service', state: 'closed', time: now });
    timers.flush();
    expect(seen).toEqual(['a:breaker_open:firing', 'a:breaker_open:resolved']);
    expect(service.status().history).toHaveLength(2);
  });

  it('raises and resolves nothing once stopped: a service stopped on shutdown is not "resolved" (issue 18)', async () => {
    const rules = builtinAlertRules().filter((r) => r.name === 'service_down');
    const seen: string[] = [];
    const timers = new ManualTimers();
    let now = T0;
    const service = new AlertService(new AlertEngine(rules), {
      rules,
      timers,
      clock: () => now,
      handlers: [recorder('a', seen)],
    });
    service.onUpstreamState({ service: 'svc', state: 'failed', time: now });
    now += 120_000;
    timers.flush();
    service.evaluate();
    expect(seen).toEqual(['a:service_down:firing']);
    await service.stop();
    now += 1000;
    service.onUpstreamState({ service: 'svc', state: 'stopped', time: now });
    timers.flush();
    service.evaluate();
    expect(seen).toEqual(['a:service_down:firing']);
  });

  it('evaluates early only when a verdict flips the anomaly state', () => {
    const timers = new ManualTimers();
    const events: AlertEvent[] = [];
    const rules = builtinAlertRules();
    const service = new AlertService(new AlertEngine(rules), {
      rules,
      timers,
      clock: () => T0 + 1,
      onEvent: (e) => events.push(e),
    });
    service.onVerdict(anomalous(T0, false));
    expect(timers.flush()).toBe(0);
    service.onVerdict(anomalous(T0, true));
    service.onVerdict(anomalous(T0, true));
    expect(timers.flush()).toBe(1);
    expect(events.map((e) => `${e.rule} ${e.status}`)).toEqual(['anomaly firing']);
  });

  it('evaluates on an unref()ed timer and stops it', async () => {
    const timers = new ManualTimers();
    const service = new AlertService(new AlertEngine(builtinAlertRules()), {
      timers,
      evaluateIntervalMs: 250,
    });
    service.start();
    service.start();
    expect(timers.intervals).toHaveLength(1);
    expect(timers.intervals[0]).toMatchObject({ ms: 250, unrefed: true });
    await service.stop();
    expect(timers.intervals[0]!.cleared).toBe(true);
  });
});

describe('alerts config', () => {
  it('defaults to the six built-in rules with a 5 minute cooldown', () => {
    const config = alertsConfigSchema.parse({});
    const rules = alertRulesFromConfig(config);
    expect(rules.map((r) => r.name)).toEqual([
      'service_down',
      'error_rate',
      'slow_p95',
      'anomaly',
      'overload',
      'breaker_open',
    ]);
    expect(rules.every((r) => r.cooldownMs === 300_000)).toBe(true);
  });

  it('overrides a built-in by name, switches one off, and adds custom rules', () => {
    const config = alertsConfigSchema.parse({
      cooldownMs: 60_000,
      rules: [
        { name: 'slow_p95', threshold: 2000 },
        { name: 'breaker_open', enabled: false },
        { name: 'db_errors', condition: 'error_rate', service: 'db', threshold: 0.05, level: 'critical' },
      ],
    });
    const rules = new Map(alertRulesFromConfig(config).map((r) => [r.name, r]));
    expect(rules.has('breaker_open')).toBe(false);
    expect(rules.get('slow_p95')).toMatchObject({
      condition: 'latency_p95',
      threshold: 2000,
      windowMs: 300_000,
    });
    expect(rules.get('db_errors')).toMatchObject({
      condition: 'error_rate',
      level: 'critical',
      threshold: 0.05,
      minCalls: 20,
      windowMs: 60_000,
      cooldownMs: 60_000,
    });
  });

  it('refuses bad rules with the path of the field', () => {
    const bad = (rules: unknown[]) =>
      alertsConfigSchema.safeParse({ rules }).error?.issues.map((i) => i.path.join('.'));
    expect(bad([{ name: 'x' }])).toEqual(['rules.0.condition']);
    expect(bad([{ name: 'x', condition: 'error_rate', threshold: 5 }])).toEqual(['rules.0.threshold']);
    expect(bad([{ name: 'x', condition: 'nope' }])).toEqual(['rules.0.condition']);
    expect(
      bad([
        { name: 'x', condition: 'anomaly' },
        { name: 'x', condition: 'anomaly' },
      ]),
    ).toEqual(['rules.1.name']);
  });

  it('builds the whole stack from config, one handler per edge and webhook', async () => {
    // Port 1 refuses connections: the webhook is tried once and its failure reported.
    const config = alertsConfigSchema.parse({
      webhooks: [{ url: 'http://127.0.0.1:1/hook', name: 'ops', maxAttempts: 1 }],
    });
    const logged: string[] = [];
    const notified: string[] = [];
    const failed: string[] = [];
    const service = createAlertService(config, {
      log: (level, message) => logged.push(`${level} ${message}`),
      notifyClients: (level) => notified.push(level),
      timers: new ManualTimers(),
      clock: () => T0 + 20_000,
      onError: (_e, handler) => failed.push(handler),
    });
    service.onUpstreamState({ service: 'svc', state: 'failed', time: T0 });
    service.evaluate();
    await service.stop();
    expect(logged).toEqual(['error alert service_down firing: service svc is failed']);
    expect(notified).toEqual(['critical']);
    expect(failed).toEqual(['ops']);
    expect(() =>
      createAlertService(alertsConfigSchema.parse({}), {
        handlers: [recorder('log', []), recorder('log', [])],
      }),
    ).toThrow(/two alert handlers/);
  });
});
