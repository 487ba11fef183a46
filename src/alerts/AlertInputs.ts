/** Lifecycle states of an upstream service (as `toolscope.upstream.state` names them). */
export type UpstreamState = 'initializing' | 'ready' | 'degraded' | 'failed' | 'reconnecting' | 'stopped';

/** An upstream service changed state. The gateway emits one per transition. */
export interface UpstreamStateEvent {
  /** Configured service name (the `mcpServers` key). */
  readonly service: string;
  readonly state: UpstreamState;
  /** Epoch ms of the transition. */
  readonly time: number;
  /** Why, when known (e.g. "3 pings failed", "exit code 1"). */
  readonly reason?: string;
}

/** Breaker states (as `toolscope.breaker.state` names them). */
export type BreakerState = 'closed' | 'half_open' | 'open';

/** A circuit breaker changed state. */
export interface BreakerStateEvent {
  readonly service: string;
  /** Set for a per-tool breaker (`scope: 'tool'`). */
  readonly tool?: string;
  readonly scope: 'service' | 'tool';
  readonly state: BreakerState;
  /** Epoch ms of the transition. */
  readonly time: number;
}
