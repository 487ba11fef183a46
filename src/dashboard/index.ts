/**
 * dashboard/: what one machine sees without Grafana — per-tool figures and
 * bounded time series, anomaly episodes, the `/status` API, JSON/CSV export,
 * the built-in page, the loopback status listener for stdio mode, and the
 * instance records the CLI finds a running toolscope by.
 */
export { type AnomalyEpisode, AnomalyLog } from './AnomalyLog.js';
export { buildStatus, type StatusQuery } from './buildStatus.js';
export {
  buildExport,
  EXPORT_COLUMNS,
  type ExportDocument,
  exportToCsv,
} from './exportDocument.js';
export { type CsvCell, formatCsv } from './formatCsv.js';
export {
  findInstances,
  type InstanceRecord,
  instancesDirectory,
  registerInstance,
} from './instanceDiscovery.js';
export { LatencyHistogram, type Quantiles } from './LatencyHistogram.js';
export { parseSince } from './parseSince.js';
export { poolLimitSeries } from './poolLimitSeries.js';
export { redactCommand, safeUrl } from './redactCommand.js';
export {
  anomalyCell,
  type FitColumn,
  fitTable,
  headline,
  poolCell,
  recentEvents,
  renderStatus,
  toolColumns,
} from './renderStatus.js';
export { callRates, renderTop, type TopFrameOptions } from './renderTop.js';
export { StatusClient, StatusClientError, type StatusClientOptions } from './StatusClient.js';
export type {
  LoadProfileRecord,
  PoolJudgementRecord,
  StatusHost,
  TuningDecisionRecord,
  TuningSource,
} from './StatusHost.js';
export { StatusServer, type StatusServerOptions, statusPortFromEnv } from './StatusServer.js';
export { StatusService } from './StatusService.js';
export type {
  PoolLimitSeries,
  ProfileStatus,
  ServiceStatus,
  StatusSnapshot,
  ToolAnomalyStatus,
  ToolStatus,
} from './StatusSnapshot.js';
export { type StatusListener, startStatusListener } from './startStatusListener.js';
export { statusRoutes } from './statusRoutes.js';
export { type SeriesTotals, type SeriesWindow, ToolSeries } from './ToolSeries.js';
export {
  percentile,
  type SeriesSet,
  ToolStatsCollector,
  type ToolStatsOptions,
  type ToolSummary,
} from './ToolStatsCollector.js';
export {
  cpuPerCall,
  formatBytes,
  formatClock,
  formatMicros,
  formatPercent,
  formatUptime,
  sparkline,
  truncate,
} from './textFormat.js';
