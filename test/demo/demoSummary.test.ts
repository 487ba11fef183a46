import { describe, expect, it } from 'vitest';
import { demoSummary, wrap } from '../../src/demo/index.js';
import { NOW, statusSnapshot, toolStatus } from '../dashboard/statusFixture.js';

const RUN_START = NOW - 30_000;

function input(overrides: Partial<Parameters<typeof demoSummary>[0]> = {}) {
  const status = statusSnapshot(
    [
      toolStatus('compute_primes', { cpuMicrosPerCall: 2100 }),
      toolStatus('storage_fetch_record', { p95: 291, p99: 336 }),
    ],
    {
      anomalies: [
        {
          key: 'storage/fetch_record',
          service: 'storage',
          tool: 'fetch_record',
          start: RUN_START + 14_100,
          end: RUN_START + 21_300,
          severity: 'critical',
          class: 'fault',
          detector: 'zscore',
          verdicts: 80,
          peakScore: 0.94,
          peakAt: RUN_START + 16_000,
          deviations: [
            { feature: 'latency', z: 9, value: 290, typical: 48 },
            { feature: 'in_flight', z: 4, value: 3, typical: 1 },
          ],
          reasons: ['latency 6.0× typical (290 ms vs 48 ms)'],
          recommendations: [
            'latency rises with load (queueing, more calls in flight) → the pool is saturated: let the tuner lower concurrency or add capacity',
          ],
        },
      ],
      alerts: {
        active: [],
        recent: [
          {
            id: 'anomaly|storage/fetch_record|1',
            status: 'firing',
            rule: 'anomaly',
            condition: 'anomaly',
            level: 'warning',
            subject: 'storage/fetch_record',
            service: 'storage',
            tool: 'fetch_record',
            time: RUN_START + 14_600,
            since: RUN_START + 14_100,
            value: 0.9,
            threshold: 0.5,
            summary:
              'storage/fetch_record behaves anomalously (critical): latency 6.0× typical (290 ms vs 48 ms)',
            suppressed: 0,
          },
          {
            id: 'anomaly|storage/fetch_record|1',
            status: 'resolved',
            rule: 'anomaly',
            condition: 'anomaly',
            level: 'warning',
            subject: 'storage/fetch_record',
            service: 'storage',
            tool: 'fetch_record',
            time: RUN_START + 21_500,
            since: RUN_START + 14_100,
            value: 0.2,
            threshold: 0.5,
            summary: 'resolved',
            suppressed: 0,
          },
        ],
      },
    },
  );
  return {
    status,
    runStart: RUN_START,
    durationMs: 30_000,
    workload: { elapsedMs: 30_000, durationMs: 30_000, sent: 1200, completed: 1190, failed: 10, inFlight: 0 },
    incident: { startMs: 13_500, endMs: 21_000 },
    url: 'http://127.0.0.1:8765',
    lingering: false,
    ...overrides,
  };
}

describe('demoSummary', () => {
  it('tells the whole story in 80 columns: latency and CPU, the anomaly, the alert, decisions, where to look', () => {
    const text = demoSummary(input());
    for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(text).toMatch(/^tool +calls +errors +p50 +p95 +p99 +cpu\/call$/m);
    expect(text).toMatch(/^storage_fetch_record +100 +3 +12\.5 ms +291 ms +336 ms +850 µs$/m);
    expect(text).toContain('1200 calls in 30 s; 10 answered with a JSON-RPC error.');
    expect(text).toContain('  storage_fetch_record: fault (z-scores), critical, from 14.1 s to 21.3 s\n');
    expect(text).toContain('  (the scripted incident ran from 13.5 s to 21.0 s)');
    expect(text).toContain('  features: latency, in_flight');
    expect(text).toContain('  why: latency 6.0× typical (290 ms vs 48 ms)');
    expect(text).toContain('  → latency rises with load');
    expect(text).toContain('warning anomaly on storage/fetch_record: fired at 14.6 s, resolved at 21.5 s');
    expect(text).toContain('none: tuning is off, every pool kept its configured limit');
    expect(text).toContain('  dashboard  http://127.0.0.1:8765/');
    expect(text).toContain('  metrics    http://127.0.0.1:8765/metrics');
    expect(text).toContain('  traces     set OTEL_EXPORTER_OTLP_ENDPOINT to send them to Jaeger');
  });

  it('says why the tuner held: latency that does not follow concurrency is not saturation', () => {
    const base = input({});
    base.status.tuning = {
      enabled: true,
      dryRun: false,
      decisions: [],
      judgements: [
        {
          poolId: 'storage',
          limit: 8,
          time: RUN_START + 16_000,
          kind: 'not_saturated',
          message:
            'storage: latency 240 ms, 6.0× its level without load, does not grow with concurrency (slope 0.02): the upstream got slower or serves others, it is not saturated — limit kept, no-load level re-learned',
        },
      ],
    };
    const text = demoSummary(base);
    expect(text).toContain('  none: every pool kept its limit\n');
    expect(text).toContain('  why: storage: latency 240 ms, 6.0× its level without load, does not grow');
    expect(text).toContain('not saturated');
  });

  it('points at Jaeger when traces are exported, and lists the tuner’s decisions', () => {
    const base = input({ otlpEndpoint: 'http://localhost:4318' });
    base.status.tuning = {
      enabled: true,
      dryRun: false,
      judgements: [],
      decisions: [
        {
          time: RUN_START + 15_000,
          poolId: 'storage',
          previousLimit: 16,
          newLimit: 8,
          direction: 'down',
          reason: 'capacity_drop',
          applied: true,
          message: '',
        },
        {
          time: RUN_START + 23_000,
          poolId: 'storage',
          previousLimit: 8,
          newLimit: 12,
          direction: 'up',
          reason: 'probe_up',
          applied: true,
          message: '',
        },
      ],
    };
    const text = demoSummary(base);
    expect(text).toContain('  15.0 s  storage 16 → 8 (capacity_drop)');
    expect(text).toContain('  23.0 s  storage 8 → 12 (probe_up)');
    expect(text).toMatch(/ {2}traces {5}sent to http:\/\/localhost:4318; in Jaeger/);
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('says so when the incident was off and nothing was found', () => {
    const base = input({ incident: undefined });
    base.status.anomalies = [];
    base.status.alerts = { active: [], recent: [] };
    const text = demoSummary(base);
    expect(text).toContain('none (the incident was off: run without --no-incident)');
  });
});

describe('wrap', () => {
  it('keeps the first line’s indent and indents the rest', () => {
    expect(wrap('  one two three four', 12, '    ')).toEqual(['  one two', '    three', '    four']);
  });
});
