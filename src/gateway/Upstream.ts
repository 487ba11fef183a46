import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { diag } from '@opentelemetry/api';
import type { DiscoveryConfig, HealthConfig } from '../config/index.js';
import {
  type IncomingRequestContext,
  JsonRpcPeer,
  type MessageExtra,
  type OutgoingRequestOptions,
} from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';
import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';
import { ChildProcessTransport } from '../transport/index.js';
import { backoffDelay } from './backoff.js';
import type { Caller, CallOrigin } from './Caller.js';
import { emptyLists, type ListKind, loadLists, type UpstreamLists } from './upstreamLists.js';

/** Lifecycle of an upstream service. */
export type UpstreamState = 'initializing' | 'ready' | 'degraded' | 'failed' | 'reconnecting' | 'stopped';

/** How the `initialize` handshake is done. */
export type Handshake =
  /** toolscope initializes the upstream itself (gateway). */
  | { mode: 'own'; clientInfo: { name: string; version: string }; capabilities: Record<string, unknown> }
  /** The downstream client's own `initialize` is relayed (proxy: the server sees the real client). */
  | { mode: 'passthrough' };

/** What the upstream tells its owner. All callbacks are optional and must not throw. */
export interface UpstreamListener {
  onStateChange?(upstream: Upstream, state: UpstreamState, previous: UpstreamState): void;
  onListsChanged?(upstream: Upstream, kinds: readonly ListKind[]): void;
  onNotification?(upstream: Upstream, notification: JsonRpcNotification): void;
  /** A request the server sends to the client (sampling, elicitation, roots). */
  onRequest?(
    upstream: Upstream,
    request: JsonRpcRequest,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>>;
}

export interface UpstreamOptions {
  name: string;
  /** `local` (stdio, in-process) services get the longer smart wait. */
  locality: 'local' | 'remote';
  /** Whether tools run in this process (profiling can attribute them exactly). */
  executorKind: 'upstream' | 'in_process';
  /** Transport candidates, tried in order on each connect (Streamable HTTP, then SSE). */
  transports: ReadonlyArray<() => Transport>;
  handshake: Handshake;
  health: HealthConfig;
  discovery: DiscoveryConfig;
  listener: UpstreamListener;
  /** Decorates each new transport (telemetry taps it). */
  wrapTransport?: ((transport: Transport) => Transport) | undefined;
  random?: () => number;
  /** The one caller this connection serves (a client session's own upstream session). */
  owner?: Caller | undefined;
}

/** Options of one request to the upstream. */
export interface UpstreamRequestOptions extends OutgoingRequestOptions {
  /** The downstream request this one serves: what the server asks while it runs goes back there. */
  origin?: CallOrigin | undefined;
}

const STABLE_AFTER_MS = 60_000;

/**
 * One upstream MCP service: connects, initializes, discovers its tools, prompts
 * and resources, checks its health with `ping`, and restarts it with exponential
 * backoff and jitter when it crashes or stops answering. Calls in flight when it
 * goes down fail at once with a clear `upstream_unavailable` error.
 */
export class Upstream {
  readonly name: string;
  readonly locality: 'local' | 'remote';
  readonly executorKind: 'upstream' | 'in_process';
  readonly #options: UpstreamOptions;
  #state: UpstreamState = 'initializing';
  #peer: JsonRpcPeer | undefined;
  #transport: Transport | undefined;
  #lists: UpstreamLists = emptyLists();
  #listsLoadedAt = 0;
  #refreshing: Promise<void> | undefined;
  /** List kinds to (re)load: a change announced while a load runs is loaded again after it. */
  readonly #pendingKinds = new Set<ListKind>();
  /** Downstream requests being served now (routing of the server's own requests). */
  readonly #inFlight = new Set<CallOrigin>();
  /** A transport being connected (not yet serving), so a stop reaches a server still starting. */
  #starting: { transport: Transport; peer: JsonRpcPeer } | undefined;
  #stopping: Promise<void> | undefined;
  /** A transport started ahead of its handshake (`prepare`). */
  #prepared: Transport | undefined;
  #handshake: Handshake;
  /** The one caller this connection serves, if it serves one (a session's own, or the only client). */
  owner: Caller | undefined;
  /** Epoch ms of the last request sent (least recently used session connections go first). */
  lastUsed = Date.now();
  #initializeResult: Record<string, unknown> | undefined;
  #passthroughParams: Record<string, unknown> | undefined;
  #attempt = 0;
  #readySince = 0;
  #restarts = 0;
  #startedAt = Date.now();
  #lastError: string | undefined;
  #pingFailures = 0;
  #healthTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #settledWaiters: Array<() => void> = [];
  #connecting: Promise<Record<string, unknown>> | undefined;

  constructor(options: UpstreamOptions) {
    this.name = options.name;
    this.locality = options.locality;
    this.executorKind = options.executorKind;
    this.#options = options;
    this.#handshake = options.handshake;
    this.owner = options.owner;
  }

  /** Replace how the next connection initializes (e.g. with the capabilities of the client it serves). */
  setHandshake(handshake: Handshake): void {
    this.#handshake = handshake;
  }

  /** Downstream requests this connection is serving now. */
  get inFlight(): ReadonlySet<CallOrigin> {
    return this.#inFlight;
  }

  get state(): UpstreamState {
    return this.#state;
  }
  /** The upstream's tools, prompts, resources and templates, as it listed them. */
  get lists(): UpstreamLists {
    return this.#lists;
  }
  /** The upstream's `initialize` result (server info, capabilities, instructions). */
  get initializeResult(): Record<string, unknown> | undefined {
    return this.#initializeResult;
  }
  get capabilities(): Record<string, unknown> {
    return (this.#initializeResult?.capabilities as Record<string, unknown> | undefined) ?? {};
  }
  get restarts(): number {
    return this.#restarts;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  get lastError(): string | undefined {
    return this.#lastError;
  }
  get #stopped(): boolean {
    return this.#state === 'stopped';
  }
  /** Serving: ready, or degraded (health checks failing but the connection is up). */
  get serving(): boolean {
    return this.#state === 'ready' || this.#state === 'degraded';
  }
  /** pid of the upstream process (stdio services), for OS-level sampling. */
  get pid(): number | undefined {
    return this.#transport instanceof ChildProcessTransport ? this.#transport.pid : undefined;
  }
  /** Last lines the server wrote to stderr (stdio services). */
  stderrTail(lines = 20): string[] {
    return this.#transport instanceof ChildProcessTransport ? this.#transport.stderrTail.lines(lines) : [];
  }
  /** Session id the upstream assigned (Streamable HTTP). */
  get sessionId(): string | undefined {
    return this.#peer?.sessionId;
  }

  /**
   * Connect and initialize. In passthrough mode `initializeParams` are the
   * downstream client's and the result is the server's, unchanged. On failure
   * the service keeps retrying in the background; the promise reports the first try.
   */
  start(initializeParams?: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (initializeParams) this.#passthroughParams = initializeParams;
    if (this.serving && this.#initializeResult) return Promise.resolve(this.#initializeResult);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * Start the first transport now and initialize it later, when `start` is called: a stdio
   * server's slow part is its process boot, which can overlap with waiting for the client
   * whose capabilities the handshake needs. Other transports are not touched.
   */
  prepare(): void {
    if (this.#prepared || this.#peer || this.#connecting || this.#stopped) return;
    const raw = this.#options.transports[0]?.();
    if (!(raw instanceof ChildProcessTransport)) return;
    raw.start().catch(() => {}); // a failed spawn is reported by the connect that uses it
    this.#prepared = raw;
  }

  /** Resolves when the service is no longer (re)initializing, or after `timeoutMs`. */
  whenSettled(timeoutMs: number): Promise<void> {
    if (this.#state !== 'initializing' && this.#state !== 'reconnecting') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      const waiter = (): void => done();
      this.#settledWaiters.push(waiter);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  /** Send a request to the upstream. Fails fast with `upstream_unavailable` when it is not serving. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: UpstreamRequestOptions,
  ): Promise<Record<string, unknown>> {
    const peer = this.#peer;
    if (!peer || !this.serving) return Promise.reject(this.#unavailable());
    this.lastUsed = Date.now();
    const origin = options?.origin;
    if (origin === undefined) return peer.request(method, params, options);
    this.#inFlight.add(origin);
    return peer.request(method, params, options).then(
      (result) => {
        this.#inFlight.delete(origin);
        return result;
      },
      (error: unknown) => {
        this.#inFlight.delete(origin);
        throw error;
      },
    );
  }

  /** Send a notification (dropped when the service is down). */
  notify(method: string, params?: Record<string, unknown>): void {
    if (this.serving) this.#peer?.notify(method, params);
  }

  /** Refresh lists whose cache has expired (stale-while-revalidate; never throws). */
  refreshIfStale(): void {
    if (this.serving && Date.now() - this.#listsLoadedAt > this.#options.discovery.cacheTtlMs) {
      void this.refreshLists(['tools', 'prompts', 'resources']);
    }
  }

  /**
   * Reload the given lists and tell the listener what changed. Kinds asked for while a
   * load runs are loaded again after it (the running one may have read the old list), so
   * no change is lost; the promise settles when nothing is pending.
   */
  refreshLists(kinds: readonly ListKind[]): Promise<void> {
    for (const kind of kinds) this.#pendingKinds.add(kind);
    // Not connected yet: the connection loads every list once it is up, then what is pending.
    if (!this.#peer || !this.serving) return this.#refreshing ?? Promise.resolve();
    this.#refreshing ??= this.#drainRefreshes().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #drainRefreshes(): Promise<void> {
    while (this.#pendingKinds.size > 0) {
      const peer = this.#peer;
      if (!peer || !this.serving) return;
      const kinds = [...this.#pendingKinds];
      this.#pendingKinds.clear();
      try {
        const { lists, changed } = await loadLists(peer, this.capabilities, kinds, this.#lists);
        if (this.#peer !== peer) return; // reconnected meanwhile: the new connection loaded its own
        this.#lists = lists;
        this.#listsLoadedAt = Date.now();
        if (changed.length > 0) this.#options.listener.onListsChanged?.(this, changed);
      } catch (error) {
        diag.warn(`toolscope: ${this.name}: list refresh failed: ${String(error)}`);
      }
    }
  }

  /**
   * Disconnect for good, also while still starting (children: stdin close → SIGTERM → SIGKILL).
   * Every call resolves when the connection has really gone.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#setState('stopped');
    clearInterval(this.#healthTimer);
    clearTimeout(this.#reconnectTimer);
    const peer = this.#peer;
    this.#peer = undefined;
    const starting = this.#starting;
    const prepared = this.#prepared;
    this.#prepared = undefined;
    await Promise.all([
      peer?.close().catch(() => {}),
      starting?.peer.close().catch(() => {}),
      prepared?.close().catch(() => {}),
    ]);
  }

  /** Kill child processes synchronously, also one still starting (process exit path). */
  killNow(): void {
    for (const transport of [this.#transport, this.#starting?.transport, this.#prepared]) {
      const raw = unwrapped(transport);
      if (raw instanceof ChildProcessTransport) raw.killNow();
    }
  }

  async #connect(): Promise<Record<string, unknown>> {
    const candidates = this.#options.transports;
    let lastError: unknown;
    for (const create of candidates) {
      if (this.#state === 'stopped') break;
      const prepared = create === candidates[0] ? this.#prepared : undefined;
      this.#prepared = undefined;
      try {
        return await this.#connectWith(prepared ?? create());
      } catch (error) {
        lastError = error;
        diag.debug(`toolscope: ${this.name}: connect attempt failed: ${String(error)}`);
      }
    }
    this.#lastError = errorText(lastError);
    if (this.#state !== 'stopped') {
      this.#setState('failed');
      this.#scheduleReconnect();
    }
    throw new ToolscopeError(
      'upstream_unavailable',
      JsonRpcCode.ServerError,
      `service "${this.name}" failed to start: ${this.#lastError}`,
      {
        service: this.name,
      },
    );
  }

  async #connectWith(raw: Transport): Promise<Record<string, unknown>> {
    const transport = this.#options.wrapTransport ? this.#options.wrapTransport(raw) : raw;
    const peer = new JsonRpcPeer(
      transport,
      {
        onRequest: (request, context) => this.#onServerRequest(request, context),
        onNotification: (notification, extra) => this.#onNotification(notification, extra),
      },
      { closeError: () => this.#lostError(raw) },
    );
    const timeout = AbortSignal.timeout(this.#options.health.connectTimeoutMs);
    const starting = { transport: raw, peer };
    this.#starting = starting;
    try {
      if (this.#stopped) throw new Error('stopped');
      await peer.start();
      const handshake = this.#handshake;
      const params =
        handshake.mode === 'own'
          ? {
              protocolVersion: LATEST_PROTOCOL_VERSION,
              capabilities: handshake.capabilities,
              clientInfo: handshake.clientInfo,
            }
          : (this.#passthroughParams ?? {
              protocolVersion: LATEST_PROTOCOL_VERSION,
              capabilities: {},
              clientInfo: { name: 'toolscope', version: '0' },
            });
      const result = await peer.request('initialize', params, { signal: timeout });
      const version = String(result.protocolVersion ?? '');
      if (handshake.mode === 'own' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
        throw new Error(`server answered with unsupported protocol version "${version}"`);
      }
      (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion?.(version);
      peer.notify('notifications/initialized');
      // Changes announced from here on are loaded again once this first load is in.
      this.#pendingKinds.clear();
      const { lists, changed } = await loadLists(
        peer,
        (result.capabilities as Record<string, unknown>) ?? {},
        ['tools', 'prompts', 'resources'],
        this.#lists,
      );
      if (this.#stopped) {
        await peer.close().catch(() => {});
        throw new Error('stopped');
      }
      this.#peer = peer;
      this.#transport = raw;
      this.#initializeResult = result;
      this.#lists = lists;
      this.#listsLoadedAt = Date.now();
      this.#lastError = undefined;
      this.#readySince = Date.now();
      this.#pingFailures = 0;
      peer.onclose = () => this.#onConnectionLost(peer);
      this.#setState('ready');
      this.#startHealthChecks();
      if (changed.length > 0) this.#options.listener.onListsChanged?.(this, changed);
      if (this.#pendingKinds.size > 0) void this.refreshLists([]);
      return result;
    } catch (error) {
      await peer.close().catch(() => {});
      throw error;
    } finally {
      if (this.#starting === starting) this.#starting = undefined;
    }
  }

  #onConnectionLost(peer: JsonRpcPeer): void {
    if (this.#peer !== peer) return;
    this.#peer = undefined;
    clearInterval(this.#healthTimer);
    if (this.#state === 'stopped') return;
    this.#lastError = this.#lostError(this.#transport).message;
    diag.warn(`toolscope: ${this.#lastError}`);
    this.#setState('reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#reconnectTimer);
    if (Date.now() - this.#readySince > STABLE_AFTER_MS && this.#readySince > 0) this.#attempt = 0;
    const { restartInitialDelayMs, restartMaxDelayMs } = this.#options.health;
    const delay = backoffDelay(
      this.#attempt++,
      restartInitialDelayMs,
      restartMaxDelayMs,
      this.#options.random ?? Math.random,
    );
    this.#reconnectTimer = setTimeout(() => {
      if (this.#state === 'stopped') return;
      this.#restarts++;
      this.#setState('reconnecting');
      this.start().catch(() => {});
    }, delay);
    this.#reconnectTimer.unref();
  }

  #startHealthChecks(): void {
    clearInterval(this.#healthTimer);
    const { pingIntervalMs, pingTimeoutMs, failuresBeforeRestart } = this.#options.health;
    if (pingIntervalMs === 0) return;
    this.#healthTimer = setInterval(() => {
      const peer = this.#peer;
      if (!peer) return;
      peer
        .request('ping', undefined, { signal: AbortSignal.timeout(pingTimeoutMs) })
        .then(() => {
          this.#pingFailures = 0;
          if (this.#state === 'degraded') this.#setState('ready');
        })
        .catch((error: unknown) => {
          if (this.#peer !== peer) return;
          this.#pingFailures++;
          this.#lastError = `health check failed: ${errorText(error)}`;
          if (this.#pingFailures >= failuresBeforeRestart) {
            diag.warn(`toolscope: ${this.name}: ${this.#pingFailures} failed health checks, restarting`);
            void peer.close();
          } else if (this.#state === 'ready') {
            this.#setState('degraded');
          }
        });
    }, pingIntervalMs);
    this.#healthTimer.unref();
  }

  #onNotification(notification: JsonRpcNotification, _extra: MessageExtra | undefined): void {
    const method = notification.method;
    if (method === 'notifications/tools/list_changed') void this.refreshLists(['tools']);
    else if (method === 'notifications/prompts/list_changed') void this.refreshLists(['prompts']);
    else if (method === 'notifications/resources/list_changed') void this.refreshLists(['resources']);
    else this.#options.listener.onNotification?.(this, notification);
  }

  #onServerRequest(
    request: JsonRpcRequest,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    if (request.method === 'ping') return Promise.resolve({});
    const handler = this.#options.listener.onRequest;
    if (!handler) {
      return Promise.reject(
        new ToolscopeError('internal', JsonRpcCode.MethodNotFound, `Method not found: ${request.method}`),
      );
    }
    return handler(this, request, context);
  }

  #setState(state: UpstreamState): void {
    const previous = this.#state;
    if (previous === state) return;
    if (previous === 'stopped') return;
    this.#state = state;
    if (state !== 'initializing' && state !== 'reconnecting') {
      const waiters = this.#settledWaiters;
      this.#settledWaiters = [];
      for (const waiter of waiters) waiter();
    }
    try {
      this.#options.listener.onStateChange?.(this, state, previous);
    } catch (error) {
      diag.error('toolscope: upstream state listener failed', error);
    }
  }

  #unavailable(): ToolscopeError {
    const detail = this.#lastError ? `: ${this.#lastError}` : '';
    return new ToolscopeError(
      'upstream_unavailable',
      JsonRpcCode.ServerError,
      `service "${this.name}" is ${this.#state}${detail}`,
      { service: this.name, state: this.#state },
    );
  }

  #lostError(transport: Transport | undefined): ToolscopeError {
    let reason = 'connection closed';
    if (transport instanceof ChildProcessTransport && transport.exit) {
      const { code, signal, cause } = transport.exit;
      if (cause) reason = `${cause}, so toolscope stopped it`;
      else reason = signal ? `process killed by ${signal}` : `process exited with code ${code}`;
      const last = transport.stderrTail.lines(1)[0];
      if (last) reason += ` (stderr: ${last.slice(0, 200)})`;
    }
    return new ToolscopeError(
      'upstream_unavailable',
      JsonRpcCode.ServerError,
      `service "${this.name}" went away: ${reason}`,
      {
        service: this.name,
      },
    );
  }
}

/** The transport a decorator (telemetry) wraps, if any. */
function unwrapped(transport: Transport | undefined): Transport | undefined {
  return (transport as { inner?: Transport } | undefined)?.inner ?? transport;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
