import type { Writable } from 'node:stream';
import { type Column, formatMs, formatTable } from '../cli/formatTable.js';
import { ProgressBar } from '../cli/ProgressBar.js';
import { type ListenConfig, parseConfig } from '../config/index.js';
import { ToolStatsCollector, type ToolSummary } from '../dashboard/ToolStatsCollector.js';
import { type Gateway, HttpFront, type HttpRoute } from '../gateway/index.js';
import { ToolscopeRuntime } from '../runtime/index.js';
import { VERSION } from '../version.js';
import { runWorkload, type WorkloadProgress } from './DemoWorkload.js';
import { DemoIncident, demoServices } from './demoServices.js';

/** Options of `toolscope demo`. */
export interface DemoOptions {
  /** How long the workload runs, ms. @default 30000 */
  durationMs?: number;
  /** Make one tool regress mid-run, then recover. @default true */
  incident?: boolean;
  /** Port of the gateway's HTTP listener (0: any free port). @default 8765, or any free port when taken */
  port?: number;
  /** Offered load, calls per second. @default 40 */
  ratePerSecond?: number;
  /** Where the summary goes. @default process.stdout */
  out?: Writable;
  /** Where progress goes. @default process.stderr */
  progress?: Writable;
}

/** What the demo found, for callers that want data rather than text. */
export interface DemoReport {
  url: string;
  workload: WorkloadProgress;
  tools: ToolSummary[];
  incident: { startMs: number; endMs: number } | undefined;
}

/**
 * The main job: the gateway in process with bundled demo services, a synthetic
 * agent workload over Streamable HTTP with a progress bar, a scripted incident,
 * and a per-tool summary at the end.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const out = options.out ?? process.stdout;
  const durationMs = options.durationMs ?? 30_000;
  const incident = new DemoIncident();
  const config = parseConfig(
    {
      mcpServers: {},
      // The demo's tools run in this process, so their CPU and heap can be measured per call exactly.
      toolscope: { listen: { port: options.port ?? 8765 }, profiling: { mode: 'exact' } },
    },
    { env: {} },
  );
  const runtime = new ToolscopeRuntime({ config, inProcess: demoServices(incident), stateDir: null });
  const { gateway, stats } = runtime;
  await runtime.start();
  const front = await listenWithFallback(
    gateway,
    config.toolscope.listen,
    runtime.httpRoutes(),
    options.port === undefined,
  );
  const url = front.address.url;
  const toolCount = gateway.scopes.get('store')?.tools.size ?? 0;
  out.write(
    `toolscope ${VERSION} demo — gateway at ${url}/mcp with ${gateway.upstreams.size} services, ${toolCount} tools\n`,
  );

  const window =
    options.incident === false
      ? undefined
      : { startMs: Math.round(durationMs * 0.45), endMs: Math.round(durationMs * 0.7) };
  const timers: NodeJS.Timeout[] = [];
  if (window) {
    out.write(
      `scripted incident: storage_fetch_record slows down from ${formatMs(window.startMs)} to ${formatMs(window.endMs)}\n`,
    );
    timers.push(setTimeout(() => (incident.active = true), window.startMs));
    timers.push(setTimeout(() => (incident.active = false), window.endMs));
  }
  const bar = new ProgressBar(options.progress ?? process.stderr);
  let workload: WorkloadProgress;
  try {
    workload = await runWorkload({
      url: `${url}/mcp`,
      durationMs,
      ratePerSecond: options.ratePerSecond ?? 40,
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
  const tools = stats.summaries();
  out.write(`\n${summaryTable(tools)}\n`);
  out.write(
    `\n${workload.sent} calls in ${(durationMs / 1000).toFixed(0)} s; ${workload.failed} answered with a JSON-RPC error.\n`,
  );
  await front.close();
  await runtime.stop();
  return { url, workload, tools, incident: window };
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

function summaryTable(tools: readonly ToolSummary[]): string {
  const columns: Column<ToolSummary>[] = [
    { header: 'tool', value: (t) => `${t.service}_${t.tool}` },
    { header: 'calls', value: (t) => String(t.calls), right: true },
    { header: 'errors', value: (t) => String(t.errors + t.toolErrors), right: true },
    { header: 'p50', value: (t) => formatMs(t.p50), right: true },
    { header: 'p95', value: (t) => formatMs(t.p95), right: true },
    { header: 'p99', value: (t) => formatMs(t.p99), right: true },
    { header: 'queue p95', value: (t) => formatMs(t.queueWaitP95), right: true },
  ];
  return formatTable(tools, columns);
}
