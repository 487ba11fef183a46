import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatSeconds, plural } from '../cli/formatTable.js';
import { ProgressBar } from '../cli/ProgressBar.js';
import { type ListenConfig, parseConfig } from '../config/index.js';
import {
  type AnomalyEpisode,
  registerInstance,
  type StatusHost,
  StatusService,
  type StatusSnapshot,
  type ToolSummary,
  type TuningDecisionRecord,
} from '../dashboard/index.js';
import { type Gateway, HttpFront, type HttpRoute } from '../gateway/index.js';
import { ToolscopeRuntime } from '../runtime/index.js';
import { VERSION } from '../version.js';
import { runWorkload, type WorkloadProgress } from './DemoWorkload.js';
import { DemoIncident, demoServices } from './demoServices.js';
import { demoSummary } from './demoSummary.js';
import { openInBrowser } from './openInBrowser.js';

/** Options of `toolscope demo`. */
export interface DemoOptions {
  /** How long the workload runs, ms. @default 30000 */
  durationMs?: number;
  /** Make one tool regress mid-run, then recover. @default true */
  incident?: boolean;
  /** Let the adaptive tuner resize the pools; false keeps every pool at its configured limit. @default true */
  tuning?: boolean;
  /** Port of the gateway's HTTP listener (0: any free port). @default 8765, or any free port when taken */
  port?: number;
  /** Offered load, calls per second. @default 40 */
  ratePerSecond?: number;
  /** Open the dashboard in a browser at the start and keep serving it after the summary until SIGINT. @default false */
  open?: boolean;
  /** Where the summary goes. @default process.stdout */
  out?: Writable;
  /** Where progress goes. @default process.stderr */
  progress?: Writable & { isTTY?: boolean };
  /** Resolves when a lingering dashboard (`open`) should stop. @default SIGINT or SIGTERM */
  lingerUntil?: Promise<void>;
}

/** What the demo found, for callers that want data rather than text. */
export interface DemoReport {
  url: string;
  workload: WorkloadProgress;
  tools: ToolSummary[];
  incident: { startMs: number; endMs: number } | undefined;
  anomalies: AnomalyEpisode[];
  decisions: TuningDecisionRecord[];
  /** The status at the end of the run. */
  status: StatusSnapshot;
}

// Share of the workload's calls that go to storage_fetch_record (DemoWorkload's mix).
const STORAGE_SHARE = 0.3;
const INCIDENT_START = 0.45;
const INCIDENT_END = 0.7;
const PROFILE_SECONDS = 4;

/**
 * Calls the analyzer learns from before judging: the default (100), or fewer on a
 * short run, so the baseline is ready before the incident starts.
 */
function warmupCallsFor(durationMs: number, rate: number): number {
  const beforeIncident = rate * STORAGE_SHARE * INCIDENT_START * (durationMs / 1000);
  return Math.max(30, Math.min(100, Math.floor(beforeIncident * 0.6)));
}

/**
 * The main job: the gateway in process with bundled demo services, the status
 * API and dashboard on its listener, a synthetic agent workload over Streamable
 * HTTP with a progress bar, a scripted incident, and a summary at the end: per-tool
 * latency and CPU, the anomaly, the alert, the pool decisions and where to look.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const out = options.out ?? process.stdout;
  const progress = options.progress ?? process.stderr;
  const durationMs = options.durationMs ?? 30_000;
  const rate = options.ratePerSecond ?? 40;
  const incident = new DemoIncident();
  const config = parseConfig(
    {
      mcpServers: {},
      toolscope: {
        listen: { port: options.port ?? 8765 },
        // The demo's tools run in this process, so their CPU and heap can be measured per call exactly.
        // A short automatic capture on the anomaly, so it is done before the summary.
        profiling: { mode: 'exact', capture: { seconds: PROFILE_SECONDS } },
        analysis: { warmupCalls: warmupCallsFor(durationMs, rate) },
        tuning: { enabled: options.tuning !== false },
      },
    },
    { env: {} },
  );
  // Log lines (alerts) arrive while the progress bar is drawn: clear its line first.
  const logDestination = {
    write: (line: string) => progress.write(`${progress.isTTY ? '\r\u001b[K' : ''}${line}`),
  };
  const runtime = new ToolscopeRuntime({
    config,
    inProcess: demoServices(incident),
    stateDir: null,
    logDestination,
  });
  const host: StatusHost = runtime;
  const status = StatusService.for(host);
  const { gateway } = runtime;
  const routes = runtime.httpRoutes();
  await runtime.start();
  const front = await listenWithFallback(
    gateway,
    config.toolscope.listen,
    routes,
    options.port === undefined,
  );
  const url = front.address.url;
  const record = registerInstance({
    pid: process.pid,
    url,
    mode: 'demo',
    transport: 'http',
    version: VERSION,
    startedAt: runtime.startedAt,
    tokenRequired: false,
    cwd: process.cwd(),
  });
  const toolCount = gateway.scopes.get('store')?.tools.size ?? 0;
  out.write(
    `toolscope ${VERSION} demo — gateway at ${url}/mcp with ${plural(gateway.upstreams.size, 'service')}, ${plural(toolCount, 'tool')}` +
      `${options.tuning === false ? ' (tuning off)' : ''}\n` +
      `dashboard: ${url}/  (live while the demo runs)\n`,
  );
  if (options.open && !(await openInBrowser(`${url}/`)))
    out.write(`could not start a browser: open ${url}/ yourself\n`);

  const window = options.incident === false ? undefined : incidentWindow(durationMs);
  const timers: NodeJS.Timeout[] = [];
  if (window) {
    // Wall-clock times too: Grafana and Jaeger show those, not seconds into the run.
    const scheduledAt = Date.now();
    out.write(
      `scripted incident: storage_fetch_record slows down from ${formatSeconds(window.startMs)} to ${formatSeconds(window.endMs)} ` +
        `(${clockTime(scheduledAt + window.startMs)}–${clockTime(scheduledAt + window.endMs)} by this machine's clock)\n`,
    );
    timers.push(setTimeout(() => (incident.active = true), window.startMs));
    timers.push(setTimeout(() => (incident.active = false), window.endMs));
  }
  const bar = new ProgressBar(progress, 28, (line) => runtime.logging.logger.info(`demo ${line}`));
  const runStart = Date.now();
  let workload: WorkloadProgress;
  try {
    workload = await runWorkload({
      url: `${url}/mcp`,
      durationMs,
      ratePerSecond: rate,
      onProgress: (p) => {
        const phase = incident.active ? '  ⚠ incident' : '';
        bar.update(
          p.elapsedMs / p.durationMs,
          `${(p.elapsedMs / 1000).toFixed(1)} s  ${p.sent} calls  ${p.inFlight} in flight${phase}`,
        );
      },
    });
  } finally {
    bar.done();
    for (const timer of timers) clearTimeout(timer);
    incident.active = false;
  }
  // An automatic profile started late in the run is worth a few seconds' wait.
  const waitUntil = Date.now() + (PROFILE_SECONDS + 2) * 1000;
  while (runtime.profiling.capture.running && Date.now() < waitUntil) await sleep(100);
  const snapshot = status.status({ series: false });
  out.write(
    demoSummary({
      status: snapshot,
      runStart,
      durationMs,
      workload,
      incident: window,
      url,
      lingering: options.open === true,
      otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
      serviceName: process.env.OTEL_SERVICE_NAME || undefined,
    }),
  );
  if (options.open) await (options.lingerUntil ?? untilSignal());
  record.remove();
  await front.close();
  await runtime.stop();
  return {
    url,
    workload,
    tools: runtime.stats.summaries(),
    incident: window,
    anomalies: snapshot.anomalies,
    decisions: snapshot.tuning.decisions,
    status: snapshot,
  };
}

/** Local time of day, `HH:MM:SS.s`. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${Math.floor(d.getMilliseconds() / 100)}`;
}

/** The scripted incident's window: 45 % to 70 % of the run. */
export function incidentWindow(durationMs: number): { startMs: number; endMs: number } {
  return { startMs: Math.round(durationMs * INCIDENT_START), endMs: Math.round(durationMs * INCIDENT_END) };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** Listen on the configured port; when it is the default and taken, on any free port. */
async function listenWithFallback(
  gateway: Gateway,
  listen: ListenConfig,
  routes: HttpRoute[],
  fallback: boolean,
) {
  try {
    const front = new HttpFront(gateway, { listen, routes });
    return { address: await front.listen(), close: () => front.close() };
  } catch (error) {
    if (!fallback || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const front = new HttpFront(gateway, { listen: { ...listen, port: 0 }, routes });
    return { address: await front.listen(), close: () => front.close() };
  }
}
