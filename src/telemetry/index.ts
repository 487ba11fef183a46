export { type AlertReading, registerAlertInstruments } from './AlertTelemetry.js';
export { CallSpanAnnotator } from './CallSpanAnnotator.js';
export { type ContentCapturePolicy, captureJson, NO_CAPTURE } from './ContentCapture.js';
export { busyFraction, type CpuTimesTotal, HostCpuGauge, sumCpuTimes } from './cpuUtilization.js';
export { type DiskCounters, isReportedDisk, parseDiskstats } from './diskstats.js';
export {
  createHostCpuGauge,
  HostRuntimeMetrics,
  type HostRuntimeMetricsOptions,
  type HostStatus,
  hostMetricViews,
} from './HostRuntimeMetrics.js';
export {
  BYTES_BUCKETS,
  McpInstruments,
  METRIC_LABELS,
  metricViews,
  TOOLSCOPE_SECONDS_BUCKETS,
} from './instruments.js';
export { type KeptTrace, KeptTraceLog, type KeptTraceQuery } from './KeptTraceLog.js';
export {
  type BucketExemplar,
  type ExemplarGate,
  type HistogramPointWithExemplars,
  type HistogramRecorder,
  type HistogramSource,
  LocalHistograms,
  TraceState,
} from './LocalHistograms.js';
export { MetricsServer } from './MetricsServer.js';
export { extractContext, injectContext } from './metaPropagation.js';
export { ObservationMetrics } from './ObservationMetrics.js';
export {
  acceptsOpenMetrics,
  OPENMETRICS_CONTENT_TYPE,
  serializeOpenMetrics,
} from './OpenMetricsSerializer.js';
export { prometheusUnitSuffix, withPrometheusNames, withUnitSuffix } from './prometheusNames.js';
export { ResilientSpanExporter } from './ResilientSpanExporter.js';
export { SlowCallThreshold, type SlowCallThresholdOptions } from './SlowCallThreshold.js';
export {
  type BreakerReading,
  type PoolReading,
  registerStateGauges,
  type StateSources,
  type UpstreamReading,
} from './StateGauges.js';
export { diagLevelFrom, StderrDiagLogger } from './StderrDiagLogger.js';
export {
  type DropReason,
  type KeepClass,
  type KeepReason,
  type SamplingCount,
  TailSampler,
  type TailSamplerOptions,
  winsRatioDraw,
} from './TailSampler.js';
export {
  INSTRUMENTATION_SCOPE,
  planTraceExport,
  Telemetry,
  type TelemetryOptions,
  type TraceExportPlan,
} from './Telemetry.js';
export { type NetworkInfo, TracingTransport, type TracingTransportOptions } from './TracingTransport.js';
export { type ActiveAnomaly, VerdictTelemetry } from './VerdictTelemetry.js';
