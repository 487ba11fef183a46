import { readdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { diag, type Meter } from '@opentelemetry/api';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  type MeterProvider,
  MetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { HostCpuGauge, sumCpuTimes } from './cpuUtilization.js';
import { isReportedDisk, parseDiskstats } from './diskstats.js';
import * as sc from './semconv.js';

/** Host and runtime figures for status pages (what `/metrics` exports, summed up). */
export interface HostStatus {
  host: {
    /** Busy share of all cores, 0…1, over the latest window. */
    cpuUtilization: number | undefined;
    cores: number;
    loadAverage1m: number;
    memoryUsedBytes: number;
    memoryTotalBytes: number;
    /** Bytes read and written by whole disks since boot (Linux). */
    diskReadBytes: number | undefined;
    diskWriteBytes: number | undefined;
    /** Bytes received and sent on all interfaces since boot. */
    networkReceiveBytes: number | undefined;
    networkTransmitBytes: number | undefined;
  };
  process: {
    /** This process's share of all cores since the previous collection, 0…1. */
    cpuUtilization: number | undefined;
    rssBytes: number | undefined;
    heapUsedBytes: number | undefined;
    heapSizeBytes: number | undefined;
    eventLoopDelayP99Ms: number | undefined;
    eventLoopDelayMeanMs: number | undefined;
    eventLoopUtilization: number | undefined;
    gcCount: number | undefined;
    gcTotalMs: number | undefined;
  };
}

/** What to register. */
export interface HostRuntimeMetricsOptions {
  /** CPU, memory, disk and network I/O of the host and the process. @default true */
  host?: boolean;
  /** Event-loop delay and utilisation, GC, heap spaces. @default true */
  runtime?: boolean;
  /** The host CPU gauge to report (shared with the tuner's signal). @default one of its own */
  cpu?: HostCpuGauge;
}

/** Reads the SDK's current values on demand, for status (never exports anything). */
class SnapshotReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Cardinality caps for the host metrics whose labels grow with the machine (one
 * series per logical CPU and state, per network interface): a container host
 * with hundreds of veth interfaces must not flood the scrape.
 */
export function hostMetricViews(cardinalityLimit = 512): ViewOptions[] {
  return [
    'system.cpu.time',
    sc.METRIC_SYSTEM_CPU_UTILIZATION,
    sc.METRIC_SYSTEM_NETWORK_IO,
    'system.network.errors',
    'system.network.dropped',
    sc.METRIC_SYSTEM_DISK_IO,
    sc.METRIC_SYSTEM_DISK_OPERATIONS,
  ].map((instrumentName) => ({ instrumentName, aggregationCardinalityLimit: cardinalityLimit }));
}

/**
 * Host and Node.js runtime metrics from the OpenTelemetry packages built for it:
 * `@opentelemetry/instrumentation-host-metrics` (system CPU, memory and network
 * I/O; process CPU and memory; it replaced the deprecated `@opentelemetry/host-metrics`) and `@opentelemetry/instrumentation-runtime-node` (event-loop
 * delay and utilisation, GC durations, heap spaces), registered on toolscope's
 * MeterProvider so they leave with everything else. host-metrics has no disk
 * group, so disk I/O (`system.disk.io`, `system.disk.operations`) is read from
 * `/proc/diskstats` on Linux with the semconv names. Everything is computed at
 * collection time: nothing runs per call.
 */
export class HostRuntimeMetrics {
  readonly #reader: MetricReader | undefined;
  readonly #host: HostMetricsInstrumentation | undefined;
  readonly #runtime: RuntimeNodeInstrumentation | undefined;
  readonly #cpu: HostCpuGauge;
  readonly #coreCount = cpus().length;
  #values: ReadonlyMap<string, DataPoint<number | Histogram>[]> = new Map();
  #collectedAt = Number.NEGATIVE_INFINITY;
  #collecting: Promise<void> | undefined;
  #stopped = false;

  /** A reader for status snapshots: pass it to the MeterProvider's `readers`, then to the constructor. */
  static createReader(): MetricReader {
    return new SnapshotReader();
  }

  /**
   * @param reader the {@link HostRuntimeMetrics.createReader} reader registered on `meterProvider`
   *   (without one, snapshots carry only what the OS reports directly)
   */
  constructor(
    meterProvider: MeterProvider,
    meter: Meter,
    reader: MetricReader | undefined,
    options: HostRuntimeMetricsOptions = {},
  ) {
    this.#reader = reader;
    this.#cpu = options.cpu ?? createHostCpuGauge();
    if (options.host ?? true) {
      try {
        this.#host = new HostMetricsInstrumentation();
        this.#host.setMeterProvider(meterProvider);
        registerDiskIo(meter);
      } catch (error) {
        diag.warn('toolscope: host metrics are unavailable', error);
      }
    }
    if (options.runtime ?? true) {
      try {
        this.#runtime = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
        this.#runtime.setMeterProvider(meterProvider);
      } catch (error) {
        diag.warn('toolscope: runtime metrics are unavailable', error);
      }
    }
  }

  /** Busy share of all host cores, 0…1, over the latest window (≥ 1 s); undefined at first. For the tuner. */
  hostCpuUtilization(): number | undefined {
    return this.#cpu.utilization();
  }

  /** Current host and runtime figures, from the same instruments `/metrics` exports (collected now). */
  async snapshot(): Promise<HostStatus> {
    await this.#collect();
    return this.lastSnapshot();
  }

  /**
   * The figures without waiting (for synchronous status builders): OS figures
   * read now, instrument values from the latest collection, which this call
   * refreshes in the background when older than `maxAgeMs`. The first call after
   * start may lack the instrument values.
   */
  lastSnapshot(maxAgeMs = 2000): HostStatus {
    if (performance.now() - this.#collectedAt > maxAgeMs) void this.#collect();
    const values = this.#values;
    const gc = values.get(sc.METRIC_V8JS_GC_DURATION) as DataPoint<Histogram>[] | undefined;
    return {
      host: {
        cpuUtilization: this.hostCpuUtilization(),
        cores: this.#coreCount,
        loadAverage1m: loadavg()[0] ?? 0,
        memoryUsedBytes: totalmem() - freemem(),
        memoryTotalBytes: totalmem(),
        diskReadBytes: sum(values, sc.METRIC_SYSTEM_DISK_IO, sc.ATTR_DISK_IO_DIRECTION, 'read'),
        diskWriteBytes: sum(values, sc.METRIC_SYSTEM_DISK_IO, sc.ATTR_DISK_IO_DIRECTION, 'write'),
        networkReceiveBytes: sum(
          values,
          sc.METRIC_SYSTEM_NETWORK_IO,
          sc.ATTR_NETWORK_IO_DIRECTION,
          'receive',
        ),
        networkTransmitBytes: sum(
          values,
          sc.METRIC_SYSTEM_NETWORK_IO,
          sc.ATTR_NETWORK_IO_DIRECTION,
          'transmit',
        ),
      },
      process: {
        cpuUtilization: sum(values, sc.METRIC_PROCESS_CPU_UTILIZATION),
        rssBytes: sum(values, sc.METRIC_PROCESS_MEMORY_USAGE) ?? process.memoryUsage.rss(),
        heapUsedBytes: sum(values, sc.METRIC_V8JS_MEMORY_HEAP_USED),
        heapSizeBytes: sum(values, sc.METRIC_V8JS_MEMORY_HEAP_SPACE_SIZE),
        eventLoopDelayP99Ms: toMs(sum(values, sc.METRIC_NODEJS_EVENTLOOP_DELAY_P99)),
        eventLoopDelayMeanMs: toMs(sum(values, sc.METRIC_NODEJS_EVENTLOOP_DELAY_MEAN)),
        eventLoopUtilization: sum(values, sc.METRIC_NODEJS_EVENTLOOP_UTILIZATION),
        gcCount: gc ? gc.reduce((total, point) => total + point.value.count, 0) : undefined,
        gcTotalMs: gc ? toMs(gc.reduce((total, point) => total + (point.value.sum ?? 0), 0)) : undefined,
      },
    };
  }

  /** Collect through the snapshot reader (one collection at a time). */
  #collect(): Promise<void> {
    if (!this.#reader) return Promise.resolve();
    this.#collecting ??= this.#reader
      .collect({ timeoutMillis: 2000 })
      .then(({ resourceMetrics }) => {
        const values = new Map<string, DataPoint<number | Histogram>[]>();
        for (const scope of resourceMetrics.scopeMetrics)
          for (const metric of scope.metrics) {
            if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) continue;
            values.set(metric.descriptor.name, metric.dataPoints as DataPoint<number | Histogram>[]);
          }
        this.#values = values;
        this.#collectedAt = performance.now();
      })
      .catch((error: unknown) => diag.debug(`toolscope: host metrics snapshot failed: ${String(error)}`))
      .finally(() => {
        this.#collecting = undefined;
      });
    return this.#collecting;
  }

  /** Stop the runtime collectors (their timers and GC observer). Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#host?.disable();
    this.#runtime?.disable();
  }
}

/** A {@link HostCpuGauge} over `os.cpus()` with a 1 s minimum window. */
export function createHostCpuGauge(): HostCpuGauge {
  return new HostCpuGauge(
    () => sumCpuTimes(cpus()),
    () => performance.now(),
  );
}

/** `system.disk.io` and `system.disk.operations` from /proc/diskstats (Linux; nothing elsewhere). */
function registerDiskIo(meter: Meter): void {
  let wholeDisks: Set<string>;
  try {
    wholeDisks = new Set(readdirSync('/sys/block'));
  } catch {
    return; // not Linux
  }
  const io = meter.createObservableCounter(sc.METRIC_SYSTEM_DISK_IO, {
    unit: 'By',
    description: 'Disk bytes read and written (whole disks).',
  });
  const operations = meter.createObservableCounter(sc.METRIC_SYSTEM_DISK_OPERATIONS, {
    unit: '{operation}',
    description: 'Disk reads and writes completed (whole disks).',
  });
  meter.addBatchObservableCallback(
    (result) => {
      let text: string;
      try {
        text = readFileSync('/proc/diskstats', 'utf8');
      } catch {
        return;
      }
      for (const disk of parseDiskstats(text, (device) => isReportedDisk(device, wholeDisks))) {
        const read = { [sc.ATTR_SYSTEM_DEVICE]: disk.device, [sc.ATTR_DISK_IO_DIRECTION]: 'read' };
        const write = { [sc.ATTR_SYSTEM_DEVICE]: disk.device, [sc.ATTR_DISK_IO_DIRECTION]: 'write' };
        result.observe(io, disk.readBytes, read);
        result.observe(io, disk.writeBytes, write);
        result.observe(operations, disk.reads, read);
        result.observe(operations, disk.writes, write);
      }
    },
    [io, operations],
  );
}

/** Sum of a metric's number points, optionally only those with `attribute` = `value`. */
function sum(
  values: ReadonlyMap<string, DataPoint<number | Histogram>[]>,
  name: string,
  attribute?: string,
  value?: string,
): number | undefined {
  const points = values.get(name);
  if (!points || points.length === 0) return undefined;
  let total = 0;
  let seen = false;
  for (const point of points) {
    if (attribute !== undefined && point.attributes[attribute] !== value) continue;
    if (typeof point.value !== 'number') continue;
    total += point.value;
    seen = true;
  }
  return seen ? total : undefined;
}

function toMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1e6) / 1e3;
}
