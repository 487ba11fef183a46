import { describe, expect, it } from 'vitest';
import { demoSummary, wrap } from '../../src/demo/index.js';
import { NOW, statusSnapshot, toolStatus } from '../dashboard/statusFixture.js';

const RUN_START = NOW - 30_000;

function input(overrides: Partial<Parameters<typeof demoSummary>[0]> = {}) {
  const status = statusSnapshot(
    [
      toolStatus('compute_primes', {
        cpuMicrosPerCall: 2100,
        p50: 2.3,
        errors: 0,
        toolErrors: 5,
        errorTypes: { invalid_params: 4, tool_error: 1 },
      }),
      toolStatus('storage_fetch_record', { p95: 291, p99: 336, errorTypes: { timeout: 1, tool_error: 2 } }),
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
    workload: {
      elapsedMs: 30_000,
      durationMs: 30_000,
      sent: 1200,
      completed: 1190,
      failed: 10,
      unknownTool: 9,
      inFlight: 0,
    },
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
    expect(text).toContain('1200 calls in 30 s. The errors column:');
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

describe('demoSummary, as a newcomer reads it (issue 18)', () => {
  it('explains the errors column and the calls no row shows, with plurals right', () => {
    const text = demoSummary(input());
    // compute_primes 5 + storage_fetch_record 3: 4 bad arguments, 3 tool errors, 1 timeout.
    expect(text).toMatch(/^compute_primes +100 +5 /m);
    expect(text).toMatch(/^storage_fetch_record +100 +3 /m);
    expect(text).toContain('  4 calls with bad arguments, sent on purpose (compute_primes): toolscope');
    expect(text).toContain('  3 tool errors the demo');
    expect(text).toContain('  1 other failure (timeout 1)');
    expect(text).toContain('9 calls to lookup_cty, a misspelled tool sent on purpose');
    expect(text).toContain('1 call ended in another JSON-RPC error.');
    for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  });

  it('names the scripted incident once, under the incident tool’s episode only', () => {
    const base = input();
    const [storage] = base.status.anomalies;
    base.status.anomalies = [
      { ...storage!, key: 'lookup/city', service: 'lookup', tool: 'city', start: RUN_START + 3000 },
      storage!,
      { ...storage!, start: RUN_START + 25_000, end: RUN_START + 26_000 },
    ];
    const text = demoSummary(base);
    expect(text.match(/the scripted incident ran from/g)).toHaveLength(1);
    const lines = text.split('\n');
    const said = lines.findIndex((line) => line.includes('the scripted incident ran from'));
    expect(lines[said - 1]).toContain('storage_fetch_record: fault (z-scores), critical, from 14.1 s');
  });

  it('does not pass another tool’s hot function off as the profile of a tool that waits', () => {
    const base = input();
    base.status.tools = [
      toolStatus('compute_primes', { cpuMicrosPerCall: 2100, p50: 2.3 }),
      toolStatus('storage_fetch_record', { cpuMicrosPerCall: 735, p50: 51.3 }),
    ];
    const profile = (toolKey: string) => ({
      toolKey,
      reason: 'anomaly' as const,
      startedAt: RUN_START + 16_000,
      durationMs: 4000,
      scope: 'process' as const,
      path: `/tmp/toolscope-profiles/${toolKey.replace('/', '_')}.cpuprofile`,
      bytes: 1000,
      sampleCount: 4000,
      top: [
        {
          functionName: 'countPrimesBelow',
          url: 'file:///demo.js',
          line: 1,
          selfMs: 40,
          totalMs: 40,
          selfShare: 0.04,
          totalShare: 0.04,
        },
      ],
      heap: undefined,
    });
    base.status.profiles = {
      running: false,
      recent: [profile('storage/fetch_record'), profile('compute/primes')],
    };
    const text = demoSummary(base);
    const [waiting, computing] = text.split('\nCPU profile (').slice(1);
    expect(waiting).toContain('storage_fetch_record waits rather than computes');
    expect(waiting).not.toContain('countPrimesBelow');
    expect(computing).toContain('hottest in the process: countPrimesBelow 4 %');
  });

  it('keeps every decision made during the incident when it shortens the list', () => {
    const base = input();
    const decision = (second: number, reason: string) => ({
      time: RUN_START + second * 1000,
      poolId: 'storage',
      previousLimit: 8,
      newLimit: 9,
      direction: 'up' as const,
      reason,
      applied: true,
      message: '',
    });
    const early = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => decision(s, 'probe_up'));
    const during = [14, 15, 16, 18].map((s) => decision(s, 'capacity_drop'));
    const late = [27, 28, 29].map((s) => decision(s, 'probe_up'));
    base.status.tuning = {
      enabled: true,
      dryRun: false,
      decisions: [...early, ...during, ...late],
      judgements: [],
    };
    const text = demoSummary(base);
    for (const second of [14, 15, 16, 18])
      expect(text).toContain(`  ${second}.0 s  storage 8 → 9 (capacity_drop)`);
    expect(text).toContain('  1.0 s  storage');
    expect(text).toContain('  … 6 more');
    expect(text).toContain('  … 1 more');
    expect(text).toContain('  29.0 s  storage');
  });
});

describe('wrap', () => {
  it('keeps the first line’s indent and indents the rest', () => {
    expect(wrap('  one two three four', 12, '    ')).toEqual(['  one two', '    three', '    four']);
  });
});
