/** Something with a bounded-or-not asynchronous flush. */
export interface Flushable {
  shutdown(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Flush telemetry when the app ends, without changing how it ends:
 *
 * - natural end (`beforeExit`): flush, then the process exits as it would have;
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
  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> => {
    flushing ??= Promise.race([
      target.shutdown().catch(() => {}),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
    return flushing;
  };
  process.once('beforeExit', () => {
    void flush();
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
