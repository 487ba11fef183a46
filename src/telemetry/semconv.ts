/**
 * OpenTelemetry semantic conventions for MCP, copied as data so a semconv release
 * cannot break toolscope. Source: open-telemetry/semantic-conventions-genai
 * `model/mcp/{registry,common,spans,metrics}.yaml` and `docs/gen-ai/mcp.md`
 * (stability: development). No attribute-name string literal lives anywhere else.
 * @experimental
 */

/** The name of the request or notification method. Required. */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name' as const;
/** The connection-scoped session (`Mcp-Session-Id`); never on metrics; not for 2026-07-28+ sessions. */
export const ATTR_MCP_SESSION_ID = 'mcp.session.id' as const;
/** The resource URI of `resources/read|subscribe|unsubscribe` and `notifications/resources/updated`. */
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri' as const;
/** Negotiated MCP protocol revision, e.g. `2025-11-25`. */
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version' as const;
/** Tool name for tool operations. */
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name' as const;
/** Prompt name for prompt operations. */
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name' as const;
/** `execute_tool` for tool calls only. */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
/** Opt-in: tool call arguments (sensitive). */
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments' as const;
/** Opt-in: tool call result (sensitive). */
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result' as const;
/** JSON-RPC request id, string form; never on metrics. */
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id' as const;
/** JSON-RPC version, recommended only when not `2.0`. */
export const ATTR_JSONRPC_PROTOCOL_VERSION = 'jsonrpc.protocol.version' as const;
/** JSON-RPC error code of the response, e.g. `-32602`. */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code' as const;
/** Error class: the JSON-RPC code as a string, `tool_error`, or a low-cardinality type. */
export const ATTR_ERROR_TYPE = 'error.type' as const;
/** `pipe` for stdio, `tcp` for HTTP. */
export const ATTR_NETWORK_TRANSPORT = 'network.transport' as const;
/** `http` or `websocket` when applicable. */
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name' as const;
/** e.g. `1.1`, `2`. */
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version' as const;
/** Client side: the server's address. */
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
/** Client side: the server's port. */
export const ATTR_SERVER_PORT = 'server.port' as const;
/** Server side: the client's address. */
export const ATTR_CLIENT_ADDRESS = 'client.address' as const;
/** Server side: the client's port. */
export const ATTR_CLIENT_PORT = 'client.port' as const;

/** `gen_ai.operation.name` value for tool calls. */
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool' as const;
/** `error.type` value when a `CallToolResult` has `isError: true`. */
export const ERROR_TYPE_TOOL_ERROR = 'tool_error' as const;
/** `error.type` fallback when nothing better is known. */
export const ERROR_TYPE_OTHER = '_OTHER' as const;
/** `network.transport` for stdio. */
export const NETWORK_TRANSPORT_PIPE = 'pipe' as const;
/** `network.transport` for HTTP. */
export const NETWORK_TRANSPORT_TCP = 'tcp' as const;

/** Histogram: sent → response/ack received (client side). Unit `s`. */
export const METRIC_MCP_CLIENT_OPERATION_DURATION = 'mcp.client.operation.duration' as const;
/** Histogram: received → result/ack sent (server side). Unit `s`. */
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration' as const;
/** Histogram: session length on the client. Unit `s`. */
export const METRIC_MCP_CLIENT_SESSION_DURATION = 'mcp.client.session.duration' as const;
/** Histogram: session length on the server. Unit `s`. */
export const METRIC_MCP_SERVER_SESSION_DURATION = 'mcp.server.session.duration' as const;

/** Advisory bucket boundaries (seconds) for every MCP duration histogram. */
export const MCP_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
];

/**
 * JSON-RPC codes that, on the server side, mean "the caller sent something the
 * receiver could not serve" and SHOULD NOT be considered errors (common.yaml).
 * On the client side every error code is an error.
 */
export const SERVER_NON_ERROR_CODES: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602, -32002]);

/** `_meta` keys for trace context (unprefixed, per SEP-414). */
export const META_TRACEPARENT = 'traceparent' as const;
export const META_TRACESTATE = 'tracestate' as const;
export const META_BAGGAGE = 'baggage' as const;

// ── HTTP client spans (HTTP API tools), from semantic-conventions `model/http` and `model/url` ──
/** HTTP request method, e.g. `GET`. Required. */
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method' as const;
/** HTTP response status code, e.g. `200`. */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code' as const;
/** Size of the response body in bytes (as read; a cut body counts what was read). */
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size' as const;
/** Size of the request body in bytes. */
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size' as const;
/** Absolute URL; credentials and sensitive query values replaced by `REDACTED`. */
export const ATTR_URL_FULL = 'url.full' as const;
/** Low-cardinality template of the path, e.g. `/users/{id}`. */
export const ATTR_URL_TEMPLATE = 'url.template' as const;
/** Scheme, e.g. `https`. */
export const ATTR_URL_SCHEME = 'url.scheme' as const;

// ── host and runtime metrics (semantic-conventions `model/system`, `model/process`, `model/nodejs`, `model/v8js`) ──
/** Counter (By): disk bytes read and written. Attributes: `system.device`, `disk.io.direction`. */
export const METRIC_SYSTEM_DISK_IO = 'system.disk.io' as const;
/** Counter ({operation}): disk reads and writes completed. */
export const METRIC_SYSTEM_DISK_OPERATIONS = 'system.disk.operations' as const;
/** Counter (By): network bytes (host-metrics). Attributes: `system.device`, `network.io.direction`. */
export const METRIC_SYSTEM_NETWORK_IO = 'system.network.io' as const;
/** Gauge (1): CPU time share per logical CPU and state (host-metrics). */
export const METRIC_SYSTEM_CPU_UTILIZATION = 'system.cpu.utilization' as const;
/** Gauge (By): memory by state (host-metrics). */
export const METRIC_SYSTEM_MEMORY_USAGE = 'system.memory.usage' as const;
/** Gauge (1): memory share by state (host-metrics). */
export const METRIC_SYSTEM_MEMORY_UTILIZATION = 'system.memory.utilization' as const;
/** Gauge (1): this process's CPU share of all cores, by state (host-metrics). */
export const METRIC_PROCESS_CPU_UTILIZATION = 'process.cpu.utilization' as const;
/** Gauge (By): this process's resident set size (host-metrics). */
export const METRIC_PROCESS_MEMORY_USAGE = 'process.memory.usage' as const;
/** Gauge (s): event-loop delay percentiles (instrumentation-runtime-node). */
export const METRIC_NODEJS_EVENTLOOP_DELAY_P99 = 'nodejs.eventloop.delay.p99' as const;
export const METRIC_NODEJS_EVENTLOOP_DELAY_MEAN = 'nodejs.eventloop.delay.mean' as const;
/** Gauge (1): event-loop utilisation. */
export const METRIC_NODEJS_EVENTLOOP_UTILIZATION = 'nodejs.eventloop.utilization' as const;
/** Histogram (s): GC pauses by `v8js.gc.type`. */
export const METRIC_V8JS_GC_DURATION = 'v8js.gc.duration' as const;
/** Gauge (By): heap used per heap space. */
export const METRIC_V8JS_MEMORY_HEAP_USED = 'v8js.memory.heap.used' as const;
/** UpDownCounter (By): heap size per heap space. */
export const METRIC_V8JS_MEMORY_HEAP_SPACE_SIZE = 'v8js.memory.heap.space.size' as const;
/** Device name (`sda`, `eth0`). */
export const ATTR_SYSTEM_DEVICE = 'system.device' as const;
/** `read` or `write`. */
export const ATTR_DISK_IO_DIRECTION = 'disk.io.direction' as const;
/** `receive` or `transmit`. */
export const ATTR_NETWORK_IO_DIRECTION = 'network.io.direction' as const;
