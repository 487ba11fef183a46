import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/Analyzer.js';
import { AnalyzerService, type ServiceTimers } from '../../src/analysis/AnalyzerService.js';
import { FileStateStore, type StateStore } from '../../src/analysis/FileStateStore.js';
import type { Verdict } from '../../src/analysis/Verdict.js';
import { T0, Traffic } from './traffic.js';

/** Timers that only run when the test says so. */
class ManualTimers implements ServiceTimers {
  intervals: { fn: () => void; ms: number; unrefed: boolean; cleared: boolean }[] = [];
  immediates: (() => void)[] = [];
  setInterval(fn: () => void, ms: number) {
    const entry = { fn, ms, unrefed: false, cleared: false };
    this.intervals.push(entry);
    return Object.assign(entry, {
      unref() {
        entry.unrefed = true;
      },
    });
  }
  clearInterval(handle: unknown) {
    (handle as { cleared: boolean }).cleared = true;
  }
  setImmediate(fn: () => void) {
    this.immediates.push(fn);
  }
  /** Runs queued immediates until none are left; returns how many turns that took. */
  drain(): number {
    let turns = 0;
    while (this.immediates.length > 0) {
      this.immediates.shift()!();
      turns++;
    }
    return turns;
  }
}

class MemoryStore implements StateStore {
  saved: unknown;
  async load() {
    return this.saved;
  }
  async save(value: unknown) {
    this.saved = JSON.parse(JSON.stringify(value));
  }
}

function learned(seed = 1) {
  // The service asks the analyzer's clock for `now`: ten minutes after the traffic, so the forest is due.
  const analyzer = new Analyzer({ seed, forest: { retrainMs: 1000 }, clock: () => T0 + 600_000 });
  const t = new Traffic(seed);
  for (let i = 0; i < 1500; i++) {
    if (i % 10 === 0) analyzer.maintain(t.now);
    analyzer.observe(t.next());
  }
  return { analyzer, t };
}

describe('AnalyzerService', () => {
  it('spreads a forest retraining over many event-loop turns', async () => {
    const { analyzer, t } = learned();
    const timers = new ManualTimers();
    const service = new AnalyzerService(analyzer, { timers, sliceMs: 0.1 });
    analyzer.observe(t.next());
    const run = service.runMaintenance();
    const turns = timers.drain();
    await run;
    expect(analyzer.status()[0]?.forestTrainedAt).toBe(T0 + 600_000);
    expect(turns).toBeGreaterThan(5);
    expect(service.stats()).toMatchObject({ runs: 1, running: false });
    expect(service.stats().slices).toBe(turns + 1);
  });

  it('joins a running maintenance instead of starting a second one', async () => {
    const { analyzer } = learned();
    const timers = new ManualTimers();
    const service = new AnalyzerService(analyzer, { timers, sliceMs: 0.1 });
    const a = service.runMaintenance();
    const b = service.runMaintenance();
    expect(b).toBe(a);
    timers.drain();
    await a;
    expect(service.stats().runs).toBe(1);
  });

  it('hands verdicts to observers and keeps serving when one throws', () => {
    const errors: unknown[] = [];
    const service = new AnalyzerService(new Analyzer(), {
      timers: new ManualTimers(),
      onError: (e) => errors.push(e),
    });
    const seen: Verdict[] = [];
    service.addVerdictObserver({
      onVerdict() {
        throw new Error('observer bug');
      },
    });
    const off = service.addVerdictObserver({ onVerdict: (v) => seen.push(v) });
    const t = new Traffic(1);
    const v = service.observe(t.next());
    service.onObservation(t.next());
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(v);
    expect(errors).toHaveLength(2);
    off();
    service.observe(t.next());
    expect(seen).toHaveLength(2);
  });

  it('starts unref()ed timers, restores at start and saves at stop', async () => {
    const store = new MemoryStore();
    const { analyzer } = learned(4);
    store.saved = JSON.parse(JSON.stringify(analyzer.snapshot()));
    const timers = new ManualTimers();
    const fresh = new Analyzer({ seed: 4 });
    const service = new AnalyzerService(fresh, {
      timers,
      store,
      maintainIntervalMs: 500,
      snapshotIntervalMs: 60_000,
    });
    expect(await service.start()).toBe(true);
    expect(fresh.status()[0]?.warmingUp).toBe(false);
    expect(timers.intervals.map((i) => [i.ms, i.unrefed])).toEqual([
      [500, true],
      [60_000, true],
    ]);
    store.saved = undefined;
    await service.stop();
    expect(timers.intervals.every((i) => i.cleared)).toBe(true);
    expect((store.saved as { tools: unknown[] }).tools).toHaveLength(1);
  });

  it('starts fresh when the store fails or holds something else', async () => {
    const errors: unknown[] = [];
    const broken: StateStore = {
      load: () => Promise.reject(new Error('disk gone')),
      save: () => Promise.reject(new Error('disk gone')),
    };
    const service = new AnalyzerService(new Analyzer(), {
      timers: new ManualTimers(),
      store: broken,
      onError: (e) => errors.push(e),
    });
    expect(await service.start()).toBe(false);
    await service.stop();
    expect(errors).toHaveLength(2);
  });
});

describe('FileStateStore', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a snapshot through a file and leaves no temporary files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'toolscope-state-'));
    const store = FileStateStore.inDirectory(join(dir, 'nested'));
    const { analyzer } = learned(2);
    await store.save(analyzer.snapshot());
    await store.save(analyzer.snapshot());
    expect(await readdir(join(dir, 'nested'))).toEqual(['analyzer.json']);
    const restored = new Analyzer({ seed: 2 });
    expect(restored.restore(await store.load())).toBe(true);
    expect(restored.status()[0]?.latencyP50Ms).toBe(analyzer.status()[0]?.latencyP50Ms);
  });

  it('reads a missing or torn file as nothing saved', async () => {
    dir = await mkdtemp(join(tmpdir(), 'toolscope-state-'));
    const store = new FileStateStore(join(dir, 'analyzer.json'));
    expect(await store.load()).toBeUndefined();
    await writeFile(store.path, '{"version":1,"tools":[');
    expect(await store.load()).toBeUndefined();
  });

  it('keeps the previous snapshot when a save fails', async () => {
    dir = await mkdtemp(join(tmpdir(), 'toolscope-state-'));
    const store = new FileStateStore(join(dir, 'analyzer.json'));
    await store.save({ n: 1 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(store.save(circular)).rejects.toThrow();
    expect(JSON.parse(await readFile(store.path, 'utf8'))).toEqual({ n: 1 });
    expect(await readdir(dir)).toEqual(['analyzer.json']);
  });
});
