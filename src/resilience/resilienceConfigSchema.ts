import { z } from 'zod';
import { MAX_POOL_LIMIT } from './ConcurrencyPool.js';

/*
 * Execution control config: `defaults`, then per service (`services`, keyed by the
 * `mcpServers` name), then per tool (`tools`, keyed by "service/tool": the tool's
 * own name on its service, stable whatever name an agent sees it under). The most
 * specific value wins, field by field. Embedded by the config module under
 * `toolscope`.
 */

const ms = z.number().int().min(0);
const positiveMs = z.number().int().min(1);
const priority = z.number().int().min(-1000).max(1000);
const toolKey = z.string().regex(/^[^/]+\/.+$/, 'name a tool as "service/tool"');

const poolFields = {
  /** Calls of the pool that may run at once; the tuner resizes it at run time. @default 8 */
  limit: z.number().int().min(1).max(MAX_POOL_LIMIT),
  /** Calls that may wait for a slot; more are refused as overloaded (0: no waiting). @default 100 */
  queueSize: z.number().int().min(0).max(1_000_000),
  /** Longest wait for a slot before the call is refused as overloaded, ms (0: no limit). @default 10000 */
  queueTimeoutMs: ms,
  /**
   * Who gets a freed slot: `adaptive` serves the oldest waiter first, and the newest while the queue
   * stands (demand beyond what the pool serves) and callers give up in it, so served calls finish
   * before their callers leave; `fifo` always serves the oldest. @default "adaptive"
   */
  queueOrder: z.enum(['adaptive', 'fifo']),
};

const retryFields = {
  /** Attempts in all, the first included (1: never retry). @default 3 */
  maxAttempts: z.number().int().min(1).max(10),
  /** Backoff before the first retry, ms; doubles per retry, with jitter. @default 200 */
  baseMs: positiveMs,
  /** Longest backoff, ms. @default 5000 */
  maxMs: positiveMs,
};

const breakerFields = {
  /** False: this breaker never opens. @default true */
  enabled: z.boolean(),
  /** Opens after this many failures in a row (0 disables this trigger). @default 5 */
  consecutiveFailures: z.number().int().min(0),
  /** Opens when at least this share of the calls in the window failed, 0…1 (0 disables). @default 0.5 */
  failureRate: z.number().min(0).max(1),
  /** Length of the failure-rate window, ms. @default 30000 */
  windowMs: positiveMs,
  /** The failure rate is only judged with at least this many calls in the window. @default 10 */
  minimumCalls: z.number().int().min(1),
  /** Time open before trial calls are let through, ms. @default 15000 */
  cooldownMs: positiveMs,
  /** Trial calls at a time when half-open; this many must succeed to close. @default 1 */
  halfOpenProbes: z.number().int().min(1).max(100),
  /**
   * Tool breakers only: count results with `isError: true` as failures. MCP servers
   * turn most failures into such results, so without this a tool breaker rarely
   * opens; turn it off for tools whose errors are mostly about bad arguments.
   * @default true
   */
  countToolErrors: z.boolean(),
};

const sharedOverrides = {
  /** Queue priority of the tool's calls; higher goes first. Agent priorities add to it. @default 0 */
  priority: priority.optional(),
  /** Time one attempt may take before it is cancelled upstream, ms. @default 30000 */
  timeoutMs: positiveMs.max(86_400_000).optional(),
  /**
   * Whether failed calls may be retried. Unset: only tools annotated `readOnlyHint`
   * or `idempotentHint` (when annotations are trusted).
   */
  retryable: z.boolean().optional(),
  retry: z.strictObject(retryFields).partial().optional(),
  breaker: z.strictObject(breakerFields).partial().optional(),
};

/** Settings for every tool unless a service or tool says otherwise. */
export const resilienceDefaultsSchema = z.strictObject({
  pool: z
    .strictObject({
      limit: poolFields.limit.default(8),
      queueSize: poolFields.queueSize.default(100),
      queueTimeoutMs: poolFields.queueTimeoutMs.default(10_000),
      queueOrder: poolFields.queueOrder.default('adaptive'),
    })
    .prefault({}),
  priority: priority.default(0),
  timeoutMs: positiveMs.max(86_400_000).default(30_000),
  retryable: z.boolean().optional(),
  retry: z
    .strictObject({
      maxAttempts: retryFields.maxAttempts.default(3),
      baseMs: retryFields.baseMs.default(200),
      maxMs: retryFields.maxMs.default(5_000),
    })
    .prefault({}),
  breaker: z
    .strictObject({
      enabled: breakerFields.enabled.default(true),
      consecutiveFailures: breakerFields.consecutiveFailures.default(5),
      failureRate: breakerFields.failureRate.default(0.5),
      windowMs: breakerFields.windowMs.default(30_000),
      minimumCalls: breakerFields.minimumCalls.default(10),
      cooldownMs: breakerFields.cooldownMs.default(15_000),
      halfOpenProbes: breakerFields.halfOpenProbes.default(1),
      countToolErrors: breakerFields.countToolErrors.default(true),
    })
    .prefault({}),
  /** Whether tool annotations may make tools retryable or exclusive. @default true */
  trustAnnotations: z.boolean().default(true),
});

/** Per-service settings: the service's pool (shared by its tools) and its tools' defaults. */
export const servicePolicySchema = z.strictObject({
  /** The service's shared pool. */
  pool: z.strictObject(poolFields).partial().optional(),
  ...sharedOverrides,
  /**
   * Whether this service's tool annotations may make tools retryable or exclusive.
   * Set false for servers you do not trust to describe their tools honestly.
   * @default defaults.trustAnnotations (true)
   */
  trustAnnotations: z.boolean().optional(),
});

/** Per-tool settings. */
export const toolPolicySchema = z.strictObject({
  /** Giving a tool a `pool` section gives it its own pool (id "service/tool") instead of the service's. */
  pool: z.strictObject(poolFields).partial().optional(),
  /**
   * Run one call at a time, in the tool's own pool of limit 1 that the tuner never
   * resizes. Unset: exclusive when the tool is annotated both `destructiveHint: true`
   * and `idempotentHint: false` explicitly (and annotations are trusted).
   */
  exclusive: z.boolean().optional(),
  /** Tool ("service/tool") that answers instead while this tool's breakers are open or its service is unavailable. */
  fallback: toolKey.optional(),
  ...sharedOverrides,
});

/** The execution-control section of the config. */
export const resilienceConfigSchema = z.strictObject({
  defaults: resilienceDefaultsSchema.prefault({}),
  /** Keyed by service name (the `mcpServers` key). @default {} */
  services: z.record(z.string().min(1), servicePolicySchema).default({}),
  /** Keyed by "service/tool". @default {} */
  tools: z.record(toolKey, toolPolicySchema).default({}),
  /** Queue priority added to every call of an agent scope, by agent name. @default {} */
  agentPriorities: z.record(z.string().min(1), priority).default({}),
});

/** Parsed execution-control config (all defaults filled in). */
export type ResilienceConfig = z.output<typeof resilienceConfigSchema>;
/** Execution-control config as written by users. */
export type ResilienceConfigInput = z.input<typeof resilienceConfigSchema>;
/** Per-service settings, parsed. */
export type ServicePolicyConfig = z.output<typeof servicePolicySchema>;
/** Per-tool settings, parsed. */
export type ToolPolicyConfig = z.output<typeof toolPolicySchema>;
