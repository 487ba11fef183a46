type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };

const ABORT_EVENT = { type: 'abort' } as Event;

/**
 * A lightweight stand-in for `AbortController` on the per-call hot path.
 * Node's `AbortController`/`AbortSignal` are `EventTarget`s: creating one and
 * adding/removing a listener costs microseconds per call, twice per hop. This
 * implements the part of `AbortSignal` that toolscope's own code uses —
 * `aborted`, `reason`, `throwIfAborted`, `onabort`, and `add`/`removeEventListener`
 * for `'abort'` (functions or `handleEvent` objects, `once`) — and hands out a
 * real `AbortSignal` (`toAbortSignal()`) when code outside toolscope needs one.
 */
export class Cancellation {
  #aborted = false;
  #reason: unknown;
  #listeners: Listener[] | undefined;
  #real: AbortController | undefined;
  onabort: ((event: Event) => void) | null = null;

  /** The signal side (this object, typed as an AbortSignal for toolscope's interfaces). */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  addEventListener(type: string, listener: Listener | null, _options?: unknown): void {
    if (type !== 'abort' || !listener) return;
    if (this.#aborted) return;
    if (!this.#listeners) this.#listeners = [];
    this.#listeners.push(listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    if (type !== 'abort' || !listener || !this.#listeners) return;
    const index = this.#listeners.indexOf(listener);
    if (index !== -1) this.#listeners.splice(index, 1);
  }

  /** Abort with a reason (an `AbortError` like the platform's when none is given). */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason ?? abortError();
    const listeners = this.#listeners;
    this.#listeners = undefined;
    this.#real?.abort(this.#reason);
    this.onabort?.(ABORT_EVENT);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        if (typeof listener === 'function') listener(ABORT_EVENT);
        else listener.handleEvent(ABORT_EVENT);
      } catch {
        // A listener's failure must not stop the others (same as EventTarget).
      }
    }
  }

  /** A platform AbortSignal that follows this one (created on first use). */
  toAbortSignal(): AbortSignal {
    if (!this.#real) {
      this.#real = new AbortController();
      if (this.#aborted) this.#real.abort(this.#reason);
    }
    return this.#real.signal;
  }
}

function abortError(): Error {
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}
