import type { Meter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { type AlertEvent, type AlertService, createAlertService } from '../alerts/index.js';
import {
  Analyzer,
  AnalyzerService,
  analysisOptionsFromConfig,
  FileStateStore,
  type Verdict,
  type VerdictObserver,
} from '../analysis/index.js';
import type { ToolscopeSection } from '../config/index.js';
import type { UpstreamState } from '../gateway/index.js';
import type { CallObservation, CallObserver } from '../pipeline/index.js';
import type { BreakerStateChange } from '../resilience/index.js';
import { type HistogramSource, registerAlertInstruments, VerdictTelemetry } from '../telemetry/index.js';

export interface AnalysisWiringOptions {
  config: ToolscopeSection;
  /** Where baselines and forests are saved; undefined: nothing is persisted. */
  stateDir: string | undefined;
  /** Metrics for verdicts and alerts; undefined when telemetry is off. */
  meter: Meter | undefined;
  /** Where per-call histograms go (toolscope's own aggregation). @default meter */
  histograms?: HistogramSource;
  /** toolscope's logger: alerts (one line each, at their level), analyzer and handler failures. */
  logger: Logger;
  /** Sends an MCP logging notification to connected clients. */
  notifyClients: (level: string, data: unknown) => void;
}

/** What a start restored from the state directory. */
export interface RestoredState {
  /** The snapshot file. */
  readonly path: string;
  /** Tools with a learned baseline. */
  readonly tools: number;
  /** Calls those baselines were learned from. */
  readonly calls: number;
}

/**
 * The judging half of the runtime: every observation goes to the analyzer,
 * whose verdict is recorded as telemetry (on the call's span too) and fanned out
 * to the alert engine, the profiler trigger and the tuner; upstream and breaker
 * transitions go to the alert engine; alerts become metrics, log lines and MCP
 * logging notifications.
 */
export class AnalysisWiring implements CallObserver {
  readonly analyzer: AnalyzerService | undefined;
  readonly alerts: AlertService;
  readonly #verdictTelemetry: VerdictTelemetry | undefined;
  readonly #verdictObservers: VerdictObserver[] = [];
  /** The latest verdict per tool (for status), bounded by the number of tools. */
  readonly latest = new Map<string, Verdict>();
  /** Where the analyzer's snapshot lives, when persisted. */
  readonly statePath: string | undefined;

  constructor(options: AnalysisWiringOptions) {
    const { config } = options;
    const analysisConfig = config.analysis;
    if (analysisConfig.enabled) {
      const { analyzer, service } = analysisOptionsFromConfig(analysisConfig);
      const stateDir = analysisConfig.stateDir ?? options.stateDir;
      const store = stateDir ? FileStateStore.inDirectory(stateDir) : undefined;
      this.statePath = store?.path;
      this.analyzer = new AnalyzerService(new Analyzer(analyzer), {
        ...service,
        store,
        onError: (error) =>
          options.logger.warn({ err: error }, `analyzer: ${(error as Error)?.message ?? String(error)}`),
      });
    }
    let countAlert: ((event: AlertEvent) => void) | undefined;
    this.alerts = createAlertService(config.alerts, {
      log: (level, message, event) =>
        options.logger[level](
          {
            alert: event.rule,
            subject: event.subject,
            severity: event.level,
            status: event.status,
            value: event.value,
            threshold: event.threshold,
          },
          message,
        ),
      notifyClients: options.notifyClients,
      onEvent: (event) => countAlert?.(event),
      onError: (error, handler) => options.logger.warn({ handler, err: error }, 'alert handler failed'),
    });
    this.#verdictObservers.push(this.alerts);
    if (options.meter) {
      this.#verdictTelemetry = new VerdictTelemetry(
        options.meter,
        () => this.#activeAnomalies(),
        options.histograms,
      );
      countAlert = registerAlertInstruments(options.meter, () => this.alerts.status().active);
    }
  }

  /** Add a consumer of verdicts (profiler trigger, tuner). */
  addVerdictObserver(observer: VerdictObserver): void {
    this.#verdictObservers.push(observer);
  }

  onObservation(observation: CallObservation): void {
    this.alerts.onObservation(observation);
    if (!this.analyzer) return;
    const verdict = this.analyzer.analyzer.observe(observation);
    // A call refused or cancelled before it reached its tool says nothing new about the tool.
    if (verdict === undefined) return;
    this.latest.set(verdict.ref.key, verdict);
    this.#verdictTelemetry?.record(verdict, observation.traceContext);
    for (const observer of this.#verdictObservers) observer.onVerdict(verdict);
  }

  onUpstreamState(service: string, state: UpstreamState): void {
    this.alerts.onUpstreamState({ service, state, time: Date.now() });
  }

  onBreakerState(change: BreakerStateChange): void {
    const { breaker } = change;
    this.alerts.onBreakerState({
      service: breaker.service,
      tool: breaker.tool,
      scope: breaker.scope,
      state: change.to,
      time: change.at,
    });
  }

  /** Restores the analyzer's saved state and starts it and the alerts; says what was restored, if anything. */
  async start(): Promise<RestoredState | undefined> {
    const restored = await this.analyzer?.start();
    this.alerts.start();
    if (!restored || !this.analyzer) return undefined;
    const tools = this.analyzer.analyzer.status();
    return {
      path: this.statePath ?? '',
      tools: tools.length,
      calls: tools.reduce((sum, tool) => sum + tool.calls, 0),
    };
  }

  async stop(): Promise<void> {
    await this.alerts.stop();
    await this.analyzer?.stop();
  }

  *#activeAnomalies() {
    if (!this.analyzer) return;
    for (const status of this.analyzer.analyzer.status()) {
      if (status.anomaly)
        yield { service: status.service, tool: status.tool, severity: status.severity ?? 'warning' };
    }
  }
}
