import { describe, expect, it } from 'vitest';
import { ToolSeries } from '../../src/dashboard/index.js';
import { observation } from './observation.js';

const T0 = 1_700_000_000_000;

describe('ToolSeries', () => {
  it('puts calls in the bucket of their end time, with gaps as nulls', () => {
    const series = new ToolSeries(1000, 10);
    series.record(observation('s/t', T0 + 100, { durationMs: 20 }));
    series.record(observation('s/t', T0 + 900, { durationMs: 40, outcome: 'error', errorType: 'timeout' }));
    series.record(
      observation('s/t', T0 + 2500, { durationMs: 30, outcome: 'tool_error', errorType: 'tool_error' }),
    );
    const from = series.bucketOf(T0);
    const window = series.window(from, from + 2);
    expect(window.t).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2]);
    expect(window.calls).toEqual([2, 0, 1]);
    expect(window.errors).toEqual([1, 0, 0]);
    expect(window.toolErrors).toEqual([0, 0, 1]);
    expect(window.p50[1]).toBeNull();
    expect(window.p99[0]).toBe(40);
    expect(window.p50[2]).toBe(30);
  });

  it('keeps means of CPU, heap and queue wait, the most calls in flight and the calls that waited', () => {
    const series = new ToolSeries(1000, 10);
    series.record(
      observation('s/t', T0, {
        cpuUserMicros: 100,
        cpuSystemMicros: 50,
        heapAllocatedBytes: 1000,
        inFlightAtStart: 3,
      }),
    );
    series.record(
      observation('s/t', T0 + 1, {
        cpuUserMicros: 250,
        heapAllocatedBytes: 3000,
        queueWaitMs: 4,
        inFlightAtStart: 1,
      }),
    );
    const bucket = series.bucketOf(T0);
    const window = series.window(bucket, bucket);
    expect(window.cpuMicros).toEqual([200]);
    expect(window.heapBytes).toEqual([2000]);
    expect(window.queueWaitMs).toEqual([2]);
    expect(window.waited).toEqual([1]);
    expect(window.inFlight).toEqual([4]);
  });

  it('holds at most `capacity` buckets however long it runs', () => {
    const series = new ToolSeries(1000, 5);
    for (let s = 0; s < 100; s++) series.record(observation('s/t', T0 + s * 1000));
    const newest = series.newestBucket!;
    expect(series.oldestBucket).toBe(newest - 4);
    const window = series.window(newest - 9, newest);
    expect(window.calls).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('clears the buckets a silence skipped over', () => {
    const series = new ToolSeries(1000, 4);
    series.record(observation('s/t', T0));
    series.record(observation('s/t', T0 + 1000));
    series.record(observation('s/t', T0 + 6000));
    const newest = series.newestBucket!;
    expect(series.window(newest - 3, newest).calls).toEqual([0, 0, 0, 1]);
  });

  it('counts a call that ends in an older bucket than the newest in the newest', () => {
    const series = new ToolSeries(1000, 4);
    series.record(observation('s/t', T0 + 2000));
    series.record(observation('s/t', T0 + 500));
    const newest = series.newestBucket!;
    expect(series.window(newest, newest).calls).toEqual([2]);
  });

  it('marks the newest bucket with the highest score and any anomaly', () => {
    const series = new ToolSeries(1000, 4);
    series.record(observation('s/t', T0));
    series.recordVerdict(0.3, false);
    series.recordVerdict(0.8, true);
    series.recordVerdict(0.5, false);
    const bucket = series.bucketOf(T0);
    const window = series.window(bucket, bucket);
    expect(window.score).toEqual([0.8]);
    expect(window.anomaly).toEqual([1]);
  });

  it('sums exactly over a range of buckets', () => {
    const series = new ToolSeries(1000, 10);
    for (let i = 0; i < 6; i++)
      series.record(
        observation('s/t', T0 + i * 500, {
          durationMs: 10,
          outcome: i === 0 ? 'error' : 'success',
          cpuUserMicros: 10,
        }),
      );
    const from = series.bucketOf(T0);
    const totals = series.totals(from + 1, from + 2);
    expect(totals).toMatchObject({ calls: 4, errors: 0, durationSumMs: 40, cpuSumMicros: 40, cpuCount: 4 });
    expect(series.totals(from, from + 9).calls).toBe(6);
  });
});
