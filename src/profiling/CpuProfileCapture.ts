import { Session } from 'node:inspector/promises';
import type { Verdict, VerdictObserver } from '../analysis/index.js';
import { CaptureRateLimiter, type CaptureRefusal } from './CaptureRateLimiter.js';
import { type HeapSite, heapSites, type SamplingHeapProfile } from './heapSites.js';
import { ProfileDirectory, profileFileName } from './ProfileDirectory.js';
import { reportOnce } from './reportOnce.js';
import { type CpuProfile, type TopFunction, topFunctions } from './topFunctions.js';

/** Options of {@link CpuProfileCapture}; the config's `toolscope.profiling.capture` maps onto these. */
export interface CpuProfileCaptureOptions {
  /** Where `.cpuprofile` / `.heapprofile` files go (created on first use). */
  readonly directory: string;
  /** @default 20 */
  readonly maxFiles?: number;
  /** @default 100 MiB */
  readonly maxBytes?: number;
  /** Capture length when the request gives none, s. @default 10 */
  readonly defaultSeconds?: number;
  /** Longest capture anyone may ask for, s. @default 120 */
  readonly maxSeconds?: number;
  /** CPU sampling interval, µs. @default 1000 */
  readonly samplingIntervalMicros?: number;
  /** Automatic captures of one tool at most this often, s. @default 600 */
  readonly minIntervalSeconds?: number;
  /** Automatic captures per rolling hour, all tools. @default 6 */
  readonly maxPerHour?: number;
  /** Capture a sampling heap profile alongside (allocation + retention phases). @default true */
  readonly heap?: boolean;
  /** Heap sampling interval, bytes. @default 32768 */
  readonly heapSamplingIntervalBytes?: number;
  /** Capture when the analyzer flags a tool (one that {@link runsHere}). @default true */
  readonly autoOnAnomaly?: boolean;
  /**
   * Whether a service's tools run in this process. A profile covers this process only, so it is
   * taken automatically for those tools alone: for a tool served by an upstream process it would
   * show the gateway forwarding (and tax it while sampling), never the tool's own code. On-demand
   * captures are not affected. @default every service
   */
  readonly runsHere?: (service: string) => boolean;
  /** Functions and heap sites kept in a result. @default 15 */
  readonly top?: number;
  /** Epoch-ms clock (tests). @default Date.now */
  readonly now?: () => number;
}

/** A request for one capture. */
export interface CaptureRequest {
  /** The tool the capture is about (`service/tool`); the profile itself covers the whole process. */
  readonly toolKey: string;
  /** Capture length, s; clamped to `maxSeconds`. */
  readonly seconds?: number;
  /** @default 'on_demand' */
  readonly reason?: 'on_demand' | 'anomaly';
  /** Overrides the `heap` option for this capture. */
  readonly heap?: boolean;
}

/** Heap part of a capture. */
export interface HeapCaptureResult {
  /** Allocation phase (collected objects included), first half of the capture. */
  readonly allocationPath: string;
  /** Retention phase (live after a forced GC), second half. */
  readonly retentionPath: string;
  readonly sites: readonly HeapSite[];
}

/** What one capture produced: where it is saved and what was hot. */
export interface ProfileCaptureResult {
  readonly toolKey: string;
  readonly reason: 'on_demand' | 'anomaly';
  /** Epoch ms. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The whole process was sampled, not only the tool's calls: samples carry no async context. */
  readonly scope: 'process';
  /** Saved `.cpuprofile` (opens in Chrome DevTools and speedscope). */
  readonly path: string;
  readonly bytes: number;
  readonly sampleCount: number;
  /** Hottest functions by self time, with their total time. */
  readonly top: readonly TopFunction[];
  readonly heap: HeapCaptureResult | undefined;
}

/** A capture request that the rate limiter turned down. */
export class CaptureRefusedError extends Error {
  override readonly name = 'CaptureRefusedError';
  constructor(readonly reason: CaptureRefusal) {
    super(`profile capture refused: ${reason}`);
  }
}

/**
 * Sampling CPU (and heap) profiles of this process for a bounded time, on demand
 * and when the analyzer flags a tool. Uses an in-process `node:inspector` session;
 * the profiler stops by itself after the requested seconds (or on {@link close}).
 * Files go to a bounded directory; results keep the top functions for status output
 * and span events ({@link onCapture}). One capture at a time; automatic ones are
 * rate-limited per tool and per hour.
 */
export class CpuProfileCapture implements VerdictObserver {
  readonly directory: ProfileDirectory;
  private readonly limiter: CaptureRateLimiter;
  private readonly opts: Required<Omit<CpuProfileCaptureOptions, 'directory'>>;
  private readonly results: ProfileCaptureResult[] = [];
  private readonly listeners = new Set<(result: ProfileCaptureResult) => void>();
  private stopEarly: (() => void) | undefined;
  /** Settles when the running capture has saved its files and released the inspector session. */
  private idle: Promise<void> | undefined;
  private capturing = false;
  private closed = false;

  constructor(options: CpuProfileCaptureOptions) {
    this.opts = {
      maxFiles: options.maxFiles ?? 20,
      maxBytes: options.maxBytes ?? 100 * 1024 * 1024,
      defaultSeconds: options.defaultSeconds ?? 10,
      maxSeconds: options.maxSeconds ?? 120,
      samplingIntervalMicros: options.samplingIntervalMicros ?? 1000,
      minIntervalSeconds: options.minIntervalSeconds ?? 600,
      maxPerHour: options.maxPerHour ?? 6,
      heap: options.heap ?? true,
      heapSamplingIntervalBytes: options.heapSamplingIntervalBytes ?? 32768,
      autoOnAnomaly: options.autoOnAnomaly ?? true,
      runsHere: options.runsHere ?? (() => true),
      top: options.top ?? 15,
      now: options.now ?? Date.now,
    };
    this.directory = new ProfileDirectory(options.directory, this.opts);
    this.limiter = new CaptureRateLimiter({
      minIntervalMs: this.opts.minIntervalSeconds * 1000,
      maxPerHour: this.opts.maxPerHour,
    });
  }

  /** Whether a capture is running. */
  get running(): boolean {
    return this.capturing;
  }

  /** Recent results, newest last (at most 20). */
  recent(): readonly ProfileCaptureResult[] {
    return this.results;
  }

  /** Subscribes to finished captures (status output, span events); returns the unsubscribe function. */
  onCapture(listener: (result: ProfileCaptureResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Automatic capture when a verdict flags a tool; refusals and failures are silent (reported once via `diag`). */
  onVerdict(verdict: Verdict): void {
    if (!this.opts.autoOnAnomaly || !verdict.anomaly || this.closed) return;
    if (!this.opts.runsHere(verdict.ref.service)) return;
    // An anomalous stretch flags call after call: most are refused, and cheaply, without an Error each.
    if (this.limiter.refusal(verdict.ref.key, this.opts.now(), false) !== undefined) return;
    this.capture({ toolKey: verdict.ref.key, reason: 'anomaly' }).catch((error: unknown) => {
      if (!(error instanceof CaptureRefusedError)) {
        reportOnce('auto-capture', 'toolscope profiling: automatic profile capture failed', error);
      }
    });
  }

  /**
   * Captures a CPU profile (and, if enabled, a heap profile) for `seconds`, saves it
   * and returns what was hot. Rejects with {@link CaptureRefusedError} when another
   * capture runs or an automatic one is rate-limited. This is the API behind
   * `toolscope profile <tool> --seconds N`.
   */
  async capture(request: CaptureRequest): Promise<ProfileCaptureResult> {
    if (this.closed) throw new CaptureRefusedError('busy');
    const reason = request.reason ?? 'on_demand';
    const startedAt = this.opts.now();
    const refusal = this.limiter.tryStart(request.toolKey, startedAt, reason === 'on_demand');
    if (refusal !== undefined) throw new CaptureRefusedError(refusal);
    this.capturing = true;
    let settle = () => {};
    this.idle = new Promise((resolve) => {
      settle = resolve;
    });
    const seconds = Math.min(
      this.opts.maxSeconds,
      Math.max(0.05, request.seconds ?? this.opts.defaultSeconds),
    );
    const heap = request.heap ?? this.opts.heap;
    // A capture an operator waits for keeps the process alive; an automatic one does not.
    const keepAlive = reason === 'on_demand';
    const session = new Session();
    let result: ProfileCaptureResult;
    try {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: this.opts.samplingIntervalMicros });
      await session.post('Profiler.start');
      let heapResult:
        | { allocation: SamplingHeapProfile; retention: SamplingHeapProfile; half: number }
        | undefined;
      if (heap) {
        heapResult = await this.heapPhases(session, seconds, keepAlive);
      } else {
        await this.wait(seconds * 1000, keepAlive);
      }
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      const durationMs = this.opts.now() - startedAt;
      const saved = await this.directory.write(
        profileFileName(request.toolKey, startedAt, '.cpuprofile'),
        JSON.stringify(profile),
      );
      let heapOut: HeapCaptureResult | undefined;
      if (heapResult !== undefined) {
        const allocation = await this.directory.write(
          profileFileName(request.toolKey, startedAt, '.allocation.heapprofile'),
          JSON.stringify(heapResult.allocation),
        );
        const retention = await this.directory.write(
          profileFileName(request.toolKey, startedAt, '.retention.heapprofile'),
          JSON.stringify(heapResult.retention),
        );
        heapOut = {
          allocationPath: allocation.path,
          retentionPath: retention.path,
          sites: heapSites(
            heapResult.allocation,
            heapResult.half,
            heapResult.retention,
            heapResult.half,
            this.opts.top,
          ),
        };
      }
      result = {
        toolKey: request.toolKey,
        reason,
        startedAt,
        durationMs,
        scope: 'process',
        path: saved.path,
        bytes: saved.bytes,
        sampleCount: profile.samples?.length ?? 0,
        top: topFunctions(profile, this.opts.top),
        heap: heapOut,
      };
    } finally {
      await session.post('Profiler.disable').catch(() => {});
      await session.post('HeapProfiler.disable').catch(() => {});
      try {
        session.disconnect();
      } catch {
        // Never connected.
      }
      this.stopEarly = undefined;
      this.capturing = false;
      this.limiter.finish();
      this.idle = undefined;
      settle();
    }
    // Listeners run after the capture is fully over, so they may start the next one.
    this.results.push(result);
    if (this.results.length > 20) this.results.shift();
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch (error) {
        reportOnce('capture-listener', 'toolscope profiling: a capture listener threw', error);
      }
    }
    return result;
  }

  /**
   * Ends a running capture early and refuses new ones. Resolves once the running
   * capture has saved what it has (so a process that exits next keeps whole files).
   */
  close(): Promise<void> {
    this.closed = true;
    this.stopEarly?.();
    return this.idle ?? Promise.resolve();
  }

  /**
   * Half the time with collected objects included (what is allocated), half live-only
   * ending in a forced GC (what survives). Sampling heap profiles cannot tell the two
   * apart within one run, hence two phases; rates make them comparable.
   */
  private async heapPhases(session: Session, seconds: number, keepAlive: boolean) {
    const half = seconds / 2;
    const samplingInterval = this.opts.heapSamplingIntervalBytes;
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as { samplingInterval: number });
    await this.wait(half * 1000, keepAlive);
    const allocation = (
      (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: SamplingHeapProfile }
    ).profile;
    await session.post('HeapProfiler.startSampling', { samplingInterval });
    await this.wait(half * 1000, keepAlive);
    await session.post('HeapProfiler.collectGarbage');
    const retention = (
      (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: SamplingHeapProfile }
    ).profile;
    return { allocation, retention, half };
  }

  private wait(ms: number, keepAlive: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      if (!keepAlive) timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.stopEarly = done;
    });
  }
}
