import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

/** Where the HTTP listener binds and who may talk to it. */
export const listenSchema = z.strictObject({
  /** Interface to bind. Anything but loopback exposes your tools to the network. @default "127.0.0.1" */
  host: z.string().default('127.0.0.1'),
  /** TCP port (0 picks a free one). @default 8765 */
  port: port.default(8765),
  /** Bearer token required on every request (MCP, status, dashboard). Use `${ENV_VAR}`. */
  token: z.string().min(8, 'a token needs at least 8 characters').optional(),
  /** Extra allowed `Origin` values (browser clients); loopback origins are always allowed. @default [] */
  allowedOrigins: z.array(z.string()).default([]),
  /** Extra allowed `Host` header values (needed when binding beyond loopback). @default [] */
  allowedHosts: z.array(z.string()).default([]),
  /** Largest request body, bytes; larger gets 413. @default 4 MiB */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
});

/** An agent scope: a subset of services, seen under their tools' original names where unambiguous. */
export const agentSchema = z.strictObject({
  /** Service names (keys of `mcpServers`) this agent may use. */
  services: z.array(z.string()).min(1, 'an agent needs at least one service'),
});

export const namingSchema = z.strictObject({
  /** Joins service and tool in store mode: `service_tool`. @default "_" */
  separator: z.string().min(1).max(3).default('_'),
});

export const discoverySchema = z.strictObject({
  /** How long upstream tool/prompt/resource lists are trusted before a refresh, ms. @default 300000 */
  cacheTtlMs: z.number().int().positive().default(300_000),
  /** `tools/list` waits this long for local (stdio) services still initializing, ms. @default 5000 */
  smartWaitLocalMs: z.number().int().min(0).default(5000),
  /** … and this long for remote services, ms. @default 1500 */
  smartWaitRemoteMs: z.number().int().min(0).default(1500),
});

export const healthSchema = z.strictObject({
  /** Interval of MCP `ping` health checks, ms (0 disables). @default 15000 */
  pingIntervalMs: z.number().int().min(0).default(15_000),
  /** A ping slower than this fails, ms. @default 5000 */
  pingTimeoutMs: z.number().int().positive().default(5000),
  /** Consecutive failed pings before the service is restarted (stdio) or reconnected. @default 3 */
  failuresBeforeRestart: z.number().int().positive().default(3),
  /** Initial restart delay, ms; doubles per attempt with ±20 % jitter. @default 500 */
  restartInitialDelayMs: z.number().int().positive().default(500),
  /** Longest restart delay, ms. @default 30000 */
  restartMaxDelayMs: z.number().int().positive().default(30_000),
  /** How long a connect + initialize may take, ms. @default 30000 */
  connectTimeoutMs: z.number().int().positive().default(30_000),
});

/**
 * Client sessions of the HTTP front. The defaults resist lockout: a client that goes away (its SDK
 * closes the event stream, or it sends DELETE) frees its session within seconds, and at the limit the
 * session idle longest makes room for a new one instead of everyone being turned away.
 */
export const sessionsSchema = z.strictObject({
  /** Sessions open at most; at the limit the least recently used idle one is closed. @default 1000 */
  max: z.number().int().positive().default(1000),
  /** A session with no request and no open event stream for this long is closed, ms. @default 600000 */
  idleTimeoutMs: z.number().int().positive().default(600_000),
  /** A session whose client closed its event stream and sent nothing since is closed after this, ms. @default 5000 */
  disconnectGraceMs: z.number().int().min(0).default(5000),
  /** Processes one stdio service runs for client sessions (`isolation: "per-session"`). @default 16 */
  maxProcessesPerService: z.number().int().positive().default(16),
});

export const telemetrySchema = z.strictObject({
  /** `service.name` of toolscope's telemetry (OTEL_SERVICE_NAME wins). @default "toolscope" */
  serviceName: z.string().optional(),
  /** Export traces over OTLP/HTTP (to OTEL_EXPORTER_OTLP_ENDPOINT, or this). */
  otlpEndpoint: z.string().optional(),
  /** Serve Prometheus `/metrics`. Host/port: OTEL_EXPORTER_PROMETHEUS_HOST/_PORT win. */
  prometheus: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1'),
      port: port.default(9464),
    })
    .prefault({}),
  /** Record tool arguments on spans (`gen_ai.tool.call.arguments`). Sensitive. @default false */
  captureArguments: z.boolean().default(false),
  /** Record tool results on spans (`gen_ai.tool.call.result`). Sensitive. @default false */
  captureResults: z.boolean().default(false),
  /** Keys whose values are replaced by `[REDACTED]` in captured content (case-insensitive). */
  redactKeys: z
    .array(z.string())
    .default(['password', 'secret', 'token', 'api_key', 'apikey', 'authorization', 'cookie', 'session']),
  /** Captured content is cut to this many bytes. @default 4096 */
  maxCapturedBytes: z.number().int().positive().default(4096),
  /** Export host metrics: CPU, memory, disk and network I/O of the machine and the process. @default true */
  hostMetrics: z.boolean().default(true),
  /** Export Node.js runtime metrics: event-loop delay and utilisation, GC, heap. @default true */
  runtimeMetrics: z.boolean().default(true),
});

export type ListenConfig = z.infer<typeof listenSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type DiscoveryConfig = z.infer<typeof discoverySchema>;
export type HealthConfig = z.infer<typeof healthSchema>;
export type TelemetryConfig = z.infer<typeof telemetrySchema>;
export type SessionsConfig = z.infer<typeof sessionsSchema>;
