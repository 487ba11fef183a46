import type { ToolRef } from '../pipeline/index.js';
import type { BreakerSettings } from './CircuitBreaker.js';
import type { QueueOrder } from './ConcurrencyPool.js';
import type { ResilienceConfig } from './resilienceConfigSchema.js';

/** A pool as config describes it. */
export interface PoolSettings {
  /** `service`, or `service/tool` for a tool with its own pool. */
  readonly id: string;
  readonly limit: number;
  readonly queueSize: number;
  readonly queueTimeoutMs: number;
  readonly queueOrder: QueueOrder;
  readonly exclusive: boolean;
}

/** Retry budget and backoff of a tool. */
export interface RetrySettings {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Everything execution control needs to know about one tool, resolved from config and annotations. */
export interface ToolSettings {
  readonly ref: ToolRef;
  readonly pool: PoolSettings;
  readonly priority: number;
  readonly timeoutMs: number;
  /** Failed attempts may be retried (annotations or config said the tool is safe to repeat). */
  readonly retryable: boolean;
  readonly retry: RetrySettings;
  readonly toolBreaker: BreakerSettings;
  /** Results with `isError: true` count against the tool breaker. */
  readonly countToolErrors: boolean;
  /** "service/tool" to answer instead while this tool cannot be served. */
  readonly fallback: string | undefined;
}

/** The tool annotations execution control reads (MCP `ToolAnnotations`). */
export interface ToolHints {
  readonly readOnlyHint?: unknown;
  readonly destructiveHint?: unknown;
  readonly idempotentHint?: unknown;
}

/** The service's shared pool. */
export function resolveServicePool(config: ResilienceConfig, service: string): PoolSettings {
  const own = config.services[service]?.pool;
  const base = config.defaults.pool;
  return {
    id: service,
    limit: own?.limit ?? base.limit,
    queueSize: own?.queueSize ?? base.queueSize,
    queueTimeoutMs: own?.queueTimeoutMs ?? base.queueTimeoutMs,
    queueOrder: own?.queueOrder ?? base.queueOrder,
    exclusive: false,
  };
}

/** The service breaker (shared by the service's tools). */
export function resolveServiceBreaker(config: ResilienceConfig, service: string): BreakerSettings {
  return mergeBreaker(config, service, undefined);
}

/**
 * Resolves a tool's settings: tool config, then service config, then defaults,
 * field by field; annotations only fill in `retryable` and `exclusive` when
 * config leaves them unset and the service's annotations are trusted.
 *
 * Retryable by annotation: `readOnlyHint: true` or `idempotentHint: true`.
 * Exclusive by annotation: `destructiveHint: true` and `idempotentHint: false`,
 * both stated explicitly. The MCP defaults for absent hints are exactly
 * "destructive, not idempotent", so counting absent hints would serialise every
 * unannotated tool; a server that states both says it changes the world in a
 * way that must not be repeated, and racing two such calls is the case worth
 * preventing. Such tools are rare, so the cost in throughput is small.
 */
export function resolveToolSettings(
  config: ResilienceConfig,
  ref: ToolRef,
  annotations: ToolHints | undefined,
): ToolSettings {
  const tool = config.tools[ref.key];
  const service = config.services[ref.service];
  const defaults = config.defaults;
  const hints = (service?.trustAnnotations ?? defaults.trustAnnotations) ? annotations : undefined;

  const exclusive = tool?.exclusive ?? (hints?.destructiveHint === true && hints.idempotentHint === false);
  const retryable =
    tool?.retryable ??
    service?.retryable ??
    defaults.retryable ??
    (hints?.readOnlyHint === true || hints?.idempotentHint === true);

  let pool: PoolSettings;
  if (tool?.pool !== undefined || exclusive) {
    const base = resolveServicePool(config, ref.service);
    pool = {
      id: ref.key,
      limit: exclusive ? 1 : (tool?.pool?.limit ?? base.limit),
      queueSize: tool?.pool?.queueSize ?? base.queueSize,
      queueTimeoutMs: tool?.pool?.queueTimeoutMs ?? base.queueTimeoutMs,
      queueOrder: tool?.pool?.queueOrder ?? base.queueOrder,
      exclusive,
    };
  } else {
    pool = resolveServicePool(config, ref.service);
  }

  const baseMs = tool?.retry?.baseMs ?? service?.retry?.baseMs ?? defaults.retry.baseMs;
  return {
    ref,
    pool,
    priority: tool?.priority ?? service?.priority ?? defaults.priority,
    timeoutMs: tool?.timeoutMs ?? service?.timeoutMs ?? defaults.timeoutMs,
    retryable,
    retry: {
      maxAttempts: tool?.retry?.maxAttempts ?? service?.retry?.maxAttempts ?? defaults.retry.maxAttempts,
      baseMs,
      // A cap below the base would make the first backoff the longest; clamp it.
      maxMs: Math.max(baseMs, tool?.retry?.maxMs ?? service?.retry?.maxMs ?? defaults.retry.maxMs),
    },
    toolBreaker: mergeBreaker(config, ref.service, ref.key),
    countToolErrors:
      tool?.breaker?.countToolErrors ?? service?.breaker?.countToolErrors ?? defaults.breaker.countToolErrors,
    fallback: tool?.fallback,
  };
}

function mergeBreaker(
  config: ResilienceConfig,
  service: string,
  toolKey: string | undefined,
): BreakerSettings {
  const tool = toolKey === undefined ? undefined : config.tools[toolKey]?.breaker;
  const own = config.services[service]?.breaker;
  const base = config.defaults.breaker;
  return {
    enabled: tool?.enabled ?? own?.enabled ?? base.enabled,
    consecutiveFailures: tool?.consecutiveFailures ?? own?.consecutiveFailures ?? base.consecutiveFailures,
    failureRate: tool?.failureRate ?? own?.failureRate ?? base.failureRate,
    windowMs: tool?.windowMs ?? own?.windowMs ?? base.windowMs,
    minimumCalls: tool?.minimumCalls ?? own?.minimumCalls ?? base.minimumCalls,
    cooldownMs: tool?.cooldownMs ?? own?.cooldownMs ?? base.cooldownMs,
    halfOpenProbes: tool?.halfOpenProbes ?? own?.halfOpenProbes ?? base.halfOpenProbes,
  };
}
