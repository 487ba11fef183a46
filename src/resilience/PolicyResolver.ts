import type { ResolvedTool } from '../pipeline/index.js';
import type { BreakerRegistry } from './BreakerRegistry.js';
import type { CircuitBreaker } from './CircuitBreaker.js';
import type { ConcurrencyPool } from './ConcurrencyPool.js';
import type { PoolRegistry } from './PoolRegistry.js';
import type { ResilienceConfig } from './resilienceConfigSchema.js';
import { resolveToolSettings, type ToolSettings } from './ToolSettings.js';

/** A tool's resolved settings with the live objects that enforce them. */
export interface ToolPolicy {
  readonly settings: ToolSettings;
  /** The pool the tool's calls take a slot in. */
  readonly pool: ConcurrencyPool;
  readonly serviceBreaker: CircuitBreaker;
  readonly toolBreaker: CircuitBreaker;
  /** The definition the policy was resolved from (annotations may change with a tool-list refresh). */
  readonly definition: ResolvedTool['definition'];
}

/**
 * Resolves and caches each tool's {@link ToolPolicy}. A lookup is one map get and
 * an identity check on the tool definition: a refreshed tool list brings new
 * definition objects, so changed annotations are picked up without a timer.
 */
export class PolicyResolver {
  readonly config: ResilienceConfig;
  readonly pools: PoolRegistry;
  readonly breakers: BreakerRegistry;
  readonly #cache = new Map<string, ToolPolicy>();
  readonly #agentPriorities: Map<string, number>;

  constructor(config: ResilienceConfig, pools: PoolRegistry, breakers: BreakerRegistry) {
    this.config = config;
    this.pools = pools;
    this.breakers = breakers;
    this.#agentPriorities = new Map(Object.entries(config.agentPriorities));
  }

  /** The policy of a resolved tool. */
  policyFor(tool: ResolvedTool): ToolPolicy {
    const cached = this.#cache.get(tool.ref.key);
    if (cached !== undefined && cached.definition === tool.definition) return cached;
    const settings = resolveToolSettings(this.config, tool.ref, tool.definition.annotations);
    const policy: ToolPolicy = {
      settings,
      pool: this.pools.ensure(settings.pool),
      serviceBreaker: this.breakers.forService(tool.ref.service),
      toolBreaker: this.breakers.forTool(tool.ref),
      definition: tool.definition,
    };
    this.#cache.set(tool.ref.key, policy);
    return policy;
  }

  /** Queue priority of a call: the tool's priority plus its agent's (0 for unknown agents). */
  priorityOf(policy: ToolPolicy, agent: string | undefined): number {
    if (agent === undefined) return policy.settings.priority;
    return policy.settings.priority + (this.#agentPriorities.get(agent) ?? 0);
  }
}
