import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/Analyzer.js';
import type { AnalyzerOptions } from '../../src/analysis/AnalyzerOptions.js';
import type { Verdict } from '../../src/analysis/Verdict.js';
import type { CallObservation } from '../../src/pipeline/CallObservation.js';
import { type Effect, type Shape, Traffic, toolRef } from './traffic.js';

/** Feeds `n` calls, running maintenance once per simulated second, as the service would. */
function feed(
  a: Analyzer,
  t: Traffic,
  n: number,
  effect: Effect = {},
  override: Partial<CallObservation> = {},
) {
  const out: Verdict[] = [];
  for (let i = 0; i < n; i++) {
    if (t.now % 1000 === 0) a.maintain(t.now);
    const v = a.observe(t.next(effect, override));
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** An analyzer that has learned `minutes` of normal traffic. */
function trained(seed = 1, shape: Shape = 'typical', minutes = 4, options: AnalyzerOptions = {}) {
  const a = new Analyzer({ seed, clock: () => 0, ...options });
  const t = new Traffic(seed, toolRef(), shape);
  feed(a, t, minutes * 600);
  return { a, t };
}

const firstAnomaly = (vs: Verdict[]) => vs.findIndex((v) => v.anomaly);

describe('Analyzer', () => {
  it('says warmingUp until the first baseline, and never alarms while learning', () => {
    const a = new Analyzer({ warmupCalls: 50 });
    const t = new Traffic(1);
    const early = Array.from({ length: 49 }, () => a.observe(t.next({ cpu: 5 }))!);
    expect(early.every((v) => v.warmingUp && !v.anomaly && v.forestScore === undefined)).toBe(true);
    a.observe(t.next());
    // Judging starts with the next call, not at the next maintenance: an incident in between would
    // otherwise be learned as the tool's normal.
    expect(a.observe(t.next())!.warmingUp).toBe(false);
  });

  it('stays quiet on 20 minutes of heavy-tailed normal traffic', () => {
    for (const seed of [1, 2]) {
      const { a, t } = trained(seed, 'heavy', 2);
      const verdicts = feed(a, t, 12_000);
      expect(verdicts.filter((v) => v.anomaly).length).toBe(0);
      expect(verdicts.every((v) => v.score >= 0 && v.score < 0.5)).toBe(true);
    }
  });

  it('does not alarm on a single extreme call', () => {
    const { a, t } = trained();
    const spike = a.observe(t.next({}, { durationMs: 5000 }))!;
    expect(spike.anomaly).toBe(false);
    expect(feed(a, t, 50).some((v) => v.anomaly)).toBe(false);
  });

  it('detects a latency level shift within 5 s at 10 calls/s and says how much', () => {
    const { a, t } = trained();
    const verdicts = feed(a, t, 300, { cpu: 2, io: 2 });
    const first = firstAnomaly(verdicts);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(50);
    const v = verdicts[first + 20]!;
    expect(v.anomaly).toBe(true);
    expect(v.score).toBeGreaterThanOrEqual(0.5);
    expect(v.deviations[0]?.feature).toBe('latency');
    expect(v.reasons.join()).toMatch(/latency \d\.\d× typical/);
    expect(v.recommendations.join()).toMatch(/CPU-bound/);
    // Once caught, the whole episode stays anomalous.
    expect(verdicts.slice(first + 10).every((x) => x.anomaly)).toBe(true);
  });

  it('recognises latency up with CPU flat as blocked on I/O', () => {
    const { a, t } = trained();
    const verdicts = feed(a, t, 300, { io: 4 });
    const v = verdicts[verdicts.length - 1]!;
    expect(v.anomaly).toBe(true);
    expect(v.deviations.map((d) => d.feature)).toEqual(expect.arrayContaining(['latency', 'cpu_ratio']));
    expect(v.deviations.map((d) => d.feature)).not.toContain('cpu');
    expect(v.recommendations.join()).toContain('blocked on I/O or a dependency');
  });

  it('flags an error burst through the error rate, critical when a quarter fails', () => {
    const { a, t } = trained();
    const verdicts = feed(a, t, 200, { errorRate: 0.4 });
    const first = firstAnomaly(verdicts);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(50);
    const v = verdicts[verdicts.length - 1]!;
    expect(v.deviations.map((d) => d.feature)).toContain('error');
    expect(v.severity).toBe('critical');
    expect(v.reasons.join()).toMatch(/error rate \d+ %/);
  });

  it('suspects a leak when heap per call trends up', () => {
    const { a, t } = trained();
    let last: Verdict | undefined;
    for (let i = 0; i < 1200; i++) {
      if (t.now % 1000 === 0) a.maintain(t.now);
      last = a.observe(t.next({ heap: 1 + (3 * i) / 1200 }));
      if (last?.anomaly) break;
    }
    expect(last?.anomaly).toBe(true);
    expect(last?.deviations[0]?.feature).toBe('heap');
    expect(last?.recommendations.join()).toContain('possible leak');
  });

  it('absorbs a 5 % slower deploy in bounded time without alarming', () => {
    const { a, t } = trained(3, 'tight', 4);
    const before = a.status()[0]!.latencyP50Ms!;
    // 10 minutes after the deploy: never anomalous, and the baseline has moved to the new level.
    const verdicts = feed(a, t, 6000, { cpu: 1.05, io: 1.05, heap: 1.05 });
    expect(verdicts.some((v) => v.anomaly)).toBe(false);
    const after = a.status()[0]!.latencyP50Ms!;
    expect(after / before).toBeGreaterThan(1.04);
    expect(after / before).toBeLessThan(1.06);
    // Absorbed means the evidence is back to normal, not merely below the materiality bar.
    const tail = verdicts.slice(-600);
    expect(tail.reduce((s, v) => s + v.score, 0) / tail.length).toBeLessThan(0.3);
  });

  it('keeps alarming on a real regression until it is gone, then clears', () => {
    const { a, t } = trained();
    const during = feed(a, t, 12_000, { cpu: 2, io: 2 }); // 20 minutes
    const first = firstAnomaly(during);
    expect(during.slice(first + 10).every((v) => v.anomaly)).toBe(true);
    expect(a.status()[0]!.since).toBe(during[first]!.time);
    const after = feed(a, t, 600);
    const cleared = after.findIndex((v) => !v.anomaly);
    expect(cleared).toBeGreaterThanOrEqual(0);
    expect(cleared).toBeLessThan(100);
    expect(after.slice(cleared + 50).some((v) => v.anomaly)).toBe(false);
    expect(a.anomalous()).toEqual([]);
  });

  it('accepts the new level once acknowledged', () => {
    const { a, t } = trained();
    feed(a, t, 600, { cpu: 2, io: 2 });
    expect(a.anomalous()).toEqual(['svc/search']);
    expect(a.acknowledge('svc/search', t.now)).toBe(true);
    expect(a.acknowledge('svc/unknown', t.now)).toBe(false);
    const after = feed(a, t, 1200, { cpu: 2, io: 2 });
    expect(after.filter((v) => v.anomaly).length).toBe(0);
    expect(a.status()[0]!.acknowledgedAt).toBe(t.now - 1200 * 100);
  });

  it('judges a hot tool (10,000 calls/s) as it judges a slow one', () => {
    // A burst at 10,000 calls/s reuses materiality judgements between calls; the verdicts must not suffer.
    const slow = trained();
    const atSlowRate = feed(slow.a, slow.t, 600, { cpu: 2, io: 2 });
    const hot = trained();
    hot.t.intervalMs = 0.1;
    expect(feed(hot.a, hot.t, 5000).some((v) => v.anomaly)).toBe(false);
    const atHotRate = feed(hot.a, hot.t, 600, { cpu: 2, io: 2 });
    const first = firstAnomaly(atHotRate);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(Math.abs(first - firstAnomaly(atSlowRate))).toBeLessThanOrEqual(8);
    expect(atHotRate.slice(first + 10).every((v) => v.anomaly)).toBe(true);
  });

  it('gives no verdict for calls that never reached the tool, so no anomaly is re-sent for them', () => {
    const { a, t } = trained();
    // An anomalous episode is open…
    const slow = feed(a, t, 300, { io: 8 });
    expect(slow.at(-1)?.anomaly).toBe(true);
    // …and refused, cancelled or malformed calls neither repeat it nor count as the tool's errors.
    for (const errorType of ['overloaded', 'circuit_open', 'cancelled', 'invalid_params'] as const) {
      const verdicts = feed(a, t, 100, {}, { outcome: 'error', errorType, durationMs: 0 });
      expect(verdicts).toEqual([]);
    }
    expect(a.status()[0]!.errorRate).toBeLessThan(0.02);
  });

  it('gives identical verdicts for the same seed and calls', () => {
    const run = () => {
      const { a, t } = trained(5);
      return feed(a, t, 600, { io: 3 }).map((v) => [v.score, v.forestScore, v.anomaly]);
    };
    expect(run()).toEqual(run());
  });

  it('retrains each forest on schedule, replacing it', () => {
    const { a, t } = trained(1, 'typical', 2, { forest: { retrainMs: 30_000, trees: 50 } });
    const first = a.status()[0]!;
    expect(first.forestTrees).toBe(50);
    feed(a, t, 600);
    const later = a.status()[0]!;
    expect(later.forestTrainedAt).toBeGreaterThan(first.forestTrainedAt!);
    expect(later.forestTrees).toBe(50);
  });

  it('does its maintenance in many small steps', () => {
    const { a, t } = trained(1, 'typical', 1, { forest: { retrainMs: 1000 } });
    feed(a, t, 20);
    let steps = 0;
    for (const _ of a.maintenance(t.now + 5000)) steps++;
    expect(steps).toBeGreaterThan(10);
  });

  it('restores a snapshot without warming up again and keeps what it learned', () => {
    const { a, t } = trained(2);
    const snap = JSON.parse(JSON.stringify(a.snapshot(t.now)));
    const b = new Analyzer({ seed: 2 });
    expect(b.restore(snap)).toBe(true);
    const [sa, sb] = [a.status()[0]!, b.status()[0]!];
    expect(sb.warmingUp).toBe(false);
    expect(sb.latencyP50Ms).toBe(sa.latencyP50Ms);
    expect(sb.forestTrainedAt).toBe(sa.forestTrainedAt);
    // The restored analyzer judges the next calls like the original.
    const t2 = new Traffic(99);
    const calls = Array.from({ length: 300 }, () => t2.next({ cpu: 2, io: 2 }));
    const va = calls.map((c) => a.observe(c)!.anomaly);
    const vb = calls.map((c) => b.observe(c)!.anomaly);
    expect(firstAnomaly(vb.map((x) => ({ anomaly: x }) as Verdict))).toBeLessThan(50);
    expect(vb.filter(Boolean).length).toBeGreaterThan(0.8 * va.filter(Boolean).length);
  });

  it('refuses a snapshot it does not understand and keeps its state', () => {
    const { a } = trained(1, 'typical', 1);
    expect(a.restore({ version: 2, tools: [] })).toBe(false);
    expect(a.restore(null)).toBe(false);
    expect(a.restore({ ...a.snapshot(), features: ['latency'] })).toBe(false);
    expect(a.size).toBe(1);
  });

  it('drops the longest-idle tools beyond maxTools', () => {
    const a = new Analyzer({ maxTools: 2 });
    const tools = ['a', 'b', 'c'].map((name, i) => new Traffic(i, toolRef(name)));
    for (const t of tools) for (let i = 0; i < 5; i++) a.observe(t.next());
    a.maintain(tools[2]!.now);
    expect(a.size).toBe(2);
    expect(a.status().map((s) => s.tool)).not.toContain('a');
  });
});
