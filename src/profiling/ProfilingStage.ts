import { performance } from 'node:perf_hooks';
import type { CallProfile, CallStage, NextStage, ToolCall, ToolResult } from '../pipeline/index.js';
import { AsyncCpuAttributor } from './AsyncCpuAttributor.js';
import { EventLoopLagSampler } from './EventLoopLagSampler.js';
import { GcObserver } from './GcObserver.js';
import { GcOverlapTracker } from './GcOverlapTracker.js';
import { InFlightWindow } from './InFlightWindow.js';
import { reportOnce } from './reportOnce.js';
import type { UpstreamProcessSampler } from './UpstreamProcessSampler.js';

/**
 * How in-process calls are measured.
 * - `off`: nothing (the stage passes calls through).
 * - `cheap`: process CPU over the call window (`cpuAttribution: 'process_window'`)
 *   plus the mean in-flight count that shared it; two `cpuUsage` reads per call.
 * - `exact`: the call's own on-CPU time and heap growth via an async hook
 *   (`cpuAttribution: 'call'`); slows every async continuation in the process.
 * Both in-process modes add GC overlap and event-loop delay; upstream calls get
 * process-tree figures whenever the mode is not `off`.
 */
export type ProfilingMode = 'off' | 'cheap' | 'exact';

/** Options of {@link ProfilingStage}. */
export interface ProfilingStageOptions {
  /** @default 'cheap' */
  readonly mode?: ProfilingMode;
  /** Shared attributor for `exact` (one per process is plenty). @default sharedAttributor() */
  readonly attributor?: AsyncCpuAttributor;
  /** Upstream process figures; without it upstream calls get no profile. */
  readonly upstream?: UpstreamProcessSampler;
  /** Event-loop lag timer resolution, ms. @default 10 */
  readonly eventLoopResolutionMs?: number;
}

let shared: AsyncCpuAttributor | undefined;

/** The process-wide attributor: one async hook however many stages use it. */
export function sharedAttributor(): AsyncCpuAttributor {
  shared ??= new AsyncCpuAttributor();
  return shared;
}

/**
 * The pipeline stage that measures each call's resources and writes
 * `call.profile`. Insert it right before the execute stage so it measures the
 * work of the tool, not of queueing or retries. Never changes a call's result or
 * error; its own failures are reported once through `diag`.
 *
 * Call {@link close} when the pipeline shuts down: it releases the async hook and
 * the GC observer.
 */
export class ProfilingStage implements CallStage {
  readonly name = 'profile';
  readonly mode: ProfilingMode;
  private readonly attributor: AsyncCpuAttributor;
  private readonly upstream: UpstreamProcessSampler | undefined;
  private readonly window = new InFlightWindow();
  private readonly gc = new GcOverlapTracker();
  private readonly gcObserver = new GcObserver(this.gc);
  private readonly lag: EventLoopLagSampler;
  private closed = false;

  constructor(options: ProfilingStageOptions = {}) {
    this.mode = options.mode ?? 'cheap';
    this.attributor = options.attributor ?? sharedAttributor();
    this.upstream = options.upstream;
    this.lag = new EventLoopLagSampler(options.eventLoopResolutionMs ?? 10, (start) =>
      this.attributor.runOutside(start),
    );
    if (this.mode !== 'off') this.gcObserver.start();
    if (this.mode === 'exact') this.attributor.retain(this);
  }

  handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    if (this.mode === 'off' || this.closed) return next(call);
    if (call.tool.executor.kind === 'upstream')
      return this.upstream ? this.handleUpstream(call, next) : next(call);
    return this.handleInProcess(call, next);
  }

  /** Releases the async hook, the GC observer and the lag timer (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.attributor.release(this);
    this.gcObserver.stop();
    this.lag.stop();
  }

  private async handleInProcess(call: ToolCall, next: NextStage): Promise<ToolResult> {
    let begin: ReturnType<ProfilingStage['begin']>;
    try {
      begin = this.begin();
    } catch (error) {
      reportOnce('stage-begin', 'toolscope profiling: could not start measuring a call', error);
      return next(call);
    }
    try {
      if (begin.meter === undefined) return await next(call);
      return await this.attributor.run(begin.meter, () => next(call));
    } finally {
      try {
        call.profile = { ...call.profile, ...this.end(begin) };
      } catch (error) {
        reportOnce('stage-end', 'toolscope profiling: could not finish measuring a call', error);
      }
    }
  }

  private begin() {
    const now = performance.now();
    const exact = this.mode === 'exact' && this.attributor.active;
    return {
      now,
      mark: this.window.enter(now),
      lag: this.lag.enter(),
      cpu: exact ? undefined : process.cpuUsage(),
      meter: exact ? this.attributor.open() : undefined,
    };
  }

  private end(begin: ReturnType<ProfilingStage['begin']>): CallProfile {
    const now = performance.now();
    const profile: CallProfile = {
      gcOverlapMs: this.gc.overlap(begin.now, now),
      eventLoopDelayMs: this.lag.leave(begin.lag),
      inFlightDuringCall: this.window.leave(begin.mark, now),
    };
    if (begin.meter !== undefined) {
      const meter = this.attributor.finish(begin.meter);
      profile.cpuAttribution = 'call';
      profile.cpuUserMicros = meter.userMicros;
      profile.cpuSystemMicros = meter.systemMicros;
      profile.heapAllocatedBytes = meter.heapBytes;
    } else if (begin.cpu !== undefined) {
      const cpu = process.cpuUsage(begin.cpu);
      profile.cpuAttribution = 'process_window';
      profile.cpuUserMicros = cpu.user;
      profile.cpuSystemMicros = cpu.system;
      profile.cpuWindowMs = now - begin.now;
    }
    return profile;
  }

  private async handleUpstream(call: ToolCall, next: NextStage): Promise<ToolResult> {
    const sampler = this.upstream!;
    const service = call.tool.ref.service;
    let mark: ReturnType<UpstreamProcessSampler['begin']> | undefined;
    try {
      mark = sampler.begin(service);
    } catch (error) {
      reportOnce('upstream-begin', 'toolscope profiling: could not sample an upstream process', error);
    }
    try {
      return await next(call);
    } finally {
      if (mark !== undefined) {
        try {
          const figures = sampler.end(mark);
          if (figures !== undefined) {
            call.profile = {
              ...call.profile,
              cpuAttribution: 'upstream_process',
              cpuUserMicros: figures.cpuUserMicros,
              cpuSystemMicros: figures.cpuSystemMicros,
              cpuWindowMs: figures.cpuWindowMs,
              upstreamRssBytes: figures.rssBytes,
              inFlightDuringCall: figures.inFlightDuringCall,
            };
          }
        } catch (error) {
          reportOnce('upstream-end', 'toolscope profiling: could not sample an upstream process', error);
        }
      }
    }
  }
}
