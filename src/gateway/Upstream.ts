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
import { ChildProcessTransport, ModernHttpTransport } from '../transport/index.js';
import { backoffDelay } from './backoff.js';
import type { Caller, CallerIdentity, CallOrigin } from './Caller.js';
import { answerInputRequests, MAX_INPUT_ROUNDS } from './inputRequests.js';
import { MODERN_VERSION } from './modernProtocol.js';
import {
  asLegacyResult,
  discoverAsInitialize,
  type Era,
  type EraMemory,
  learnedEra,
  probeEra,
  withEnvelope,
} from './upstreamEra.js';
import {
  type CacheHint,
  combineHints,
  emptyLists,
  type ListKind,
  type ListRequester,
  loadLists,
  type UpstreamLists,
} from './upstreamLists.js';

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
  /**
   * What the service speaks, shared by all its connections: learnt by the first one that asks
   * (`server/discover`, then `initialize`), so later ones do not probe again. @default a fresh memory
   */
  era?: EraMemory | undefined;
}

/** Options of one request to the upstream. */
export interface UpstreamRequestOptions extends OutgoingRequestOptions {
  /** The downstream request this one serves: what the server asks while it runs goes back there. */
  origin?: CallOrigin | undefined;
}

const STABLE_AFTER_MS = 60_000;
const LIST_KINDS: readonly ListKind[] = ['tools', 'prompts', 'resources'];

/** A candidate transport that only a 2026-07-28 server answers on was answered by an older one. */
class NotModern extends Error {}

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
  /** When each kind of list was last loaded (epoch ms). */
  readonly #loadedAt = new Map<ListKind, number>();
  /** What this connection speaks (set when it is up). */
  #era: Era = 'legacy';
  readonly #eraMemory: EraMemory;
  /** The cache hints a 2026-07-28 server gave its lists. */
  #hints: Partial<Record<ListKind, CacheHint>> = {};
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
    this.#eraMemory = options.era ?? learnedEra();
  }

  /** What the connection speaks: `modern` (2026-07-28, stateless) or `legacy` (2025-11-25 and earlier). */
  get era(): Era {
    return this.#era;
  }

  /** How long the server said its lists may be kept, and by whom (the shortest and most private). */
  get cacheHint(): CacheHint | undefined {
    let hint: CacheHint | undefined;
    for (const kind of LIST_KINDS) hint = combineHints(hint, this.#hints[kind]);
    return hint;
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
    const send = () =>
      this.#era === 'modern'
        ? this.#modernRequest(peer, method, params, options)
        : peer.request(method, params, options);
    if (origin === undefined) return send();
    this.#inFlight.add(origin);
    return send().then(
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

  /**
   * A request to a 2026-07-28 server: sent with the envelope of the caller it serves (that
   * caller's capabilities, client info and log level; toolscope's own when no caller made it),
   * and carried through the rounds of a multi round-trip request. What the server asks in an
   * `input_required` result is asked of that caller only — a legacy session with
   * server-to-client requests on its call's stream, a modern caller with its own
   * `input_required` — and the request is sent again with the answers and the server's
   * `requestState`. The retries carry the call's trace context, so the round trip is one trace.
   * Notifications on the request's stream go to its caller, and to nobody else.
   */
  async #modernRequest(
    peer: JsonRpcPeer,
    method: string,
    params: Record<string, unknown> | undefined,
    options: UpstreamRequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    const origin = options?.origin;
    const caller = origin?.caller ?? this.owner;
    const identity = (): CallerIdentity => caller?.identity() ?? this.#ownIdentity();
    const onRelated = (notification: JsonRpcNotification): void => {
      const kind = notification.method;
      if (!caller || kind.endsWith('/list_changed') || kind === 'notifications/resources/updated') {
        this.#onNotification(notification, undefined);
        return;
      }
      if (kind === 'notifications/message' && !caller.wantsLog(notification.params?.level)) return;
      caller.deliver(notification, origin?.requestId);
    };
    let sent = withEnvelope(params, identity());
    for (let round = 1; ; round++) {
      const sendOptions: OutgoingRequestOptions = { ...options, onRelated };
      const result = await peer.request(method, sent, sendOptions);
      if (options) options.responseBytes = sendOptions.responseBytes;
      if (result.resultType !== 'input_required') return asLegacyResult(result);
      if (!caller) {
        throw new ToolscopeError(
          'internal',
          JsonRpcCode.InternalError,
          `service "${this.name}" asked for input during ${method}, which no client made`,
        );
      }
      if (round >= MAX_INPUT_ROUNDS) {
        throw new ToolscopeError(
          'internal',
          JsonRpcCode.InternalError,
          `service "${this.name}" still asked for input after ${MAX_INPUT_ROUNDS} rounds of ${method}`,
        );
      }
      const inputResponses = await answerInputRequests(caller, origin?.requestId, result.inputRequests, {
        signal: options?.signal,
        context: options?.context,
      });
      const retry: Record<string, unknown> = { ...params, inputResponses };
      if (result.requestState !== undefined) retry.requestState = result.requestState;
      sent = withEnvelope(retry, identity());
    }
  }

  /** Who toolscope says it is on this connection when no caller's request is being served. */
  #ownIdentity(): CallerIdentity {
    const handshake = this.#handshake;
    if (handshake.mode === 'own')
      return { capabilities: handshake.capabilities, clientInfo: handshake.clientInfo, logLevel: undefined };
    const params = this.#passthroughParams;
    return {
      capabilities: (params?.capabilities as Record<string, unknown> | undefined) ?? {},
      clientInfo: params?.clientInfo as Record<string, unknown> | undefined,
      logLevel: undefined,
    };
  }

  /** How lists are asked for on `peer`: with toolscope's own envelope on a 2026-07-28 connection. */
  #listRequester(peer: JsonRpcPeer, era: Era): ListRequester {
    if (era === 'legacy') return (method, params) => peer.request(method, params);
    const onRelated = (notification: JsonRpcNotification) => this.#onNotification(notification, undefined);
    return (method, params) => peer.request(method, withEnvelope(params, this.#ownIdentity()), { onRelated });
  }

  /** Send a notification (dropped when the service is down). */
  notify(method: string, params?: Record<string, unknown>): void {
    if (this.serving) this.#peer?.notify(method, params);
  }

  /** Refresh lists whose cache has expired (stale-while-revalidate; never throws). */
  refreshIfStale(): void {
    if (!this.serving) return;
    // A 2026-07-28 server says how long each list may be kept; otherwise the configured TTL.
    const now = Date.now();
    const stale = LIST_KINDS.filter(
      (kind) =>
        now - (this.#loadedAt.get(kind) ?? 0) >
        (this.#hints[kind]?.ttlMs ?? this.#options.discovery.cacheTtlMs),
    );
    if (stale.length > 0) void this.refreshLists(stale);
  }

  #noteLoaded(kinds: readonly ListKind[], hints: Partial<Record<ListKind, CacheHint>>): void {
    const now = Date.now();
    for (const kind of kinds) {
      this.#loadedAt.set(kind, now);
      if (hints[kind]) this.#hints[kind] = hints[kind];
      else delete this.#hints[kind];
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
        const { lists, changed, hints } = await loadLists(
          this.#listRequester(peer, this.#era),
          this.capabilities,
          kinds,
          this.#lists,
        );
        if (this.#peer !== peer) return; // reconnected meanwhile: the new connection loaded its own
        this.#lists = lists;
        this.#noteLoaded(kinds, hints);
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
      const raw = prepared ?? create();
      // A transport only 2026-07-28 servers answer on is not tried again once the service spoke 2025.
      if (raw instanceof ModernHttpTransport && this.#eraMemory.known() === 'legacy') continue;
      try {
        return await this.#connectWith(raw);
      } catch (error) {
        if (error instanceof NotModern) continue;
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
      const greeted = await this.#greet(peer, raw, transport, timeout);
      const era = greeted?.era ?? 'legacy';
      const result = greeted?.result ?? (await this.#initialize(peer, transport, timeout));
      // Changes announced from here on are loaded again once this first load is in.
      this.#pendingKinds.clear();
      const { lists, changed, hints } = await loadLists(
        this.#listRequester(peer, era),
        (result.capabilities as Record<string, unknown>) ?? {},
        LIST_KINDS,
        this.#lists,
      );
      if (this.#stopped) {
        await peer.close().catch(() => {});
        throw new Error('stopped');
      }
      this.#peer = peer;
      this.#transport = raw;
      this.#era = era;
      this.#initializeResult = result;
      this.#lists = lists;
      this.#noteLoaded(LIST_KINDS, hints);
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

  /**
   * Ask `server/discover` where a 2026-07-28 server may be listening (a stdio process, or the
   * transport only such servers answer on), unless the service is known to speak 2025. A modern
   * answer stands in for `initialize` (`undefined`: greet the older way).
   */
  async #greet(
    peer: JsonRpcPeer,
    raw: Transport,
    transport: Transport,
    signal: AbortSignal,
  ): Promise<{ era: Era; result: Record<string, unknown> } | undefined> {
    const modernOnly = raw instanceof ModernHttpTransport;
    if (!modernOnly && !(raw instanceof ChildProcessTransport && this.#eraMemory.known() !== 'legacy'))
      return undefined;
    const verdict = await probeEra(peer, this.#ownIdentity(), {
      timeoutMs: this.#options.health.connectTimeoutMs,
      // A process that ignores what it does not know: an older server (an HTTP one always answers).
      silenceMeansLegacy: !modernOnly,
      signal,
    });
    this.#eraMemory.learn(verdict.era);
    if (verdict.era === 'legacy') {
      if (modernOnly) throw new NotModern(`service "${this.name}" does not speak ${MODERN_VERSION}`);
      return undefined;
    }
    (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion?.(MODERN_VERSION);
    const requested = this.#passthroughParams?.protocolVersion;
    return {
      era: 'modern',
      result: discoverAsInitialize(verdict.discover, typeof requested === 'string' ? requested : undefined),
    };
  }

  /** The 2025-11-25 handshake: `initialize`, then `notifications/initialized`. */
  async #initialize(
    peer: JsonRpcPeer,
    transport: Transport,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
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
    const result = await peer.request('initialize', params, { signal });
    const version = String(result.protocolVersion ?? '');
    if (handshake.mode === 'own' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new Error(`server answered with unsupported protocol version "${version}"`);
    }
    (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion?.(version);
    peer.notify('notifications/initialized');
    return result;
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
      // 2026-07-28 has no ping: asking server/discover again is as cheap, and stateless too.
      const [method, params] =
        this.#era === 'modern'
          ? ['server/discover', withEnvelope({}, this.#ownIdentity())]
          : ['ping', undefined];
      peer
        .request(method, params, { signal: AbortSignal.timeout(pingTimeoutMs) })
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
