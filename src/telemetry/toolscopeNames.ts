/**
 * toolscope's own signal names (everything the MCP semconv does not cover), in one
 * place. Prometheus sees them with dots as underscores and the unit appended,
 * e.g. `toolscope.pool.queue.wait` (s) → `toolscope_pool_queue_wait_seconds`.
 * Dashboards and rules in `dashboards/` and `collector/` are written against these.
 */

// ── attributes (metric labels are a whitelist per instrument; see instruments) ──
/** Configured service name (the `mcpServers` key). Low cardinality. */
export const ATTR_TS_SERVICE = 'toolscope.service' as const;
/** Pool id: the service, or `service/tool` for a per-tool override pool. */
export const ATTR_TS_POOL = 'toolscope.pool' as const;
/** Agent scope the call came through, when any. */
export const ATTR_TS_AGENT = 'toolscope.agent' as const;
/** Upstream lifecycle state (initializing|ready|degraded|failed|reconnecting|stopped). */
export const ATTR_TS_UPSTREAM_STATE = 'toolscope.upstream.state' as const;
/** Breaker scope: `service` or `tool`. */
export const ATTR_TS_BREAKER_SCOPE = 'toolscope.breaker.scope' as const;
/** Breaker state name: closed|half_open|open. */
export const ATTR_TS_BREAKER_STATE = 'toolscope.breaker.state' as const;
/** Severity of an anomaly or alert: warning|critical. */
export const ATTR_TS_SEVERITY = 'toolscope.severity' as const;
/** Alert rule name. */
export const ATTR_TS_ALERT_RULE = 'toolscope.alert.rule' as const;
/** Direction of a tuning decision: up|down|hold. */
export const ATTR_TS_TUNING_DIRECTION = 'toolscope.tuning.direction' as const;
/** Reason class of a tuning decision (low cardinality, e.g. `latency_gradient`). */
export const ATTR_TS_TUNING_REASON = 'toolscope.tuning.reason' as const;
/** What a CPU figure means: call|process_window|upstream_process. */
export const ATTR_TS_CPU_ATTRIBUTION = 'toolscope.cpu.attribution' as const;
/** Retry attempt number (span events). */
export const ATTR_TS_ATTEMPT = 'toolscope.attempt' as const;
/** Queue wait of the call, seconds (span attribute). */
export const ATTR_TS_QUEUE_WAIT = 'toolscope.queue.wait' as const;
/** In-flight count of the pool at admission (span attribute). */
export const ATTR_TS_IN_FLIGHT = 'toolscope.pool.in_flight' as const;
/** toolscope's error class of a failed call (timeout, overloaded, circuit_open, …), next to semconv's `error.type`. */
export const ATTR_TS_ERROR_TYPE = 'toolscope.error.type' as const;
/** Attempts made for a call, when more than one (span attribute). */
export const ATTR_TS_ATTEMPTS = 'toolscope.attempts' as const;

// ── per-call span attributes from profiling ──
export const ATTR_TS_CPU_USER_TIME = 'toolscope.cpu.user_time' as const;
export const ATTR_TS_CPU_SYSTEM_TIME = 'toolscope.cpu.system_time' as const;
export const ATTR_TS_HEAP_ALLOCATED = 'toolscope.heap.allocated' as const;
export const ATTR_TS_GC_OVERLAP = 'toolscope.gc.overlap' as const;
export const ATTR_TS_EVENT_LOOP_DELAY = 'toolscope.event_loop.delay' as const;
export const ATTR_TS_UPSTREAM_RSS = 'toolscope.upstream.memory.rss' as const;

// ── tuning decision events ──
export const ATTR_TS_TUNING_PREVIOUS_LIMIT = 'toolscope.tuning.previous_limit' as const;
export const ATTR_TS_TUNING_NEW_LIMIT = 'toolscope.tuning.new_limit' as const;
export const ATTR_TS_TUNING_APPLIED = 'toolscope.tuning.applied' as const;
export const ATTR_TS_TUNING_MESSAGE = 'toolscope.tuning.message' as const;

// ── per-call span attributes from the analyzer ──
export const ATTR_TS_ANOMALY_REASONS = 'toolscope.anomaly.reasons' as const;
export const ATTR_TS_ANOMALY_RECOMMENDATIONS = 'toolscope.anomaly.recommendations' as const;
export const ATTR_TS_ANOMALY_SCORE = 'toolscope.anomaly.score' as const;
export const ATTR_TS_ANOMALY = 'toolscope.anomaly' as const;
export const ATTR_TS_ANOMALY_FEATURES = 'toolscope.anomaly.features' as const;

// ── tail sampling ──
/** Why the trace was exported: error|anomaly|slow|parent|ratio (on the root span of a kept trace). */
export const ATTR_TS_SAMPLING_REASON = 'toolscope.sampling.reason' as const;
/** kept|dropped (label of `toolscope.telemetry.sampled`). */
export const ATTR_TS_SAMPLING_DECISION = 'toolscope.sampling.decision' as const;

// ── metrics ──
/** Histogram (s): tool call duration through the pipeline (incl. queue wait and retries). Labels: service, tool, error.type (toolscope's classes), agent. */
export const METRIC_TS_CALL_DURATION = 'toolscope.call.duration' as const;
/** Gauge: current concurrency limit of a pool. Labels: pool, service. */
export const METRIC_TS_POOL_LIMIT = 'toolscope.pool.limit' as const;
/** Gauge: calls running in a pool. */
export const METRIC_TS_POOL_IN_FLIGHT = 'toolscope.pool.in_flight' as const;
/** Gauge: calls waiting in a pool's queue. */
export const METRIC_TS_POOL_QUEUE_DEPTH = 'toolscope.pool.queue.depth' as const;
/** Histogram (s): time calls waited for a pool slot. Labels: pool, service, gen_ai.tool.name. */
export const METRIC_TS_POOL_QUEUE_WAIT = 'toolscope.pool.queue.wait' as const;
/** Counter: calls rejected before running (error.type overloaded|circuit_open). */
export const METRIC_TS_CALLS_REJECTED = 'toolscope.calls.rejected' as const;
/** Counter: retry attempts (beyond the first). */
export const METRIC_TS_CALL_RETRIES = 'toolscope.call.retries' as const;
/** Gauge: 1 for the upstream's current state, per state label. */
export const METRIC_TS_UPSTREAM_STATE = 'toolscope.upstream.state' as const;
/** Gauge: 1 when the upstream is ready or degraded (serving), 0 otherwise. */
export const METRIC_TS_UPSTREAM_UP = 'toolscope.upstream.up' as const;
/** Counter: upstream restarts. */
export const METRIC_TS_UPSTREAM_RESTARTS = 'toolscope.upstream.restarts' as const;
/** Gauge: breaker state, 0 closed, 1 half-open, 2 open. Labels: service, tool (for tool scope), scope. */
export const METRIC_TS_BREAKER_STATE = 'toolscope.breaker.state' as const;
/** Histogram (s): CPU user time per call. Labels: service, tool, cpu.attribution. */
export const METRIC_TS_CPU_USER_TIME = 'toolscope.cpu.user_time' as const;
/** Histogram (s): CPU system time per call. */
export const METRIC_TS_CPU_SYSTEM_TIME = 'toolscope.cpu.system_time' as const;
/** Histogram (By): heap allocated per call. */
export const METRIC_TS_HEAP_ALLOCATED = 'toolscope.heap.allocated' as const;
/** Histogram (s): GC time overlapping a call. */
export const METRIC_TS_GC_OVERLAP = 'toolscope.gc.overlap' as const;
/** Histogram (s): event-loop delay seen during a call. */
export const METRIC_TS_EVENT_LOOP_DELAY = 'toolscope.event_loop.delay' as const;
/** Gauge (1): upstream process CPU utilisation (cores). Labels: service. */
export const METRIC_TS_UPSTREAM_CPU = 'toolscope.upstream.cpu.utilization' as const;
/** Gauge (By): upstream process resident set size. Labels: service. */
export const METRIC_TS_UPSTREAM_RSS = 'toolscope.upstream.memory.rss' as const;
/** Histogram (1): anomaly score per call. Labels: service, tool. */
export const METRIC_TS_ANOMALY_SCORE = 'toolscope.anomaly.score' as const;
/** Counter: anomalous calls. Labels: service, tool, severity. */
export const METRIC_TS_ANOMALIES = 'toolscope.anomalies' as const;
/** Gauge: 1 while a tool is in an anomalous state. Labels: service, tool, severity. */
export const METRIC_TS_ANOMALY_ACTIVE = 'toolscope.anomaly.active' as const;
/** Counter: tuning decisions. Labels: pool, direction, reason. */
export const METRIC_TS_TUNING_DECISIONS = 'toolscope.tuning.decisions' as const;
/** Counter: alerts fired. Labels: rule, severity. */
export const METRIC_TS_ALERTS_FIRED = 'toolscope.alerts.fired' as const;
/** Gauge: 1 while an alert rule is firing. Labels: rule, severity, service, tool. */
export const METRIC_TS_ALERT_ACTIVE = 'toolscope.alert.active' as const;
/** Counter: telemetry items dropped (spans when the exporter queue is full). */
export const METRIC_TS_TELEMETRY_DROPPED = 'toolscope.telemetry.dropped' as const;
/** Counter: traces the tail sampler decided on. Labels: decision (kept|dropped), reason. */
export const METRIC_TS_TELEMETRY_SAMPLED = 'toolscope.telemetry.sampled' as const;

// ── span events ──
export const EVENT_TS_RETRY = 'toolscope.retry' as const;
export const EVENT_TS_ANOMALY = 'toolscope.anomaly' as const;
export const EVENT_TS_TUNING = 'toolscope.tuning' as const;
export const EVENT_TS_PROFILE = 'toolscope.profile' as const;
export const EVENT_TS_BREAKER = 'toolscope.breaker' as const;

// ── task-augmented calls (MCP 2025-11-25 tasks) ──
/** The task id the gateway gave the caller (span attribute; never a metric label). */
export const ATTR_TS_TASK_ID = 'toolscope.task.id' as const;
/** The task id on the upstream service (span attribute; never a metric label). */
export const ATTR_TS_TASK_UPSTREAM_ID = 'toolscope.task.upstream_id' as const;
/** Task status: working|input_required|completed|failed|cancelled (the last seen, on the lifecycle span). */
export const ATTR_TS_TASK_STATUS = 'toolscope.task.status' as const;
/** Why a lifecycle span ended without a terminal status: expired|evicted|shutdown. */
export const ATTR_TS_TASK_END_REASON = 'toolscope.task.end_reason' as const;
/** Span name prefix of a task's lifecycle span: `toolscope.task {tool}`. */
export const SPAN_TS_TASK = 'toolscope.task' as const;
/** Span event: a task status change the gateway saw. Attributes: `toolscope.task.status`. */
export const EVENT_TS_TASK_STATUS = 'toolscope.task.status' as const;
/** Histogram (s): task lifetime from creation to its terminal status. Labels: service, tool, task status. */
export const METRIC_TS_TASK_DURATION = 'toolscope.task.duration' as const;
