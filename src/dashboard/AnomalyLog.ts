import type {
  Detector,
  FeatureDeviation,
  Severity,
  Verdict,
  VerdictClass,
  VerdictObserver,
} from '../analysis/index.js';

/** One stretch of time during which the analyzer judged a tool anomalous. */
export interface AnomalyEpisode {
  key: string;
  service: string;
  tool: string;
  /** Epoch ms of the first anomalous verdict's call. */
  start: number;
  /** Epoch ms of the first normal verdict after it; `undefined` while it lasts. */
  end: number | undefined;
  /** The worst severity reached. */
  severity: Severity;
  /** A fault of the tool, or an overload of its upstream (a change of class starts a new episode). */
  class: VerdictClass;
  /** The detector that opened it. */
  detector: Detector | undefined;
  /** Anomalous verdicts in the episode. */
  verdicts: number;
  /** The highest score, and what the analyzer said at that moment. */
  peakScore: number;
  peakAt: number;
  deviations: readonly FeatureDeviation[];
  reasons: readonly string[];
  recommendations: readonly string[];
}

/**
 * The analyzer's anomalies as episodes (start, end, worst severity, and the
 * explanation at the peak), for the status API, the dashboard markers, export and
 * the demo summary. Verdicts only say "anomalous now"; this remembers what was
 * found after the tool recovered. O(1) per verdict; the last `limit` closed
 * episodes are kept.
 */
export class AnomalyLog implements VerdictObserver {
  readonly #open = new Map<string, AnomalyEpisode>();
  readonly #closed: AnomalyEpisode[] = [];
  readonly #limit: number;

  /** @param limit closed episodes kept. @default 100 */
  constructor(limit = 100) {
    this.#limit = limit;
  }

  onVerdict(verdict: Verdict): void {
    const key = verdict.ref.key;
    let open = this.#open.get(key);
    const verdictClass = verdict.class ?? 'fault';
    if (open && (!verdict.anomaly || open.class !== verdictClass)) {
      open.end = verdict.time;
      this.#open.delete(key);
      this.#closed.push(open);
      if (this.#closed.length > this.#limit) this.#closed.shift();
      open = undefined;
    }
    if (!verdict.anomaly) return;
    const severity = verdict.severity ?? 'warning';
    if (!open) {
      this.#open.set(key, {
        key,
        service: verdict.ref.service,
        tool: verdict.ref.tool,
        start: verdict.time,
        end: undefined,
        severity,
        class: verdictClass,
        detector: verdict.detector,
        verdicts: 1,
        peakScore: verdict.score,
        peakAt: verdict.time,
        deviations: verdict.deviations,
        reasons: verdict.reasons,
        recommendations: verdict.recommendations,
      });
      return;
    }
    open.verdicts++;
    if (severity === 'critical') open.severity = 'critical';
    if (verdict.score > open.peakScore || (open.deviations.length === 0 && verdict.deviations.length > 0)) {
      open.peakScore = Math.max(open.peakScore, verdict.score);
      open.peakAt = verdict.time;
      open.deviations = verdict.deviations;
      open.reasons = verdict.reasons;
      open.recommendations = verdict.recommendations;
    }
  }

  /** Episodes that started or were still open at or after `since` (epoch ms), oldest first; open ones last. */
  episodes(since = Number.NEGATIVE_INFINITY): AnomalyEpisode[] {
    const inWindow = (episode: AnomalyEpisode) => (episode.end ?? Number.POSITIVE_INFINITY) >= since;
    return [
      ...this.#closed.filter(inWindow),
      ...[...this.#open.values()].sort((a, b) => a.start - b.start),
    ].map((episode) => ({ ...episode }));
  }
}
