import { type Column, formatTable } from '../cli/formatTable.js';
import type { ServiceStatus, StatusSnapshot, ToolStatus } from './StatusSnapshot.js';
import {
  cpuPerCall,
  formatClock,
  formatMs,
  formatPercent,
  formatUptime,
  sparkline,
  truncate,
} from './textFormat.js';

/** A table column that may be dropped when the terminal is narrow: higher `drop` goes first. */
export interface FitColumn<Row> extends Column<Row> {
  drop?: number;
}

/** A table that fits `width`: optional columns are dropped (highest `drop` first) until it does. */
export function fitTable<Row>(
  rows: readonly Row[],
  columns: readonly FitColumn<Row>[],
  width: number,
): string {
  let kept = [...columns];
  for (;;) {
    const table = formatTable(rows, kept);
    const widest = Math.max(...table.split('\n').map((line) => [...line].length));
    const droppable = kept.filter((column) => column.drop !== undefined);
    if (widest <= width || droppable.length === 0) return table;
    const first = droppable.reduce((a, b) => ((b.drop as number) > (a.drop as number) ? b : a));
    kept = kept.filter((column) => column !== first);
  }
}

/** `3/16 +2`: calls running / pool limit, and queued calls when any. */
export function poolCell(tool: ToolStatus): string {
  if (!tool.pool) return '—';
  const queued = tool.pool.queued > 0 ? ` +${tool.pool.queued}` : '';
  return `${tool.pool.inFlight}/${tool.pool.limit}${queued}`;
}

/**
 * `0.82 critical`, `normal`, `learning`. Below the threshold the score (capped at
 * 0.499) would round to the threshold itself, so a normal tool says so in words.
 */
export function anomalyCell(tool: ToolStatus): string {
  const anomaly = tool.anomaly;
  if (!anomaly) return '—';
  if (anomaly.warmingUp) return 'learning';
  return anomaly.anomalous ? `${anomaly.score.toFixed(2)} ${anomaly.severity ?? 'warning'}` : 'normal';
}

/** Columns of the per-tool table, shared by `status` and `top`. */
export function toolColumns(extra: readonly FitColumn<ToolStatus>[] = []): FitColumn<ToolStatus>[] {
  return [
    { header: 'tool', value: (t) => t.name },
    { header: 'calls', value: (t) => String(t.calls), right: true, drop: 3 },
    { header: 'err', value: (t) => formatPercent(t.errorRate), right: true, drop: 4 },
    { header: 'p50', value: (t) => formatMs(t.p50), right: true, drop: 5 },
    { header: 'p95', value: (t) => formatMs(t.p95), right: true },
    { header: 'p99', value: (t) => formatMs(t.p99), right: true, drop: 6 },
    { header: 'cpu/call', value: (t) => cpuPerCall(t), right: true, drop: 7 },
    { header: 'pool', value: poolCell, right: true, drop: 8 },
    { header: 'breaker', value: (t) => t.breaker?.state ?? '—', drop: 9 },
    { header: 'load', value: (t) => t.loadPattern.pattern, drop: 10 },
    { header: 'anomaly', value: anomalyCell, drop: 2 },
    ...extra,
  ];
}

const serviceColumns: FitColumn<ServiceStatus>[] = [
  { header: 'service', value: (s) => s.name },
  { header: 'state', value: (s) => s.state },
  { header: 'kind', value: (s) => s.kind, drop: 3 },
  { header: 'up', value: (s) => formatUptime(s.uptimeMs), right: true, drop: 2 },
  { header: 'tools', value: (s) => String(s.tools.length), right: true, drop: 4 },
  { header: 'restarts', value: (s) => String(s.restarts), right: true, drop: 1 },
  { header: 'pid', value: (s) => (s.pid === undefined ? '—' : String(s.pid)), right: true, drop: 6 },
  { header: 'command', value: (s) => truncate(s.command ?? s.url ?? '', 40), drop: 7 },
];

/** The first line of `status` and `top`. */
export function headline(status: StatusSnapshot, url: string): string {
  const alerts = status.alerts.active.length;
  return (
    `toolscope ${status.version} · ${status.mode} · pid ${status.pid} · up ${formatUptime(status.uptimeMs)}` +
    ` · ${status.sessions} session${status.sessions === 1 ? '' : 's'}` +
    ` · ${alerts === 0 ? 'no active alerts' : `${alerts} active alert${alerts === 1 ? '' : 's'}`} · ${url}`
  );
}

/** Recent events, newest last: alert notifications, anomaly episodes, tuning decisions, profiles. */
export function recentEvents(status: StatusSnapshot, limit: number): string[] {
  const events: Array<{ time: number; text: string }> = [];
  for (const alert of status.alerts.recent)
    events.push({
      time: alert.time,
      text: `alert ${alert.status === 'firing' ? alert.level : 'resolved'}: ${alert.summary}`,
    });
  for (const episode of status.anomalies)
    events.push({
      time: episode.start,
      text:
        `anomaly ${episode.severity} ${episode.key}` +
        `${episode.end === undefined ? ' (ongoing)' : ` for ${formatUptime(episode.end - episode.start)}`}` +
        `${episode.reasons.length > 0 ? `: ${episode.reasons[0]}` : ''}`,
    });
  for (const decision of status.tuning.decisions)
    events.push({
      time: decision.time,
      text: `pool ${decision.poolId} ${decision.previousLimit} → ${decision.newLimit} (${decision.reason})${decision.applied ? '' : ' [dry run]'}`,
    });
  for (const profile of status.profiles.recent)
    events.push({
      time: profile.startedAt,
      text: `profile ${profile.toolKey} (${profile.reason}): top ${profile.top[0]?.functionName ?? '—'} → ${profile.path}`,
    });
  return events
    .sort((a, b) => a.time - b.time)
    .slice(-limit)
    .map((event) => `${formatClock(event.time)}  ${event.text}`);
}

/** `toolscope status`: services, tools, active alerts and recent events as plain-text tables. */
export function renderStatus(status: StatusSnapshot, options: { url: string; width?: number }): string {
  const width = options.width ?? 100;
  const lines = [truncate(headline(status, options.url), width), ''];
  if (status.services.length === 0)
    lines.push(
      'SERVICES',
      status.mode === 'register' ? "none: the tools run in this app's own MCP servers" : 'none configured',
    );
  else lines.push('SERVICES', fitTable(status.services, serviceColumns, width));
  // Why a service is not serving, right under the table: a failed remote has no stderr to show it.
  for (const service of status.services) {
    if (service.state === 'ready' || !service.lastError) continue;
    lines.push(truncate(`✗ ${service.name} ${service.state}: ${service.lastError}`, width));
  }
  lines.push('');
  if (status.tools.length === 0) lines.push('TOOLS', 'no calls yet', '');
  else lines.push('TOOLS', fitTable(status.tools, toolColumns(), width), '');
  if (status.alerts.active.length > 0) {
    lines.push('ACTIVE ALERTS');
    for (const alert of status.alerts.active)
      lines.push(
        truncate(`${alert.level.padEnd(8)} since ${formatClock(alert.since)}  ${alert.summary}`, width),
      );
    lines.push('');
  }
  for (const tool of status.tools) {
    const anomaly = tool.anomaly;
    if (!anomaly?.anomalous) continue;
    lines.push(truncate(`⚠ ${tool.name}: ${anomaly.reasons.join('; ')}`, width));
    for (const hint of anomaly.recommendations) lines.push(truncate(`  → ${hint}`, width));
  }
  const events = recentEvents(status, 10);
  if (events.length > 0) lines.push('RECENT', ...events.map((line) => truncate(line, width)), '');
  const trouble = status.services.filter((s) => s.state !== 'ready' && s.stderrTail.length > 0);
  for (const service of trouble) {
    lines.push(`STDERR ${service.name} (${service.state})`);
    for (const line of service.stderrTail.slice(-5)) lines.push(truncate(`  ${line}`, width));
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A p95 sparkline per tool from the series (for `top`); empty when the status has none. */
export function p95Trend(status: StatusSnapshot, key: string, width: number): string {
  const series = status.series?.tools[key];
  return series ? sparkline(series.p95, width) : '';
}
