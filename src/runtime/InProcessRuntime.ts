import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ToolscopeSection } from '../config/index.js';
// Leaf modules rather than the dashboard's face: the register hook loads this before the app, and
// must not load the MCP SDK (the face pulls in the CLI's client and the gateway) ahead of the app's
// own import, which its load hook patches (test/instrument/nestedCopies.test.ts).
import { type StatusListener, startStatusListener } from '../dashboard/startStatusListener.js';
import { statusRoutes } from '../dashboard/statusRoutes.js';
import { ToolStatsCollector } from '../dashboard/ToolStatsCollector.js';
import type { Gateway, HttpRoute } from '../gateway/index.js';
import { CallLogObserver, type Logging } from '../logging/index.js';
import type { CallObserver, CallStage } from '../pipeline/index.js';
import { createProfiling, type Profiling } from '../profiling/index.js';
import type { Telemetry } from '../telemetry/index.js';
import { AnalysisWiring } from './AnalysisWiring.js';

/** Where in-process tool calls run: the instrumented SDK servers' pipeline (`mcpInstrumentation().inProcess`). */
export interface InProcessPipeline {
  subscribe(observer: CallObserver): () => void;
  addStage(stage: CallStage): () => void;
}

/** How the in-process runtime is assembled. */
export interface InProcessRuntimeOptions {
  /** The `toolscope` section (defaults unless the app has a config). */
  config: ToolscopeSection;
  /** toolscope's telemetry, when it runs its own (`TOOLSCOPE_SDK=off`: none). */
  telemetry: Telemetry | undefined;
  logging: Logging;
  /** Where the analyzer keeps what it learned across restarts; undefined: nothing is kept. */
  stateDir: string | undefined;
}

const NO_SESSIONS: ReadonlySet<never> = new Set();

/**
 * The runtime of `node --import toolscope/register`: for the tool handlers of the
 * app's own MCP servers, the same pipeline as the gateway's in-process services —
 * profiling (CPU and heap per call, a CPU profile on an anomaly), the analyzer and
 * its alerts, per-tool stats — plus the status API, the dashboard and `/metrics` on
 * a loopback listener of its own (`TOOLSCOPE_STATUS_PORT`, as in stdio mode), found
 * by `toolscope status`. Nothing here changes what a tool answers: there is no
 * validate, admit or guard stage in process, and no pool for a tuner to resize.
 */
export class InProcessRuntime {
  readonly mode = 'register' as const;
  readonly config = { servers: {} };
  readonly startedAt = Date.now();
  readonly stats = new ToolStatsCollector();
  readonly profiling: Profiling;
  readonly analysis: AnalysisWiring;
  readonly telemetry: Telemetry | undefined;
  readonly logging: Logging;
  /** What `StatusHost` reads of a gateway: this process serves no upstreams of its own. */
  readonly gateway: Pick<Gateway, 'upstreams' | 'scopes' | 'sessions'> & { readonly mode: 'register' } = {
    mode: 'register',
    upstreams: new Map(),
    scopes: new Map(),
    sessions: NO_SESSIONS,
  };
  readonly control = { status: () => ({ pools: [], breakers: [] }) };
  readonly #detach: Array<() => void> = [];
  #listener: StatusListener | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: InProcessRuntimeOptions) {
    const { config } = options;
    this.telemetry = options.telemetry;
    this.logging = options.logging;
    // Every tool here runs in this process: its anomalies are worth a CPU profile.
    this.profiling = createProfiling(config.profiling, { runsHere: () => true });
    this.analysis = new AnalysisWiring({
      config,
      stateDir: options.stateDir,
      meter: options.telemetry?.meter,
      histograms: options.telemetry?.histograms,
      logger: options.logging.logger,
      // The app's own servers notify their clients; toolscope does not speak for them.
      notifyClients: () => {},
    });
    this.analysis.addVerdictObserver(this.profiling.capture);
  }

  /** Run the pipeline's stages and observers in `pipeline`, the instrumented servers' tool calls. */
  attach(pipeline: InProcessPipeline): void {
    this.#detach.push(
      pipeline.addStage(this.profiling.stage),
      pipeline.subscribe(this.stats),
      pipeline.subscribe(this.analysis),
      pipeline.subscribe(new CallLogObserver(this.logging.logger)),
    );
  }

  /** The status API, the dashboard and `/metrics`. */
  httpRoutes(): HttpRoute[] {
    return [
      ...statusRoutes(this),
      (req: IncomingMessage, res: ServerResponse, url: URL) => {
        if (req.method !== 'GET' || url.pathname !== '/metrics') return false;
        if (this.telemetry) this.telemetry.handleMetrics(req, res);
        else res.writeHead(404, { 'content-type': 'text/plain' }).end('toolscope runs without its SDK\n');
        return true;
      },
    ];
  }

  /**
   * Restore learned state, start the analyzer and alerts, and open the status
   * listener (never keeping the app alive). Resolves with the listener's URL.
   */
  async start(options: { token?: string; entry?: string } = {}): Promise<string | undefined> {
    const restored = await this.analysis.start();
    if (restored) this.logging.logger.info(restored, 'analyzer state restored');
    this.#listener = await startStatusListener({
      routes: this.httpRoutes(),
      policy: { allowedHosts: [], allowedOrigins: [], token: options.token },
      mode: 'register',
      config: options.entry,
    });
    if (this.#listener)
      this.logging.logger.info(
        { dashboard: `${this.#listener.url}/` },
        `toolscope: dashboard and status of this app's MCP tools at ${this.#listener.url}/`,
      );
    return this.#listener?.url;
  }

  /** Save learned state, close the listener, stop the profiler. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      for (const detach of this.#detach.splice(0)) detach();
      await this.#listener?.close();
      await this.analysis.stop();
      await this.profiling.close();
    })();
    return this.#stopped;
  }
}
