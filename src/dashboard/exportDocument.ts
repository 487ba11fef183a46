import type { AlertEvent } from '../alerts/index.js';
import { VERSION } from '../version.js';
import type { AnomalyEpisode, AnomalyLog } from './AnomalyLog.js';
import { type CsvCell, formatCsv } from './formatCsv.js';
import type { StatusHost, TuningDecisionRecord } from './StatusHost.js';
import type { ToolSummary } from './ToolStatsCollector.js';

/** `GET /export?format=json`: what happened since a moment, for files and spreadsheets. */
export interface ExportDocument {
  /** Epoch ms. */
  exportedAt: number;
  /** Epoch ms the export starts at; `null`: everything kept. */
  since: number | null;
  instance: { version: string; pid: number; startedAt: number };
  /** Per tool: counts and means over the window, percentiles over its recent calls. */
  tools: ToolSummary[];
  /** Alert notifications (firing and resolved), oldest first. */
  alerts: AlertEvent[];
  anomalies: AnomalyEpisode[];
  decisions: TuningDecisionRecord[];
}

/** Collects the export from the runtime: the same sources as `/status`, filtered by `since`. */
export function buildExport(
  host: StatusHost,
  anomalies: AnomalyLog,
  options: { since?: number; now?: number } = {},
): ExportDocument {
  const now = options.now ?? Date.now();
  const since = options.since;
  const after = (time: number) => since === undefined || time >= since;
  return {
    exportedAt: now,
    since: since ?? null,
    instance: { version: VERSION, pid: process.pid, startedAt: host.startedAt },
    tools: host.stats.summaries(since, now),
    alerts: host.analysis.alerts.status().history.filter((event) => after(event.time)),
    anomalies: anomalies.episodes(since),
    decisions: (host.tuning?.decisions() ?? []).filter((decision) => after(decision.time)),
  };
}

/** CSV columns: one table for every kind of record, the `record` column says which. */
export const EXPORT_COLUMNS = [
  'record',
  'time',
  'service',
  'tool',
  'status',
  'level',
  'reason',
  'calls',
  'errors',
  'tool_errors',
  'error_rate',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'queue_wait_p95_ms',
  'cpu_us_per_call',
  'cpu_kind',
  'heap_bytes_per_call',
  'class',
  'detector',
  'score',
  'value',
  'threshold',
  'pool',
  'previous_limit',
  'new_limit',
  'start',
  'end',
  'summary',
  'recommendation',
] as const;
type ExportColumn = (typeof EXPORT_COLUMNS)[number];

const iso = (ms: number | undefined | null) =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();
const fixed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

/**
 * The export as CSV: a header, then one row per record — a `tool_summary` per tool,
 * an `alert` per notification, an `anomaly` per episode, a `tuning_decision` per
 * decision. Times are ISO 8601 (UTC), which every spreadsheet reads.
 */
export function exportToCsv(doc: ExportDocument): string {
  const rows: CsvCell[][] = [];
  const row = (values: Partial<Record<ExportColumn, CsvCell>>) =>
    rows.push(EXPORT_COLUMNS.map((column) => values[column]));
  for (const tool of doc.tools) {
    row({
      record: 'tool_summary',
      time: iso(doc.exportedAt),
      service: tool.service,
      tool: tool.tool,
      calls: tool.calls,
      errors: tool.errors,
      tool_errors: tool.toolErrors,
      error_rate: tool.calls > 0 ? fixed((tool.errors + tool.toolErrors) / tool.calls, 4) : null,
      p50_ms: fixed(tool.p50, 3),
      p95_ms: fixed(tool.p95, 3),
      p99_ms: fixed(tool.p99, 3),
      queue_wait_p95_ms: fixed(tool.queueWaitP95, 3),
      cpu_us_per_call: fixed(tool.cpuMicrosMean, 1),
      cpu_kind: tool.cpuMicrosMean === undefined ? null : tool.cpuKind,
      heap_bytes_per_call: fixed(tool.heapBytesMean, 0),
      start: iso(doc.since),
      end: iso(doc.exportedAt),
    });
  }
  for (const alert of doc.alerts) {
    row({
      record: 'alert',
      time: iso(alert.time),
      service: alert.service,
      tool: alert.tool,
      status: alert.status,
      level: alert.level,
      reason: alert.rule,
      value: fixed(alert.value, 4),
      threshold: fixed(alert.threshold, 4),
      start: iso(alert.since),
      summary: alert.summary,
    });
  }
  for (const episode of doc.anomalies) {
    row({
      record: 'anomaly',
      time: iso(episode.start),
      service: episode.service,
      tool: episode.tool,
      status: episode.end === undefined ? 'open' : 'closed',
      level: episode.severity,
      class: episode.class,
      detector: episode.detector ?? null,
      reason: episode.deviations.map((deviation) => deviation.feature).join(' '),
      score: fixed(episode.peakScore, 3),
      start: iso(episode.start),
      end: iso(episode.end),
      summary: episode.reasons.join('; '),
      recommendation: episode.recommendations.join('; '),
    });
  }
  for (const decision of doc.decisions) {
    const [service, tool] = decision.poolId.split('/');
    row({
      record: 'tuning_decision',
      time: iso(decision.time),
      service,
      tool,
      status: decision.applied ? 'applied' : 'recommended',
      level: decision.direction,
      reason: decision.reason,
      pool: decision.poolId,
      previous_limit: decision.previousLimit,
      new_limit: decision.newLimit,
      summary: decision.message,
    });
  }
  return formatCsv(EXPORT_COLUMNS, rows);
}
