import { diag } from '@opentelemetry/api';

/** How long a stop waits for tool calls in flight by default, ms. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/**
 * How long a stop lets the calls in flight finish (`TOOLSCOPE_SHUTDOWN_TIMEOUT_MS`,
 * default 10 s): long enough for ordinary tools, short enough to finish well
 * inside the usual 30 s grace period of a supervisor (Kubernetes, systemd, Docker)
 * together with the rest of the stop.
 */
export function drainTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.TOOLSCOPE_SHUTDOWN_TIMEOUT_MS);
  return env.TOOLSCOPE_SHUTDOWN_TIMEOUT_MS !== undefined && Number.isFinite(value) && value >= 0
    ? value
    : DEFAULT_DRAIN_TIMEOUT_MS;
}

/**
 * Runs the given stop steps once, on SIGINT/SIGTERM or when asked, bounded by
 * `timeoutMs` so a stuck step cannot keep the process alive. Resolves `done`
 * when everything has stopped.
 */
export class Shutdown {
  readonly done: Promise<void>;
  #resolve: () => void = () => {};
  #started = false;
  readonly #steps: Array<() => Promise<void> | void> = [];
  readonly #timeoutMs: number;

  constructor(timeoutMs = 10_000) {
    this.#timeoutMs = timeoutMs;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const onSignal = () => void this.run();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  /** Add a step; steps run in the order added. */
  add(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    if (this.#started) return this.done;
    this.#started = true;
    const all = (async () => {
      for (const step of this.#steps) {
        try {
          await step();
        } catch (error) {
          diag.warn(`shutdown step failed: ${(error as Error).message}`);
        }
      }
    })();
    const timer = setTimeout(() => {
      diag.warn('shutdown took too long; exiting anyway');
      this.#resolve();
    }, this.#timeoutMs);
    timer.unref();
    await all;
    clearTimeout(timer);
    this.#resolve();
  }
}

/** What {@link drainingShutdown} drains: anything with the runtime's `drain`. */
export interface Drainable {
  drain(timeoutMs: number): Promise<unknown>;
}

/**
 * The stop of a serving command (gateway, proxy): first the calls in flight get
 * {@link drainTimeoutMs} to finish, then the steps added later run; the overall
 * bound leaves the rest of the stop (state, upstreams, telemetry flush) 10 s more.
 */
export function drainingShutdown(runtime: Drainable): Shutdown {
  const drainMs = drainTimeoutMs();
  const shutdown = new Shutdown(drainMs + 10_000);
  shutdown.add(async () => {
    await runtime.drain(drainMs);
  });
  return shutdown;
}
