import { describe, expect, it } from 'vitest';
import { ToolStatsCollector } from '../../src/dashboard/index.js';
import { observation, verdict } from './observation.js';

const T0 = 1_700_000_000_000;

describe('ToolStatsCollector', () => {
  it('summarises lifetime counts, recent percentiles and mean CPU per tool, sorted by key', () => {
    const stats = new ToolStatsCollector();
    for (let i = 1; i <= 100; i++)
      stats.onObservation(observation('b/slow', T0 + i, { durationMs: i, cpuUserMicros: 100 }));
    stats.onObservation(observation('a/fast', T0, { outcome: 'error', errorType: 'timeout' }));
    const [a, b] = stats.summaries();
    expect(a).toMatchObject({ key: 'a/fast', calls: 1, errors: 1, errorTypes: { timeout: 1 } });
    expect(b).toMatchObject({
      key: 'b/slow',
      calls: 100,
      p50: 50,
      p95: 95,
      p99: 99,
      cpuMicrosMean: 100,
      percentileCalls: 100,
    });
  });

  it('keeps percentiles over the most recent calls once its window has grown to capacity and wrapped', () => {
    const stats = new ToolStatsCollector({ capacity: 100 });
    for (let i = 1; i <= 250; i++) stats.onObservation(observation('a/x', T0 + i, { durationMs: i }));
    expect(stats.summaries()[0]).toMatchObject({ calls: 250, percentileCalls: 100, p50: 200, p99: 249 });
  });

  it('summarises only the calls since a moment, leaving out tools idle since', () => {
    const stats = new ToolStatsCollector();
    stats.onObservation(observation('a/old', T0, { durationMs: 5 }));
    for (let i = 0; i < 10; i++)
      stats.onObservation(observation('b/new', T0 + 10_000 + i, { durationMs: i < 5 ? 1000 : 10 }));
    const recent = stats.summaries(T0 + 10_005, T0 + 20_000);
    expect(recent.map((s) => s.key)).toEqual(['b/new']);
    // Counts come from whole buckets; percentiles from the calls themselves.
    expect(recent[0]).toMatchObject({ calls: 10, percentileCalls: 5, p99: 10 });
  });

  it('puts every tool on one time axis ending now', () => {
    const stats = new ToolStatsCollector();
    stats.onObservation(observation('a/x', T0));
    stats.onObservation(observation('b/y', T0 + 3000));
    const set = stats.series(T0 + 4000);
    expect(set.bucketMs).toBe(1000);
    expect(set.t).toHaveLength(5);
    expect(set.tools['a/x']!.calls).toEqual([1, 0, 0, 0, 0]);
    expect(set.tools['b/y']!.calls).toEqual([0, 0, 0, 1, 0]);
    expect(stats.series(T0 + 4000, { since: T0 + 2000 }).t).toHaveLength(3);
    expect(stats.series(T0 + 4000, { coarse: true }).bucketMs).toBe(60_000);
  });

  it('marks the series with verdicts of the calls it saw, and ignores verdicts of unknown tools', () => {
    const stats = new ToolStatsCollector();
    stats.onObservation(observation('a/x', T0));
    stats.onVerdict(verdict('a/x', T0, { score: 0.9, anomaly: true, severity: 'critical' }));
    stats.onVerdict(verdict('z/unknown', T0, { anomaly: true }));
    const set = stats.series(T0);
    expect(set.tools['a/x']!.anomaly).toEqual([1]);
    expect(Object.keys(set.tools)).toEqual(['a/x']);
  });

  it('still accepts a plain capacity, as before', () => {
    const stats = new ToolStatsCollector(2);
    for (let i = 1; i <= 3; i++) stats.onObservation(observation('a/x', T0 + i, { durationMs: i * 10 }));
    expect(stats.summaries()[0]).toMatchObject({ calls: 3, percentileCalls: 2, p50: 20 });
  });
});
