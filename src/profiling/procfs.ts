/**
 * Pure parsing of Linux /proc text and the arithmetic over process-tree samples.
 * No fs here: the {@link ProcReader} shell reads, these functions compute.
 */

/** Clock ticks per second of /proc CPU fields (USER_HZ: 100 on every mainstream Linux ABI). */
export const USER_HZ = 100;

/** The fields of `/proc/<pid>/stat` toolscope uses. CPU in clock ticks, RSS in pages. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
  /** CPU of reaped children (counted so that a tree's total stays monotone when children exit). */
  readonly cutime: number;
  readonly cstime: number;
  /** Start time since boot, clock ticks: tells a reused pid from the original. */
  readonly starttime: number;
  readonly rssPages: number;
}

/**
 * Parses one `/proc/<pid>/stat` line. The command name is in parentheses and may
 * itself contain spaces and parentheses, so fields are counted from the last `)`.
 * Returns `undefined` for text that is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  if (rest.length < 22 || !Number.isInteger(pid)) return undefined;
  const field = (n: number): number => Number(rest[n - 3]);
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    starttime: field(22),
    rssPages: field(24),
  };
  return Number.isFinite(stat.utime) && Number.isFinite(stat.rssPages) ? stat : undefined;
}

/** Parses a `/proc/<pid>/task/<tid>/children` file: space-separated pids. */
export function parseChildren(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(/\s+/)) {
    if (part === '') continue;
    const pid = Number(part);
    if (Number.isInteger(pid) && pid > 0) out.push(pid);
  }
  return out;
}

/**
 * All pids of the trees rooted at `roots` (roots first, breadth first), given a
 * parent → children lookup. Cycles and repeats are ignored; `limit` bounds the walk.
 */
export function descendants(
  roots: readonly number[],
  childrenOf: (pid: number) => readonly number[],
  limit = 256,
): number[] {
  const seen = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0 && seen.size < limit) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    for (const child of childrenOf(pid)) if (!seen.has(child)) queue.push(child);
  }
  return [...seen];
}

/** A parent → children map built from the stats of many processes (the fallback when `children` files are missing). */
export function childrenIndex(stats: readonly ProcStat[]): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const stat of stats) {
    const list = index.get(stat.ppid);
    if (list) list.push(stat.pid);
    else index.set(stat.ppid, [stat.pid]);
  }
  return index;
}

/** One process's cumulative CPU in a {@link TreeSample}, microseconds (own plus reaped children). */
export interface ProcCpu {
  readonly starttime: number;
  readonly userMicros: number;
  readonly systemMicros: number;
}

/** One OS sample of a process tree at one instant. */
export interface TreeSample {
  /** When it was taken, ms on the sampler's clock. */
  readonly time: number;
  /** Per live pid: cumulative CPU. */
  readonly procs: ReadonlyMap<number, ProcCpu>;
  /** Σ RSS over the tree, bytes (shared pages are counted once per process). */
  readonly rssBytes: number;
}

/**
 * Builds one tree sample from per-process stats. Each process counts its reaped
 * children's time (`cutime`) so that a grandchild that exits between two samples
 * is not lost: its time reappears in its parent.
 */
export function sumTree(time: number, stats: readonly ProcStat[], pageSize: number): TreeSample {
  const tickMicros = 1_000_000 / USER_HZ;
  const procs = new Map<number, ProcCpu>();
  let pages = 0;
  for (const s of stats) {
    procs.set(s.pid, {
      starttime: s.starttime,
      userMicros: (s.utime + s.cutime) * tickMicros,
      systemMicros: (s.stime + s.cstime) * tickMicros,
    });
    pages += s.rssPages;
  }
  return { time, procs, rssBytes: pages * pageSize };
}

/** CPU a tree used between two samples (µs, never negative) and the window they span (ms). */
export interface TreeDelta {
  readonly userMicros: number;
  readonly systemMicros: number;
  readonly windowMs: number;
}

/**
 * The tree's CPU between `from` and `to`:
 * - a process in both samples (same pid and start time) counts its growth;
 * - a process only in `to` counts from its first sample on (it may have existed
 *   before it was discovered, so its history is not charged to this window);
 * - a process only in `from` has exited: its final time reappears in its reaper's
 *   `cutime`, so its figure at `from` is subtracted to leave only the window's part.
 * Clamped at zero (a child reaped outside the tree takes its time with it).
 */
export function treeDelta(from: TreeSample, to: TreeSample): TreeDelta {
  let user = 0;
  let system = 0;
  for (const [pid, end] of to.procs) {
    const start = from.procs.get(pid);
    if (start === undefined || start.starttime !== end.starttime) continue;
    user += end.userMicros - start.userMicros;
    system += end.systemMicros - start.systemMicros;
  }
  for (const [pid, start] of from.procs) {
    const end = to.procs.get(pid);
    if (end !== undefined && end.starttime === start.starttime) continue;
    user -= start.userMicros;
    system -= start.systemMicros;
  }
  return {
    userMicros: Math.max(0, user),
    systemMicros: Math.max(0, system),
    windowMs: Math.max(0, to.time - from.time),
  };
}

/** Mean CPU utilisation of the tree between two samples, in cores (1 = one core busy). */
export function utilization(from: TreeSample, to: TreeSample): number {
  const d = treeDelta(from, to);
  return d.windowMs > 0 ? (d.userMicros + d.systemMicros) / 1000 / d.windowMs : 0;
}

/** Page size from one RSS figure in bytes and the same in pages: the nearest power of two, else 4096. */
export function inferPageSize(rssBytes: number, rssPages: number): number {
  if (!(rssPages > 0) || !(rssBytes > 0)) return 4096;
  const exponent = Math.round(Math.log2(rssBytes / rssPages));
  return exponent >= 12 && exponent <= 16 ? 2 ** exponent : 4096;
}
