/**
 * The textbook detectors toolscope's analyzer is compared against, as the seed
 * design had them: a static mean ± 3σ per raw feature learned once from a
 * training window, and an isolation forest trained once that flags single calls
 * whose score passes a fixed cut. Both judge every call alone.
 */

const RAW = [
  (c) => c.durationMs,
  (c) => (c.cpuUserMicros ?? 0) + (c.cpuSystemMicros ?? 0),
  (c) => c.heapAllocatedBytes ?? 0,
  (c) => c.inputBytes,
  (c) => c.outputBytes,
  (c) => (c.outcome === 'success' ? 0 : 1),
  (c) => c.queueWaitMs,
  (c) => c.inFlightAtStart,
];

/** Static mean ± `k`σ on raw features; flags calls after the first `trainCalls`. */
export function staticSigmaFlags(calls, { trainCalls = 1200, k = 3 } = {}) {
  const d = RAW.length;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < trainCalls; i++) {
    for (let j = 0; j < d; j++) {
      const v = RAW[j](calls[i]);
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  const sd = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] /= trainCalls;
    sd[j] = Math.sqrt(Math.max(0, sq[j] / trainCalls - mean[j] * mean[j]));
  }
  return calls.map((c, i) => {
    if (i < trainCalls) return false;
    for (let j = 0; j < d; j++) if (Math.abs(RAW[j](c) - mean[j]) > k * sd[j]) return true;
    return false;
  });
}

/** A forest trained once on the first `trainCalls`, flagging any call scoring above `cut`. */
export function singleCallForestFlags(
  calls,
  IsolationForest,
  createRandom,
  { trainCalls = 1200, cut = 0.6 } = {},
) {
  const d = RAW.length;
  const data = new Float64Array(trainCalls * d);
  for (let i = 0; i < trainCalls; i++) for (let j = 0; j < d; j++) data[i * d + j] = RAW[j](calls[i]);
  const forest = IsolationForest.fit(data, trainCalls, d, createRandom(1));
  const row = new Float64Array(d);
  return calls.map((c, i) => {
    if (i < trainCalls) return false;
    for (let j = 0; j < d; j++) row[j] = RAW[j](c);
    return forest.score(row) > cut;
  });
}
