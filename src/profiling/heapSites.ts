import type { CallFrame } from './topFunctions.js';

/** The parts of a V8 sampling heap profile (`.heapprofile`) that {@link heapSites} reads. */
export interface SamplingHeapProfile {
  readonly head: SamplingHeapNode;
  readonly samples?: readonly { readonly size: number; readonly nodeId: number; readonly ordinal: number }[];
}

/** One allocation-site node of a sampling heap profile. */
export interface SamplingHeapNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  /** Bytes sampled at this exact site. */
  readonly selfSize: number;
  readonly children: readonly SamplingHeapNode[];
}

/** Allocation versus retention at one allocation site, from the two phases of a heap capture. */
export interface HeapSite {
  readonly functionName: string;
  readonly url: string;
  /** 1-based (0 when unknown). */
  readonly line: number;
  /** Sampled bytes allocated per second at this site, collected or not (allocation phase). */
  readonly allocatedBytesPerSec: number;
  /** Sampled bytes per second allocated here and still reachable after a full GC (retention phase). */
  readonly retainedBytesPerSec: number;
  /** `1 − retained / allocated`, clamped to 0..1: near 1 is churn, near 0 is growth (a leak candidate). */
  readonly freedShare: number;
}

/** Bytes per allocation site of one sampling heap profile (self sizes, keyed by source position). */
export function bytesBySite(profile: SamplingHeapProfile): Map<string, { frame: CallFrame; bytes: number }> {
  const out = new Map<string, { frame: CallFrame; bytes: number }>();
  const stack: SamplingHeapNode[] = [profile.head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    stack.push(...node.children);
    if (node.selfSize <= 0) continue;
    const f = node.callFrame;
    const key = `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
    const entry = out.get(key);
    if (entry) entry.bytes += node.selfSize;
    else out.set(key, { frame: f, bytes: node.selfSize });
  }
  return out;
}

/**
 * Joins the allocation phase (sampled with collected objects included) and the
 * retention phase (live objects only, after a forced GC) per allocation site, as
 * rates so phases of different lengths compare. Pure. Largest allocators first.
 * Per site, not per call: no per-call counter in Node 20/22 tells retained from freed.
 */
export function heapSites(
  allocation: SamplingHeapProfile,
  allocationSeconds: number,
  retention: SamplingHeapProfile,
  retentionSeconds: number,
  limit = 15,
): HeapSite[] {
  const allocated = bytesBySite(allocation);
  const retained = bytesBySite(retention);
  const keys = new Set([...allocated.keys(), ...retained.keys()]);
  const out: HeapSite[] = [];
  for (const key of keys) {
    const a = allocated.get(key);
    const r = retained.get(key);
    const frame = (a ?? r)!.frame;
    const allocatedRate = allocationSeconds > 0 ? (a?.bytes ?? 0) / allocationSeconds : 0;
    const retainedRate = retentionSeconds > 0 ? (r?.bytes ?? 0) / retentionSeconds : 0;
    out.push({
      functionName: frame.functionName === '' ? '(anonymous)' : frame.functionName,
      url: frame.url,
      line: frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0,
      allocatedBytesPerSec: allocatedRate,
      retainedBytesPerSec: retainedRate,
      freedShare: allocatedRate > 0 ? Math.min(1, Math.max(0, 1 - retainedRate / allocatedRate)) : 0,
    });
  }
  out.sort(
    (x, y) =>
      y.allocatedBytesPerSec - x.allocatedBytesPerSec || y.retainedBytesPerSec - x.retainedBytesPerSec,
  );
  return out.slice(0, limit);
}
