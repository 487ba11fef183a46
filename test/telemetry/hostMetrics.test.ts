import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import {
  busyFraction,
  HostCpuGauge,
  HostRuntimeMetrics,
  isReportedDisk,
  parseDiskstats,
  sumCpuTimes,
  Telemetry,
} from '../../src/telemetry/index.js';

const DISKSTATS = `
   7       0 loop0 10 0 80 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 253       0 vda 1200 33 96000 500 800 12 64000 900 0 1400 1400 0 0 0 0 0 0
 253       1 vda1 1100 33 90000 480 790 12 63000 890 0 1300 1300 0 0 0 0 0 0
  11       0 sr0 bad line
`;

describe('host metrics cores', () => {
  it('parses whole disks from /proc/diskstats (512-byte sectors), skipping partitions and loops', () => {
    const whole = new Set(['loop0', 'vda']);
    const disks = parseDiskstats(DISKSTATS, (device) => isReportedDisk(device, whole));
    expect(disks).toEqual([
      { device: 'vda', reads: 1200, writes: 800, readBytes: 96000 * 512, writeBytes: 64000 * 512 },
    ]);
  });

  it('computes the busy share of all cores between two readings', () => {
    const cpu = (user: number, idle: number) => ({ times: { user, nice: 0, sys: 0, irq: 0, idle } });
    const before = sumCpuTimes([cpu(100, 900), cpu(100, 900)]);
    const after = sumCpuTimes([cpu(400, 1100), cpu(100, 1300)]);
    expect(busyFraction(before, after)).toBeCloseTo(300 / 900);
    expect(busyFraction(after, after)).toBeUndefined();
  });

  it('HostCpuGauge answers from the last window when asked sooner than its minimum window', () => {
    let now = 0;
    let busy = 0;
    let total = 0;
    const gauge = new HostCpuGauge(
      () => ({ busy, total }),
      () => now,
      1000,
    );
    expect(gauge.utilization()).toBeUndefined();
    now = 1000;
    busy = 500;
    total = 1000;
    expect(gauge.utilization()).toBe(0.5);
    now = 1500;
    busy = 1500;
    total = 1500;
    expect(gauge.utilization()).toBe(0.5);
    now = 2000;
    expect(gauge.utilization()).toBe(1);
  });

  it('registers host, disk and runtime instruments on a MeterProvider and summarises them', async () => {
    const reader = HostRuntimeMetrics.createReader();
    const provider = new MeterProvider({ readers: [reader] });
    const host = new HostRuntimeMetrics(provider, provider.getMeter('test'), reader);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const status = await host.snapshot();
      expect(status.host.cores).toBeGreaterThan(0);
      expect(status.host.memoryTotalBytes).toBeGreaterThan(status.host.memoryUsedBytes);
      expect(status.process.rssBytes).toBeGreaterThan(0);
      expect(status.process.heapUsedBytes).toBeGreaterThan(0);
      expect(status.process.eventLoopUtilization).toBeGreaterThanOrEqual(0);
      if (process.platform === 'linux') expect(status.host.diskReadBytes).toBeGreaterThanOrEqual(0);
      const { resourceMetrics } = await reader.collect();
      const names = resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.map((m) => m.descriptor.name),
      );
      expect(names).toEqual(
        expect.arrayContaining([
          'system.cpu.utilization',
          'system.memory.usage',
          'system.network.io',
          'process.memory.usage',
          'nodejs.eventloop.delay.p99',
          'v8js.memory.heap.used',
        ]),
      );
    } finally {
      host.stop();
      await provider.shutdown();
    }
  });

  it('gives the tuner its host CPU signal even with metrics off', async () => {
    const telemetry = Telemetry.start({
      config: parseConfig({ toolscope: { telemetry: { prometheus: { enabled: false } } } }, { env: {} })
        .toolscope.telemetry,
      version: 'test',
      servePrometheus: false,
      contextManager: false,
      env: {},
    });
    try {
      expect(telemetry.hostMetrics).toBeUndefined();
      // Before the first 1 s window closes there is no reading yet.
      expect(telemetry.hostCpuUtilization()).toBeUndefined();
    } finally {
      await telemetry.shutdown();
    }
  });
});
