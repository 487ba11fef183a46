import { diag } from '@opentelemetry/api';

/** One piece of telemetry work that may wait until the caller has its answer. */
export type AfterAnswerTask<T> = (argument: T) => void;

/** Tasks queued at most; past this the queue runs them right away (memory stays bounded). */
const MAX_PENDING = 4096;

/**
 * Work that need not delay a call's answer — ending its spans, recording its
 * histograms, handing its observation to the analyzer — queued in order and run
 * together on the next turn of the event loop (`setImmediate`), after the answer
 * has been handed on. One process-wide queue, so the order in which telemetry was
 * queued is the order it runs in: an observer that writes on a span always runs
 * before that span's end, queued after it.
 *
 * A task that throws is reported through `onError` and does not stop the others.
 * `flush()` runs everything pending now (shutdown, `forceFlush`, tests).
 */
export class AfterAnswerQueue {
  #tasks: AfterAnswerTask<unknown>[] = [];
  #arguments: unknown[] = [];
  #scheduled = false;
  readonly #onError: (error: unknown) => void;
  readonly #run = () => this.flush();

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Tasks waiting to run. */
  get pending(): number {
    return this.#tasks.length;
  }

  /** Run `task(argument)` after the current answer is on its way. */
  defer<T>(task: AfterAnswerTask<T>, argument: T): void {
    this.#tasks.push(task as AfterAnswerTask<unknown>);
    this.#arguments.push(argument);
    if (this.#tasks.length >= MAX_PENDING) {
      this.flush();
      return;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  /** Runs every pending task now, in order (tasks queued meanwhile run too). */
  flush(): void {
    this.#scheduled = false;
    while (this.#tasks.length > 0) {
      const tasks = this.#tasks;
      const args = this.#arguments;
      this.#tasks = [];
      this.#arguments = [];
      for (let i = 0; i < tasks.length; i++) {
        try {
          (tasks[i] as AfterAnswerTask<unknown>)(args[i]);
        } catch (error) {
          this.#onError(error);
        }
      }
    }
  }
}

let reported = false;

/**
 * The process's queue (one per copy of toolscope): ObserveStage in deferred mode and
 * TracingTransport's span ends share it, so their relative order holds.
 */
export const afterAnswer = new AfterAnswerQueue((error) => {
  if (reported) return;
  reported = true;
  diag.error('toolscope: deferred telemetry failed (reported once; calls are not affected)', error);
});
