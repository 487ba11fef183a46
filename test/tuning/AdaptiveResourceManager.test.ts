import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/analysis/index.js';
import type { CallObservation } from '../../src/pipeline/index.js';
import {
  AdaptiveResourceManager,
  type LimitController,
  type LimitSample,
  SeededRandom,
  simulatePool,
  type TuningDecision,
  tuningConfigSchema,
  tuningDecisionAttributes,
} from '../../src/tuning/index.js';
import { FakePool, observation, ref, scenario } from './fixtures.js';

const tool = ref('svc', 'search');

function manager(config: unknown = {}, now = { t: 0 }) {
  const r = new SeededRandom(11);
  return new AdaptiveResourceManager({
    config: tuningConfigSchema.parse(config),
    clock: () => now.t,
    random: () => r.next(),
  });
}

/** The manager in the simulator's loop: samples become observations, the fake pool's limit is the answer. */
class ManagerInTheLoop implements LimitController {
  readonly pool = new FakePool('svc', 10);
  readonly clock = { t: 0 };
  readonly manager = manager({}, this.clock);
  constructor() {
    this.manager.registerPool(this.pool);
  }
  get limit(): number {
    return this.pool.limit;
  }
  onSample(s: LimitSample): number {
    this.clock.t = s.time;
    const obs: CallObservation = observation({
      ref: tool,
      startTime: s.time - s.latencyMs - s.queueWaitMs,
      durationMs: s.latencyMs + s.queueWaitMs,
      queueWaitMs: s.queueWaitMs,
      inFlightAtStart: s.inFlight,
      outcome: s.outcome === 'success' ? 'success' : 'error',
      errorType: s.outcome === 'timeout' ? 'timeout' : s.outcome === 'success' ? undefined : 'overloaded',
    });
    this.manager.onObservation(obs);
    return this.pool.limit;
  }
  onTick(now: number): number {
    this.clock.t = now;
    this.manager.tick(now);
    return this.pool.limit;
  }
}

function verdict(overrides: Partial<Verdict>): Verdict {
  return {
    ref: tool,
    time: 0,
    score: 0.9,
    forestScore: undefined,
    anomaly: true,
    severity: 'critical',
    class: 'overload',
    detector: 'load',
    deviations: [{ feature: 'latency', z: 6, value: 400, typical: 50 }],
    reasons: [],
    recommendations: [],
    warmingUp: false,
    ...overrides,
  };
}

/** Drives a manager with a full pool of `limit` at 40 ms per call until its window has closed. */
function saturate(m: AdaptiveResourceManager, limit: number, until: number, now: { t: number }) {
  for (let t = 0; t < until; t += 5) {
    now.t = t;
    m.onObservation(
      observation({
        ref: tool,
        startTime: t - 45,
        durationMs: 45,
        queueWaitMs: 5,
        inFlightAtStart: limit - 1,
      }),
    );
    if (t % 100 === 0) m.tick(t);
  }
}

describe('AdaptiveResourceManager', () => {
  it('settles the pool near the upstream capacity and follows a capacity change, with observations in the loop', () => {
    const loop = new ManagerInTheLoop();
    const result = simulatePool(scenario(), loop);
    const meanLimit = (from: number, to: number) => {
      const xs: number[] = [];
      for (let i = 0; i < result.traceMs.length; i++) {
        if (result.traceMs[i]! >= from && result.traceMs[i]! < to) xs.push(result.traceLimit[i]!);
      }
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(meanLimit(10_000, 20_000)).toBeGreaterThanOrEqual(16);
    expect(meanLimit(10_000, 20_000)).toBeLessThanOrEqual(22);
    expect(meanLimit(25_000, 40_000)).toBeGreaterThanOrEqual(8);
    expect(meanLimit(25_000, 40_000)).toBeLessThanOrEqual(11);
    expect(meanLimit(45_000, 60_000)).toBeGreaterThanOrEqual(16);
    const reasons = new Set(loop.manager.decisions().map((d) => d.reason));
    expect(reasons.has('probe_up')).toBe(true);
    expect([...reasons].some((r) => r === 'capacity_drop' || r === 'latency_gradient')).toBe(true);
  });

  it('applies the configured initial limit and bounds at registration, as a recorded decision', () => {
    const m = manager({ pools: { svc: { initial: 4, min: 2, max: 6 } } });
    const pool = new FakePool('svc', 8);
    m.registerPool(pool);
    expect(pool.limit).toBe(4);
    const [d] = m.decisions();
    expect(d).toMatchObject({
      poolId: 'svc',
      previousLimit: 8,
      newLimit: 4,
      direction: 'down',
      reason: 'config',
      applied: true,
    });
  });

  it('records every decision with old and new limit, reason and evidence, and tells listeners', () => {
    const now = { t: 0 };
    const m = manager({}, now);
    const pool = new FakePool('svc', 10);
    m.registerPool(pool);
    const seen: TuningDecision[] = [];
    m.addListener({ onTuningDecision: (d) => seen.push(d) });
    saturate(m, 10, 3000, now);
    expect(pool.limit).toBeGreaterThan(10);
    const grow = seen.find((d) => d.reason === 'probe_up')!;
    expect(grow.direction).toBe('up');
    expect(grow.newLimit).toBeGreaterThan(grow.previousLimit);
    expect(grow.evidence.samples).toBeGreaterThan(0);
    expect(grow.evidence.noLoadLatencyMs).toBeGreaterThan(0);
    expect(grow.message).toContain('svc: ');
    expect(tuningDecisionAttributes(grow)).toEqual({
      'toolscope.pool': 'svc',
      'toolscope.tuning.direction': 'up',
      'toolscope.tuning.reason': 'probe_up',
    });
  });

  it('recommends without resizing in dry-run mode', () => {
    const now = { t: 0 };
    const m = manager({ dryRun: true }, now);
    const pool = new FakePool('svc', 10);
    m.registerPool(pool);
    saturate(m, 10, 3000, now);
    expect(pool.limit).toBe(10);
    expect(pool.limits).toEqual([]);
    const decisions = m.decisions().filter((d) => d.reason === 'probe_up');
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => !d.applied)).toBe(true);
    expect(m.status().pools[0]).toMatchObject({ limit: 10, dryRun: true });
    expect(m.status().pools[0]!.recommendedLimit).toBeGreaterThan(10);
  });

  it('leaves a disabled pool alone', () => {
    const now = { t: 0 };
    const m = manager({ pools: { svc: { enabled: false, initial: 3 } } }, now);
    const pool = new FakePool('svc', 10);
    m.registerPool(pool);
    saturate(m, 10, 3000, now);
    expect(pool.limits).toEqual([]);
    expect(m.decisions()).toEqual([]);
    expect(m.status().pools[0]!.enabled).toBe(false);
  });

  it("routes a tool's observations to its own pool before its service's", () => {
    const now = { t: 0 };
    const m = manager({}, now);
    const service = new FakePool('svc', 10);
    const own = new FakePool('svc/search', 10);
    m.registerPool(service);
    m.registerPool(own);
    saturate(m, 10, 3000, now);
    expect(own.limit).toBeGreaterThan(10);
    expect(service.limits).toEqual([]);
  });

  it('backs off on a critical overload verdict; a fault verdict (slower tool, errors, leak) moves nothing', () => {
    const now = { t: 0 };
    const m = manager({ pools: { svc: { max: 10 } } }, now);
    const pool = new FakePool('svc', 10);
    m.registerPool(pool);
    saturate(m, 10, 2000, now);
    m.onVerdict(verdict({ class: 'fault', detector: 'zscore' }));
    m.onVerdict(verdict({ class: 'fault', detector: 'memory' }));
    expect(pool.limit).toBe(10);
    m.onVerdict(verdict({}));
    expect(pool.limit).toBe(9);
    expect(m.decisions().at(-1)).toMatchObject({ reason: 'anomaly_verdict', direction: 'down' });
  });

  /** Feeds in-process calls whose CPU is `cpuShare` of their 40-ms execution. */
  function inProcessCalls(
    m: AdaptiveResourceManager,
    key: [string, string],
    cpuShare: number,
    now: { t: number },
  ) {
    for (let i = 0; i < 40; i++) {
      now.t = i * 10;
      m.onObservation(
        observation({ ref: ref(...key), startTime: now.t, durationMs: 40, cpuUserMicros: 40_000 * cpuShare }),
      );
    }
  }

  it('shrinks in-process CPU-bound pools on host CPU saturation, only when this process uses the CPU', () => {
    const now = { t: 0 };
    const m = manager({ pools: { compute: { inProcess: true }, storage: { inProcess: true } } }, now);
    const compute = new FakePool('compute', 10);
    const storage = new FakePool('storage', 10);
    const remote = new FakePool('remote', 10);
    for (const p of [compute, storage, remote]) m.registerPool(p);
    inProcessCalls(m, ['compute', 'primes'], 0.95, now);
    inProcessCalls(m, ['storage', 'fetch'], 0.02, now);
    inProcessCalls(m, ['remote', 'x'], 0.95, now);
    m.onHostSignal({ cpuUtilization: 0.5, processCpuUtilization: 0.45 });
    expect(compute.limit).toBe(10);
    // Saturated, but by other processes: our pools free nothing by shrinking.
    m.onHostSignal({ cpuUtilization: 0.97, processCpuUtilization: 0.1 });
    expect(compute.limit).toBe(10);
    m.onHostSignal({ cpuUtilization: 0.97, processCpuUtilization: 0.9 });
    expect(compute.limit).toBe(8);
    // An I/O-bound tool's capacity does not depend on our cores; a remote one's even less.
    expect(storage.limit).toBe(10);
    expect(remote.limit).toBe(10);
    expect(m.decisions().at(-1)).toMatchObject({ poolId: 'compute', reason: 'host_cpu_saturation' });
  });

  it('records each limit change once, and never a limit kept as it was', () => {
    const now = { t: 0 };
    const m = manager({ pools: { local: { inProcess: true } } }, now);
    const local = new FakePool('local', 10);
    m.registerPool(local);
    inProcessCalls(m, ['local', 'x'], 0.95, now);
    m.onHostSignal({ cpuUtilization: 0.97 });
    now.t += 50;
    // Still saturated right after the drop: the limit is kept, and keeping it is not a decision.
    m.onHostSignal({ cpuUtilization: 0.97 });
    now.t += 50;
    m.onObservation(observation({ ref: ref('local', 'x'), startTime: now.t - 40, durationMs: 40 }));
    expect(m.decisions().map((d) => `${d.previousLimit}→${d.newLimit} ${d.reason}`)).toEqual([
      '10→8 host_cpu_saturation',
    ]);
    expect(m.decisions().every((d) => d.previousLimit !== d.newLimit)).toBe(true);
  });

  it('keeps a bounded decision history', () => {
    const m = manager({ history: 3, defaults: { initial: 2 } });
    for (let i = 0; i < 5; i++) m.registerPool(new FakePool(`p${i}`, 10));
    expect(m.decisions().map((d) => d.poolId)).toEqual(['p2', 'p3', 'p4']);
  });

  it('keeps tuning when a listener throws', () => {
    const m = manager({ defaults: { initial: 2 } });
    const seen: string[] = [];
    m.addListener({
      onTuningDecision: () => {
        throw new Error('broken exporter');
      },
    });
    m.addListener({ onTuningDecision: (d) => seen.push(d.poolId) });
    const pool = new FakePool('a', 10);
    m.registerPool(pool);
    expect(pool.limit).toBe(2);
    expect(seen).toEqual(['a']);
  });

  it('registers pools that an attached source creates later', () => {
    const m = manager();
    const pools: FakePool[] = [];
    m.attach({ list: () => pools });
    pools.push(new FakePool('late', 10));
    m.tick(100);
    expect(m.status().pools.map((p) => p.poolId)).toEqual(['late']);
  });

  it('reports each pool with its limit, load pattern and predicted demand', () => {
    const now = { t: 0 };
    const m = manager({}, now);
    m.registerPool(new FakePool('svc', 10));
    for (let t = 0; t < 5000; t += 10) {
      now.t = t;
      m.onObservation(
        observation({
          ref: tool,
          startTime: t,
          durationMs: 40,
          cpuUserMicros: 38_000,
          cpuAttribution: 'call',
        }),
      );
      if (t % 100 === 0) m.tick(t);
    }
    const [status] = m.status().pools;
    expect(status!.profile?.pattern).toBe('cpu_bound');
    expect(status!.demand.ratePerSec).toBeCloseTo(100, -1);
    expect(status!.demand.predictedConcurrency).toBeCloseTo(4, 0);
  });
});
