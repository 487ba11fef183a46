// CPU time of a process and of its descendants, from /proc (Linux only). The hop bench uses it to
// show where each call's CPU goes: on a machine where client, hop and server share the cores,
// throughput follows the CPU the three spend per call, and this shows which of them spends it.
// The process tree comes from toolscope's own /proc reader (dist/, built by `npm run build`).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './stats.mjs';

const { LinuxProcReader } = await import(join(ROOT, 'dist/profiling/index.js'));
const procs = new LinuxProcReader();

/**
 * CPU of one process (the sum over its threads), µs; undefined once it has gone. Read from each
 * thread's `schedstat` (nanoseconds on CPU) rather than `stat`, whose 10 ms ticks (what toolscope's
 * sampler reads) are too coarse for a burst of a few thousand calls.
 */
function ownCpuMicros(pid) {
  try {
    let nanos = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      nanos += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    return nanos / 1000;
  } catch {
    return undefined;
  }
}

/**
 * CPU so far of `pid` itself and of all its descendants alive now, µs; undefined where /proc is not
 * readable. Take one before and one after a measured stretch and subtract (see {@link cpuSpent}).
 */
export function treeCpu(pid) {
  const own = pid === undefined ? undefined : ownCpuMicros(pid);
  if (own === undefined) return undefined;
  let descendants = 0;
  for (const member of procs.tree([pid])) if (member !== pid) descendants += ownCpuMicros(member) ?? 0;
  return { own, descendants };
}

/** CPU spent between two {@link treeCpu} readings, µs per call; undefined if either is missing. */
export function cpuSpent(before, after, calls) {
  if (!before || !after) return undefined;
  return {
    own: (after.own - before.own) / calls,
    descendants: (after.descendants - before.descendants) / calls,
  };
}
