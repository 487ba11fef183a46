import { CpuProfileCapture } from './CpuProfileCapture.js';
import { ProfilingStage } from './ProfilingStage.js';
import { type ProfilingConfig, profilingConfigSchema } from './profilingConfig.js';
import { type ProcessLocator, UpstreamProcessSampler } from './UpstreamProcessSampler.js';

/** What the host provides to {@link createProfiling}. */
export interface ProfilingHost {
  /** Pid(s) of a service's local child process; omit when no service runs locally (instrumented servers). */
  readonly locate?: ProcessLocator;
  /** Whether a service's tools run in this process (only those are profiled on an anomaly). @default all */
  readonly runsHere?: (service: string) => boolean;
}

/** The profiling capability, assembled from config. */
export interface Profiling {
  /** Insert right before the execute stage. */
  readonly stage: ProfilingStage;
  /** Upstream process figures (`stats()` feeds the utilisation/RSS gauges); undefined without a locator or when disabled. */
  readonly upstream: UpstreamProcessSampler | undefined;
  /** On-demand and automatic profiles; register it as a VerdictObserver. */
  readonly capture: CpuProfileCapture;
  /** Stops the periodic sampler, releases the hook, ends a running capture (resolves once it is saved). Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the stage, the upstream sampler (started: an unref'd periodic timer) and
 * the capture from `toolscope.profiling` (raw or parsed).
 */
export function createProfiling(
  config: Partial<ProfilingConfig> | undefined,
  host: ProfilingHost = {},
): Profiling {
  const c = profilingConfigSchema.parse(config ?? {});
  const upstream =
    host.locate !== undefined && c.upstream.enabled && c.mode !== 'off'
      ? new UpstreamProcessSampler({
          locate: host.locate,
          intervalMs: c.upstream.intervalMs,
          minSampleIntervalMs: c.upstream.minSampleIntervalMs,
          treeRefreshMs: c.upstream.treeRefreshMs,
        })
      : undefined;
  upstream?.start();
  const stage = new ProfilingStage({
    mode: c.mode,
    upstream,
    eventLoopResolutionMs: c.eventLoopResolutionMs,
  });
  const capture = new CpuProfileCapture({
    directory: c.capture.directory,
    maxFiles: c.capture.maxFiles,
    maxBytes: c.capture.maxBytes,
    defaultSeconds: c.capture.seconds,
    maxSeconds: c.capture.maxSeconds,
    samplingIntervalMicros: c.capture.samplingIntervalMicros,
    minIntervalSeconds: c.capture.minIntervalSeconds,
    maxPerHour: c.capture.maxPerHour,
    heap: c.capture.heap,
    heapSamplingIntervalBytes: c.capture.heapSamplingIntervalBytes,
    autoOnAnomaly: c.capture.autoOnAnomaly,
    runsHere: host.runsHere,
    top: c.capture.top,
  });
  return {
    stage,
    upstream,
    capture,
    close() {
      upstream?.stop();
      stage.close();
      return capture.close();
    },
  };
}
