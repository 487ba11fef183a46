import { describe, expect, it } from 'vitest';
import { AnomalyLog } from '../../src/dashboard/index.js';
import { verdict } from './observation.js';

const latency = { feature: 'latency' as const, z: 9, value: 300, typical: 50 };

describe('AnomalyLog', () => {
  it('turns a run of anomalous verdicts into one episode with its peak explanation', () => {
    const log = new AnomalyLog();
    log.onVerdict(verdict('s/t', 1000));
    log.onVerdict(
      verdict('s/t', 2000, { anomaly: true, severity: 'warning', score: 0.6, reasons: ['early'] }),
    );
    log.onVerdict(
      verdict('s/t', 3000, {
        anomaly: true,
        severity: 'critical',
        score: 0.9,
        deviations: [latency],
        reasons: ['latency 6× typical'],
        recommendations: ['check the dependency'],
      }),
    );
    log.onVerdict(verdict('s/t', 4000, { anomaly: true, severity: 'warning', score: 0.7 }));
    expect(log.episodes()).toEqual([
      expect.objectContaining({ key: 's/t', start: 2000, end: undefined, severity: 'critical', verdicts: 3 }),
    ]);
    log.onVerdict(verdict('s/t', 5000));
    const [episode] = log.episodes();
    expect(episode).toMatchObject({
      start: 2000,
      end: 5000,
      peakScore: 0.9,
      peakAt: 3000,
      deviations: [latency],
      reasons: ['latency 6× typical'],
      recommendations: ['check the dependency'],
    });
  });

  it('keeps tools apart and a bounded history, filtered by end time', () => {
    const log = new AnomalyLog(2);
    for (const [i, key] of ['a/x', 'b/y', 'c/z'].entries()) {
      log.onVerdict(verdict(key, i * 100, { anomaly: true }));
      log.onVerdict(verdict(key, i * 100 + 50));
    }
    log.onVerdict(verdict('d/w', 1000, { anomaly: true }));
    expect(log.episodes().map((e) => e.key)).toEqual(['b/y', 'c/z', 'd/w']);
    expect(log.episodes(200).map((e) => e.key)).toEqual(['c/z', 'd/w']);
  });

  it('hands out copies, so callers cannot rewrite history', () => {
    const log = new AnomalyLog();
    log.onVerdict(verdict('s/t', 1, { anomaly: true }));
    log.episodes()[0]!.severity = 'critical';
    expect(log.episodes()[0]!.severity).toBe('warning');
  });
});
