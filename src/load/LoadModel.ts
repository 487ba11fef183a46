import type { CallObservation } from '../pipeline/CallObservation.js';
import { type ConcurrencyJudgement, ConcurrencyResponse } from './ConcurrencyResponse.js';

/** Time constants of the arrival-rate averages, ms: recent demand against its usual level. */
const FAST_RATE_MS = 5000;
/** Time constant of the surge average, ms: a step in demand shows here within half a second. */
const SURGE_RATE_MS = 500;
const SLOW_RATE_MS = 120_000;
/** Weight of the newest call in the share averages (≈ the last 50 calls). */
const SHARE_ALPHA = 0.04;
/** Demand this many times its usual level is a demand change. */
const DEMAND_RATIO = 1.5;
/** Demand below this many calls per second is too sparse to call a change. */
const MIN_DEMAND_PER_SEC = 1;
/** A reading of the load is reused for at most this long, or this many calls. */
const REUSE_MS = 100;
const REUSE_CALLS = 16;
/** A share of calls refused by our pool, or failed with upstream overload or timeouts, that users feel. */
export const IMPACT_SHARE = 0.05;
/** Waiting for a slot in our pool this share of the caller's latency: demand beyond what the pool serves. */
export const OWN_QUEUE_SHARE = 0.5;

/**
 * One tool's load as its calls show it. Four readings are kept apart:
 * - the upstream **saturated**: latency grows with concurrency ({@link ConcurrencyResponse}), or the
 *   upstream answers with overload errors or times out;
 * - **demand** rose: calls arrive faster than usual (the service time is judged elsewhere);
 * - **toolscope's own queueing**: calls wait for a slot in our pool;
 * - calls **refused** by our pool: demand beyond what the pool serves.
 * In-flight is never read as a cause: it is arrival rate × service time (Little's law).
 */
export interface LoadState {
  /** Calls per second, recent (≈ 5 s). */
  readonly arrivalRate: number;
  /** Calls per second, usual (≈ 2 min). */
  readonly usualRate: number;
  /** Recent over usual demand. */
  readonly demandRatio: number;
  /** Mean concurrency at admission (the call itself included), recent. */
  readonly concurrency: number;
  /** How execution time responds to concurrency, over the last ~10 s. */
  readonly response: ConcurrencyJudgement;
  /** The same over the last ~3 s: what the upstream does now. */
  readonly latestResponse: ConcurrencyJudgement;
  /** Share of the caller's latency spent waiting for a slot in our pool, recent. */
  readonly queueShare: number;
  /** Share of calls our pool refused (queue full or waited too long), recent. */
  readonly refusedShare: number;
  /** Share of calls that timed out or that the upstream refused as overloaded, recent. */
  readonly overloadErrorShare: number;
  /** Share of calls their callers cancelled (gave up on), recent. */
  readonly abandonedShare: number;
  /** toolscope's own queueing: waiting for a slot is at least {@link OWN_QUEUE_SHARE} of the latency. */
  readonly queued: boolean;
  /** Saturation evidence: latency follows concurrency, or overload errors. */
  readonly saturated: boolean;
  /** Demand materially above its usual level. */
  readonly demandUp: boolean;
  /**
   * Demand jumped within the last second or so, beyond its usual level and its noise: more calls in
   * flight and a queue building are expected before the slower averages see the change.
   */
  readonly demandSurge: boolean;
}

/**
 * Keeps a tool's {@link LoadState}: O(1) per call, no allocation on the hot path. Pure: time comes from
 * the observations (`startTime`, epoch ms).
 */
export class LoadModel {
  /**
   * Groups of 1 s, not detrended: a saturated upstream shows in sub-second bursts of queueing,
   * which a trend would absorb; the onset of a slowdown fakes a response for about a second,
   * which only delays a fault verdict (the latency rise waits for the calls to say "flat").
   */
  readonly #response = new ConcurrencyResponse(1000, 10, false);
  #surge = 0;
  #fast = 0;
  #slow = 0;
  #lastArrival = Number.NaN;
  #firstArrival = Number.NaN;
  #concurrency = 1;
  #queueShare = 0;
  #refused = 0;
  #overloadErrors = 0;
  #abandoned = 0;
  #cached: LoadState | undefined;
  #cachedAt = Number.NEGATIVE_INFINITY;
  #callsSinceCache = 0;

  /** Folds in one finished or refused call. */
  observe(obs: CallObservation): void {
    const t = obs.startTime;
    this.#callsSinceCache++;
    this.#arrive(t);
    const refused = obs.errorType === 'overloaded' && obs.durationMs - obs.queueWaitMs < 1;
    const overloadError = obs.errorType === 'timeout' || (obs.errorType === 'overloaded' && !refused);
    this.#refused += SHARE_ALPHA * ((refused ? 1 : 0) - this.#refused);
    this.#overloadErrors += SHARE_ALPHA * ((overloadError ? 1 : 0) - this.#overloadErrors);
    this.#abandoned += SHARE_ALPHA * ((obs.errorType === 'cancelled' ? 1 : 0) - this.#abandoned);
    if (refused || obs.errorType === 'cancelled' || obs.errorType === 'invalid_params') return;
    const concurrency = obs.inFlightAtStart + 1;
    this.#concurrency += SHARE_ALPHA * (concurrency - this.#concurrency);
    this.#queueShare +=
      SHARE_ALPHA *
      (obs.durationMs > 0 ? obs.queueWaitMs / obs.durationMs - this.#queueShare : -this.#queueShare);
    const execMs = obs.durationMs - obs.queueWaitMs;
    if (obs.outcome !== 'error' && execMs > 0) this.#response.add(t + obs.queueWaitMs, concurrency, execMs);
  }

  /**
   * The tool's load at `now`. Judging the response costs O(groups) and allocates, so a hot tool
   * reuses the last reading for up to {@link REUSE_MS} or {@link REUSE_CALLS} calls: load does
   * not change meaningfully faster.
   */
  state(now: number): LoadState {
    const cached = this.#cached;
    if (
      cached !== undefined &&
      now >= this.#cachedAt &&
      now - this.#cachedAt < REUSE_MS &&
      this.#callsSinceCache < REUSE_CALLS
    )
      return cached;
    this.#cachedAt = now;
    this.#callsSinceCache = 0;
    this.#cached = this.#judge(now);
    return this.#cached;
  }

  #judge(now: number): LoadState {
    const fast = this.#rate(this.#fast, FAST_RATE_MS, now);
    const surge = this.#rate(this.#surge, SURGE_RATE_MS, now);
    // Until the slow average has seen its own time constant, it under-reads: correct for its age.
    const age = Number.isNaN(this.#firstArrival) ? 0 : now - this.#firstArrival;
    const warm = 1 - Math.exp(-Math.max(age, 1) / SLOW_RATE_MS);
    const usual = this.#rate(this.#slow, SLOW_RATE_MS, now) / warm;
    const response = this.#response.judge(now, true);
    const latestResponse = this.#response.judgeLatest(now, 3, true);
    const current = this.#response.judgeLatest(now, 1);
    const demandRatio = usual > 0 ? fast / usual : 1;
    return {
      arrivalRate: fast,
      usualRate: usual,
      demandRatio,
      concurrency: this.#concurrency,
      response,
      latestResponse,
      queueShare: this.#queueShare,
      refusedShare: this.#refused,
      overloadErrorShare: this.#overloadErrors,
      abandonedShare: this.#abandoned,
      queued: this.#queueShare >= OWN_QUEUE_SHARE,
      // Any horizon will do: the last second sees a surge first, the last ten have the samples.
      saturated:
        response.verdict === 'queueing' ||
        latestResponse.verdict === 'queueing' ||
        current.verdict === 'queueing' ||
        this.#overloadErrors >= IMPACT_SHARE,
      // The usual level needs a few time constants of the fast one before a ratio means anything.
      demandUp: age >= 6 * FAST_RATE_MS && fast >= MIN_DEMAND_PER_SEC && demandRatio >= DEMAND_RATIO,
      // The surge average's own noise: Poisson, its variance is rate / (2 τ).
      demandSurge:
        age >= 6 * FAST_RATE_MS &&
        surge >= MIN_DEMAND_PER_SEC &&
        surge >= DEMAND_RATIO * usual &&
        surge >= usual + 3 * Math.sqrt((usual * 1000) / (2 * SURGE_RATE_MS)),
    };
  }

  #arrive(t: number): void {
    if (Number.isNaN(this.#lastArrival)) {
      this.#firstArrival = t;
      this.#lastArrival = t;
    }
    const dt = Math.max(0, t - this.#lastArrival);
    this.#surge = this.#surge * Math.exp(-dt / SURGE_RATE_MS) + 1;
    this.#fast = this.#fast * Math.exp(-dt / FAST_RATE_MS) + 1;
    this.#slow = this.#slow * Math.exp(-dt / SLOW_RATE_MS) + 1;
    if (t > this.#lastArrival) this.#lastArrival = t;
  }

  /** Events per second of an exponentially decayed count with time constant `tau`, read at `now`. */
  #rate(count: number, tau: number, now: number): number {
    if (Number.isNaN(this.#lastArrival)) return 0;
    const dt = Math.max(0, now - this.#lastArrival);
    return (count * Math.exp(-dt / tau) * 1000) / tau;
  }
}
