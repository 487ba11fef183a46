/**
 * Event-level scoring of an anomaly detector on a labelled stream.
 *
 * - Alarm episodes: maximal runs of flagged calls; flags less than `mergeGapMs`
 *   apart join one episode (generous to per-call detectors, which flicker).
 * - An episode is a true positive when it overlaps a labelled event
 *   [start, end + grace] (a leak starts before its labelled onset); otherwise it
 *   is a false episode.
 * - An event is detected when some call inside [start, end] is flagged; its delay
 *   is the first such call's time minus the onset (0 when it came earlier).
 * - False positives per 10,000 normal calls: flagged calls labelled normal
 *   (grey calls are counted neither way).
 */
import { GRACE_MS } from './analysisScenarios.mjs';

export function scoreDetections({ flags, calls, labels, events, t0, mergeGapMs = 5000 }) {
  const episodes = [];
  let current;
  let normal = 0;
  let falseCalls = 0;
  for (let i = 0; i < flags.length; i++) {
    const t = calls[i].startTime - t0;
    if (labels[i] === 'normal') {
      normal++;
      if (flags[i]) falseCalls++;
    }
    if (!flags[i]) continue;
    if (current && t - current.end <= mergeGapMs) current.end = t;
    else {
      current = { start: t, end: t };
      episodes.push(current);
    }
  }
  let truePositive = 0;
  for (const ep of episodes) {
    if (events.some((e) => ep.start < e.end + GRACE_MS && ep.end >= e.start)) truePositive++;
  }
  const delays = [];
  let detected = 0;
  for (const e of events) {
    let first;
    for (let i = 0; i < flags.length; i++) {
      const t = calls[i].startTime - t0;
      if (t < e.start) continue;
      if (t >= e.end) break;
      if (flags[i]) {
        first = t;
        break;
      }
    }
    if (first !== undefined) {
      detected++;
      delays.push(Math.max(0, first - e.onset));
    }
  }
  return {
    events: events.length,
    detected,
    episodes: episodes.length,
    truePositiveEpisodes: truePositive,
    falseEpisodes: episodes.length - truePositive,
    delays,
    normalCalls: normal,
    falseCalls,
  };
}

/** Pools the per-seed results of one detector on one scenario into the reported figures. */
export function summarise(results) {
  const sum = (k) => results.reduce((a, r) => a + r[k], 0);
  const events = sum('events');
  const episodes = sum('episodes');
  const precision = episodes === 0 ? (events === 0 ? 1 : 0) : sum('truePositiveEpisodes') / episodes;
  const recall = events === 0 ? 1 : sum('detected') / events;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const delays = results.flatMap((r) => r.delays).sort((a, b) => a - b);
  return {
    events,
    detected: sum('detected'),
    episodes,
    falseEpisodes: sum('falseEpisodes'),
    precision,
    recall,
    f1,
    medianDelayMs: delays.length ? delays[Math.floor((delays.length - 1) / 2)] : undefined,
    maxDelayMs: delays.length ? delays[delays.length - 1] : undefined,
    fpPer10k: (sum('falseCalls') * 10_000) / Math.max(1, sum('normalCalls')),
  };
}
