import type { LimitController, LimitSample } from '../../LimitController.js';

/** Options of {@link AimdLimit}; defaults follow Netflix concurrency-limits' `AIMDLimit`. */
export interface AimdLimitOptions {
  /** @default 10 */
  readonly initialLimit?: number;
  /** Multiplicative decrease on a drop. @default 0.9 */
  readonly backoffRatio?: number;
  /** A success slower than this counts as a drop. @default 5000 */
  readonly timeoutMs?: number;
  /** @default 1 */
  readonly minLimit?: number;
  /** @default 1000 */
  readonly maxLimit?: number;
}

/**
 * Baseline: loss-based additive-increase / multiplicative-decrease, per sample, after Netflix
 * concurrency-limits `AIMDLimit` (read, re-expressed here). It grows by one per call while
 * the pool is at least half used and only backs off on drops (timeouts, overload errors),
 * so it fills the backend's queue until calls start timing out.
 */
export class AimdLimit implements LimitController {
  #limit: number;
  readonly #backoff: number;
  readonly #timeoutMs: number;
  readonly #min: number;
  readonly #max: number;

  constructor(options: AimdLimitOptions = {}) {
    this.#limit = options.initialLimit ?? 10;
    this.#backoff = options.backoffRatio ?? 0.9;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#min = options.minLimit ?? 1;
    this.#max = options.maxLimit ?? 1000;
  }

  get limit(): number {
    return this.#limit;
  }

  onSample(sample: LimitSample): number {
    if (sample.outcome === 'rejected' || sample.outcome === 'error') return this.#limit;
    const drop = sample.outcome !== 'success' || sample.latencyMs > this.#timeoutMs;
    if (drop) {
      this.#limit = Math.max(this.#min, Math.min(this.#limit - 1, Math.floor(this.#limit * this.#backoff)));
    } else if ((sample.inFlight + 1) * 2 >= this.#limit) {
      this.#limit = Math.min(this.#max, this.#limit + 1);
    }
    return this.#limit;
  }

  onTick(): number {
    return this.#limit;
  }
}
