import { type Clock, systemClock } from './Clock.js';
import type { Listeners } from './Listeners.js';
import { RollingWindow } from './RollingWindow.js';

/** Where a breaker is in its cycle. Metrics encode it as closed 0, half_open 1, open 2. */
export type BreakerState = 'closed' | 'half_open' | 'open';

/** What a breaker protects: a whole service, or one tool of it. */
export type BreakerScope = 'service' | 'tool';

/** When a breaker opens and how it recovers. */
export interface BreakerSettings {
  /** False: the breaker never opens. @default true */
  readonly enabled: boolean;
  /** Opens after this many failures in a row (0 disables this trigger). @default 5 */
  readonly consecutiveFailures: number;
  /** Opens when at least this share (0…1] of the calls in the window failed (0 disables). @default 0.5 */
  readonly failureRate: number;
  /** Length of the failure-rate window, ms. @default 30000 */
  readonly windowMs: number;
  /** The failure rate is only judged with at least this many calls in the window. @default 10 */
  readonly minimumCalls: number;
  /** How long the breaker stays open before it lets trial calls through, ms. @default 15000 */
  readonly cooldownMs: number;
  /** Trial calls let through at a time when half-open; this many must succeed to close. @default 1 */
  readonly halfOpenProbes: number;
}

/** Why a breaker changed state. */
export type BreakerTransitionReason =
  | 'consecutive_failures'
  | 'failure_rate'
  | 'cooldown_elapsed'
  | 'probe_failed'
  | 'probes_succeeded'
  | 'reset';

/** One state change, as listeners see it. */
export interface BreakerStateChange {
  readonly breaker: CircuitBreaker;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: BreakerTransitionReason;
  /** Clock time of the change, ms. */
  readonly at: number;
}

/**
 * What {@link CircuitBreaker.tryAcquire} granted. Hand it back with the outcome so a
 * late answer from before the breaker opened is never taken for a trial call's.
 */
export type BreakerPermit = typeof PERMIT_DENIED | typeof PERMIT_NORMAL | typeof PERMIT_PROBE;
/** The breaker refused the call. */
export const PERMIT_DENIED = 0;
/** A call admitted while closed. */
export const PERMIT_NORMAL = 1;
/** A trial call admitted while half-open. */
export const PERMIT_PROBE = 2;

// Trial calls usually decide within about a second.
const HALF_OPEN_RETRY_AFTER_MS = 1_000;

/** A breaker's state for status pages (allocates; not for the hot path). */
export interface BreakerSnapshot {
  readonly id: string;
  readonly scope: BreakerScope;
  readonly service: string;
  readonly tool: string | undefined;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly windowCalls: number;
  readonly windowFailures: number;
  /** Times the breaker opened since it was created. */
  readonly opened: number;
  /** Calls refused while open or half-open. */
  readonly rejected: number;
  /** ms until trial calls are let through (0 unless open). */
  readonly retryAfterMs: number;
}

/**
 * A circuit breaker as a pure state machine: `closed → open` on N consecutive
 * failures or on a failure rate over a time window (with a minimum number of
 * calls), `open → half_open` once the cool-down elapsed (evaluated lazily, when
 * the state is read or a call asks), `half_open → closed` after `halfOpenProbes`
 * trial calls succeeded, `half_open → open` on any trial failure. Calls beyond
 * the trial slots fail fast instead of queueing behind the trial.
 *
 * The caller decides what counts as a failure; the breaker only counts. No
 * timers: time comes from the injected clock.
 */
export class CircuitBreaker {
  readonly id: string;
  readonly scope: BreakerScope;
  readonly service: string;
  readonly tool: string | undefined;
  readonly settings: BreakerSettings;
  readonly #clock: Clock;
  readonly #listeners: Listeners<BreakerStateChange> | undefined;
  readonly #window: RollingWindow;
  #state: BreakerState = 'closed';
  #consecutive = 0;
  #openedAt = 0;
  #probesInFlight = 0;
  #probeSuccesses = 0;
  #opened = 0;
  #rejected = 0;

  constructor(
    identity: { id: string; scope: BreakerScope; service: string; tool?: string | undefined },
    settings: BreakerSettings,
    clock: Clock = systemClock,
    listeners?: Listeners<BreakerStateChange>,
  ) {
    this.id = identity.id;
    this.scope = identity.scope;
    this.service = identity.service;
    this.tool = identity.tool;
    this.settings = settings;
    this.#clock = clock;
    this.#listeners = listeners;
    this.#window = new RollingWindow(settings.windowMs);
  }

  /** Current state; an open breaker whose cool-down elapsed reads (and becomes) half-open. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.settings.cooldownMs) {
      this.#transition('half_open', 'cooldown_elapsed');
    }
    return this.#state;
  }

  /** Asks to let a call through. Pass the permit back to exactly one of success/failure/release. */
  tryAcquire(): BreakerPermit {
    switch (this.state) {
      case 'closed':
        return PERMIT_NORMAL;
      case 'half_open':
        if (this.#probesInFlight < this.settings.halfOpenProbes) {
          this.#probesInFlight++;
          return PERMIT_PROBE;
        }
        this.#rejected++;
        return PERMIT_DENIED;
      case 'open':
        this.#rejected++;
        return PERMIT_DENIED;
    }
  }

  /** The call succeeded. */
  success(permit: BreakerPermit): void {
    if (permit === PERMIT_PROBE) {
      if (this.#state !== 'half_open') return;
      this.#probesInFlight--;
      this.#probeSuccesses++;
      if (this.#probeSuccesses >= this.settings.halfOpenProbes)
        this.#transition('closed', 'probes_succeeded');
      return;
    }
    // A late success from before the breaker opened says nothing about now.
    if (permit !== PERMIT_NORMAL || this.#state !== 'closed' || !this.settings.enabled) return;
    this.#consecutive = 0;
    if (this.settings.failureRate > 0) this.#window.record(this.#clock.now(), false);
  }

  /** The call failed in a way that counts against the breaker. */
  failure(permit: BreakerPermit): void {
    if (permit === PERMIT_PROBE) {
      if (this.#state !== 'half_open') return;
      this.#probesInFlight--;
      this.#transition('open', 'probe_failed');
      return;
    }
    if (permit !== PERMIT_NORMAL || this.#state !== 'closed' || !this.settings.enabled) return;
    this.#consecutive++;
    const { consecutiveFailures, failureRate, minimumCalls } = this.settings;
    if (consecutiveFailures > 0 && this.#consecutive >= consecutiveFailures) {
      this.#transition('open', 'consecutive_failures');
      return;
    }
    if (failureRate <= 0) return;
    const now = this.#clock.now();
    this.#window.record(now, true);
    const calls = this.#window.calls(now);
    if (calls >= minimumCalls && this.#window.failures(now) >= failureRate * calls) {
      this.#transition('open', 'failure_rate');
    }
  }

  /** Gives a permit back without an outcome (cancelled call, caller's own mistake). */
  release(permit: BreakerPermit): void {
    if (permit === PERMIT_PROBE && this.#state === 'half_open') this.#probesInFlight--;
  }

  /**
   * A back-off hint for refused callers, ms: the rest of the cool-down while open;
   * while half-open (trial slots taken) a short wait for the trials to decide; 0 when closed.
   */
  retryAfterMs(): number {
    switch (this.state) {
      case 'closed':
        return 0;
      case 'half_open':
        return Math.min(this.settings.cooldownMs, HALF_OPEN_RETRY_AFTER_MS);
      case 'open':
        return Math.max(1, Math.ceil(this.#openedAt + this.settings.cooldownMs - this.#clock.now()));
    }
  }

  /** Forces the breaker closed and forgets its history (operator action). */
  reset(): void {
    if (this.#state !== 'closed') this.#transition('closed', 'reset');
    else this.#clear();
  }

  snapshot(): BreakerSnapshot {
    const now = this.#clock.now();
    return {
      id: this.id,
      scope: this.scope,
      service: this.service,
      tool: this.tool,
      state: this.state,
      consecutiveFailures: this.#consecutive,
      windowCalls: this.#window.calls(now),
      windowFailures: this.#window.failures(now),
      opened: this.#opened,
      rejected: this.#rejected,
      retryAfterMs: this.#state === 'open' ? this.retryAfterMs() : 0,
    };
  }

  #transition(to: BreakerState, reason: BreakerTransitionReason): void {
    const from = this.#state;
    const at = this.#clock.now();
    this.#state = to;
    this.#clear();
    if (to === 'open') {
      this.#openedAt = at;
      this.#opened++;
    }
    const listeners = this.#listeners;
    if (listeners !== undefined && listeners.size > 0)
      listeners.emit({ breaker: this, from, to, reason, at });
  }

  #clear(): void {
    this.#consecutive = 0;
    this.#probesInFlight = 0;
    this.#probeSuccesses = 0;
    this.#window.reset();
  }
}
