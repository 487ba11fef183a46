import {
  type ConcurrencyJudgement,
  FLAT_SLOPE,
  type GroupSums,
  judgeResponse,
  QUEUEING_SLOPE,
} from '../load/index.js';
import { LatencyWindow, type WindowStats } from './LatencyWindow.js';
import type { LimitController, LimitSample } from './LimitController.js';
import { NoLoadLatency } from './NoLoadLatency.js';
import { NoLoadProbe } from './NoLoadProbe.js';
import {
  type PoolControllerOptions,
  type ResolvedPoolControllerOptions,
  resolvePoolControllerOptions,
} from './PoolControllerOptions.js';
import type { TuningEvidence, TuningReason } from './TuningDecision.js';

/** A congestion hint from outside the pool's own samples. */
export type CongestionSignal =
  /** The analyzer judged a call of this pool anomalous with latency among the deviations. */
  | {
      readonly kind: 'latency_anomaly';
      readonly time: number;
      readonly critical: boolean;
      readonly score: number;
    }
  /** The host's CPU is saturated (sent only to pools whose tools run in process). */
  | { readonly kind: 'host_cpu_saturation'; readonly time: number; readonly utilization: number };

/** The last change of the applied limit and why: the manager turns it into a decision. */
export interface LimitAdjustment {
  readonly time: number;
  readonly from: number;
  readonly to: number;
  readonly reason: TuningReason;
  readonly evidence: TuningEvidence;
}

/**
 * Why the controller last kept a limit it had been asked to question: the record of a decision not
 * to act, for status pages and the demo's summary (never a recorded decision).
 * - `not_saturated`: latency rose but does not grow with concurrency (a slower upstream, or other
 *   traffic): the no-load latency was re-learned instead of shrinking.
 * - `verifying`: latency rose while the pool was full, where concurrency cannot vary by itself: one
 *   step up (or down, at the maximum limit) tells a saturated upstream (latency follows) from a
 *   slower one (it does not).
 * - `unverified`: latency rose, but nothing yet shows it depends on concurrency: held.
 * - `saturated`: latency grows with concurrency: the pool is limited to the upstream's capacity.
 */
export interface LoadJudgement {
  readonly time: number;
  readonly kind: 'not_saturated' | 'verifying' | 'unverified' | 'saturated';
  /** The fitted response of latency to concurrency behind it. */
  readonly response: ConcurrencyJudgement;
  readonly latencyMs: number;
  readonly noLoadLatencyMs: number | undefined;
  /** For `verifying`: which way the limit stepped. */
  readonly step?: 'up' | 'down';
}

/** What the controller currently believes (for status pages and tests). */
export interface PoolControllerState {
  readonly limit: number;
  /** Robust no-load latency (trimmed mean, ms); undefined before the first window. */
  readonly noLoadLatencyMs: number | undefined;
  readonly lastWindow: WindowStats | undefined;
  readonly probing: boolean;
  /** The last judgement of whether the upstream is saturated. */
  readonly judgement: LoadJudgement | undefined;
}

/** Windows of the current suspicion whose concurrency response is pooled. */
const RESPONSE_WINDOWS = 8;
/** How long a confirmed saturation stands without new evidence. */
const SATURATION_MEMORY_MS = 10_000;

/**
 * toolscope's concurrency controller for one pool. Pure: time arrives with samples and ticks.
 *
 * Each window (≥ `windowMs`, ≥ `minWindowSamples` calls admitted under the current limit)
 * estimates the calls waiting inside the upstream with Little's law — in-flight × (robust
 * latency − no-load latency) / mean latency — and from it the upstream's capacity. The limit
 * tracks capacity × (1 + headroom): shrink when the queue is confidently larger than that
 * (in one jump once two windows agree it is severe: capacity fell), close in when smaller,
 * slow-start upward when the pool is full and twice no queue is measurable (recovery), hold
 * when unsure or when the limit does not bind. The robust latency (a lower-trimmed mean) moves
 * with queueing (every call waits) but hardly with a burst of slow outliers, and the
 * Little's-law form discounts what outliers do move. The no-load latency
 * ({@link NoLoadLatency}) only falls on evidence and is re-measured by rare, shallow probes
 * ({@link NoLoadProbe}); latency that stays up while our load falls is not ours and is
 * re-learned instead of shrinking further.
 *
 * **Do no harm.** Latency above the no-load estimate is only a suspicion: a slower dependency raises
 * it just as much, and shrinking then starves a pool whose upstream has room. The controller shrinks
 * only on evidence that latency *depends on concurrency* (saturation): calls admitted at higher
 * concurrency within the same windows are slower ({@link judgeResponse}, two evaluations running),
 * or, where a full pool pins concurrency, a step up made latency follow; or the upstream answers
 * with overload errors. Latency that does not follow concurrency re-learns the no-load estimate.
 */
export class PoolController implements LimitController {
  readonly #o: ResolvedPoolControllerOptions;
  readonly #window: LatencyWindow;
  /** The controller's continuous limit… */
  #limit: number;
  /** …and the integer applied to the pool, which follows it with hysteresis (no 14↔15 flapping). */
  #appliedLimit: number;
  readonly #noLoad = new NoLoadLatency();
  #lastWindow: WindowStats | undefined;
  /** Consecutive full-pool windows without a measurable queue. */
  #quietWindows = 0;
  #growth: number;
  #probe: NoLoadProbe | undefined;
  /** True while the probe admits calls at its own limit. */
  #probeAdmitting = false;
  #probes = 0;
  /** Bound on early probes repeated because the estimate keeps moving. */
  #earlyProbesLeft = 4;
  /** Consecutive windows with a severe queue. */
  #severeStreak = 0;
  #nextProbeAt = Number.POSITIVE_INFINITY;
  #holdUntil = Number.NEGATIVE_INFINITY;
  #lastSignalDecreaseAt = Number.NEGATIVE_INFINITY;
  #adjustment: LimitAdjustment | undefined;
  /**
   * Concurrency responses of the windows since latency first rose above no-load (the suspicion):
   * evidence from before it describes another regime and must not clear or convict it.
   */
  readonly #responses: GroupSums[] = [];
  /** Consecutive evaluations of the suspicion whose pooled response said `queueing` / `flat`. */
  #queueingStreak = 0;
  #flatStreak = 0;
  /** Saturation confirmed (by a step up, or by a streak) stands until then. */
  #saturatedUntil = Number.NEGATIVE_INFINITY;
  /** The window before a verifying step up: what latency was at the lower concurrency. */
  #verifyFrom: WindowStats | undefined;
  #judgement: LoadJudgement | undefined;

  /** @param now the clock at creation (the first window starts here). */
  constructor(options: PoolControllerOptions = {}, now = 0) {
    this.#o = resolvePoolControllerOptions(options);
    this.#window = new LatencyWindow(this.#o.latencyTrim, now);
    this.#limit = this.#o.initialLimit;
    this.#appliedLimit = this.#applied(this.#limit);
    this.#growth = this.#o.initialGrowth;
  }

  /** The limit to apply: an integer within [min, max]; the probe limit while a probe admits. */
  get limit(): number {
    return this.#probeAdmitting && this.#probe !== undefined ? this.#probe.limit : this.#appliedLimit;
  }

  /** The most recent change of the applied limit, with its reason and evidence. */
  get lastAdjustment(): LimitAdjustment | undefined {
    return this.#adjustment;
  }

  get state(): PoolControllerState {
    return {
      limit: this.limit,
      noLoadLatencyMs: this.#noLoad.value,
      lastWindow: this.#lastWindow,
      probing: this.#probeAdmitting,
      judgement: this.#judgement,
    };
  }

  onSample(sample: LimitSample): number {
    const probe = this.#probe;
    if (probe !== undefined) {
      if (sample.outcome === 'timeout' || sample.outcome === 'overloaded') this.#endProbe(sample.time, false);
      else probe.offer(sample);
    }
    this.#window.add(sample, this.limit);
    // A due window closes here too (O(n) once per window: amortised O(1) per call).
    this.#advance(sample.time);
    return this.limit;
  }

  /** Closes windows that are due (also without traffic) and ends probes: call it every ~100 ms. */
  onTick(now: number): number {
    this.#advance(now);
    return this.limit;
  }

  /** Feeds an outside congestion hint (analyzer verdict, host CPU). Returns the limit. */
  onSignal(signal: CongestionSignal): number {
    const t = signal.time;
    this.#holdUntil = Math.max(this.#holdUntil, t + this.#o.signalHoldMs);
    const critical = signal.kind === 'host_cpu_saturation' || signal.critical;
    if (!critical || t - this.#lastSignalDecreaseAt < this.#o.signalCooldownMs) return this.limit;
    // A latency verdict on a pool that is not full is not about our concurrency.
    if (signal.kind === 'latency_anomaly' && (this.#lastWindow?.saturation ?? 0) < 0.1) return this.limit;
    this.#lastSignalDecreaseAt = t;
    if (this.#probe !== undefined) this.#endProbe(t, false);
    const host = signal.kind === 'host_cpu_saturation';
    this.#set(
      this.#limit * (host ? this.#o.hostBackoff : this.#o.anomalyBackoff),
      host ? 'host_cpu_saturation' : 'anomaly_verdict',
      t,
      { ...this.#evidence(this.#lastWindow), signal: host ? signal.utilization : signal.score },
    );
    return this.limit;
  }

  #advance(now: number): void {
    const probe = this.#probe;
    if (probe !== undefined) {
      if (now >= probe.endMs) this.#endProbe(now, true);
      else if (this.#probeAdmitting && !probe.admitting(now)) {
        // Admission phase over: back to the real limit while the probe's calls finish.
        this.#probeAdmitting = false;
        this.#window.reset(now);
        const evidence = { ...this.#evidence(this.#lastWindow), samples: probe.samples };
        this.#adjustment = { time: now, from: probe.limit, to: this.limit, reason: 'probe_end', evidence };
      }
    }
    const age = now - this.#window.startMs;
    if (age >= this.#o.windowMs && this.#window.signals >= this.#o.minWindowSamples) this.#evaluate(now);
    else if (age >= this.#o.maxWindowMs) {
      if (this.#window.signals >= 3) this.#evaluate(now);
      else this.#window.reset(now);
    }
  }

  #evaluate(now: number): void {
    const w = this.#window.close(now);
    if (this.#probeAdmitting) return; // a probe window says nothing about the limit
    this.#lastWindow = w;
    const o = this.#o;
    if (w.drops >= 2 && w.drops / (w.samples + w.drops) >= o.dropRate) {
      const timeouts = 2 * w.timeouts >= w.drops;
      // The upstream saying "overloaded" is saturation; timeouts are only where concurrency is the
      // lever (a full pool, or latency that follows concurrency), else the calls are just slow.
      if (!timeouts || w.saturation >= 0.5 || this.#saturationKnown(now)) {
        this.#set(
          this.#limit * o.dropBackoff,
          timeouts ? 'timeouts' : 'overload_errors',
          now,
          this.#evidence(w),
        );
        return;
      }
    }
    if (w.samples < Math.max(3, o.minWindowSamples / 2)) return;
    if (this.#noLoad.value === undefined) {
      this.#noLoad.set(w);
      this.#nextProbeAt = now + o.earlyProbeIntervalMs / 2;
      return;
    }
    // Queueing only adds latency, so a window's upper confidence bound caps the no-load latency.
    this.#noLoad.cap(w);
    const inFlight = w.meanInFlight;
    const queue = this.#queue(w);
    const queueSe = (inFlight * w.latencyMs * w.logSe) / w.meanMs;
    const capacity = Math.max(1, inFlight - queue);
    // The standing queue we aim for: enough to measure, at least one call so small pools are not starved.
    const wanted = Math.max(1, capacity * o.headroom);
    const saturated = w.saturation >= 0.1 || w.rejected > 0;

    const severe = queue - 2 * queueSe >= o.severeQueue * inFlight || now < this.#holdUntil;
    const verifyFrom = this.#verifyFrom;
    this.#verifyFrom = undefined;
    // A pool that is mostly not full does not shape the upstream's load: only a severe queue
    // (or errors, above) is worth questioning then; a burst of slow calls at a peak is not.
    const suspicious = queue - 2 * queueSe > wanted && (w.saturation >= 0.5 || severe);
    const response = this.#respond(w, suspicious, now);
    if (suspicious) {
      // Latency is above no-load. Whose doing is it?
      this.#growth = o.initialGrowth;
      this.#quietWindows = 0;
      if (!this.#saturationKnown(now)) {
        this.#severeStreak = 0;
        const stepped = verifyFrom === undefined ? undefined : stepResponse(verifyFrom, w);
        if (stepped === 'queueing') {
          this.#saturatedUntil = now + SATURATION_MEMORY_MS;
        } else if (this.#flatStreak >= 2 || stepped === 'flat') {
          // Not a response to concurrency: the upstream got slower (or serves someone else). Learn
          // the new latency instead of starving the pool.
          // Noted first: the judgement compares with the level it is about to replace.
          this.#note(now, 'not_saturated', response, w);
          this.#noLoad.set(w);
          this.#endSuspicion();
          // If the pool binds later, probes check the new estimate at lower concurrency soon.
          this.#probes = 0;
          this.#earlyProbesLeft = 4;
          this.#nextProbeAt = now + o.earlyProbeIntervalMs / 2;
          return;
        } else if (w.saturation >= 0.5 && verifyFrom === undefined && this.#limit > o.minLimit) {
          // A full pool pins concurrency, so its calls cannot show a response: step once and see
          // whether latency follows. Growing is the safe experiment: a saturated upstream queues a
          // few more calls for one window; a slower one gets the room it needs. At the maximum
          // limit only a step down can ask; it costs one window of a slightly smaller pool.
          const up = this.#limit < o.maxLimit;
          this.#note(now, 'verifying', response, w, up ? 'up' : 'down');
          this.#set(
            up
              ? Math.max(this.#limit + 1, this.#limit * (1 + o.verifyStep))
              : Math.min(this.#limit - 1, this.#limit / (1 + o.verifyStep)),
            'verify_step',
            now,
            this.#evidence(w),
          );
          this.#verifyFrom = w;
          return;
        } else {
          this.#note(now, 'unverified', response, w);
          return;
        }
      }
      // Still queueing: the saturation stands for as long as the episode lasts.
      this.#saturatedUntil = Math.max(this.#saturatedUntil, now + SATURATION_MEMORY_MS);
      this.#note(now, 'saturated', response, w);
      const ownership = this.#noLoad.judge(w, now);
      if (ownership === 'suspect') return;
      if (ownership === 'relearned') {
        // The new estimate may still include some queueing: verify it soon with deeper probes.
        this.#probes = 0;
        this.#earlyProbesLeft = 4;
        this.#nextProbeAt = now + o.earlyProbeIntervalMs / 2;
        const limit = this.limit;
        this.#adjustment = {
          time: now,
          from: limit,
          to: limit,
          reason: 'baseline_shift',
          evidence: this.#evidence(w),
        };
        return;
      }
      const target = capacity + wanted;
      // Jump on a severe queue once a second window confirms it (one window may be a burst of
      // slow calls), and only once: the window after a jump still sees the old limit's backlog.
      this.#severeStreak = severe ? this.#severeStreak + 1 : 0;
      const jump = this.#severeStreak === 2 || (severe && now < this.#holdUntil && this.#severeStreak === 1);
      const next = jump ? target : this.#limit + o.gain * (target - this.#limit);
      const reason: TuningReason = severe ? 'capacity_drop' : 'latency_gradient';
      this.#set(
        Math.min(this.#limit, Math.max(next, this.#limit * (1 - o.maxDecrease))),
        reason,
        now,
        this.#evidence(w),
      );
      return;
    }
    this.#severeStreak = 0;
    // A quiet window means latency is back at no-load: the episode is over.
    if (queue < Math.max(2 * queueSe, wanted / 2)) this.#noLoad.endEpisode();
    const quiet = queue < Math.max(2 * queueSe, wanted / 2);
    this.#quietWindows = quiet && saturated ? this.#quietWindows + 1 : 0;
    if (queue < wanted && saturated && now >= this.#holdUntil) {
      if (this.#quietWindows >= 2) {
        // Full pool and, twice running, no measurable queue: below the knee (recovery, start);
        // find it with slow-start steps. An overshoot is measurable, so it is corrected next.
        const next = Math.min(this.#limit, inFlight) * (1 + this.#growth);
        this.#set(Math.max(this.#limit, next), 'probe_up', now, this.#evidence(w));
        this.#growth = Math.min(o.maxGrowth, this.#growth * 2);
      } else {
        // Near the knee: close in on capacity + headroom.
        this.#growth = o.initialGrowth;
        const step = o.gain * (capacity + wanted - this.#limit);
        if (step > 0) this.#set(this.#limit + step, 'probe_up', now, this.#evidence(w));
      }
    } else {
      this.#growth = o.initialGrowth; // unsure, or not limited by the pool: hold
    }
    if (
      this.#probes < o.earlyProbes &&
      queue > 2 * queueSe &&
      capacity >= 1.2 * this.#noLoad.measuredAtInFlight
    ) {
      // The knee lies well above the load the no-load latency was measured at: it is clean.
      this.#probes = o.earlyProbes;
      this.#nextProbeAt = now + o.probeIntervalMs;
    }
    // Probe only where the limit binds and the knee is measurable, or the dip means nothing.
    if (w.saturation >= 0.5 && queue > 2 * queueSe && this.#probe === undefined && now >= this.#nextProbeAt) {
      this.#startProbe(now, w, capacity);
    }
  }

  /**
   * Pools this window's concurrency response with those of the windows since the suspicion began,
   * and judges them; two judgements running make a streak (one window at the onset of a slowdown
   * can fake a response). Outside a suspicion the history is dropped.
   */
  #respond(w: WindowStats, suspicious: boolean, now: number): ConcurrencyJudgement {
    if (!suspicious) this.#endSuspicion();
    const r = this.#responses;
    if (suspicious) {
      r.push(w.response);
      while (r.length > RESPONSE_WINDOWS) r.shift();
    }
    const judgement = judgeResponse(suspicious ? r : [w.response]);
    if (!suspicious) return judgement;
    this.#queueingStreak = judgement.verdict === 'queueing' ? this.#queueingStreak + 1 : 0;
    this.#flatStreak = judgement.verdict === 'flat' ? this.#flatStreak + 1 : 0;
    if (this.#queueingStreak >= 2) this.#saturatedUntil = now + SATURATION_MEMORY_MS;
    return judgement;
  }

  #endSuspicion(): void {
    this.#responses.length = 0;
    this.#queueingStreak = 0;
    this.#flatStreak = 0;
  }

  #saturationKnown(now: number): boolean {
    return now < this.#saturatedUntil;
  }

  #note(
    now: number,
    kind: LoadJudgement['kind'],
    response: ConcurrencyJudgement,
    w: WindowStats,
    step?: 'up' | 'down',
  ): void {
    this.#judgement = {
      time: now,
      kind,
      response,
      latencyMs: w.latencyMs,
      noLoadLatencyMs: this.#noLoad.value,
      ...(step === undefined ? {} : { step }),
    };
  }

  /**
   * Calls waiting inside the upstream, by Little's law: extra latency × throughput, with
   * throughput = in-flight / mean latency. Slow outliers raise the mean as much as the
   * robust latency, so a burst of them barely moves the estimate; a queue delays every call and
   * moves it.
   */
  #queue(w: WindowStats): number {
    const extraMs = Math.max(0, w.latencyMs - (this.#noLoad.value ?? w.latencyMs));
    return w.meanMs > 0 ? Math.min(w.meanInFlight, (w.meanInFlight * extraMs) / w.meanMs) : 0;
  }

  /**
   * Dips the limit to the estimated capacity (no standing queue) for about one latency plus
   * the time to admit `probeSamples` calls — deeper while the no-load estimate is young,
   * because an inflated estimate inflates the capacity estimate too.
   */
  #startProbe(now: number, w: WindowStats, capacity: number): void {
    const restore = this.#appliedLimit;
    const depth = this.#probes < this.#o.earlyProbes ? this.#o.earlyProbeDepth : 1;
    // Routine probes only shed the standing queue; with a noisy capacity estimate, never dip
    // further than the headroom.
    const floor = depth < 1 ? 0 : Math.ceil(restore / (1 + this.#o.headroom));
    const limit = Math.max(
      this.#o.minLimit,
      Math.min(restore - 1, Math.max(floor, Math.round(capacity * depth))),
    );
    this.#scheduleProbe(now);
    if (limit >= restore) return;
    const admitMs = Math.min(this.#o.probeTimeoutMs, w.meanMs * (1 + this.#o.probeSamples / limit));
    const waitMs = Math.min(this.#o.probeTimeoutMs, 4 * w.meanMs);
    this.#probe = new NoLoadProbe(now, limit, restore, now + admitMs, now + admitMs + waitMs);
    this.#probeAdmitting = true;
    this.#growth = this.#o.initialGrowth;
    this.#window.reset(now);
    this.#adjustment = {
      time: now,
      from: restore,
      to: limit,
      reason: 'no_load_probe',
      evidence: this.#evidence(w),
    };
  }

  /** Ends a probe; a complete one re-anchors the no-load latency, up or down. */
  #endProbe(now: number, complete: boolean): void {
    const probe = this.#probe;
    if (probe === undefined) return;
    const wasAdmitting = this.#probeAdmitting;
    this.#probe = undefined;
    this.#probeAdmitting = false;
    const result = complete ? probe.result(this.#o.latencyTrim, 8) : undefined;
    if (result !== undefined) {
      const consistent = this.#noLoad.probe(result, probe.limit);
      const early = this.#probes <= this.#o.earlyProbes;
      if (early && consistent) {
        this.#probes = this.#o.earlyProbes; // verified: routine probes from now on
        this.#nextProbeAt = now + this.#o.probeIntervalMs;
      } else if (early && --this.#earlyProbesLeft > 0) {
        this.#probes = Math.min(this.#probes, this.#o.earlyProbes - 1); // still moving: probe again soon
        this.#nextProbeAt = now + this.#o.earlyProbeIntervalMs;
      }
    }
    if (wasAdmitting) {
      this.#window.reset(now);
      const evidence = { ...this.#evidence(this.#lastWindow), samples: probe.samples };
      this.#adjustment = { time: now, from: probe.limit, to: this.limit, reason: 'probe_end', evidence };
    }
  }

  #scheduleProbe(now: number): void {
    this.#probes++;
    const base = this.#probes < this.#o.earlyProbes ? this.#o.earlyProbeIntervalMs : this.#o.probeIntervalMs;
    this.#nextProbeAt = now + base * (1 + this.#o.probeJitter * (2 * this.#o.random() - 1));
  }

  #set(next: number, reason: TuningReason, now: number, evidence: TuningEvidence): void {
    const from = this.limit;
    this.#limit = Math.min(this.#o.maxLimit, Math.max(this.#o.minLimit, next));
    if (Math.abs(this.#limit - this.#appliedLimit) >= 0.75) this.#appliedLimit = this.#applied(this.#limit);
    const to = this.limit;
    if (to === from) return;
    this.#adjustment = { time: now, from, to, reason, evidence };
    this.#window.reset(now); // the next window describes the new limit only
  }

  #applied(limit: number): number {
    return Math.min(this.#o.maxLimit, Math.max(this.#o.minLimit, Math.round(limit)));
  }

  #evidence(w: WindowStats | undefined): TuningEvidence {
    const queue = w === undefined || this.#noLoad.value === undefined ? undefined : this.#queue(w);
    return {
      samples: w?.samples ?? 0,
      latencyMs: w?.latencyMs,
      noLoadLatencyMs: this.#noLoad.value,
      queueEstimate: queue,
      capacityEstimate:
        w === undefined || queue === undefined ? undefined : Math.max(1, w.meanInFlight - queue),
      meanInFlight: w?.meanInFlight,
      throughputPerSec: w?.throughputPerSec,
      drops: w?.drops ?? 0,
    };
  }
}

/**
 * Compares two consecutive windows at different concurrency (a step of the limit): `queueing` when
 * latency followed concurrency (log-log slope confidently above {@link QUEUEING_SLOPE}), `flat` when
 * it confidently did not, else `unknown`.
 */
export function stepResponse(before: WindowStats, after: WindowStats): 'queueing' | 'flat' | 'unknown' {
  const dx = Math.log(after.meanInFlight / before.meanInFlight);
  if (!(Math.abs(dx) >= 0.05) || !(before.latencyMs > 0) || !(after.latencyMs > 0)) return 'unknown';
  const slope = Math.log(after.latencyMs / before.latencyMs) / dx;
  const se = Math.hypot(before.logSe, after.logSe) / Math.abs(dx);
  if (slope - 2 * se > QUEUEING_SLOPE) return 'queueing';
  // Only a pool that filled at the new limit ran the experiment: otherwise the backlog it took in
  // (a transient) decides the comparison, not the upstream.
  if (slope + 2 * se < FLAT_SLOPE && after.saturation >= 0.5) return 'flat';
  return 'unknown';
}
