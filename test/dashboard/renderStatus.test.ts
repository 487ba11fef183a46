import { describe, expect, it } from 'vitest';
import { callRates, renderStatus, renderTop, sparkline } from '../../src/dashboard/index.js';
import { NOW, STEADY_LOAD, statusSnapshot, toolStatus } from './statusFixture.js';

const incident = () =>
  statusSnapshot(
    [
      toolStatus('storage_fetch_record', {
        p95: 320,
        anomaly: {
          score: 0.91,
          anomalous: true,
          severity: 'critical',
          class: 'fault',
          detector: 'zscore',
          load: STEADY_LOAD,
          since: NOW - 5000,
          warmingUp: false,
          deviations: [{ feature: 'latency', z: 9, value: 300, typical: 50 }],
          reasons: ['latency 6.0× typical (300 ms vs 50 ms)'],
          recommendations: ['blocked on I/O or a slow dependency'],
        },
      }),
      toolStatus('lookup_city', { calls: 300 }),
    ],
    {
      alerts: {
        active: [
          {
            id: 'anomaly|storage/fetch_record|1',
            rule: 'anomaly',
            condition: 'anomaly',
            level: 'critical',
            subject: 'storage/fetch_record',
            service: 'storage',
            tool: 'fetch_record',
            since: NOW - 4000,
            value: 0.91,
            threshold: 0.5,
            summary: 'storage/fetch_record behaves anomalously',
            notified: true,
          },
        ],
        recent: [],
      },
      tuning: {
        enabled: true,
        dryRun: false,
        judgements: [],
        decisions: [
          {
            time: NOW - 3000,
            poolId: 'storage',
            previousLimit: 16,
            newLimit: 8,
            direction: 'down',
            reason: 'capacity_drop',
            applied: true,
            message: 'storage: 16 → 8',
          },
        ],
      },
    },
  );

describe('renderStatus', () => {
  it('shows services, tools, the active alert, the anomaly with its advice, and recent events', () => {
    const text = renderStatus(incident(), { url: 'http://127.0.0.1:8765', width: 160 });
    expect(text).toContain('toolscope 0.1.0 · gateway · pid 4242 · up 3m 12s · 2 sessions · 1 active alert');
    expect(text).toMatch(/SERVICES\nservice +state/);
    expect(text).toMatch(
      /storage_fetch_record +100 +3\.0 % +12\.5 ms +320 ms +80\.0 ms +850 µs +2\/8 +closed +io_bound +0\.91 critical/,
    );
    expect(text).toContain('ACTIVE ALERTS');
    expect(text).toContain('⚠ storage_fetch_record: latency 6.0× typical (300 ms vs 50 ms)');
    expect(text).toContain('  → blocked on I/O or a slow dependency');
    expect(text).toContain('pool storage 16 → 8 (capacity_drop)');
  });

  it('says why a service failed under the services table, also a remote one with no stderr (issue 18)', () => {
    const status = statusSnapshot([toolStatus('lookup_city')]);
    status.services.push({
      name: 'remote',
      kind: 'remote',
      url: 'https://mcp.example.invalid/mcp',
      state: 'failed',
      startedAt: NOW - 1000,
      uptimeMs: 0,
      restarts: 2,
      lastError: 'fetch failed: getaddrinfo ENOTFOUND mcp.example.invalid',
      tools: [],
      stderrTail: [],
    });
    const text = renderStatus(status, { url: 'http://127.0.0.1:8765', width: 120 });
    expect(text).toMatch(/^remote +failed /m);
    expect(text).toContain('✗ remote failed: fetch failed: getaddrinfo ENOTFOUND mcp.example.invalid');
    expect(text.indexOf('✗ remote failed')).toBeLessThan(text.indexOf('TOOLS'));
    expect(text).not.toContain('STDERR');
  });

  it('drops the least useful columns to fit a narrow terminal, never the tool, p95 or anomaly', () => {
    const text = renderStatus(incident(), { url: 'http://127.0.0.1:8765', width: 60 });
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    const header = text.split('\n').find((line) => line.startsWith('tool '))!;
    expect(header).toMatch(/^tool +.*p95.*anomaly/);
    expect(header).not.toContain('load');
  });
});

describe('renderTop', () => {
  it('fills the screen exactly, busiest tool first, with rates and the footer on the last line', () => {
    const previous = incident();
    const current = incident();
    current.now = previous.now + 2000;
    current.tools = current.tools.map((tool) => ({
      ...tool,
      calls: tool.calls + (tool.name === 'lookup_city' ? 10 : 40),
    }));
    const lines = renderTop(current, {
      url: 'http://127.0.0.1:8765',
      width: 150,
      height: 30,
      previous,
      intervalSeconds: 2,
    });
    expect(lines).toHaveLength(30);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(150);
    const toolLines = lines.filter((line) => /^(storage_fetch_record|lookup_city) /.test(line));
    expect(toolLines[0]).toMatch(/^storage_fetch_record +20\.0 /);
    expect(toolLines[1]).toMatch(/^lookup_city +5\.0 /);
    expect(lines.at(-1)).toBe('q quit · every 2 s · dashboard http://127.0.0.1:8765/');
    expect(lines.join('\n')).toContain('ACTIVE ALERTS');
  });

  it('says when a refresh failed and still shows the last status', () => {
    const lines = renderTop(incident(), { url: 'u', width: 80, height: 12, error: 'fetch failed' });
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toContain('refresh failed: fetch failed');
  });

  it('computes calls per second between two snapshots', () => {
    const a = incident();
    const b = { ...incident(), now: a.now + 500 };
    b.tools = b.tools.map((t) => ({ ...t, calls: t.calls + 5 }));
    expect([...callRates(b, a).values()]).toEqual([10, 10]);
    expect(callRates(b, undefined).size).toBe(0);
  });
});

describe('sparkline', () => {
  it('scales to its own max, keeps gaps and pads to the width', () => {
    expect(sparkline([0, 5, 10, null, 10], 6)).toBe(' ▁▅█ █');
  });
});
