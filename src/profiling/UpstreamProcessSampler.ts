import { performance } from 'node:perf_hooks';
import { type InFlightMark, InFlightWindow } from './InFlightWindow.js';
import { LinuxProcReader, type ProcReader } from './ProcReader.js';
import { type ProcStat, sumTree, type TreeSample, treeDelta, utilization } from './procfs.js';
import { reportOnce } from './reportOnce.js';

/**
 * Tells the sampler which OS processes serve a service: the pid(s) of the child the
 * gateway spawned (e.g. `StdioClientTransport.pid`), or nothing for remote services
 * and services that are not running. Descendants are found by the sampler.
 */
export type ProcessLocator = (service: string) => number | readonly number[] | null | undefined;

/** Process-level figures of one upstream service, from the periodic sampler. */
export interface UpstreamProcessStats {
  readonly service: string;
  /** Pids of the tree (the located roots and their descendants) at the last sample. */
  readonly pids: readonly number[];
  /** Σ RSS of the tree at the last sample, bytes. */
  readonly rssBytes: number;
  /** Mean CPU of the tree between the last two periodic samples, in cores. */
  readonly cpuUtilization: number;
  /** Upstream calls in flight for this service right now. */
  readonly inFlight: number;
  /** Epoch ms of the last sample. */
  readonly sampledAt: number;
}

/** What an upstream call may be charged with: process-level figures over a window around it. */
export interface UpstreamCallFigures {
  /** User CPU of the service's process tree between the samples bracketing the call, µs. */
  readonly cpuUserMicros: number;
  /** System CPU of the same, µs. */
  readonly cpuSystemMicros: number;
  /** The window those samples span, ms (0 when both ends hit the same rate-limited sample). */
  readonly cpuWindowMs: number;
  /** Σ RSS of the tree at the end sample, bytes. */
  readonly rssBytes: number;
  /** Time-weighted mean number of this service's calls in flight during the call (≥ 1). */
  readonly inFlightDuringCall: number;
}

/** Handle for one upstream call between {@link UpstreamProcessSampler.begin} and `end`. */
export interface UpstreamCallMark {
  readonly service: string;
  readonly sample: TreeSample | undefined;
  readonly inFlight: InFlightMark;
}

/** Options of {@link UpstreamProcessSampler}. */
export interface UpstreamProcessSamplerOptions {
  readonly locate: ProcessLocator;
  /** @default a /proc reader */
  readonly reader?: ProcReader;
  /**
   * A per-call sample younger than this is reused instead of reading /proc again.
   * /proc CPU figures move in 10 ms ticks, so sampling faster buys nothing.
   * @default 10
   */
  readonly minSampleIntervalMs?: number;
  /** How often the descendant list is rebuilt (on top of rebuilding when a pid vanishes). @default 5000 */
  readonly treeRefreshMs?: number;
  /** Periodic sampling interval for {@link stats} (utilisation, RSS). @default 5000 */
  readonly intervalMs?: number;
  /** Monotonic clock, ms. @default performance.now */
  readonly now?: () => number;
}

interface ServiceState {
  rootsKey: string;
  roots: number[];
  pids: number[];
  treeAt: number;
  last: TreeSample | undefined;
  periodic: TreeSample | undefined;
  cpuUtilization: number;
  sampledAt: number;
  readonly window: InFlightWindow;
}

/**
 * Samples upstream child processes (and their descendants: `npx` and shell wrappers
 * spawn grandchildren) from /proc around calls and periodically. The figures are
 * the whole process tree's, labelled `upstream_process`: a call is never charged
 * as if it were alone, and the in-flight mean says how many calls shared them.
 * Resolution: Linux reports CPU in 10 ms ticks, so calls much shorter than that
 * see 0 or 10 ms; the periodic utilisation is the robust signal.
 */
export class UpstreamProcessSampler {
  private readonly reader: ProcReader;
  private readonly minSampleIntervalMs: number;
  private readonly treeRefreshMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly services = new Map<string, ServiceState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: UpstreamProcessSamplerOptions) {
    this.reader = options.reader ?? new LinuxProcReader();
    this.minSampleIntervalMs = options.minSampleIntervalMs ?? 10;
    this.treeRefreshMs = options.treeRefreshMs ?? 5000;
    this.intervalMs = options.intervalMs ?? 5000;
    this.now = options.now ?? (() => performance.now());
    if (!this.reader.supported)
      reportOnce('procfs', 'toolscope profiling: no /proc here, upstream process figures are off');
  }

  /** Call starts: takes (or reuses) a sample of the service's tree. */
  begin(service: string): UpstreamCallMark {
    const state = this.state(service);
    return { service, sample: this.sample(service), inFlight: state.window.enter(this.now()) };
  }

  /** Call ends: the tree's figures over the window around it, or `undefined` when the service has no local process. */
  end(mark: UpstreamCallMark): UpstreamCallFigures | undefined {
    const state = this.state(mark.service);
    const inFlight = state.window.leave(mark.inFlight, this.now());
    const to = this.sample(mark.service);
    if (to === undefined || mark.sample === undefined) return undefined;
    const delta = treeDelta(mark.sample, to);
    return {
      cpuUserMicros: delta.userMicros,
      cpuSystemMicros: delta.systemMicros,
      cpuWindowMs: delta.windowMs,
      rssBytes: to.rssBytes,
      inFlightDuringCall: inFlight,
    };
  }

  /** A sample of the service's tree, reusing one younger than `minSampleIntervalMs` unless forced. */
  sample(service: string, force = false): TreeSample | undefined {
    if (!this.reader.supported) return undefined;
    try {
      const state = this.state(service);
      const located = this.options.locate(service);
      // The common case, the same single child as last time, costs no array or string per call.
      const unchanged = typeof located === 'number' && state.roots.length === 1 && state.roots[0] === located;
      const roots = unchanged ? state.roots : normalise(located);
      const key = unchanged ? state.rootsKey : roots.join(',');
      if (key !== state.rootsKey) {
        // A restart: new process, new counters.
        this.dropPids(state.pids, []);
        Object.assign(state, {
          rootsKey: key,
          roots,
          pids: [],
          treeAt: -Infinity,
          last: undefined,
          periodic: undefined,
        });
      }
      if (roots.length === 0) return undefined;
      const now = this.now();
      if (!force && state.last !== undefined && now - state.last.time < this.minSampleIntervalMs)
        return state.last;
      if (now - state.treeAt >= this.treeRefreshMs || state.pids.length === 0) {
        const pids = this.reader.tree(roots);
        this.dropPids(state.pids, pids);
        state.pids = pids;
        state.treeAt = now;
      }
      const stats: ProcStat[] = [];
      for (const pid of state.pids) {
        const stat = this.reader.stat(pid);
        if (stat) stats.push(stat);
        else state.treeAt = -Infinity; // a pid vanished: rebuild the tree next time
      }
      state.last = sumTree(now, stats, this.reader.pageSize);
      state.sampledAt = Date.now();
      return state.last;
    } catch (error) {
      reportOnce('upstream-sample', 'toolscope profiling: upstream process sampling failed', error);
      return undefined;
    }
  }

  /** Makes `service` part of periodic sampling before its first call. */
  track(service: string): void {
    this.state(service);
  }

  /** Forgets a service (removed from config). */
  untrack(service: string): void {
    const state = this.services.get(service);
    if (state) this.dropPids(state.pids, []);
    this.services.delete(service);
  }

  /** Takes one periodic sample of every tracked service (what the timer runs). */
  sampleAll(): void {
    for (const [service, state] of this.services) {
      const previous = state.periodic;
      const current = this.sample(service, true);
      if (current === undefined) continue;
      if (previous !== undefined && previous !== current)
        state.cpuUtilization = utilization(previous, current);
      state.periodic = current;
    }
  }

  /** Latest process-level figures of every tracked service that has a local process. */
  stats(): UpstreamProcessStats[] {
    const out: UpstreamProcessStats[] = [];
    for (const [service, state] of this.services) {
      if (state.last === undefined) continue;
      out.push({
        service,
        pids: [...state.last.procs.keys()],
        rssBytes: state.last.rssBytes,
        cpuUtilization: state.cpuUtilization,
        inFlight: state.window.inFlight,
        sampledAt: state.sampledAt,
      });
    }
    return out;
  }

  /** Starts periodic sampling on an unref'd timer (idempotent). */
  start(): void {
    if (this.timer !== undefined || !this.reader.supported) return;
    this.sampleAll();
    this.timer = setInterval(() => this.sampleAll(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops periodic sampling (idempotent) and releases the open /proc files. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const state of this.services.values()) {
      this.dropPids(state.pids, []);
      state.pids = [];
    }
  }

  private dropPids(before: readonly number[], after: readonly number[]): void {
    for (const pid of before) if (!after.includes(pid)) this.reader.drop(pid);
  }

  private state(service: string): ServiceState {
    let state = this.services.get(service);
    if (state === undefined) {
      state = {
        rootsKey: '',
        roots: [],
        pids: [],
        treeAt: -Infinity,
        last: undefined,
        periodic: undefined,
        cpuUtilization: 0,
        sampledAt: 0,
        window: new InFlightWindow(),
      };
      this.services.set(service, state);
    }
    return state;
  }
}

function normalise(located: number | readonly number[] | null | undefined): number[] {
  if (located === null || located === undefined) return [];
  const list = typeof located === 'number' ? [located] : located;
  return list.filter((pid) => Number.isInteger(pid) && pid > 0);
}
