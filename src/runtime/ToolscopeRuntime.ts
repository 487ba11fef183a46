import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { diag } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import type { ToolscopeConfig } from '../config/index.js';
import { statusRoutes, ToolStatsCollector, type TraceSource } from '../dashboard/index.js';
import { Gateway, type GatewayListener, type HttpRoute, type InProcessService } from '../gateway/index.js';
import { createHttpToolServices, type HttpToolService } from '../httptools/index.js';
import { CallLogObserver, createLogging, type Logging, PinoDiagLogger } from '../logging/index.js';
import { ObserveStage } from '../pipeline/index.js';
import { createProfiling, type Profiling } from '../profiling/index.js';
import { createExecutionControl, type ExecutionControl } from '../resilience/index.js';
import {
  CallSpanAnnotator,
  diagLevelFrom,
  KeptTraceLog,
  type NetworkInfo,
  ObservationMetrics,
  registerStateGauges,
  Telemetry,
  type TelemetryOptions,
  TracingTransport,
} from '../telemetry/index.js';
import { VERSION } from '../version.js';
import { AnalysisWiring } from './AnalysisWiring.js';
import { CallDrain, type DrainResult } from './CallDrain.js';
import { downstreamNetwork, upstreamNetwork } from './networkInfo.js';
import { TuningWiring } from './TuningWiring.js';

/** How the runtime is assembled. */
export interface RuntimeOptions {
  config: ToolscopeConfig;
  /** @default "gateway" */
  mode?: 'gateway' | 'proxy';
  inProcess?: Record<string, InProcessService>;
  /** The downstream side speaks MCP over our own stdout (stdio mode): nothing else may write there. */
  stdoutIsProtocol?: boolean;
  /** Downstream transport kind, for `network.*` attributes. @default "pipe" when stdoutIsProtocol, else "tcp" */
  downstream?: 'pipe' | 'tcp' | 'inproc';
  /** Serve Prometheus on its own port (OTEL_EXPORTER_PROMETHEUS_PORT, default 9464). @default true */
  servePrometheus?: boolean;
  listeners?: readonly GatewayListener[];
  /**
   * Where learned state is kept across restarts (the CLI passes a folder per config or
   * per proxied command, see `stateDirectoryFor`). `null` disables persistence.
   * @default toolscope.stateDir, else nothing is persisted
   */
  stateDir?: string | null;
  /** Where toolscope's log lines go, in the chosen format. @default stderr */
  logDestination?: DestinationStream;
  /** More metric readers (an embedding app's exporter, an in-memory reader in tests); same views as the others. */
  metricReaders?: TelemetryOptions['metricReaders'];
}

/**
 * The composition root: telemetry, execution control, profiling, the gateway with
 * its pipeline, and the observers (stats, metrics, analyzer → alerts, profiler),
 * wired from one config. Every entry point (demo, gateway, proxy) builds one of
 * these; nothing else assembles capabilities.
 */
export class ToolscopeRuntime {
  readonly config: ToolscopeConfig;
  readonly telemetry: Telemetry;
  readonly control: ExecutionControl;
  readonly profiling: Profiling;
  readonly gateway: Gateway;
  readonly analysis: AnalysisWiring;
  /** The adaptive resource manager resizing the pools (also the status API's tuning source). */
  readonly tuning: TuningWiring;
  /** Structured JSON logs (pino), optionally exported over OTLP. */
  readonly logging: Logging;
  /** Services of HTTP API tools from `toolscope.httpTools` (none in proxy mode). */
  readonly httpTools: readonly HttpToolService[];
  readonly stats = new ToolStatsCollector();
  /** Exported traces per tool, for the status API's links from anomalies and alerts (when traces are exported). */
  readonly traces: TraceSource | undefined;
  /** Counts calls in flight so a stop can let them finish (`drain`). */
  readonly calls = new CallDrain();
  readonly startedAt = Date.now();
  #stopped: Promise<void> | undefined;

  constructor(options: RuntimeOptions) {
    this.config = options.config;
    const toolscope = options.config.toolscope;
    this.telemetry = Telemetry.start({
      config: toolscope.telemetry,
      version: VERSION,
      stdoutIsProtocol: options.stdoutIsProtocol,
      servePrometheus: options.servePrometheus,
      // Context travels explicitly through the gateway (transport → pipeline → upstream).
      contextManager: false,
      metricReaders: options.metricReaders,
    });
    const telemetry = this.telemetry;
    this.logging = createLogging({
      config: toolscope.logging,
      destination: options.logDestination,
      resource: telemetry.resource,
      version: VERSION,
    });
    diag.setLogger(new PinoDiagLogger(this.logging.logger), {
      logLevel: diagLevelFrom(process.env.TOOLSCOPE_LOG_LEVEL ?? process.env.OTEL_LOG_LEVEL),
      suppressOverrideMessage: true,
    });
    // HTTP API tools are services of the gateway (proxy mode wraps exactly one server).
    this.httpTools =
      options.mode === 'proxy'
        ? []
        : createHttpToolServices(toolscope.httpTools, options.config.envReferences ?? [], {
            tracer: telemetry.tracer,
            logger: this.logging.logger,
            userAgent: `toolscope/${VERSION}`,
            version: VERSION,
          });
    // OTEL_SDK_DISABLED=true (the standard switch): no spans, no metrics, just the pipeline.
    const telemetryOn = process.env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true';
    let gateway: Gateway | undefined;
    this.control = createExecutionControl(toolscope.execution, {
      resolveFallback: (key) => gateway?.resolveKey(key),
    });
    this.profiling = createProfiling(toolscope.profiling, {
      // Every process serving the service: client sessions may each have their own.
      locate: (service) => gateway?.pidsOf(service),
      // Upstream servers run in their own processes: a profile of this one cannot explain their tools.
      runsHere: (service) => gateway?.upstreams.get(service)?.executorKind !== 'upstream',
    });
    const stateDir = options.stateDir === null ? undefined : (options.stateDir ?? toolscope.stateDir);
    this.analysis = new AnalysisWiring({
      config: toolscope,
      stateDir,
      meter: telemetryOn ? telemetry.meter : undefined,
      histograms: telemetryOn ? telemetry.histograms : undefined,
      logger: this.logging.logger,
      notifyClients: (level, data) => {
        for (const session of gateway?.sessions ?? []) {
          session.peer.notify('notifications/message', { level, logger: 'toolscope', data });
        }
      },
    });
    this.analysis.addVerdictObserver(this.profiling.capture);
    this.tuning = new TuningWiring({
      config: toolscope.tuning,
      control: this.control,
      gateway: () => gateway,
      hostCpuUtilization: () => telemetry.hostCpuUtilization(),
      meter: telemetryOn ? telemetry.meter : undefined,
      tracer: telemetryOn ? telemetry.tracer : undefined,
    });
    this.analysis.addVerdictObserver(this.tuning);
    const servers = options.config.servers;
    const downstream = downstreamNetwork(options.downstream ?? (options.stdoutIsProtocol ? 'pipe' : 'tcp'));
    const tap = (
      transport: Transport,
      role: 'client' | 'server',
      network: NetworkInfo,
      service?: string,
      knownName?: (kind: 'tool' | 'prompt', name: string) => boolean,
    ): Transport =>
      new TracingTransport(transport, {
        tracer: telemetry.tracer,
        instruments: telemetry.instruments,
        role,
        service,
        network,
        capture: telemetry.capture,
        knownName,
      });
    gateway = new Gateway({
      config: options.config,
      mode: options.mode,
      // stdout carries MCP: one client, whose own capabilities the services are started with.
      clients: options.stdoutIsProtocol ? 'single' : 'multi',
      inProcess: {
        ...Object.fromEntries(this.httpTools.map((service) => [service.name, service])),
        ...options.inProcess,
      },
      version: VERSION,
      telemetry: telemetryOn ? { tracer: telemetry.tracer, meter: telemetry.meter } : undefined,
      // Metrics, analysis and tuning see each call right after its answer leaves, not before.
      observe: new ObserveStage({ deferred: true }),
      stages: {
        // Drain first: a call waiting in a pool's queue is in flight for its caller.
        afterValidate: [this.calls, this.control.admit, this.control.guard],
        beforeExecute: [this.profiling.stage],
      },
      listeners: [
        {
          onUpstreamState: (service, state, previous) => {
            // A fresh connection should not wait out a cool-down earned by the dead one.
            if (state === 'ready' && (previous === 'reconnecting' || previous === 'failed'))
              this.control.breakers.resetService(service);
            this.analysis.onUpstreamState(service, state);
          },
        },
        ...(options.listeners ?? []),
      ],
      wrapUpstreamTransport: telemetryOn
        ? (transport, service) => tap(transport, 'client', upstreamNetwork(servers[service]), service)
        : undefined,
      // Metric labels name only tools and prompts the caller can use, never whatever it sent.
      wrapDownstreamTransport: telemetryOn
        ? (transport, _scope, known) => tap(transport, 'server', downstream, undefined, known)
        : undefined,
    });
    this.gateway = gateway;
    this.control.breakers.onStateChange((change) => this.analysis.onBreakerState(change));
    gateway.observe.subscribe(this.stats);
    if (telemetryOn) {
      gateway.observe.subscribe(new ObservationMetrics(telemetry.histograms));
      // The SERVER span ends with the answer: its toolscope.* attributes go on before.
      gateway.observe.subscribe(new CallSpanAnnotator(), { beforeAnswer: 'when-traced' });
    }
    if (telemetryOn && telemetry.sampler) {
      // After the answer, when each call's trace is decided.
      const kept = new KeptTraceLog(telemetry.sampler);
      gateway.observe.subscribe(kept);
      this.traces = { kept, jaegerUrl: toolscope.telemetry.jaegerUrl };
    }
    // The verdict (score, anomaly event) goes on the call's span when there is one to write on.
    gateway.observe.subscribe(this.analysis, { beforeAnswer: 'when-traced' });
    gateway.observe.subscribe(this.tuning);
    gateway.observe.subscribe(new CallLogObserver(this.logging.logger));
    if (telemetryOn) this.#registerGauges();
  }

  /** Connect the upstreams, restore learned state, start the analyzer and alerts. */
  async start(): Promise<void> {
    // Servers boot while learned state is read; they connect once the analyzer listens.
    this.gateway.prepare();
    const restored = await this.analysis.start();
    // Say so: otherwise a restart looks like a cold start until the dashboard fills in.
    if (restored) this.logging.logger.info(restored, 'analyzer state restored');
    this.tuning.start();
    await this.gateway.start();
  }

  /**
   * The first step of a graceful stop: refuse new tool calls and give the calls in
   * flight up to `timeoutMs` to finish (then answer them with an error), so their
   * results reach the callers, the analyzer and the exported spans before `stop`.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    const logger = this.logging.logger;
    if (this.calls.inFlight > 0)
      logger.info({ inFlight: this.calls.inFlight, timeoutMs }, 'shutting down: draining calls in flight');
    const result = await this.calls.drain(timeoutMs);
    if (result.cutOff > 0)
      logger.warn(
        { ...result, durationMs: Math.round(result.durationMs) },
        'shutting down: calls still running after the shutdown timeout were answered with an error',
      );
    else if (result.inFlight > 0)
      logger.info({ ...result, durationMs: Math.round(result.durationMs) }, 'shutting down: calls drained');
    return result;
  }

  /** Routes the gateway's HTTP listener serves besides MCP: `/metrics`, `/healthz`, the status API and dashboard. */
  httpRoutes(): HttpRoute[] {
    return [
      ...statusRoutes(this),
      (req: IncomingMessage, res: ServerResponse, url: URL) => {
        if (req.method !== 'GET') return false;
        if (url.pathname === '/metrics') {
          this.telemetry.handleMetrics(req, res);
          return true;
        }
        if (url.pathname === '/healthz') {
          const services = Object.fromEntries(
            [...this.gateway.upstreams.values()].map((u) => [u.name, u.state]),
          );
          const healthy = Object.values(services).every((state) => state === 'ready' || state === 'degraded');
          // Draining: a load balancer or readiness probe should send new work elsewhere.
          const status = this.calls.draining ? 'draining' : healthy ? 'ok' : 'degraded';
          const body = JSON.stringify({ status, services });
          res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(body);
          return true;
        }
        return false;
      },
    ];
  }

  /**
   * Stop serving, save learned state, stop upstreams, flush telemetry (each step
   * bounded). Calls still in flight are cut off at once: `drain` first to let them finish.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.calls.drain(0);
      this.gateway.observe.flush();
      this.tuning.stop();
      await this.analysis.stop();
      await this.profiling.close();
      await this.gateway.stop();
      await this.telemetry.shutdown();
      await this.logging.shutdown();
    })();
    return this.#stopped;
  }

  #registerGauges(): void {
    registerStateGauges(this.telemetry.meter, {
      pools: () =>
        this.control.pools.list().map((pool) => ({
          id: pool.id,
          service: pool.id.split('/')[0] as string,
          limit: pool.limit,
          inFlight: pool.inFlight,
          queued: pool.queued,
        })),
      upstreams: () =>
        [...this.gateway.upstreams.values()].map((upstream) => ({
          service: upstream.name,
          state: upstream.state,
          restarts: upstream.restarts,
        })),
      breakers: () =>
        this.control.breakers.list().map((breaker) => {
          const snapshot = breaker.snapshot();
          return {
            service: snapshot.service,
            tool: snapshot.tool,
            scope: snapshot.scope,
            state: snapshot.state === 'open' ? 2 : snapshot.state === 'half_open' ? 1 : 0,
          };
        }),
      upstreamProcesses: () => this.profiling.upstream?.stats() ?? [],
    });
  }
}
