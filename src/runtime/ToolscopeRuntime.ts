import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ServerConfig, ToolscopeConfig } from '../config/index.js';
import { ToolStatsCollector } from '../dashboard/index.js';
import {
  Gateway,
  type GatewayListener,
  type HttpRoute,
  type InProcessService,
  type Scope,
} from '../gateway/index.js';
import { createExecutionControl, type ExecutionControl } from '../resilience/index.js';
import {
  type NetworkInfo,
  ObservationMetrics,
  registerStateGauges,
  Telemetry,
  TracingTransport,
} from '../telemetry/index.js';
import { VERSION } from '../version.js';

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
}

/**
 * The composition root: telemetry, execution control, the gateway with its
 * pipeline, and the observers, wired from one config. Every entry point (demo,
 * gateway, proxy) builds one of these; nothing else assembles capabilities.
 */
export class ToolscopeRuntime {
  readonly config: ToolscopeConfig;
  readonly telemetry: Telemetry;
  readonly control: ExecutionControl;
  readonly gateway: Gateway;
  readonly stats = new ToolStatsCollector();

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
    });
    const telemetry = this.telemetry;
    // OTEL_SDK_DISABLED=true (the standard switch): no spans, no metrics, just the pipeline.
    const telemetryOn = process.env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true';
    const downstream: NetworkInfo =
      (options.downstream ?? (options.stdoutIsProtocol ? 'pipe' : 'tcp')) === 'tcp'
        ? { transport: 'tcp', protocolName: 'http', protocolVersion: '1.1' }
        : { transport: options.downstream === 'inproc' ? 'inproc' : 'pipe' };
    let gateway: Gateway | undefined;
    this.control = createExecutionControl(toolscope.execution, {
      resolveFallback: (key) => gateway?.resolveKey(key),
    });
    const servers = options.config.servers;
    gateway = new Gateway({
      config: options.config,
      mode: options.mode,
      inProcess: options.inProcess,
      version: VERSION,
      stages: { afterValidate: [this.control.admit, this.control.guard] },
      listeners: [
        {
          onUpstreamState: (service, state, previous) => {
            if (state === 'ready' && (previous === 'reconnecting' || previous === 'failed')) {
              this.control.breakers.resetService(service);
            }
          },
        },
        ...(options.listeners ?? []),
      ],
      wrapUpstreamTransport: !telemetryOn
        ? undefined
        : (transport: Transport, service: string) =>
            new TracingTransport(transport, {
              tracer: telemetry.tracer,
              instruments: telemetry.instruments,
              role: 'client',
              service,
              network: upstreamNetwork(servers[service]),
              capture: telemetry.capture,
            }),
      wrapDownstreamTransport: !telemetryOn
        ? undefined
        : (transport: Transport, _scope: Scope) =>
            new TracingTransport(transport, {
              tracer: telemetry.tracer,
              instruments: telemetry.instruments,
              role: 'server',
              network: downstream,
              capture: telemetry.capture,
            }),
    });
    this.gateway = gateway;
    gateway.observe.subscribe(this.stats);
    if (telemetryOn) gateway.observe.subscribe(new ObservationMetrics(telemetry.meter));
    registerStateGauges(telemetry.meter, {
      pools: () =>
        this.control.pools.list().map((pool) => ({
          id: pool.id,
          service: pool.id.split('/')[0] as string,
          limit: pool.limit,
          inFlight: pool.inFlight,
          queued: pool.queued,
        })),
      upstreams: () =>
        [...gateway.upstreams.values()].map((upstream) => ({
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
    });
  }

  /** Routes the gateway's HTTP listener serves besides MCP: `/metrics`, `/healthz`. */
  httpRoutes(): HttpRoute[] {
    return [
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
          const body = JSON.stringify({ status: healthy ? 'ok' : 'degraded', services });
          res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(body);
          return true;
        }
        return false;
      },
    ];
  }

  /** Stop serving, stop upstreams, flush telemetry. */
  async stop(): Promise<void> {
    await this.gateway.stop();
    await this.telemetry.shutdown();
  }
}

function upstreamNetwork(server: ServerConfig | undefined): NetworkInfo {
  if (!server) return { transport: 'inproc' };
  if (server.kind === 'stdio') return { transport: 'pipe' };
  const url = new URL(server.url);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
  return {
    transport: 'tcp',
    protocolName: server.transport === 'ws' ? 'websocket' : 'http',
    protocolVersion: server.transport === 'ws' ? undefined : '1.1',
    peerAddress: url.hostname,
    peerPort: port,
  };
}
