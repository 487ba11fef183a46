import type { Upstream } from './Upstream.js';

/**
 * Bounds the connections one service opens for client sessions (stdio: processes). At the
 * limit, the connection used least recently that has no request in flight is given up to
 * make room; when every one is busy there is no room.
 */
export class LegBudget {
  readonly max: number;
  readonly #legs = new Set<Upstream>();

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.#legs.size;
  }

  /** The connections counted now. */
  legs(): IterableIterator<Upstream> {
    return this.#legs.values();
  }

  /** `undefined`: there is room; an upstream: close it first; `'full'`: every connection is busy. */
  makeRoom(): Upstream | 'full' | undefined {
    if (this.#legs.size < this.max) return undefined;
    let victim: Upstream | undefined;
    for (const leg of this.#legs) {
      if (leg.inFlight.size > 0) continue;
      if (!victim || leg.lastUsed < victim.lastUsed) victim = leg;
    }
    return victim ?? 'full';
  }

  add(leg: Upstream): void {
    this.#legs.add(leg);
  }

  delete(leg: Upstream): void {
    this.#legs.delete(leg);
  }
}
