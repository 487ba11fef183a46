import type { Verdict, VerdictObserver } from '../analysis/index.js';
import type { CallObservation, CallObserver } from '../pipeline/CallObservation.js';
import type { AlertEngine } from './AlertEngine.js';
import type { AlertEvent, AlertStatus } from './AlertEvent.js';
import type { AlertHandler } from './AlertHandler.js';
import type { BreakerStateEvent, UpstreamStateEvent } from './AlertInputs.js';
import type { AlertRule } from './AlertRule.js';

/** Timer functions the service uses; injectable so tests need no real time. */
export interface AlertTimers {
  setInterval(fn: () => void, ms: number): { unref?(): unknown };
  clearInterval(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
}

/** Options of the `AlertService`. */
export interface AlertServiceOptions {
  readonly handlers?: readonly AlertHandler[];
  /** The rules the engine was built with (for routing events to their handlers). */
  readonly rules?: readonly AlertRule[];
  /** How often the rules are evaluated, ms. @default 1000 */
  readonly evaluateIntervalMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Every event, after routing (telemetry counts `toolscope.alerts.fired` here). */
  readonly onEvent?: (event: AlertEvent) => void;
  /** Handler failures (after their own retries); never thrown. */
  readonly onError?: (error: unknown, handler: string) => void;
  /** @default Node's timers */
  readonly timers?: AlertTimers;
}

const nodeTimers: AlertTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setImmediate: (fn) => setImmediate(fn),
};

/**
 * The alert engine's thin shell: forwards inputs, evaluates on an `unref()`ed
 * timer (and right after a state event or an anomaly flip, coalesced into one
 * `setImmediate`), routes events to the rule's handlers and reports handler
 * failures. Implements `CallObserver` and `VerdictObserver`.
 */
export class AlertService implements CallObserver, VerdictObserver {
  private readonly timers: AlertTimers;
  private readonly clock: () => number;
  private readonly routes = new Map<string, readonly string[] | undefined>();
  private timer: unknown;
  private soon = false;
  /** After `stop`: nothing is evaluated or dispatched any more (a service stopped on shutdown is not "resolved"). */
  private stopped = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    readonly engine: AlertEngine,
    private readonly options: AlertServiceOptions = {},
  ) {
    this.timers = options.timers ?? nodeTimers;
    this.clock = options.clock ?? Date.now;
    for (const r of options.rules ?? []) this.routes.set(r.name, r.handlers);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.stopped = false;
    const handle = this.timers.setInterval(
      () => this.evaluate(),
      Math.max(10, this.options.evaluateIntervalMs ?? 1000),
    );
    handle.unref?.();
    this.timer = handle;
  }

  /**
   * Stops evaluating (what changes during a shutdown, such as services being stopped,
   * raises and resolves nothing) and waits for deliveries in flight (webhook retries included).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearInterval(this.timer);
    this.timer = undefined;
    await this.settled();
  }

  /** Resolves when the deliveries in flight are done. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  onObservation(observation: CallObservation): void {
    this.engine.onObservation(observation);
  }

  onVerdict(verdict: Verdict): void {
    if (this.engine.onVerdict(verdict)) this.evaluateSoon();
  }

  onUpstreamState(event: UpstreamStateEvent): void {
    this.engine.onUpstreamState(event);
    this.evaluateSoon();
  }

  onBreakerState(event: BreakerStateEvent): void {
    this.engine.onBreakerState(event);
    this.evaluateSoon();
  }

  /** Evaluates the rules now and dispatches what fires or resolves. */
  evaluate(): AlertEvent[] {
    if (this.stopped) return [];
    const events = this.engine.evaluate(this.clock());
    for (const e of events) this.dispatch(e);
    return events;
  }

  status(): AlertStatus {
    return this.engine.status();
  }

  private evaluateSoon(): void {
    if (this.soon) return;
    this.soon = true;
    this.timers.setImmediate(() => {
      this.soon = false;
      this.evaluate();
    });
  }

  private dispatch(event: AlertEvent): void {
    const names = this.routes.get(event.rule);
    for (const h of this.options.handlers ?? []) {
      if (names !== undefined && !names.includes(h.name)) continue;
      try {
        const result = h.handle(event);
        if (result instanceof Promise) {
          const tracked: Promise<void> = result
            .catch((err: unknown) => this.report(err, h.name))
            .finally(() => this.pending.delete(tracked));
          this.pending.add(tracked);
        }
      } catch (err) {
        this.report(err, h.name);
      }
    }
    try {
      this.options.onEvent?.(event);
    } catch (err) {
      this.report(err, 'onEvent');
    }
  }

  private report(err: unknown, handler: string): void {
    try {
      this.options.onError?.(err, handler);
    } catch {
      // The reporter failed too; an alert path must never take the host down.
    }
  }
}
