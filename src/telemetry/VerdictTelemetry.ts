import { type Attributes, type Context, type Meter, trace } from '@opentelemetry/api';
import type { Verdict } from '../analysis/index.js';
import type { HistogramRecorder, HistogramSource } from './LocalHistograms.js';
import { ATTR_GEN_AI_TOOL_NAME } from './semconv.js';
import * as ts from './toolscopeNames.js';

/** A tool currently judged anomalous, for the active-anomaly gauge. */
export interface ActiveAnomaly {
  service: string;
  tool: string;
  severity: string;
}

/**
 * The analyzer's judgement as telemetry: the anomaly score of every call
 * (`toolscope.anomaly.score`), anomalous calls by severity
 * (`toolscope.anomalies`), tools in an anomalous state (`toolscope.anomaly.active`),
 * and, on the call's own span, the score and — for anomalous calls — an event
 * with the deviating features, reasons and recommendations.
 */
/** Anomalous calls of one tool and severity, counted here and read by the observable counter. */
interface SeverityCount {
  readonly attributes: Attributes;
  count: number;
}

interface ToolAttributes {
  readonly base: Attributes;
  readonly bySeverity: Map<string, SeverityCount>;
}

/** Tools whose anomalies are counted under their own labels; later ones share the overflow series. */
const MAX_TOOLS = 10_000;

export class VerdictTelemetry {
  readonly #score: HistogramRecorder;
  readonly #tools = new Map<string, ToolAttributes>();
  readonly #overflow: ToolAttributes = {
    base: Object.freeze({ 'otel.metric.overflow': true }),
    bySeverity: new Map(),
  };

  /** @param histograms where the per-call score histogram lives (toolscope's own aggregation in the runtime). @default meter */
  constructor(meter: Meter, active: () => Iterable<ActiveAnomaly>, histograms: HistogramSource = meter) {
    this.#score = histograms.createHistogram(ts.METRIC_TS_ANOMALY_SCORE, {
      unit: '1',
      description: 'Anomaly score of each call (0 normal … 1 anomalous).',
      advice: { explicitBucketBoundaries: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] },
    });
    // Counted here, read at collection: an anomalous tool under load is judged thousands of times a
    // second, and a synchronous counter would hash its labels on every one of them.
    meter
      .createObservableCounter(ts.METRIC_TS_ANOMALIES, {
        unit: '{call}',
        description: 'Calls judged anomalous, by severity.',
      })
      .addCallback((result) => {
        for (const tool of [...this.#tools.values(), this.#overflow])
          for (const { attributes, count } of tool.bySeverity.values()) result.observe(count, attributes);
      });
    meter
      .createObservableGauge(ts.METRIC_TS_ANOMALY_ACTIVE, {
        description: '1 while a tool is in an anomalous state.',
      })
      .addCallback((result) => {
        for (const a of active()) {
          result.observe(1, {
            [ts.ATTR_TS_SERVICE]: a.service,
            [ATTR_GEN_AI_TOOL_NAME]: a.tool,
            [ts.ATTR_TS_SEVERITY]: a.severity,
          });
        }
      });
  }

  /** Record a verdict; `traceContext` is the call's (its span gets the score and, if anomalous, an event). */
  record(verdict: Verdict, traceContext: Context | undefined): void {
    const tool = this.#attributes(verdict);
    if (!verdict.warmingUp) this.#score.record(verdict.score, tool.base);
    if (verdict.anomaly && verdict.severity) {
      let counted = tool.bySeverity.get(verdict.severity);
      if (!counted) {
        counted = { attributes: { ...tool.base, [ts.ATTR_TS_SEVERITY]: verdict.severity }, count: 0 };
        tool.bySeverity.set(verdict.severity, counted);
      }
      counted.count++;
    }
    const span = traceContext ? trace.getSpan(traceContext) : undefined;
    if (!span?.isRecording()) return;
    span.setAttribute(ts.ATTR_TS_ANOMALY_SCORE, verdict.score);
    if (!verdict.anomaly) return;
    span.setAttribute(ts.ATTR_TS_ANOMALY, true);
    span.setAttribute(
      ts.ATTR_TS_ANOMALY_FEATURES,
      verdict.deviations.map((d) => d.feature),
    );
    span.addEvent(ts.EVENT_TS_ANOMALY, {
      [ts.ATTR_TS_SEVERITY]: verdict.severity ?? 'warning',
      [ts.ATTR_TS_ANOMALY_SCORE]: verdict.score,
      [ts.ATTR_TS_ANOMALY_FEATURES]: verdict.deviations.map((d) => `${d.feature} z=${d.z.toFixed(1)}`),
      [ts.ATTR_TS_ANOMALY_REASONS]: [...verdict.reasons],
      [ts.ATTR_TS_ANOMALY_RECOMMENDATIONS]: [...verdict.recommendations],
    });
  }

  #attributes(verdict: Verdict): ToolAttributes {
    let tool = this.#tools.get(verdict.ref.key);
    if (!tool) {
      if (this.#tools.size >= MAX_TOOLS) return this.#overflow;
      tool = {
        base: { [ts.ATTR_TS_SERVICE]: verdict.ref.service, [ATTR_GEN_AI_TOOL_NAME]: verdict.ref.tool },
        bySeverity: new Map(),
      };
      this.#tools.set(verdict.ref.key, tool);
    }
    return tool;
  }
}
