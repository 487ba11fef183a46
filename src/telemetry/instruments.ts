import type { Attributes } from '@opentelemetry/api';
import {
  AggregationType,
  createAllowListAttributesProcessor,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import type { HistogramRecorder, HistogramSource } from './LocalHistograms.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_PROTOCOL_VERSION,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  MCP_DURATION_BUCKETS,
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_CLIENT_SESSION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_DURATION,
} from './semconv.js';
import * as ts from './toolscopeNames.js';

const NETWORK = [ATTR_NETWORK_TRANSPORT, ATTR_NETWORK_PROTOCOL_NAME, ATTR_NETWORK_PROTOCOL_VERSION];
const OPERATION = [
  ATTR_MCP_METHOD_NAME,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_JSONRPC_PROTOCOL_VERSION,
  ATTR_MCP_PROTOCOL_VERSION,
  ...NETWORK,
];
const SESSION = [ATTR_ERROR_TYPE, ATTR_JSONRPC_PROTOCOL_VERSION, ATTR_MCP_PROTOCOL_VERSION, ...NETWORK];
const TOOL = [ts.ATTR_TS_SERVICE, ATTR_GEN_AI_TOOL_NAME];

/**
 * The label whitelist of every instrument toolscope records. Anything else set on
 * a measurement (ids, URIs, arguments) never becomes a label. Semconv metrics keep
 * `toolscope.service` where toolscope knows it (client side of the gateway).
 */
export const METRIC_LABELS: Readonly<Record<string, readonly string[]>> = {
  [METRIC_MCP_CLIENT_OPERATION_DURATION]: [
    ...OPERATION,
    ATTR_SERVER_ADDRESS,
    ATTR_SERVER_PORT,
    ts.ATTR_TS_SERVICE,
  ],
  [METRIC_MCP_SERVER_OPERATION_DURATION]: [...OPERATION, ts.ATTR_TS_SERVICE],
  [METRIC_MCP_CLIENT_SESSION_DURATION]: [
    ...SESSION,
    ATTR_SERVER_ADDRESS,
    ATTR_SERVER_PORT,
    ts.ATTR_TS_SERVICE,
  ],
  [METRIC_MCP_SERVER_SESSION_DURATION]: SESSION,
  [ts.METRIC_TS_CALL_DURATION]: [...TOOL, ATTR_ERROR_TYPE, ts.ATTR_TS_AGENT],
  [ts.METRIC_TS_POOL_LIMIT]: [ts.ATTR_TS_POOL, ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_POOL_IN_FLIGHT]: [ts.ATTR_TS_POOL, ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_POOL_QUEUE_DEPTH]: [ts.ATTR_TS_POOL, ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_POOL_QUEUE_WAIT]: [...TOOL],
  [ts.METRIC_TS_CALLS_REJECTED]: [...TOOL, ATTR_ERROR_TYPE],
  [ts.METRIC_TS_CALL_RETRIES]: [...TOOL],
  [ts.METRIC_TS_UPSTREAM_STATE]: [ts.ATTR_TS_SERVICE, ts.ATTR_TS_UPSTREAM_STATE],
  [ts.METRIC_TS_UPSTREAM_UP]: [ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_UPSTREAM_RESTARTS]: [ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_BREAKER_STATE]: [ts.ATTR_TS_SERVICE, ATTR_GEN_AI_TOOL_NAME, ts.ATTR_TS_BREAKER_SCOPE],
  [ts.METRIC_TS_CPU_USER_TIME]: [...TOOL, ts.ATTR_TS_CPU_ATTRIBUTION],
  [ts.METRIC_TS_CPU_SYSTEM_TIME]: [...TOOL, ts.ATTR_TS_CPU_ATTRIBUTION],
  [ts.METRIC_TS_HEAP_ALLOCATED]: [...TOOL],
  [ts.METRIC_TS_GC_OVERLAP]: [...TOOL],
  [ts.METRIC_TS_EVENT_LOOP_DELAY]: [...TOOL],
  [ts.METRIC_TS_UPSTREAM_CPU]: [ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_UPSTREAM_RSS]: [ts.ATTR_TS_SERVICE],
  [ts.METRIC_TS_ANOMALY_SCORE]: [...TOOL],
  [ts.METRIC_TS_ANOMALIES]: [...TOOL, ts.ATTR_TS_SEVERITY],
  [ts.METRIC_TS_ANOMALY_ACTIVE]: [...TOOL, ts.ATTR_TS_SEVERITY],
  [ts.METRIC_TS_TUNING_DECISIONS]: [
    ts.ATTR_TS_POOL,
    ts.ATTR_TS_SERVICE,
    ts.ATTR_TS_TUNING_DIRECTION,
    ts.ATTR_TS_TUNING_REASON,
  ],
  [ts.METRIC_TS_ALERTS_FIRED]: [ts.ATTR_TS_ALERT_RULE, ts.ATTR_TS_SEVERITY, ...TOOL],
  [ts.METRIC_TS_ALERT_ACTIVE]: [ts.ATTR_TS_ALERT_RULE, ts.ATTR_TS_SEVERITY, ...TOOL],
  [ts.METRIC_TS_TELEMETRY_DROPPED]: [ATTR_ERROR_TYPE],
  [ts.METRIC_TS_TELEMETRY_SAMPLED]: [ts.ATTR_TS_SAMPLING_DECISION, ts.ATTR_TS_SAMPLING_REASON],
  [ts.METRIC_TS_TASK_DURATION]: [...TOOL, ts.ATTR_TS_TASK_STATUS],
};

/** Seconds buckets for toolscope's own time histograms (finer at the low end than MCP's: CPU per call is often < 10 ms). */
export const TOOLSCOPE_SECONDS_BUCKETS: readonly number[] = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** Byte buckets for heap per call. */
export const BYTES_BUCKETS: readonly number[] = [
  1024, 8192, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/**
 * One view per instrument with a cardinality limit (overflow goes to
 * `otel.metric.overflow`). The label whitelist is enforced where attributes are
 * built (they are built from these lists only, and a test scrapes `/metrics` to
 * check every label key against them), not by an attribute processor: a
 * processor copies the attribute object on every measurement, which cost more
 * than the rest of the metric path together.
 */
export function metricViews(
  cardinalityLimit: number,
  options: { enforceLabels?: boolean } = {},
): ViewOptions[] {
  return Object.entries(METRIC_LABELS).map(([instrumentName, labels]) => ({
    instrumentName,
    ...(options.enforceLabels
      ? { attributesProcessors: [createAllowListAttributesProcessor([...labels])] }
      : {}),
    aggregationCardinalityLimit: cardinalityLimit,
    ...(instrumentName === METRIC_MCP_CLIENT_OPERATION_DURATION ||
    instrumentName === METRIC_MCP_SERVER_OPERATION_DURATION
      ? {
          aggregation: {
            type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
            options: { boundaries: [...MCP_DURATION_BUCKETS] },
          },
        }
      : {}),
  }));
}

/** The four MCP semconv histograms. */
export class McpInstruments {
  readonly clientOperation: HistogramRecorder;
  readonly serverOperation: HistogramRecorder;
  readonly clientSession: HistogramRecorder;
  readonly serverSession: HistogramRecorder;
  /** Metric attribute objects by key, built once and reused (hot path). */
  readonly #attributes = new Map<string, Attributes>();

  /** @param meter an OTel `Meter`, or toolscope's own {@link HistogramSource} */
  constructor(meter: HistogramSource) {
    const advice = { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] };
    this.clientOperation = meter.createHistogram(METRIC_MCP_CLIENT_OPERATION_DURATION, {
      unit: 's',
      description: 'Duration of MCP requests and notifications as observed by the sender.',
      advice,
    });
    this.serverOperation = meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
      unit: 's',
      description: 'Duration of MCP requests and notifications as observed by the receiver.',
      advice,
    });
    this.clientSession = meter.createHistogram(METRIC_MCP_CLIENT_SESSION_DURATION, {
      unit: 's',
      description: 'Duration of MCP sessions as observed by the client.',
      advice,
    });
    this.serverSession = meter.createHistogram(METRIC_MCP_SERVER_SESSION_DURATION, {
      unit: 's',
      description: 'Duration of MCP sessions as observed by the server.',
      advice,
    });
  }

  /**
   * The cached attribute object for `key`, built by `build` on first use. The
   * cache is bounded: past its size, objects are built per call (the metric's own
   * cardinality limit still applies).
   */
  attributes(key: string, build: () => Attributes): Attributes {
    let attributes = this.#attributes.get(key);
    if (attributes === undefined) {
      attributes = build();
      if (this.#attributes.size < 4096) this.#attributes.set(key, attributes);
    }
    return attributes;
  }
}
