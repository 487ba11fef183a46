import { performance } from 'node:perf_hooks';
import type { CallObservation, CallObserver } from '../pipeline/CallObservation.js';
import type { Analyzer } from './Analyzer.js';
import type { StateStore } from './FileStateStore.js';
import type { Verdict, VerdictObserver } from './Verdict.js';

/** Timer functions the service uses; injectable so tests need no real time. */
export interface ServiceTimers {
  setInterval(fn: () => void, ms: number): { unref?(): unknown };
  clearInterval(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
}

/** Options of the `AnalyzerService`. */
export interface AnalyzerServiceOptions {
  /** How often due maintenance (baseline refresh, forest retraining) starts, ms. @default 1000 */
  readonly maintainIntervalMs?: number;
  /** Longest stretch of maintenance work per event-loop turn, ms (a step is ≤ ~1 ms). @default 2 */
  readonly sliceMs?: number;
  /** Where snapshots go; none keeps everything in memory. */
  readonly store?: StateStore;
  /** How often to save a snapshot, ms (0: only on stop). @default 300000 */
  readonly snapshotIntervalMs?: number;
  /** Internal failures (a throwing verdict observer, a failed save); never thrown. @default ignore */
  readonly onError?: (error: unknown) => void;
  /** @default Node's timers */
  readonly timers?: ServiceTimers;
}

/** Figures about the off-hot-path work, for status and the benchmark. */
export interface MaintenanceStats {
  readonly runs: number;
  readonly slices: number;
  /** Longest single slice (event-loop turn) of maintenance, ms. */
  readonly longestSliceMs: number;
  /** Wall time of the last complete run, ms (spread over many turns). */
  readonly lastRunMs: number;
  readonly running: boolean;
}

const nodeTimers: ServiceTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setImmediate: (fn) => setImmediate(fn),
};

/**
 * The analyzer's thin shell: feeds it observations, fans verdicts out, runs its
 * maintenance on an `unref()`ed timer in slices of at most `sliceMs` per
 * event-loop turn (`setImmediate` between slices, so calls keep flowing while a
 * forest trains), and saves/loads snapshots. No logic of its own.
 */
export class AnalyzerService implements CallObserver {
  private readonly observers = new Set<VerdictObserver>();
  private readonly timers: ServiceTimers;
  private readonly sliceMs: number;
  private maintainTimer: unknown;
  private snapshotTimer: unknown;
  private current: Promise<void> | undefined;
  private runs = 0;
  private slices = 0;
  private longestSliceMs = 0;
  private lastRunMs = 0;

  constructor(
    readonly analyzer: Analyzer,
    private readonly options: AnalyzerServiceOptions = {},
  ) {
    this.timers = options.timers ?? nodeTimers;
    this.sliceMs = Math.max(0.1, options.sliceMs ?? 2);
  }

  /** Loads the saved snapshot (if any) and starts the timers. Resolves to whether a snapshot was restored. */
  async start(): Promise<boolean> {
    let restored = false;
    if (this.options.store !== undefined) {
      try {
        const saved = await this.options.store.load();
        restored = saved !== undefined && this.analyzer.restore(saved);
      } catch (err) {
        this.report(err);
      }
    }
    const every = Math.max(10, this.options.maintainIntervalMs ?? 1000);
    this.maintainTimer = unref(this.timers.setInterval(() => void this.runMaintenance(), every));
    const saveEvery = this.options.snapshotIntervalMs ?? 300_000;
    if (this.options.store !== undefined && saveEvery > 0) {
      this.snapshotTimer = unref(this.timers.setInterval(() => void this.save(), saveEvery));
    }
    return restored;
  }

  /** Stops the timers, lets a running maintenance finish, and saves a final snapshot. */
  async stop(): Promise<void> {
    if (this.maintainTimer !== undefined) this.timers.clearInterval(this.maintainTimer);
    if (this.snapshotTimer !== undefined) this.timers.clearInterval(this.snapshotTimer);
    this.maintainTimer = undefined;
    this.snapshotTimer = undefined;
    await this.current;
    await this.save();
  }

  /** Judges a call and hands the verdict (if the call reached its tool) to every observer. Hot path. */
  observe(observation: CallObservation): Verdict | undefined {
    const verdict = this.analyzer.observe(observation);
    if (verdict === undefined) return undefined;
    for (const o of this.observers) {
      try {
        o.onVerdict(verdict);
      } catch (err) {
        this.report(err);
      }
    }
    return verdict;
  }

  /** `CallObserver`: same as `observe`, for the pipeline's observer list. */
  onObservation(observation: CallObservation): void {
    this.observe(observation);
  }

  /** Subscribes to verdicts; returns the unsubscribe function. */
  addVerdictObserver(observer: VerdictObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** See `Analyzer.acknowledge`. */
  acknowledge(toolKey: string): boolean {
    return this.analyzer.acknowledge(toolKey);
  }

  /**
   * Runs one maintenance pass in slices across event-loop turns; resolves when it
   * is complete. A call while a pass runs joins that pass.
   */
  runMaintenance(): Promise<void> {
    if (this.current !== undefined) return this.current;
    const steps = this.analyzer.maintenance();
    const started = performance.now();
    let resolve!: () => void;
    const run = new Promise<void>((r) => {
      resolve = r;
    });
    this.current = run;
    const turn = () => {
      const sliceStart = performance.now();
      let done = false;
      try {
        do {
          done = steps.next().done === true;
        } while (!done && performance.now() - sliceStart < this.sliceMs);
      } catch (err) {
        this.report(err);
        done = true;
      }
      const took = performance.now() - sliceStart;
      this.slices++;
      if (took > this.longestSliceMs) this.longestSliceMs = took;
      if (!done) {
        this.timers.setImmediate(turn);
        return;
      }
      this.runs++;
      this.lastRunMs = performance.now() - started;
      this.current = undefined;
      resolve();
    };
    turn();
    return run;
  }

  /** Saves a snapshot now (no-op without a store). Failures go to `onError`. */
  async save(): Promise<void> {
    if (this.options.store === undefined) return;
    try {
      await this.options.store.save(this.analyzer.snapshot());
    } catch (err) {
      this.report(err);
    }
  }

  stats(): MaintenanceStats {
    return {
      runs: this.runs,
      slices: this.slices,
      longestSliceMs: this.longestSliceMs,
      lastRunMs: this.lastRunMs,
      running: this.current !== undefined,
    };
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // The error reporter itself failed; nothing sensible is left to do.
    }
  }
}

function unref<T extends { unref?(): unknown }>(handle: T): T {
  handle.unref?.();
  return handle;
}
