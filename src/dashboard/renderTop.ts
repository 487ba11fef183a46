import { type FitColumn, fitTable, headline, p95Trend, recentEvents, toolColumns } from './renderStatus.js';
import type { StatusSnapshot, ToolStatus } from './StatusSnapshot.js';
import { formatClock, truncate } from './textFormat.js';

/** What one `top` frame needs besides the status. */
export interface TopFrameOptions {
  url: string;
  width: number;
  height: number;
  /** The previous status, for calls per second. */
  previous?: StatusSnapshot;
  /** Seconds between refreshes, shown in the footer. */
  intervalSeconds?: number;
  /** Set when the last refresh failed: the frame shows the last good status and says so. */
  error?: string;
  /** Pad to `height` lines, footer on the last (a full screen). @default true */
  fill?: boolean;
}

const TREND_WIDTH = 20;

/** Calls per second of each tool between two snapshots. */
export function callRates(status: StatusSnapshot, previous: StatusSnapshot | undefined): Map<string, number> {
  const rates = new Map<string, number>();
  if (!previous) return rates;
  const seconds = (status.now - previous.now) / 1000;
  if (!(seconds > 0)) return rates;
  const before = new Map(previous.tools.map((tool) => [tool.key, tool.calls]));
  for (const tool of status.tools)
    rates.set(tool.key, Math.max(0, (tool.calls - (before.get(tool.key) ?? 0)) / seconds));
  return rates;
}

/**
 * One screen of `toolscope top`, as lines no wider than the terminal: the
 * headline, services at a glance, the busiest tools (rate, latency, CPU, pool,
 * breaker, anomaly, a p95 trend), active alerts, recent events, and a footer.
 * Pure: the runner fetches, clears and draws.
 */
export function renderTop(status: StatusSnapshot, options: TopFrameOptions): string[] {
  const { width, height } = options;
  const rates = callRates(status, options.previous);
  const lines: string[] = [];
  const clock = formatClock(status.now);
  const head = truncate(headline(status, options.url), Math.max(0, width - clock.length - 1));
  lines.push(`${head}${' '.repeat(Math.max(1, width - [...head].length - clock.length))}${clock}`);
  const services = status.services.map(
    (s) =>
      `${s.name} ${s.state}${s.state !== 'ready' && s.lastError ? ` (${truncate(s.lastError, 40)})` : ''}` +
      `${s.restarts > 0 ? ` (${s.restarts}↻)` : ''}`,
  );
  lines.push(truncate(`services: ${services.join(' · ') || 'none'}`, width));
  lines.push('');

  const columns: FitColumn<ToolStatus>[] = toolColumns([
    { header: 'p95 trend', value: (t) => p95Trend(status, t.key, TREND_WIDTH), drop: 1 },
  ]);
  columns.splice(1, 0, {
    header: 'calls/s',
    value: (t) => (rates.has(t.key) ? (rates.get(t.key) as number).toFixed(1) : '—'),
    right: true,
    drop: 0,
  });
  const tools = [...status.tools].sort(
    (a, b) => (rates.get(b.key) ?? 0) - (rates.get(a.key) ?? 0) || b.calls - a.calls,
  );
  // Leave room for alerts, events and the footer; the busiest tools come first.
  const alertLines = status.alerts.active.map((alert) =>
    truncate(` ● ${alert.level.padEnd(8)} ${alert.summary}`, width),
  );
  const reserved = 3 + 2 + (alertLines.length > 0 ? alertLines.length + 2 : 0) + 4 + 2;
  const toolRows = Math.max(1, height - reserved - 2);
  const shown = tools.slice(0, toolRows);
  if (shown.length === 0) lines.push('no calls yet');
  else lines.push(...fitTable(shown, columns, width).split('\n'));
  if (tools.length > shown.length) lines.push(`… ${tools.length - shown.length} more tools`);
  if (alertLines.length > 0) lines.push('', 'ACTIVE ALERTS', ...alertLines);
  const room = Math.max(0, height - lines.length - 3);
  const events = recentEvents(status, Math.min(8, room)).map((line) => truncate(line, width));
  if (events.length > 0) lines.push('', ...events);
  if (options.fill !== false) while (lines.length < height - 1) lines.push('');
  const footer = options.error
    ? `refresh failed: ${options.error} (showing ${formatClock(status.now)})`
    : `q quit · every ${options.intervalSeconds ?? 1} s · dashboard ${options.url}/`;
  lines.length = Math.min(lines.length, Math.max(1, height - 1));
  lines.push(truncate(footer, width));
  return lines;
}
