import type { ToolLoadStatus } from '../../src/analysis/index.js';
import type { StatusSnapshot, ToolStatus } from '../../src/dashboard/index.js';

export const NOW = Date.parse('2026-01-01T12:00:00Z');

/** The load of a tool that is neither saturated nor busier than usual. */
export const STEADY_LOAD: ToolLoadStatus = {
  arrivalRate: 10,
  usualRate: 10,
  concurrency: 2,
  response: 'flat',
  slope: 0.02,
  refusedShare: 0,
  overloadErrorShare: 0,
  queueShare: 0,
};

/** A tool's status with plausible figures. */
export function toolStatus(name: string, overrides: Partial<ToolStatus> = {}): ToolStatus {
  const service = name.slice(0, name.indexOf('_'));
  const tool = name.slice(name.indexOf('_') + 1);
  return {
    key: `${service}/${tool}`,
    service,
    tool,
    name,
    calls: 100,
    errors: 1,
    toolErrors: 2,
    errorRate: 0.03,
    errorTypes: {},
    p50: 12.5,
    p95: 40,
    p99: 80,
    queueWaitP95: 0,
    cpuMicrosPerCall: 850,
    cpuKind: 'call',
    heapBytesPerCall: 2048,
    anomaly: {
      score: 0.2,
      anomalous: false,
      severity: null,
      class: null,
      detector: null,
      load: STEADY_LOAD,
      since: null,
      warmingUp: false,
      deviations: [],
      reasons: [],
      recommendations: [],
    },
    pool: { id: service, limit: 8, initialLimit: 8, inFlight: 2, queued: 0, queueSize: 64 },
    breaker: { state: 'closed', ids: [service], retryAfterMs: 0 },
    loadPattern: { pattern: 'io_bound' },
    ...overrides,
  };
}

/** A whole status document around the given tools. */
export function statusSnapshot(tools: ToolStatus[], overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    version: '0.1.0',
    pid: 4242,
    mode: 'gateway',
    now: NOW,
    startedAt: NOW - 192_000,
    uptimeMs: 192_000,
    sessions: 2,
    services: [...new Set(tools.map((t) => t.service))].map((name) => ({
      name,
      kind: 'stdio',
      command: `node ${name}.js`,
      state: 'ready',
      startedAt: NOW - 190_000,
      uptimeMs: 190_000,
      restarts: 0,
      tools: tools.filter((t) => t.service === name).map((t) => t.tool),
      stderrTail: [],
    })),
    tools,
    alerts: { active: [], recent: [] },
    anomalies: [],
    tuning: { enabled: false, dryRun: false, decisions: [], judgements: [] },
    profiles: { running: false, recent: [] },
    ...overrides,
  };
}
