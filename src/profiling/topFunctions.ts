/** The parts of a V8 `.cpuprofile` (CDP `Profiler.Profile`) that {@link topFunctions} reads. */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  /** µs */
  readonly startTime: number;
  /** µs */
  readonly endTime: number;
  /** Node id of each sample. */
  readonly samples?: readonly number[];
  /** µs between consecutive samples (the first is from `startTime`). */
  readonly timeDeltas?: readonly number[];
}

/** One node of a CPU profile's call tree. */
export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

/** Where a function is: V8's call frame (0-based line and column). */
export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
  readonly scriptId?: string;
}

/** One function's share of a profile. */
export interface TopFunction {
  /** `(anonymous)` for unnamed functions; V8's pseudo-frames keep their names, e.g. `(garbage collector)`. */
  readonly functionName: string;
  readonly url: string;
  /** 1-based, as editors show it (0 when unknown). */
  readonly line: number;
  /** Time with this function on top of the stack, ms. */
  readonly selfMs: number;
  /** Time with this function anywhere on the stack (recursion counted once), ms. */
  readonly totalMs: number;
  /** `selfMs` over the profile's busy (non-idle) time, 0..1. */
  readonly selfShare: number;
  /** `totalMs` over the busy time, 0..1. */
  readonly totalShare: number;
}

/** Frames that are not functions: never listed. `(program)` and `(garbage collector)` are, they are informative. */
const HIDDEN = new Set(['(root)', '(idle)']);

/**
 * Self and total time per function of a CPU profile, hottest self time first.
 * Pure. Each sample lasts until the next one (the last until `endTime`); a
 * function's total counts a sample once however often the function recurs on its stack.
 * Functions are keyed by name, url, line and column, so two closures from the same
 * source position merge.
 */
export function topFunctions(profile: CpuProfile, limit = 15): TopFunction[] {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  let clock = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    clock += deltas[i] ?? 0;
    const next = i + 1 < samples.length ? clock + (deltas[i + 1] ?? 0) : profile.endTime;
    const duration = Math.max(0, next - clock);
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + duration);
  }

  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const keyOf = (frame: CallFrame) =>
    `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}`;

  interface Acc {
    frame: CallFrame;
    self: number;
    total: number;
  }
  const acc = new Map<string, Acc>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    if (node.callFrame.functionName !== '(idle)') busy += us;
    const seen = new Set<string>();
    for (
      let cur: number | undefined = id, first = true;
      cur !== undefined;
      cur = parent.get(cur), first = false
    ) {
      const frame = byId.get(cur)?.callFrame;
      if (frame === undefined) break;
      const key = keyOf(frame);
      let entry = acc.get(key);
      if (entry === undefined) {
        entry = { frame, self: 0, total: 0 };
        acc.set(key, entry);
      }
      if (first) entry.self += us;
      if (!seen.has(key)) {
        seen.add(key);
        entry.total += us;
      }
    }
  }

  const out: TopFunction[] = [];
  for (const { frame, self, total } of acc.values()) {
    if (HIDDEN.has(frame.functionName)) continue;
    out.push({
      functionName: frame.functionName === '' ? '(anonymous)' : frame.functionName,
      url: frame.url,
      line: frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0,
      selfMs: self / 1000,
      totalMs: total / 1000,
      selfShare: busy > 0 ? self / busy : 0,
      totalShare: busy > 0 ? total / busy : 0,
    });
  }
  out.sort((a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs);
  return out.slice(0, limit);
}
