import { describe, expect, it } from 'vitest';
import { LoadPatternClassifier } from '../../src/tuning/index.js';
import { observation, ref } from './fixtures.js';

const tool = ref('svc', 't');

function feedCalls(
  c: LoadPatternClassifier,
  n: number,
  make: (i: number) => Parameters<typeof observation>[0],
) {
  for (let i = 0; i < n; i++) c.observe(observation(make(i)));
}

describe('LoadPatternClassifier', () => {
  it('calls a tool CPU-bound when its CPU time is most of its execution time', () => {
    const c = new LoadPatternClassifier();
    feedCalls(c, 50, (i) => ({
      ref: tool,
      startTime: i,
      durationMs: 60,
      queueWaitMs: 10,
      cpuUserMicros: 40_000,
      cpuSystemMicros: 5000,
    }));
    const p = c.profile(tool.key);
    expect(p.pattern).toBe('cpu_bound');
    expect(p.cpuRatio).toBeCloseTo(0.9, 1);
  });

  it('calls a tool I/O-bound when it mostly waits', () => {
    const c = new LoadPatternClassifier();
    feedCalls(c, 50, (i) => ({ ref: tool, startTime: i, durationMs: 200, cpuUserMicros: 4000 }));
    expect(c.profile(tool.key).pattern).toBe('io_bound');
  });

  it('calls a CPU-bound upstream called 16 at a time CPU-bound, from how busy its process was (issue 16)', () => {
    // A 20-ms busy loop on a single-threaded server, 16 calls at once: each call's window is ~320 ms,
    // all of it on the CPU. Split per call, the figure would read 20 ms of 320 (6 %) and say I/O-bound.
    const c = new LoadPatternClassifier();
    feedCalls(c, 50, (i) => ({
      ref: tool,
      startTime: i,
      durationMs: 320,
      inFlightAtStart: 15,
      inFlightDuringCall: 16,
      cpuUserMicros: 318_000,
      cpuAttribution: 'upstream_process',
      cpuWindowMs: 320,
    }));
    expect(c.profile(tool.key).pattern).toBe('cpu_bound');
    const io = new LoadPatternClassifier();
    feedCalls(io, 50, (i) => ({
      ref: tool,
      startTime: i,
      durationMs: 100,
      inFlightAtStart: 15,
      inFlightDuringCall: 16,
      cpuUserMicros: 6_000,
      cpuAttribution: 'upstream_process',
      cpuWindowMs: 100,
    }));
    expect(io.profile(tool.key).pattern).toBe('io_bound');
  });

  it('calls a tool memory-heavy when calls allocate a lot, or the upstream keeps growing', () => {
    const heap = new LoadPatternClassifier();
    feedCalls(heap, 50, (i) => ({
      ref: tool,
      startTime: i,
      durationMs: 20,
      cpuUserMicros: 19_000,
      heapAllocatedBytes: 64 * 2 ** 20,
    }));
    expect(heap.profile(tool.key).pattern).toBe('memory_heavy');

    const leak = new LoadPatternClassifier();
    // 100 MiB of growth per minute, one call a second.
    feedCalls(leak, 120, (i) => ({
      ref: tool,
      startTime: i * 1000,
      durationMs: 20,
      upstreamRssBytes: 2 ** 28 + (i * (100 * 2 ** 20)) / 60,
    }));
    const p = leak.profile(tool.key);
    expect(p.pattern).toBe('memory_heavy');
    expect(p.memoryTrendBytesPerMin! / 2 ** 20).toBeCloseTo(100, 0);
  });

  it('says unknown until it has enough calls with CPU figures', () => {
    const c = new LoadPatternClassifier();
    feedCalls(c, 5, (i) => ({ ref: tool, startTime: i, durationMs: 60, cpuUserMicros: 50_000 }));
    expect(c.profile(tool.key).pattern).toBe('unknown');
    expect(c.profile('svc/never').pattern).toBe('unknown');
  });
});
