/** Something with a bounded-or-not asynchronous flush. */
export interface Flushable {
  shutdown(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Flush telemetry when the app ends, without changing how it ends:
 *
 * - natural end (`beforeExit`): flush, then the process exits as it would have (with the app's
 *   exit code; if the flush hit `timeoutMs`, toolscope ends the process right then, so a dead
 *   collector cannot keep it alive through export retries);
 * - SIGTERM / SIGINT: flush (at most `timeoutMs`), then, if the app has no
 *   listener of its own for that signal, re-raise it so the process dies by the
 *   signal exactly as it would have without toolscope. If the app handles the
 *   signal, the app decides when to exit; toolscope only flushes.
 *
 * `process.exit()` called by the app cannot be waited for (its `exit` event is
 * synchronous): spans still queued then are lost. Batched spans are exported
 * every `OTEL_BSP_SCHEDULE_DELAY` ms (default 5000) meanwhile.
 */
export function flushOnExit(target: Flushable, timeoutMs: number): void {
  let flushing: Promise<boolean> | undefined;
  /** Resolves true when the flush finished, false when it was cut off at `timeoutMs`. */
  const flush = (): Promise<boolean> => {
    flushing ??= Promise.race([
      target.shutdown().then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    return flushing;
  };
  process.once('beforeExit', () => {
    void flush().then((finished) => {
      // The app had nothing left to do. A flush cut off by the bound may still hold sockets or
      // retry timers (an exporter retrying a dead collector): end the process as it was about to,
      // with the app's own exit code, instead of letting an export keep it alive.
      if (!finished) process.exit();
    });
  });
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      // `once` has removed this listener: any listener left is the app's.
      const appHandles = process.listenerCount(signal) > 0;
      void flush().then(() => {
        if (!appHandles) process.kill(process.pid, signal);
      });
    };
    process.once(signal, onSignal);
  }
}
