import type { ToolAnalysisStatus } from '../analysis/index.js';
import type { BreakerSnapshot, PoolSnapshot } from '../resilience/index.js';
import { VERSION } from '../version.js';
import type { AnomalyLog } from './AnomalyLog.js';
import { poolLimitSeries } from './poolLimitSeries.js';
import { redactCommand, safeUrl } from './redactCommand.js';
import type { LoadProfileRecord, StatusHost } from './StatusHost.js';
import type { ServiceStatus, StatusSnapshot, ToolStatus } from './StatusSnapshot.js';
import { traceLinker } from './traceLinks.js';

/** What a status request asks for. */
export interface StatusQuery {
  /** Epoch ms of the snapshot. @default Date.now() */
  now?: number;
  /** Include the time series. @default true */
  series?: boolean;
  /** The coarse (per-minute) series instead of the fine one. @default false */
  coarse?: boolean;
  /** Only series buckets, alerts, anomalies and decisions at or after this (epoch ms). */
  since?: number;
  /** At most this many of the newest series buckets. @default all held */
  points?: number;
  /** stderr lines per service. @default 20 */
  stderrLines?: number;
}

const UNKNOWN_PATTERN: LoadProfileRecord = { pattern: 'unknown' };
/** How far before an alert's `since` its calls are looked for. */
const ALERT_LEAD_MS = 5000;
const BREAKER_RANK = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * The `/status` document: services, per-tool figures joined with the analyzer,
 * pools, breakers and tuner, recent alerts, anomaly episodes, tuning decisions,
 * profile captures and the charts' series. Reads only; allocation is fine here
 * (a status request, not a call).
 */
export function buildStatus(
  host: StatusHost,
  anomalies: AnomalyLog,
  query: StatusQuery = {},
): StatusSnapshot {
  const now = query.now ?? Date.now();
  const since = query.since ?? Number.NEGATIVE_INFINITY;
  const { gateway } = host;
  const control = host.control.status();
  const pools = new Map(control.pools.map((pool) => [pool.id, pool]));
  const breakers = new Map(control.breakers.map((breaker) => [breaker.id, breaker]));
  const analysis = new Map(
    (host.analysis.analyzer?.analyzer.status() ?? []).map((status) => [status.key, status]),
  );
  const patterns = host.tuning?.loadPatterns() ?? new Map<string, LoadProfileRecord>();
  const decisions = (host.tuning?.decisions() ?? []).filter((decision) => decision.time >= since);
  const names = exposedNames(host);

  const tools: ToolStatus[] = host.stats.summaries().map((summary) => {
    const pool = pools.get(summary.key) ?? pools.get(summary.service);
    return {
      key: summary.key,
      service: summary.service,
      tool: summary.tool,
      // In process (register) the tool is called by its own name; the key adds the server's.
      name: names.get(summary.key) ?? (gateway.mode === 'register' ? summary.tool : summary.key),
      calls: summary.calls,
      errors: summary.errors,
      toolErrors: summary.toolErrors,
      errorRate: summary.calls > 0 ? (summary.errors + summary.toolErrors) / summary.calls : 0,
      errorTypes: summary.errorTypes,
      p50: summary.p50,
      p95: summary.p95,
      p99: summary.p99,
      queueWaitP95: summary.queueWaitP95,
      cpuMicrosPerCall: summary.cpuMicrosMean ?? null,
      cpuKind: summary.cpuMicrosMean === undefined ? null : summary.cpuKind,
      heapBytesPerCall: summary.heapBytesMean ?? null,
      anomaly: anomalyOf(analysis.get(summary.key)),
      pool: pool ? poolOf(pool) : null,
      breaker: breakerOf(breakers.get(summary.key), breakers.get(summary.service)),
      loadPattern: patterns.get(summary.key) ?? UNKNOWN_PATTERN,
    };
  });

  const alerts = host.analysis.alerts.status();
  const capture = host.profiling.capture;
  const traces = traceLinker(host.traces, now);
  const snapshot: StatusSnapshot = {
    version: VERSION,
    pid: process.pid,
    mode: gateway.mode,
    now,
    startedAt: host.startedAt,
    uptimeMs: now - host.startedAt,
    sessions: gateway.sessions.size,
    services: services(host, now, query.stderrLines ?? 20),
    tools,
    alerts: {
      // The calls that made the condition hold: from a little before it began (an alert judges a
      // window of calls) to now, or to its end for a resolved one.
      active: alerts.active.map((alert) => ({
        ...alert,
        traces: traces(alert, alert.since - ALERT_LEAD_MS, now),
      })),
      recent: alerts.history
        .filter((event) => event.time >= since)
        .map((event) => ({ ...event, traces: traces(event, event.since - ALERT_LEAD_MS, event.time) })),
    },
    // An episode starts with its first anomalous call: its calls are the ones that started within it.
    anomalies: anomalies
      .episodes(since)
      .map((episode) => ({ ...episode, traces: traces(episode, episode.start, episode.end ?? now) })),
    tuning: {
      enabled: host.tuning !== undefined && host.tuning.enabled !== false,
      dryRun: host.tuning?.dryRun ?? false,
      decisions,
      judgements: host.tuning?.judgements?.() ?? [],
    },
    profiles: {
      running: capture.running,
      recent: capture
        .recent()
        .filter((result) => result.startedAt >= since)
        .map((result) => ({
          toolKey: result.toolKey,
          reason: result.reason,
          startedAt: result.startedAt,
          durationMs: result.durationMs,
          path: result.path,
          sampleCount: result.sampleCount,
          top: result.top.slice(0, 8),
        })),
    },
  };
  const hostStatus = host.telemetry?.hostMetrics?.lastSnapshot();
  if (hostStatus) snapshot.host = hostStatus;
  if (query.series !== false) {
    const bucketMs = query.coarse ? host.stats.coarseResolutionMs : host.stats.fineResolutionMs;
    const sinceForPoints = query.points !== undefined ? now - (query.points - 1) * bucketMs : undefined;
    const set = host.stats.series(now, {
      coarse: query.coarse,
      since: Math.max(query.since ?? Number.NEGATIVE_INFINITY, sinceForPoints ?? Number.NEGATIVE_INFINITY),
    });
    const limits = new Map(control.pools.map((pool) => [pool.id, pool.limit]));
    snapshot.series = { ...set, limits: poolLimitSeries(set.t, set.bucketMs, limits, decisions) };
  }
  return snapshot;
}

/** `service/tool` → the name store-mode agents call (or the proxy's original name). */
function exposedNames(host: StatusHost): Map<string, string> {
  const scope = host.gateway.scopes.get(host.gateway.mode === 'proxy' ? 'proxy' : 'store');
  const names = new Map<string, string>();
  for (const entry of scope?.tools.entries() ?? []) names.set(entry.resolved.ref.key, entry.exposedName);
  return names;
}

function services(host: StatusHost, now: number, stderrLines: number): ServiceStatus[] {
  const processes = new Map((host.profiling.upstream?.stats() ?? []).map((stats) => [stats.service, stats]));
  return [...host.gateway.upstreams.values()].map((upstream) => {
    const config = host.config.servers[upstream.name];
    const proc = processes.get(upstream.name);
    const status: ServiceStatus = {
      name: upstream.name,
      kind:
        upstream.executorKind === 'in_process'
          ? 'in_process'
          : config?.kind === 'remote'
            ? 'remote'
            : 'stdio',
      state: upstream.state,
      startedAt: upstream.startedAt,
      uptimeMs: now - upstream.startedAt,
      restarts: upstream.restarts,
      tools: upstream.lists.tools.map((tool) => tool.name),
      stderrTail: upstream.stderrTail(stderrLines),
    };
    if (config?.kind === 'stdio') status.command = redactCommand(config.command, config.args);
    if (config?.kind === 'remote') status.url = safeUrl(config.url);
    if (upstream.lastError !== undefined) status.lastError = upstream.lastError;
    if (upstream.pid !== undefined) status.pid = upstream.pid;
    if (proc) status.process = { rssBytes: proc.rssBytes, cpuCores: proc.cpuUtilization };
    return status;
  });
}

function anomalyOf(status: ToolAnalysisStatus | undefined): ToolStatus['anomaly'] {
  if (!status) return null;
  return {
    score: status.score,
    anomalous: status.anomaly,
    severity: status.severity ?? null,
    class: status.class ?? null,
    detector: status.detector ?? null,
    load: status.load,
    since: status.since ?? null,
    warmingUp: status.warmingUp,
    deviations: status.deviations,
    reasons: status.reasons,
    recommendations: status.recommendations,
  };
}

function poolOf(pool: PoolSnapshot): NonNullable<ToolStatus['pool']> {
  return {
    id: pool.id,
    limit: pool.limit,
    initialLimit: pool.initialLimit,
    inFlight: pool.inFlight,
    queued: pool.queued,
    queueSize: pool.queueSize,
  };
}

function breakerOf(...found: Array<BreakerSnapshot | undefined>): ToolStatus['breaker'] {
  const present = found.filter((breaker): breaker is BreakerSnapshot => breaker !== undefined);
  if (present.length === 0) return null;
  const worst = present.reduce((a, b) => (BREAKER_RANK[b.state] > BREAKER_RANK[a.state] ? b : a));
  return {
    state: worst.state,
    ids: present.map((breaker) => breaker.id),
    retryAfterMs: worst.retryAfterMs,
  };
}
