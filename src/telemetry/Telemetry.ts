import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Counter,
  context,
  type DiagLogger,
  diag,
  type Meter,
  metrics,
  propagation,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  MeterProvider,
  type MetricProducer,
  type MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/index.js';
import type { ContentCapturePolicy } from './ContentCapture.js';
import { createHostCpuGauge, HostRuntimeMetrics, hostMetricViews } from './HostRuntimeMetrics.js';
import { McpInstruments, metricViews } from './instruments.js';
import { type HistogramSource, LocalHistograms } from './LocalHistograms.js';
import { MetricsServer } from './MetricsServer.js';
import {
  acceptsOpenMetrics,
  OPENMETRICS_CONTENT_TYPE,
  serializeOpenMetrics,
} from './OpenMetricsSerializer.js';
import { withPrometheusNames } from './prometheusNames.js';
import { ResilientSpanExporter } from './ResilientSpanExporter.js';
import { diagLevelFrom, StderrDiagLogger } from './StderrDiagLogger.js';
import { StdioSafeConsoleExporter } from './StdioSafeConsoleExporter.js';
import { TailSampler } from './TailSampler.js';
import {
  ATTR_TS_SAMPLING_DECISION,
  ATTR_TS_SAMPLING_REASON,
  METRIC_TS_TELEMETRY_DROPPED,
  METRIC_TS_TELEMETRY_SAMPLED,
} from './toolscopeNames.js';

/** Instrumentation scope name of everything toolscope records. */
export const INSTRUMENTATION_SCOPE = 'toolscope';
/** Label sets per metric before new ones fold into the `otel.metric.overflow` series. */
const METRIC_CARDINALITY_LIMIT = 2000;

export interface TelemetryOptions {
  config: TelemetryConfig;
  version: string;
  /** Serve Prometheus `/metrics` on its own listener (host/port from env or config). @default config.prometheus.enabled */
  servePrometheus?: boolean;
  /**
   * Register an AsyncLocalStorage context manager so the *active* context follows
   * async work. Instrumented apps need it (their code reads the active context);
   * toolscope's gateway and proxy pass context explicitly and run faster without
   * (on Node 20 it hooks every promise in the process). @default true
   */
  contextManager?: boolean;
  /**
   * stdout carries MCP (stdio mode): refuse exporters that write to stdout. A function: it may
   * come to (an instrumented app that turns out to be a stdio server); the console exporter is
   * accepted and writes to stderr from then on.
   */
  stdoutIsProtocol?: boolean | (() => boolean);
  env?: Record<string, string | undefined>;
  /**
   * The diag logger to put back after the trace SDK starts (it installs a console logger when
   * OTEL_LOG_LEVEL is set, and stdout may carry MCP). @default a plain stderr logger
   */
  diagLogger?: DiagLogger;
  /**
   * More readers of toolscope's metrics besides Prometheus and OTLP (an embedding
   * app's own exporter, an in-memory reader in tests), made by this function. They
   * see the same views (the label whitelist and the cardinality cap) and must be
   * given `producers` as their `metricProducers`: the per-call histograms come
   * from there (see {@link LocalHistograms}).
   */
  metricReaders?: (producers: MetricProducer[]) => readonly MetricReader[];
}

/** Where traces go, decided from `OTEL_*` and the config. */
export interface TraceExportPlan {
  kind: 'none' | 'otlp' | 'console';
  /** Full URL for OTLP (`…/v1/traces`), when known. */
  url?: string;
}

/**
 * Traces are exported when someone asked: `OTEL_TRACES_EXPORTER` set, or an
 * OTLP endpoint configured (env or `toolscope.telemetry.otlpEndpoint`). Without
 * either, spans are not recorded at all (trace context still passes through), so
 * a laptop without a collector sees no connection errors.
 */
export function planTraceExport(
  config: TelemetryConfig,
  env: Record<string, string | undefined>,
  stdoutIsProtocol: boolean | (() => boolean),
): TraceExportPlan {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? config.otlpEndpoint;
  const otlpUrl = tracesEndpoint ?? (endpoint ? `${endpoint.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (exporters.includes('none')) return { kind: 'none' };
  if (exporters.includes('console')) {
    if (stdoutIsProtocol === true) {
      diag.warn(
        'toolscope: OTEL_TRACES_EXPORTER=console ignored: stdout carries the MCP protocol in stdio mode',
      );
      return { kind: 'none' };
    }
    return { kind: 'console' };
  }
  for (const other of exporters.filter((item) => item !== 'otlp')) {
    diag.warn(
      `toolscope: OTEL_TRACES_EXPORTER="${other}" is not supported; use otlp (to Jaeger or a Collector), console or none`,
    );
  }
  if (exporters.includes('otlp') || otlpUrl)
    return { kind: 'otlp', url: otlpUrl ?? 'http://localhost:4318/v1/traces' };
  return { kind: 'none' };
}

/**
 * toolscope's OpenTelemetry setup: resource from `OTEL_SERVICE_NAME` /
 * `OTEL_RESOURCE_ATTRIBUTES` (default `service.name=toolscope`), traces through
 * `@opentelemetry/sdk-node` (sampler, span limits and propagators from `OTEL_*`)
 * to OTLP/HTTP, and metrics through a MeterProvider whose views whitelist labels
 * and cap cardinality, pulled by Prometheus and optionally pushed over OTLP.
 * Diagnostics always go to stderr.
 */
export class Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly instruments: McpInstruments;
  /**
   * Where the per-call histograms are made: toolscope's own aggregation, which every
   * reader toolscope creates exports beside the SDK's metrics (the meter when no
   * reader is configured).
   */
  readonly histograms: HistogramSource;
  readonly capture: ContentCapturePolicy;
  readonly traceExport: TraceExportPlan;
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  readonly dropped: Counter;
  /**
   * The tail sampler in front of the trace exporter (which traces leave the
   * process, and the exemplar gate of the latency histograms); undefined when
   * traces are not exported.
   */
  readonly sampler: TailSampler | undefined;
  /** Host and runtime metrics (and the host CPU signal for the tuner), when metrics and either flag are on. */
  readonly hostMetrics: HostRuntimeMetrics | undefined;
  readonly #prometheus: PrometheusExporter | undefined;
  readonly #serializer = new PrometheusSerializer();
  readonly #metricsServer: MetricsServer | undefined;
  readonly #sdk: NodeSDK | undefined;
  readonly #exporter: ResilientSpanExporter | undefined;
  readonly #contextManager: AsyncLocalStorageContextManager;
  readonly #hostCpu = createHostCpuGauge();
  #shutdown: Promise<void> | undefined;

  private constructor(options: TelemetryOptions) {
    const env = options.env ?? process.env;
    const { config } = options;
    // Propagators are needed even when nothing is exported: the agent's trace context must still
    // reach the upstream. The context manager is for apps whose own code reads the active context.
    this.#contextManager = new AsyncLocalStorageContextManager();
    if (options.contextManager ?? true) {
      this.#contextManager.enable();
      context.setGlobalContextManager(this.#contextManager);
    }
    propagation.setGlobalPropagator(propagatorFromEnv(env.OTEL_PROPAGATORS));
    this.resource = defaultResource()
      .merge(
        resourceFromAttributes({
          'service.name': config.serviceName ?? 'toolscope',
          'service.version': options.version,
          // Unique per process, so a fleet pushing OTLP metrics to one Collector never merges two processes' series.
          'service.instance.id': randomUUID(),
        }),
      )
      .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector] }));
    const disabled = env.OTEL_SDK_DISABLED?.toLowerCase() === 'true';
    const local = new LocalHistograms(
      { name: INSTRUMENTATION_SCOPE, version: options.version },
      { cardinalityLimit: METRIC_CARDINALITY_LIMIT },
    );
    const producers: MetricProducer[] = [local];
    const readers: MetricReader[] = disabled ? [] : [...(options.metricReaders?.(producers) ?? [])];
    if (config.prometheus.enabled && !disabled) {
      this.#prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: producers });
      readers.push(this.#prometheus);
    }
    const metricExporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((item) => item.trim());
    if (metricExporters.includes('otlp') && !disabled) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(),
          exportIntervalMillis: 15_000,
          metricProducers: producers,
        }),
      );
    }
    const hostOn = readers.length > 0 && (config.hostMetrics || config.runtimeMetrics);
    const snapshotReader = hostOn ? HostRuntimeMetrics.createReader() : undefined;
    if (snapshotReader) readers.push(snapshotReader);
    this.meterProvider = new MeterProvider({
      resource: this.resource,
      views: [...metricViews(METRIC_CARDINALITY_LIMIT), ...hostMetricViews()],
      readers,
    });
    metrics.setGlobalMeterProvider(this.meterProvider);
    this.meter = this.meterProvider.getMeter(INSTRUMENTATION_SCOPE, options.version);
    this.hostMetrics = hostOn
      ? new HostRuntimeMetrics(this.meterProvider, this.meter, snapshotReader, {
          host: config.hostMetrics,
          runtime: config.runtimeMetrics,
          cpu: this.#hostCpu,
        })
      : undefined;
    this.dropped = this.meter.createCounter(METRIC_TS_TELEMETRY_DROPPED, {
      unit: '{span}',
      description: 'Telemetry items toolscope had to drop (export failed or timed out).',
    });

    this.traceExport = disabled
      ? { kind: 'none' }
      : planTraceExport(config, env, options.stdoutIsProtocol ?? false);
    let exporter: SpanExporter | undefined;
    if (this.traceExport.kind === 'otlp') {
      const timeoutMillis = Number(
        env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
      );
      this.#exporter = new ResilientSpanExporter(
        new OTLPTraceExporter({ url: this.traceExport.url, timeoutMillis }),
        {
          timeoutMs: timeoutMillis + 1000,
          dropped: this.dropped,
          target: this.traceExport.url ?? 'OTLP',
        },
      );
      exporter = this.#exporter;
    } else if (this.traceExport.kind === 'console') {
      const stdoutIsProtocol = options.stdoutIsProtocol;
      exporter =
        typeof stdoutIsProtocol === 'function'
          ? new StdioSafeConsoleExporter(stdoutIsProtocol)
          : new ConsoleSpanExporter();
    }
    if (exporter) {
      // Every span is recorded; the tail sampler decides per call which traces reach the batch processor.
      this.sampler = new TailSampler({
        ...config.sampling,
        next: new BatchSpanProcessor(exporter, { selfObsMeterProvider: this.meterProvider } as never),
      });
      local.setExemplarGate(this.sampler);
      const sampler = this.sampler;
      this.meter
        .createObservableCounter(METRIC_TS_TELEMETRY_SAMPLED, {
          unit: '{trace}',
          description: 'Traces the tail sampler decided on: kept (exported) or dropped, and why.',
        })
        .addCallback((result) => {
          for (const { decision, reason, traces } of sampler.counts())
            result.observe(traces, {
              [ATTR_TS_SAMPLING_DECISION]: decision,
              [ATTR_TS_SAMPLING_REASON]: reason,
            });
        });
      // sdk-node reads the sampler, span limits and propagators from OTEL_*; metrics and logs are ours,
      // so it is given none (its defaults would push OTLP to localhost and fight our MeterProvider).
      this.#sdk = new NodeSDK({
        resource: this.resource,
        autoDetectResources: false,
        contextManager: null as never,
        textMapPropagator: null,
        spanProcessors: [this.sampler],
        metricReaders: [],
        logRecordProcessors: [],
        instrumentations: [],
      });
      // NodeSDK installs a console diag logger when OTEL_LOG_LEVEL is set; stdout may carry MCP.
      diag.setLogger(options.diagLogger ?? new StderrDiagLogger(), {
        logLevel: diagLevelFrom(env.TOOLSCOPE_LOG_LEVEL ?? env.OTEL_LOG_LEVEL),
        suppressOverrideMessage: true,
      });
      this.#sdk.start();
    }
    this.tracer = trace.getTracer(INSTRUMENTATION_SCOPE, options.version);
    // Nobody reads metrics: the SDK's no-reader path is cheaper than aggregating for nobody.
    this.histograms = readers.length > 0 ? local : this.meter;
    this.instruments = new McpInstruments(this.histograms);
    this.capture = {
      arguments: config.captureArguments,
      results: config.captureResults,
      redactKeys: config.redactKeys,
      maxChars: config.maxCapturedBytes,
    };
    if (this.#prometheus && (options.servePrometheus ?? true)) {
      const host = env.OTEL_EXPORTER_PROMETHEUS_HOST ?? config.prometheus.host;
      const port = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT ?? config.prometheus.port);
      // Only the default port may be taken quietly: the second toolscope on a host finds it in use.
      const chosen = env.OTEL_EXPORTER_PROMETHEUS_PORT !== undefined || config.prometheus.port !== 9464;
      this.#metricsServer = new MetricsServer(host, port, (req, res) => this.handleMetrics(req, res), chosen);
    }
  }

  /** Set up telemetry and register the global providers. Call once, before creating gateways. */
  static start(options: TelemetryOptions): Telemetry {
    return new Telemetry(options);
  }

  /** The Prometheus listener's URL once it is listening (undefined when disabled or the port was taken). */
  async metricsUrl(): Promise<string | undefined> {
    return this.#metricsServer?.listening();
  }

  /**
   * Serve `/metrics` (mountable on any HTTP server, e.g. the gateway's): the
   * Prometheus text format, or OpenMetrics with the latency histograms'
   * exemplars when the `Accept` header asks for `application/openmetrics-text`
   * (as Prometheus does).
   */
  handleMetrics(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#prometheus) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are disabled\n');
      return;
    }
    const prometheus = this.#prometheus;
    // The host detector's attributes arrive asynchronously; a scrape in the first second would read the
    // resource before they settle (the SDK logs an error for each such read). The OTLP reader waits too.
    Promise.resolve(this.resource.waitForAsyncAttributes?.())
      .catch(() => {})
      .then(() => prometheus.collect())
      .then(
        ({ resourceMetrics, errors }) => {
          if (errors.length > 0) diag.debug(`toolscope: ${errors.length} errors while collecting metrics`);
          const named = withPrometheusNames(resourceMetrics);
          if (acceptsOpenMetrics(req.headers.accept)) {
            res.writeHead(200, { 'content-type': OPENMETRICS_CONTENT_TYPE, vary: 'accept' });
            res.end(serializeOpenMetrics(named));
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', vary: 'accept' });
          res.end(this.#serializer.serialize(named));
        },
        (error: unknown) => {
          res
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`# failed to collect metrics: ${String(error)}\n`);
        },
      );
  }

  /**
   * Host CPU saturation, for the tuner: the busy share of all cores, 0…1, over
   * the latest window (at least 1 s; asking sooner returns the last value);
   * `undefined` until the first window closes. Works with metrics off: it reads
   * `os.cpus()` on demand, no timer.
   */
  hostCpuUtilization(): number | undefined {
    return this.#hostCpu.utilization();
  }

  /** Spans dropped because the trace backend failed (not counting queue overflow). */
  get droppedSpans(): number {
    return this.#exporter?.droppedSpans ?? 0;
  }

  /** Flush spans and metrics, then stop (bounded: a dead backend cannot hold shutdown). */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.hostMetrics?.stop();
      const steps: Promise<unknown>[] = [this.meterProvider.shutdown().catch(() => {})];
      if (this.#sdk) steps.push(this.#sdk.shutdown().catch(() => {}));
      if (this.#metricsServer) steps.push(this.#metricsServer.close());
      await Promise.race([Promise.all(steps), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      metrics.disable();
      trace.disable();
      propagation.disable();
      context.disable();
      this.#contextManager.disable();
    })();
    return this.#shutdown;
  }
}

/** `OTEL_PROPAGATORS`: `tracecontext` and `baggage` (the default pair) or `none`. */
function propagatorFromEnv(value: string | undefined): TextMapPropagator {
  const names = (value ?? 'tracecontext,baggage')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    if (name === 'tracecontext') propagators.push(new W3CTraceContextPropagator());
    else if (name === 'baggage') propagators.push(new W3CBaggagePropagator());
    else if (name !== 'none')
      diag.warn(`toolscope: OTEL_PROPAGATORS "${name}" is not supported; using tracecontext and baggage`);
  }
  return new CompositePropagator({ propagators });
}
