/**
 * How a tool's execution time responds to the concurrency it runs at, measured from calls that ran
 * at different concurrency *at about the same time*.
 *
 * A saturated upstream (work waits for a free worker) answers a call admitted with k others in
 * flight in time ∝ k past its knee: log latency against log concurrency has a slope near 1. An
 * upstream with spare capacity answers in the same time at any concurrency (slope near 0), even
 * when it got slower — and then more calls are in flight only *because* each takes longer (Little's
 * law), so concurrency and latency rise together *over time* without one causing the other. That is
 * why calls are compared only within short groups (fixed effects): a slowdown between two groups
 * shifts the level of both figures and teaches the slope nothing. Within a group, a linear trend in
 * time is partialled out too: a group that straddles the onset of a slowdown sees concurrency and
 * latency ramp up together, in time, and that ramp is not a response to concurrency.
 */

/** Slope above which latency is judged to grow with concurrency (1: proportional, as past a knee). */
export const QUEUEING_SLOPE = 0.25;
/** Slope below which latency is judged not to depend on concurrency (much). */
export const FLAT_SLOPE = 0.5;
/** Calls needed before the slope says anything. */
const MIN_SAMPLES = 30;

/** What the calls say about the upstream. */
export type ConcurrencyVerdict =
  /** Latency grows with concurrency: calls wait inside the upstream (saturation). */
  | 'queueing'
  /** Latency does not depend on concurrency in the range seen: the upstream has room. */
  | 'flat'
  /** Too few calls, or too little spread in concurrency, to tell. */
  | 'unknown';

/** The fitted response and the verdict it supports. */
export interface ConcurrencyJudgement {
  readonly verdict: ConcurrencyVerdict;
  /** d log(latency) / d log(concurrency), pooled within groups; NaN without spread. */
  readonly slope: number;
  /** Its standard error. */
  readonly se: number;
  readonly samples: number;
}

/**
 * Regression sums of one group of calls (log concurrency x, log latency y), centred within the group
 * and with the group's linear time trend partialled out.
 */
export interface GroupSums {
  readonly n: number;
  readonly sxx: number;
  readonly sxy: number;
  readonly syy: number;
}

/** Running sums of one group: O(1) per call, centred on read. */
export class ResponseGroup {
  n = 0;
  readonly #s = new Float64Array(9); // Σx Σy Σt Σxx Σxy Σyy Σtt Σtx Σty

  /**
   * Adds a call: `concurrency` ≥ 1 (itself included), `latencyMs` > 0 (execution only), `timeS` its
   * admission time in seconds from any fixed origin (the group's start keeps the sums small).
   */
  add(concurrency: number, latencyMs: number, timeS: number): void {
    if (!(latencyMs > 0) || !(concurrency >= 1)) return;
    const x = Math.log(concurrency);
    const y = Math.log(latencyMs);
    const t = timeS;
    const s = this.#s;
    this.n++;
    s[0]! += x;
    s[1]! += y;
    s[2]! += t;
    s[3]! += x * x;
    s[4]! += x * y;
    s[5]! += y * y;
    s[6]! += t * t;
    s[7]! += t * x;
    s[8]! += t * y;
  }

  /**
   * The centred sums (zero for fewer than three calls), with the group's linear time trend
   * partialled out unless `detrend` is false: detrending guards a long group against the ramp at a
   * slowdown's onset, but also flattens the sub-second bursts of queueing that short groups see.
   */
  sums(detrend = true): GroupSums {
    const n = this.n;
    if (n < 3) return { n, sxx: 0, sxy: 0, syy: 0 };
    const s = this.#s;
    const [sx, sy, st] = [s[0]!, s[1]!, s[2]!];
    const cxx = s[3]! - (sx * sx) / n;
    const cxy = s[4]! - (sx * sy) / n;
    const cyy = s[5]! - (sy * sy) / n;
    const ctt = s[6]! - (st * st) / n;
    const ctx = s[7]! - (st * sx) / n;
    const cty = s[8]! - (st * sy) / n;
    // Partial the time trend out (Frisch–Waugh): regress x and y on t within the group first.
    const d = detrend && ctt > 1e-12;
    return {
      n,
      sxx: Math.max(0, d ? cxx - (ctx * ctx) / ctt : cxx),
      sxy: d ? cxy - (ctx * cty) / ctt : cxy,
      syy: Math.max(0, d ? cyy - (cty * cty) / ctt : cyy),
    };
  }

  reset(): void {
    this.n = 0;
    this.#s.fill(0);
  }
}

/**
 * The pooled within-group slope of log latency on log concurrency, with its standard error, and the
 * verdict: `queueing` when the slope is confidently above {@link QUEUEING_SLOPE}, `flat` when it is
 * confidently below {@link FLAT_SLOPE}, else `unknown` (a pool that is always full has no spread).
 *
 * `robust` (groups in time order, the newest last): `queueing` must not rest on one older group
 * alone. Saturation shows in the groups that have spread, up to the newest; the onset (or the end)
 * of a slowdown shows in the one group that straddled it, where concurrency and latency stepped up
 * together *in time*, and in none after it. That group can carry the pooled fit when the later ones
 * have no spread — a closed-loop client pins concurrency at its number of callers — or against
 * later ones that say `flat`. So with any older group left out, the rest must not say `flat` or
 * have too little spread to say anything. The newest group is never left out: a queue that has
 * just begun to build shows only there, and a slowdown that has just begun costs a second at most.
 */
export function judgeResponse(groups: readonly GroupSums[], robust = false): ConcurrencyJudgement {
  let n = 0;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let k = 0;
  for (const g of groups) {
    if (g.n < 3) continue;
    n += g.n;
    sxx += g.sxx;
    sxy += g.sxy;
    syy += g.syy;
    k++;
  }
  const all = pooledSlope(n, sxx, sxy, syy, k);
  if (!robust || all.verdict !== 'queueing') return all;
  for (let i = 0; i < groups.length - 1; i++) {
    const g = groups[i]!;
    if (g.n < 3) continue;
    const rest = pooledSlope(n - g.n, sxx - g.sxx, sxy - g.sxy, syy - g.syy, k - 1);
    if (rest.verdict === 'flat' || Number.isNaN(rest.slope)) return { ...all, verdict: 'unknown' };
  }
  return all;
}

function pooledSlope(n: number, sxx: number, sxy: number, syy: number, k: number): ConcurrencyJudgement {
  // Each group spends a degree of freedom on its mean and one on its trend.
  const dof = n - 2 * k - 1;
  // A spread below ~0.1 in log concurrency (1 call in 10) cannot separate the two readings.
  if (k < 1 || n < MIN_SAMPLES || dof < 2 || sxx < 1e-9 || sxx / n < 0.005)
    return { verdict: 'unknown', slope: Number.NaN, se: Number.NaN, samples: n };
  const slope = sxy / sxx;
  const residual = Math.max(0, syy - slope * sxy) / dof;
  const se = Math.sqrt(residual / sxx);
  const verdict =
    slope - 2 * se > QUEUEING_SLOPE ? 'queueing' : slope + 2 * se < FLAT_SLOPE ? 'flat' : 'unknown';
  return { verdict, slope, se, samples: n };
}

/**
 * A rolling {@link judgeResponse} over the last `groups` groups of `groupMs` each, fed one call at a
 * time on the caller's clock. O(1) per call; `judge` is O(groups).
 */
export class ConcurrencyResponse {
  readonly #groupMs: number;
  readonly #closed: GroupSums[] = [];
  readonly #maxGroups: number;
  readonly #current = new ResponseGroup();
  #currentStart = Number.NaN;

  readonly #detrend: boolean;

  /**
   * @param groupMs length of a group @param groups groups pooled
   * @param detrend partial each group's time trend out (see {@link ResponseGroup.sums})
   */
  constructor(groupMs = 1000, groups = 5, detrend = true) {
    this.#groupMs = groupMs;
    this.#maxGroups = Math.max(1, groups);
    this.#detrend = detrend;
  }

  /** Adds a call admitted at `time` with `concurrency` calls in flight (itself included). */
  add(time: number, concurrency: number, latencyMs: number): void {
    this.#roll(time);
    this.#current.add(concurrency, latencyMs, (time - this.#currentStart) / 1000);
  }

  /** The verdict over the recent groups (the current one included). */
  judge(now: number, robust = false): ConcurrencyJudgement {
    this.#roll(now);
    return judgeResponse([...this.#closed, this.#current.sums(this.#detrend)], robust);
  }

  /**
   * The verdict over the latest `groups` groups only: what the upstream does *now*, without the
   * older groups of the horizon, which may describe another regime (before a surge or a slowdown).
   */
  judgeLatest(now: number, groups = 3, robust = false): ConcurrencyJudgement {
    this.#roll(now);
    const older = groups > 1 ? this.#closed.slice(-(groups - 1)) : [];
    return judgeResponse([...older, this.#current.sums(this.#detrend)], robust);
  }

  /** Forgets everything (after a change that makes old calls meaningless). */
  reset(): void {
    this.#closed.length = 0;
    this.#current.reset();
    this.#currentStart = Number.NaN;
  }

  #roll(time: number): void {
    if (Number.isNaN(this.#currentStart)) {
      this.#currentStart = time;
      return;
    }
    if (time - this.#currentStart < this.#groupMs) return;
    // Groups older than the horizon are dropped, even after a silence.
    const horizon = this.#groupMs * this.#maxGroups;
    if (time - this.#currentStart < horizon) this.#closed.push(this.#current.sums(this.#detrend));
    else this.#closed.length = 0;
    while (this.#closed.length >= this.#maxGroups) this.#closed.shift();
    this.#current.reset();
    this.#currentStart = time;
  }
}
