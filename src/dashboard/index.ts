export { percentile, ToolStatsCollector, type ToolSummary } from './ToolStatsCollector.js';
