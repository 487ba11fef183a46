import type { ToolRef } from '../pipeline/index.js';
import { type BreakerSnapshot, type BreakerStateChange, CircuitBreaker } from './CircuitBreaker.js';
import { type Clock, systemClock } from './Clock.js';
import { Listeners } from './Listeners.js';
import type { ResilienceConfig } from './resilienceConfigSchema.js';
import { resolveServiceBreaker, resolveToolSettings } from './ToolSettings.js';

/**
 * The circuit breakers of one toolscope process: one per service (id `service`)
 * and one per tool (id `service/tool`), created on first use. State changes of
 * all of them reach {@link onStateChange} listeners (metrics, status, span events).
 */
export class BreakerRegistry {
  readonly #config: ResilienceConfig;
  readonly #clock: Clock;
  readonly #services = new Map<string, CircuitBreaker>();
  readonly #tools = new Map<string, CircuitBreaker>();
  readonly #listeners = new Listeners<BreakerStateChange>();

  /** @param clock time source for windows and cool-downs @default systemClock */
  constructor(config: ResilienceConfig, clock: Clock = systemClock) {
    this.#config = config;
    this.#clock = clock;
  }

  /** Subscribes to every breaker's state changes; returns the unsubscribe function. */
  onStateChange(listener: (change: BreakerStateChange) => void): () => void {
    return this.#listeners.add(listener);
  }

  /** The breaker of a whole service. */
  forService(service: string): CircuitBreaker {
    let breaker = this.#services.get(service);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(
        { id: service, scope: 'service', service },
        resolveServiceBreaker(this.#config, service),
        this.#clock,
        this.#listeners,
      );
      this.#services.set(service, breaker);
    }
    return breaker;
  }

  /** The breaker of one tool. */
  forTool(ref: ToolRef): CircuitBreaker {
    let breaker = this.#tools.get(ref.key);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(
        { id: ref.key, scope: 'tool', service: ref.service, tool: ref.tool },
        resolveToolSettings(this.#config, ref, undefined).toolBreaker,
        this.#clock,
        this.#listeners,
      );
      this.#tools.set(ref.key, breaker);
    }
    return breaker;
  }

  /**
   * Close the breakers of a service and its tools: a fresh connection (after a
   * restart) starts with a clean slate instead of waiting out a cool-down that
   * was caused by the old, dead connection.
   */
  resetService(service: string): void {
    this.#services.get(service)?.reset();
    for (const breaker of this.#tools.values()) if (breaker.service === service) breaker.reset();
  }

  /** All breakers: services first, then tools, each in creation order. */
  list(): CircuitBreaker[] {
    return [...this.#services.values(), ...this.#tools.values()];
  }

  /** Every breaker's state, for status and the demo summary. */
  snapshot(): BreakerSnapshot[] {
    return this.list().map((breaker) => breaker.snapshot());
  }
}
