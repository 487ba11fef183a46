import { diag } from '@opentelemetry/api';

/**
 * A tiny typed listener set (cockatiel's `Event` idea): `add` returns the function
 * that removes the listener. Emitters check {@link Listeners.size} first so an event
 * object is only built when someone listens.
 */
export class Listeners<T> {
  // A Set keeps registration order and makes removal O(1).
  readonly #set = new Set<(event: T) => void>();
  // Report a failing listener once, not once per event.
  #reported = false;

  /** Number of registered listeners. */
  get size(): number {
    return this.#set.size;
  }

  /** Registers `listener`; call the returned function to remove it. */
  add(listener: (event: T) => void): () => void {
    this.#set.add(listener);
    return () => {
      this.#set.delete(listener);
    };
  }

  /**
   * Calls every listener. A throwing listener must not break the call that
   * emitted the event (telemetry never breaks the host): the first failure is
   * reported through OTel's `diag`, the remaining listeners still run.
   */
  emit(event: T): void {
    for (const listener of this.#set) {
      try {
        listener(event);
      } catch (error) {
        if (!this.#reported) {
          this.#reported = true;
          diag.error('toolscope: an execution-control listener threw', error);
        }
      }
    }
  }
}
