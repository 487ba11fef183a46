import type { ToolRef } from '../pipeline/index.js';
import { type Clock, systemClock } from './Clock.js';
import { ConcurrencyPool, type PoolSnapshot } from './ConcurrencyPool.js';
import type { ResilienceConfig } from './resilienceConfigSchema.js';
import {
  type PoolSettings,
  resolveServicePool,
  resolveToolSettings,
  type ToolHints,
} from './ToolSettings.js';

/**
 * The pools of one toolscope process: one per service, shared by its tools, plus
 * one per tool that config gives its own `pool` section or that is exclusive.
 * Pools are created on first use and live as long as the registry, so the
 * tuner's resizes and the counters survive tool-list refreshes.
 */
export class PoolRegistry {
  readonly #config: ResilienceConfig;
  readonly #clock: Clock;
  readonly #pools = new Map<string, ConcurrencyPool>();

  /** @param clock time source for queue deadlines @default systemClock */
  constructor(config: ResilienceConfig, clock: Clock = systemClock) {
    this.#config = config;
    this.#clock = clock;
  }

  /** The shared pool of a service. */
  forService(service: string): ConcurrencyPool {
    return this.ensure(resolveServicePool(this.#config, service));
  }

  /** The pool a tool's calls use (its own, or its service's), given its annotations. */
  forTool(ref: ToolRef, annotations?: ToolHints): ConcurrencyPool {
    return this.ensure(resolveToolSettings(this.#config, ref, annotations).pool);
  }

  /** The pool with these settings' id, created with them if it does not exist yet. */
  ensure(settings: PoolSettings): ConcurrencyPool {
    let pool = this.#pools.get(settings.id);
    if (pool === undefined) {
      pool = new ConcurrencyPool({ ...settings, clock: this.#clock });
      this.#pools.set(settings.id, pool);
    }
    return pool;
  }

  /** A pool by id (`service` or `service/tool`), if it was created. */
  get(id: string): ConcurrencyPool | undefined {
    return this.#pools.get(id);
  }

  /** All pools, in creation order (the tuner iterates these). */
  list(): ConcurrencyPool[] {
    return [...this.#pools.values()];
  }

  /** Every pool's state, for status and the demo summary. */
  snapshot(): PoolSnapshot[] {
    return this.list().map((pool) => pool.snapshot());
  }
}
