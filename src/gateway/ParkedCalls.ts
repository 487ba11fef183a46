import type { ModernCall } from './ModernCall.js';

/**
 * Calls of stateless clients waiting for input between rounds, by the handle given
 * out as `requestState`. A handle resumes only the request it was issued for (same
 * principal, method and name); one not resumed within `idleMs` is cancelled. Bounded:
 * past `max`, the call idle longest goes first.
 */
export class ParkedCalls {
  readonly #calls = new Map<string, ModernCall>();
  readonly #idleMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { idleMs: number; max: number; now?: () => number }) {
    this.#idleMs = options.idleMs;
    this.#max = options.max;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#calls.size;
  }

  park(call: ModernCall): void {
    this.#calls.delete(call.id);
    this.#calls.set(call.id, call);
    while (this.#calls.size > this.#max) {
      const oldest = this.#calls.values().next().value as ModernCall;
      this.#calls.delete(oldest.id);
      oldest.cancel('too many calls waiting for input; the oldest was given up');
    }
  }

  /** The call `handle` stands for, if it was issued for this principal, method and name. */
  resume(
    handle: unknown,
    principal: string,
    method: string,
    name: string | undefined,
  ): ModernCall | undefined {
    if (typeof handle !== 'string') return undefined;
    const call = this.#calls.get(handle);
    if (!call || call.principal !== principal || call.method !== method || call.name !== name)
      return undefined;
    return call;
  }

  forget(call: ModernCall): void {
    if (this.#calls.get(call.id) === call) this.#calls.delete(call.id);
  }

  /** Cancel the calls nobody resumed in time. */
  sweep(): void {
    const cutoff = this.#now() - this.#idleMs;
    for (const call of this.#calls.values()) {
      if (call.touchedAt >= cutoff) continue;
      this.#calls.delete(call.id);
      call.cancel('the client did not come back with the input it was asked for');
    }
  }

  /** Cancel them all (shutdown). */
  clear(): void {
    for (const call of this.#calls.values()) call.cancel('toolscope is stopping');
    this.#calls.clear();
  }
}
