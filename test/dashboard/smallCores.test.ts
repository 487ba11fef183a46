import { describe, expect, it } from 'vitest';
import type { TuningDecisionRecord } from '../../src/dashboard/index.js';
import { parseSince, poolLimitSeries, redactCommand, safeUrl } from '../../src/dashboard/index.js';

function decision(
  time: number,
  poolId: string,
  previousLimit: number,
  newLimit: number,
  applied = true,
): TuningDecisionRecord {
  return {
    time,
    poolId,
    previousLimit,
    newLimit,
    direction: newLimit > previousLimit ? 'up' : 'down',
    reason: 'capacity_drop',
    applied,
    message: `${poolId}: ${previousLimit} → ${newLimit}`,
  };
}

describe('redactCommand', () => {
  it('shows the command line with credentials replaced', () => {
    expect(
      redactCommand('npx', [
        '-y',
        '@acme/server',
        '--api-key',
        'k-123',
        '--token=abc',
        'GITHUB_TOKEN=ghp_x',
        'ghp_abcdef',
        'https://user:pw@example.com/x',
        '--port',
        '8080',
        'two words',
      ]),
    ).toBe(
      'npx -y @acme/server --api-key [REDACTED] --token=[REDACTED] GITHUB_TOKEN=[REDACTED] [REDACTED] [REDACTED] --port 8080 "two words"',
    );
  });

  it('keeps remote URLs to scheme, host and path', () => {
    expect(safeUrl('https://user:secret@example.com:8443/mcp?key=abc#frag')).toBe(
      'https://example.com:8443/mcp',
    );
    expect(safeUrl('not a url')).toBe('[invalid URL]');
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-01-02T03:04:05Z');
  it('reads durations back from now, ISO dates and epoch ms', () => {
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('2026-01-02T03:00:00Z', now)).toBe(Date.parse('2026-01-02T03:00:00Z'));
    expect(parseSince(String(now - 5), now)).toBe(now - 5);
  });
  it('refuses anything else', () => {
    for (const text of ['', 'soon', '10 minutes', '-5m', '2026-13-45'])
      expect(parseSince(text, now)).toBeUndefined();
  });
});

describe('poolLimitSeries', () => {
  const t = [100, 101, 102, 103, 104];
  it('rebuilds each pool limit per bucket from applied decisions', () => {
    const limits = poolLimitSeries(
      t,
      1000,
      new Map([
        ['storage', 6],
        ['lookup', 8],
      ]),
      [
        decision(101_500, 'storage', 16, 8),
        decision(103_200, 'storage', 8, 6),
        decision(102_000, 'storage', 6, 2, false),
      ],
    );
    expect(limits.storage).toEqual([16, 8, 8, 6, 6]);
    expect(limits.lookup).toEqual([8, 8, 8, 8, 8]);
  });
});
