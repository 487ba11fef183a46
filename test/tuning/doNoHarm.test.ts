import { describe, expect, it } from 'vitest';
import {
  type LimitController,
  type LoadJudgement,
  PoolController,
  SeededRandom,
  type SimScenario,
  simulatePool,
  staticLimit,
  summarize,
} from '../../src/tuning/index.js';
import { scenario } from './fixtures.js';

/**
 * The tuner's do-no-harm rules, in simulated time: where shrinking a pool would be wrong — a slower
 * dependency with room to spare, a demand burst the upstream absorbs, a burst of slow calls — the
 * controller must do at least as well as leaving the limit alone.
 */
const seeded = (seed: number) => {
  const r = new SeededRandom(seed);
  return () => r.next();
};

const INITIAL = 10;
const ON = 20_000;
const OFF = 40_000;

/** A roomy backend (64 workers, 20 ms) whose service time or demand changes in [ON, OFF). */
function roomy(rate: number, change: { serviceScale?: number; rateScale?: number }, seed = 3): SimScenario {
  return scenario({
    name: 'do-no-harm',
    seed,
    arrivalRatePerSec: rate,
    serviceMeanMs: 20,
    callTimeoutMs: 2000,
    maxQueue: 200,
    maxQueueWaitMs: 1500,
    phases: [
      { label: 'before', startMs: 0, workers: 64, serviceScale: 1 },
      {
        label: 'incident',
        startMs: ON,
        workers: 64,
        serviceScale: change.serviceScale ?? 1,
        rateScale: change.rateScale ?? 1,
      },
      { label: 'after', startMs: OFF, workers: 64, serviceScale: 1 },
    ],
  });
}

function compare(sc: SimScenario, seed = 1) {
  const controller = new PoolController({ initialLimit: INITIAL, random: seeded(seed) });
  // Every judgement the controller made, as a status page would have shown it.
  const judgements: LoadJudgement[] = [];
  const note = () => {
    const j = controller.state.judgement;
    if (j !== undefined && j !== judgements.at(-1)) judgements.push(j);
  };
  const watched: LimitController = {
    get limit() {
      return controller.limit;
    },
    onSample(sample) {
      const limit = controller.onSample(sample);
      note();
      return limit;
    },
    onTick(now) {
      const limit = controller.onTick(now);
      note();
      return limit;
    },
  };
  const tuned = simulatePool(sc, watched);
  const fixed = simulatePool(sc, staticLimit(INITIAL));
  return {
    tuned: summarize(tuned, ON, sc.durationMs),
    fixed: summarize(fixed, ON, sc.durationMs),
    lowest: Math.min(...Array.from(tuned.traceLimit).filter((_, i) => tuned.traceMs[i]! >= 5000)),
    judgements,
  };
}

describe('the tuner does no harm', () => {
  it('never shrinks for a ×6 slower dependency that has room, where the limit never binds', () => {
    // 40 calls/s: 0.8 in flight, 4.8 once each call takes 120 ms; a limit of 10 is never reached.
    const { tuned, fixed, lowest } = compare(roomy(40, { serviceScale: 6 }));
    expect(lowest).toBeGreaterThanOrEqual(INITIAL);
    expect(tuned.goodputPerSec).toBeGreaterThanOrEqual(0.99 * fixed.goodputPerSec);
    expect(tuned.p99Ms).toBeLessThanOrEqual(1.05 * fixed.p99Ms);
  });

  it('grows, rather than shrinks, when a ×6 slower dependency with room needs more calls in flight', () => {
    // 70 calls/s: 8.4 in flight at 120 ms, so a limit of 10 binds and queues inside toolscope.
    const { tuned, fixed, lowest, judgements } = compare(roomy(70, { serviceScale: 6 }));
    expect(lowest).toBeGreaterThanOrEqual(INITIAL);
    // What the status page says: the tool got several times slower than its old level, and that
    // slowness does not follow concurrency.
    const relearned = judgements.find((j) => j.kind === 'not_saturated');
    expect(relearned?.latencyMs).toBeGreaterThan(
      3 * (relearned?.noLoadLatencyMs ?? Number.POSITIVE_INFINITY),
    );
    expect(tuned.goodputPerSec).toBeGreaterThanOrEqual(0.99 * fixed.goodputPerSec);
    expect(tuned.p99Ms).toBeLessThanOrEqual(fixed.p99Ms);
  });

  it('never shrinks for a ×2 demand burst the upstream absorbs', () => {
    // 4 → 8 calls in flight on 64 workers: more in flight because more calls arrive, not saturation.
    const { tuned, fixed, lowest } = compare(roomy(200, { rateScale: 2 }));
    expect(lowest).toBeGreaterThanOrEqual(INITIAL);
    expect(tuned.goodputPerSec).toBeGreaterThanOrEqual(0.99 * fixed.goodputPerSec);
    expect(tuned.p99Ms).toBeLessThanOrEqual(1.05 * fixed.p99Ms);
  });

  it('never shrinks below the default for bursts of slow calls on a roomy upstream', () => {
    const sc = {
      ...roomy(200, {}),
      noise: {
        meanIntervalMs: 3000,
        minDurationMs: 200,
        maxDurationMs: 1000,
        minFraction: 0.1,
        maxFraction: 0.3,
        minFactor: 3,
        maxFactor: 6,
      },
    };
    for (const seed of [1, 2, 3]) {
      const { tuned, fixed, lowest } = compare({ ...sc, seed }, seed);
      expect(lowest).toBeGreaterThanOrEqual(INITIAL - 1);
      expect(tuned.goodputPerSec).toBeGreaterThanOrEqual(0.99 * fixed.goodputPerSec);
    }
  });

  it('still limits a saturated upstream: workers halved under overload', () => {
    const sc = scenario({ seed: 5 });
    const tuned = summarize(simulatePool(sc, new PoolController({ random: seeded(5) })), 25_000, 40_000);
    const atCapacity = summarize(simulatePool(sc, staticLimit(8)), 25_000, 40_000);
    expect(tuned.goodputPerSec).toBeGreaterThanOrEqual(0.95 * atCapacity.goodputPerSec);
    expect(tuned.p99Ms).toBeLessThanOrEqual(1.3 * atCapacity.p99Ms);
  });
});
