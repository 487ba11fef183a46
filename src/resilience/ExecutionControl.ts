import type { ResolvedTool } from '../pipeline/index.js';
import { AdmitStage } from './AdmitStage.js';
import { BreakerRegistry } from './BreakerRegistry.js';
import type { BreakerSnapshot } from './CircuitBreaker.js';
import { type Clock, systemClock } from './Clock.js';
import type { PoolSnapshot } from './ConcurrencyPool.js';
import { GuardStage } from './GuardStage.js';
import { PolicyResolver } from './PolicyResolver.js';
import { PoolRegistry } from './PoolRegistry.js';
import type { ResilienceConfig } from './resilienceConfigSchema.js';

/** What the gateway (or a test) provides besides the config. */
export interface ExecutionControlOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Backoff jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Finds a fallback tool by "service/tool"; without it, configured fallbacks are not used. */
  readonly resolveFallback?: (toolKey: string) => ResolvedTool | undefined;
}

/** Pools and breakers at one moment, for status and the demo summary. */
export interface ExecutionControlStatus {
  readonly pools: PoolSnapshot[];
  readonly breakers: BreakerSnapshot[];
}

/** Execution control, assembled: the registries, the resolver and the two pipeline stages. */
export interface ExecutionControl {
  readonly pools: PoolRegistry;
  readonly breakers: BreakerRegistry;
  readonly policies: PolicyResolver;
  /** Goes in the pipeline before `guard`. */
  readonly admit: AdmitStage;
  /** Goes in the pipeline after `admit`, before profiling and `execute`. */
  readonly guard: GuardStage;
  /** Every pool and breaker created so far. */
  status(): ExecutionControlStatus;
}

/** Builds execution control from its (parsed) config section. */
export function createExecutionControl(
  config: ResilienceConfig,
  options: ExecutionControlOptions = {},
): ExecutionControl {
  const clock = options.clock ?? systemClock;
  const pools = new PoolRegistry(config, clock);
  const breakers = new BreakerRegistry(config, clock);
  const policies = new PolicyResolver(config, pools, breakers);
  return {
    pools,
    breakers,
    policies,
    admit: new AdmitStage({ policies, clock }),
    guard: new GuardStage({
      policies,
      clock,
      random: options.random,
      resolveFallback: options.resolveFallback,
    }),
    status: () => ({ pools: pools.snapshot(), breakers: breakers.snapshot() }),
  };
}
