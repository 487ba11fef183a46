import type { WindowStats } from './LatencyWindow.js';
import type { ProbeResult } from './NoLoadProbe.js';

/** What a shrink window says about whose latency it is. */
export type Ownership =
  /** Queueing caused by our own load: shrink. */
  | 'ours'
  /** A first sighting of latency that does not fall with our load: hold and look again. */
  | 'suspect'
  /** Confirmed: the estimate was re-learned from this window; do not shrink. */
  | 'relearned';

/**
 * The controller's estimate of execution latency without queueing (the robust window
 * latency at low load), kept honest three ways:
 * - it only *falls* on evidence: queueing can only add latency, so a window's upper
 *   confidence bound caps it (noisy windows cannot drag it down);
 * - probes (brief dips of the limit) re-measure it, up or down;
 * - if during a shrink episode a clearly higher load had no higher latency, the latency is
 *   not caused by our load (a slower upstream, someone else's traffic): it is re-learned.
 */
export class NoLoadLatency {
  #value: number | undefined;
  #inFlight = 0;
  /** Windows of the current shrink episode (witnesses for "latency is not ours"). */
  #episode: WindowStats[] = [];
  #sightings = 0;

  /** The estimate, ms (undefined before the first window). */
  get value(): number | undefined {
    return this.#value;
  }

  /** In-flight at which it was last measured: if that was above the knee, it is inflated. */
  get measuredAtInFlight(): number {
    return this.#inFlight;
  }

  /** Takes a window's latency as the estimate (first window, or latency found not to be ours). */
  set(w: WindowStats): void {
    this.#value = w.latencyMs;
    this.#inFlight = w.meanInFlight;
    this.#episode = [];
  }

  /** Lets a window lower the estimate if even its upper confidence bound is below it. */
  cap(w: WindowStats): void {
    if (this.#value === undefined) return;
    this.#value = Math.min(this.#value, w.latencyMs * Math.exp(2 * w.logSe));
  }

  /**
   * Blends in a probe taken at `probeLimit`. Returns whether it agreed with the estimate.
   * Lower: queueing only inflates, so the probe is the better witness. Higher: the probe may
   * have met a capacity change or a noise burst, so move up one confidence step at most (a
   * real shift is caught by {@link judge}).
   */
  probe(result: ProbeResult, probeLimit: number): boolean {
    const prior = this.#value ?? result.latencyMs;
    const bound = Math.exp(2 * result.logSe);
    const consistent = result.latencyMs * bound >= prior && result.latencyMs <= prior * bound;
    if (consistent) this.#value = Math.sqrt(result.latencyMs * prior);
    else this.#value = result.latencyMs < prior ? result.latencyMs : prior * bound;
    this.#inFlight = probeLimit;
    this.#episode = [];
    return consistent;
  }

  /** A window with latency back at no-load ends the shrink episode. */
  endEpisode(): void {
    this.#episode = [];
  }

  /**
   * Judges a window the controller is about to shrink on, and remembers it for later
   * judgements. Were the latency ours, 50 % more load would have cost at least half a mean
   * latency more (Little's law); a witness shows latency flat within a third of that. Only
   * windows after the episode's latency peak can witness: up to the peak, capacity may still
   * have been falling (a window can straddle the change), which also looks like "latency stayed".
   * One sighting can be noise: two in a row re-learn the estimate from this window.
   */
  judge(w: WindowStats, now: number): Ownership {
    let witness: WindowStats | undefined;
    if (this.#episode.length > 0) {
      const top = Math.max(...this.#episode.map((c) => c.latencyMs));
      const peak = this.#episode.findIndex((c) => c.latencyMs >= 0.95 * top);
      witness = this.#episode.slice(peak + 1).find((c) => {
        const tolerance = (0.3 * (c.meanInFlight - w.meanInFlight) * w.meanMs) / w.meanInFlight;
        return c.meanInFlight >= 1.5 * w.meanInFlight && Math.abs(c.latencyMs - w.latencyMs) <= tolerance;
      });
    }
    if (witness === undefined) {
      this.#sightings = 0;
      this.#remember(w, now);
      return 'ours';
    }
    if (++this.#sightings < 2) return 'suspect';
    this.#sightings = 0;
    this.set(w);
    return 'relearned';
  }

  /** Keeps the episode's last eight windows, none older than ten seconds. */
  #remember(w: WindowStats, now: number): void {
    this.#episode.push(w);
    while (this.#episode.length > 8 || now - this.#episode[0]!.endMs > 10_000) this.#episode.shift();
  }
}
