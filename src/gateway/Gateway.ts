import { resolve as resolvePath } from 'node:path';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { diag, type Meter, type Tracer } from '@opentelemetry/api';
import type { Isolation, ServerConfig, ToolscopeConfig } from '../config/index.js';
import type { IncomingRequestContext } from '../jsonrpc/JsonRpcPeer.js';
import { JsonRpcPeer } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';
import {
  type CallStage,
  ExecuteStage,
  JsonRpcCode,
  ObserveStage,
  Pipeline,
  type ResolvedTool,
  type ToolExecutor,
  ToolscopeError,
  ValidateStage,
} from '../pipeline/index.js';
import { TaskRouter } from '../tasks/index.js';
import { ChildProcessTransport, ModernHttpTransport, WsClientTransport } from '../transport/index.js';
import { type Caller, ownerOf, requiredCapability } from './Caller.js';
import { DownstreamSession, type SessionHost } from './DownstreamSession.js';
import type { ExchangeTransport } from './ExchangeTransport.js';
import { LegBudget } from './LegBudget.js';
import { mostVerbose } from './logLevels.js';
import { ModernExchange, type ModernHost } from './ModernExchange.js';
import { type Envelope, MODERN_VERSION } from './modernProtocol.js';
import type { NamingMode } from './NamedCatalog.js';
import { ParkedCalls } from './ParkedCalls.js';
import { quietSignalFetch } from './quietSignalFetch.js';
import { Scope } from './Scope.js';
import { SessionSources, type SourceProvider } from './SessionSources.js';
import { type Handshake, Upstream, type UpstreamListener, type UpstreamState } from './Upstream.js';
import { UpstreamToolExecutor } from './UpstreamToolExecutor.js';
import { type EraMemory, fixedEra, learnedEra } from './upstreamEra.js';
import { combineHints, type ListKind } from './upstreamLists.js';

/** A service that runs in this process: each connection gets a fresh server attached to a transport. */
export interface InProcessService {
  connect(transport: Transport): Promise<void>;
  /**
   * Runs the service's tool calls directly instead of over its in-process MCP
   * connection (which still lists the tools and answers health checks). HTTP API
   * tools use it: the pipeline wraps their executor like any other.
   */
  readonly executor?: ToolExecutor;
}

/** Where extra pipeline stages go. */
export interface PipelineStages {
  /** After validation: admission (pools) and guard (timeouts, retries, breakers). */
  afterValidate?: readonly CallStage[];
  /** Right before execution: profiling. */
  beforeExecute?: readonly CallStage[];
}

/** Things other capabilities want to hear about. */
export interface GatewayListener {
  onUpstreamState?(service: string, state: UpstreamState, previous: UpstreamState): void;
  onListsChanged?(service: string, kinds: readonly ListKind[]): void;
}

/** Whether a tool or prompt name is one the downstream connection's caller can use. */
export type KnownName = (kind: 'tool' | 'prompt', name: string) => boolean;

export interface GatewayOptions {
  config: ToolscopeConfig;
  /** `proxy`: one stdio server, nothing renamed, the client's handshake relayed. @default "gateway" */
  mode?: 'gateway' | 'proxy';
  /**
   * `single`: exactly one client (the stdio front): the services are started with its own
   * capabilities once it initializes, and every upstream session is its own. `multi`: many
   * clients (the HTTP front): isolated services give each client session an upstream session
   * of its own. The proxy is always `single`. @default "multi"
   */
  clients?: 'single' | 'multi';
  /** Services that run in this process (demo, tests), in addition to the configured ones. */
  inProcess?: Record<string, InProcessService>;
  stages?: PipelineStages;
  /** The observe stage to use (so observers can subscribe before start). */
  observe?: ObserveStage;
  /** Decorate upstream transports (telemetry). */
  wrapUpstreamTransport?: (transport: Transport, service: string) => Transport;
  /** Decorate downstream transports (telemetry); `known` tells real tool and prompt names from others. */
  wrapDownstreamTransport?: (transport: Transport, scope: Scope, known: KnownName) => Transport;
  listeners?: readonly GatewayListener[];
  /** toolscope's version, reported as serverInfo/clientInfo. */
  version: string;
  /** Where the gateway's own spans and metrics go (task lifecycles). @default the global tracer, no metrics */
  telemetry?: { tracer?: Tracer; meter?: Meter } | undefined;
}

/** How to open connections to one service (its shared one, and sessions' own). */
interface ServiceSpec {
  readonly transports: ReadonlyArray<() => Transport>;
  readonly locality: 'local' | 'remote';
  readonly kind: 'upstream' | 'in_process';
  readonly isolation: Isolation;
  /** Each connection is a process: bounded by `sessions.maxProcessesPerService`. */
  readonly processes: boolean;
  /** What the service speaks, once a connection has found out (all its connections share it). */
  readonly era: EraMemory;
}

/** What the gateway serves, on both revisions (2025-11-25 adds tasks; 2026-07-28 has them as an extension). */
const SERVED_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  completions: {},
  logging: {},
};

/** What toolscope declares on connections it shares between callers: everything it can relay. */
const SHARED_CAPABILITIES = {
  roots: { listChanged: true },
  sampling: {},
  elicitation: { form: {}, url: {} },
};

/**
 * Many MCP servers behind one instrumented endpoint (or, in proxy mode, one
 * server behind a transparent hop). Owns the upstream services, the scopes
 * (store, agents), the call pipeline and the downstream sessions, and routes
 * what a server sends on its own back to the caller it belongs to.
 */
export class Gateway implements SessionHost, SourceProvider, ModernHost {
  readonly mode: 'gateway' | 'proxy';
  readonly clients: 'single' | 'multi';
  /** Each service's shared connection (discovery, health, status, and the callers that share it). */
  readonly upstreams = new Map<string, Upstream>();
  readonly scopes = new Map<string, Scope>();
  readonly pipeline: Pipeline;
  readonly observe: ObserveStage;
  readonly config: ToolscopeConfig;
  readonly startedAt = Date.now();
  /** Task-augmented calls and `tasks/*` routing (gateway mode; the proxy relays tasks untouched). */
  readonly tasks: TaskRouter | undefined;
  readonly #options: GatewayOptions;
  readonly #specs = new Map<string, ServiceSpec>();
  readonly #executors = new Map<string, ToolExecutor>();
  readonly #budgets = new Map<string, LegBudget>();
  /** Every connection of a client session's own, until it has stopped (none may outlive the gateway). */
  readonly #legs = new Set<Upstream>();
  readonly #sessions = new Set<DownstreamSession>();
  /** Subscriptions on shared connections: the upstream is subscribed while any subscriber is. */
  readonly #subscribers = new Map<Upstream, Map<string, Set<Caller>>>();
  /** Calls of stateless clients waiting for their input between rounds. */
  readonly parked = new ParkedCalls({ idleMs: 10 * 60_000, max: 1000 });
  readonly #parkedSweeper: NodeJS.Timeout;
  readonly #listener: UpstreamListener;
  #stopping = false;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.config = options.config;
    this.mode = options.mode ?? 'gateway';
    this.clients = this.mode === 'proxy' ? 'single' : (options.clients ?? 'multi');
    const servers = options.config.servers;
    if (
      this.mode === 'proxy' &&
      Object.keys(servers).length + Object.keys(options.inProcess ?? {}).length !== 1
    ) {
      throw new Error('proxy mode wraps exactly one server');
    }
    this.#listener = {
      onStateChange: (u, state, previous) => {
        if (this.upstreams.get(u.name) !== u) return;
        for (const listener of this.#options.listeners ?? [])
          listener.onUpstreamState?.(u.name, state, previous);
      },
      onListsChanged: (u, kinds) => this.#onListsChanged(u, kinds),
      onNotification: (u, notification) => this.#onUpstreamNotification(u, notification),
      onRequest: (u, request, context) => this.#onUpstreamRequest(u, request, context),
    };
    for (const [name, server] of Object.entries(servers)) {
      this.#addService(name, {
        transports: this.#transportsFor(server),
        locality: server.kind === 'stdio' ? 'local' : 'remote',
        kind: 'upstream',
        isolation: server.isolation,
        processes: server.kind === 'stdio',
        // A server reached over WebSocket or SSE is a 2025 one: those transports are gone in 2026-07-28.
        era: server.kind === 'remote' && server.transport !== 'http' ? fixedEra('legacy') : learnedEra(),
      });
    }
    for (const [name, service] of Object.entries(options.inProcess ?? {})) {
      if (this.upstreams.has(name)) throw new Error(`service "${name}" is defined twice`);
      // toolscope's own services keep no per-client state worth a connection each.
      this.#addService(name, {
        transports: [() => inProcessTransport(service)],
        locality: 'local',
        kind: 'in_process',
        isolation: 'shared',
        processes: false,
        era: fixedEra('legacy'),
      });
      if (service.executor) this.#executors.set(name, service.executor);
    }
    this.tasks =
      this.mode === 'gateway'
        ? new TaskRouter({
            upstreams: this.upstreams,
            upstreamFor: (service, ownerId) => this.#sessionById(ownerId)?.sources?.get(service),
            tracer: options.telemetry?.tracer,
            meter: options.telemetry?.meter,
          })
        : undefined;
    this.#buildScopes();
    this.observe = options.observe ?? new ObserveStage();
    const stages: CallStage[] = [
      this.observe,
      new ValidateStage(),
      ...(options.stages?.afterValidate ?? []),
      ...(options.stages?.beforeExecute ?? []),
      new ExecuteStage(),
    ];
    this.pipeline = new Pipeline({ resolve: (name, agent) => this.resolveTool(name, agent) }, stages);
    this.#parkedSweeper = setInterval(() => this.parked.sweep(), 30_000);
    this.#parkedSweeper.unref();
  }

  /** Sessions connected now. */
  get sessions(): ReadonlySet<DownstreamSession> {
    return this.#sessions;
  }

  /** Resolve a tool name as seen by an agent scope (or the store). */
  resolveTool(name: string, agent: string | undefined): ResolvedTool {
    const scope = this.scopes.get(agent ?? this.#defaultScopeId()) as Scope;
    return scope.tools.resolve(name).resolved;
  }

  /** The tool with this `service/tool` key, if the gateway serves it (fallback lookups; not the hot path). */
  resolveKey(key: string): ResolvedTool | undefined {
    const scope = this.scopes.get(this.#defaultScopeId()) as Scope;
    for (const entry of scope.tools.entries()) if (entry.resolved.ref.key === key) return entry.resolved;
    return undefined;
  }

  /**
   * Connect every upstream concurrently. Resolves when all have settled once. With a single
   * client (stdio front, proxy) the services start when it initializes, with its capabilities.
   */
  /** Spawn the stdio servers now, ahead of their handshake (their boot is the slow part). */
  prepare(): void {
    for (const upstream of this.upstreams.values()) upstream.prepare();
  }

  async start(): Promise<void> {
    if (this.clients === 'single') {
      // The processes boot now; they are initialized once the client has said what it supports.
      this.prepare();
      return;
    }
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.start().catch(() => {})));
  }

  /** Attach a downstream connection to a scope (default: the store, or the proxy's scope). */
  async connect(transport: Transport, scopeId: string = this.#defaultScopeId()): Promise<DownstreamSession> {
    const scope = this.scopes.get(scopeId);
    if (!scope) throw new Error(`unknown scope "${scopeId}"`);
    let session: DownstreamSession | undefined;
    const known: KnownName = (kind, name) => session?.knows(kind, name) ?? false;
    const wrapped = this.#options.wrapDownstreamTransport?.(transport, scope, known) ?? transport;
    session = new DownstreamSession(this, scope, wrapped);
    scope.members.add(session);
    this.#sessions.add(session);
    await session.start();
    return session;
  }

  /** Close every session and stop every upstream, also those still starting (stdin close → SIGTERM → SIGKILL). */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.tasks?.stop();
    clearInterval(this.#parkedSweeper);
    this.parked.clear();
    await Promise.all([...this.#sessions].map((session) => session.close().catch(() => {})));
    await Promise.all([...this.upstreams.values(), ...this.#legs].map((upstream) => upstream.stop()));
  }

  /**
   * The processes serving a stdio service: its shared one and those of client sessions of
   * their own (a single pid when there is one, as the process sampler prefers).
   */
  pidsOf(service: string): number | number[] | undefined {
    const primary = this.upstreams.get(service)?.pid;
    const legs = this.#budgets.get(service);
    if (!legs || legs.size === 0) return primary;
    const pids = primary === undefined ? [] : [primary];
    for (const leg of legs.legs()) if (leg.pid !== undefined) pids.push(leg.pid);
    return pids;
  }

  /** Kill child processes at once (for `process.on('exit')`). */
  killNow(): void {
    for (const upstream of [...this.upstreams.values(), ...this.#legs]) upstream.killNow();
  }

  /**
   * Serve one request of a stateless (2026-07-28) client: no session, the envelope in its
   * `_meta` stands in for one. `principal` says who is asking (a call waiting for input
   * resumes only for the same principal).
   */
  async serveModern(
    transport: ExchangeTransport,
    scopeId: string,
    envelope: Envelope,
    principal: string,
  ): Promise<void> {
    const scope = this.scopes.get(scopeId);
    if (!scope) throw new Error(`unknown scope "${scopeId}"`);
    const exchange = new ModernExchange(this, scope, envelope, `${scopeId}:${principal}`);
    const known: KnownName = (kind, name) =>
      (kind === 'tool' ? scope.tools : scope.prompts).lookup(name) !== undefined;
    const wrapped = this.#options.wrapDownstreamTransport?.(transport, scope, known) ?? transport;
    (wrapped as { setProtocolVersion?: (version: string) => void }).setProtocolVersion?.(MODERN_VERSION);
    const peer = new JsonRpcPeer(wrapped, {
      onRequest: (request, context) => exchange.handle(request, context),
      onNotification: () => {},
    });
    exchange.attach(peer);
    await peer.start();
  }

  // ── ModernHost ──

  get tracer(): Tracer | undefined {
    return this.#options.telemetry?.tracer;
  }

  discover(): Record<string, unknown> {
    return {
      supportedVersions: [MODERN_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v >= '2025-03-26')],
      capabilities: SERVED_CAPABILITIES,
      instructions: this.#instructions(),
    };
  }

  serverInfo(): Record<string, unknown> {
    return { name: 'toolscope', title: 'toolscope gateway', version: this.#options.version };
  }

  cacheHint(): { ttlMs: number; cacheScope: 'public' | 'private' } {
    // Lists change when a service announces it (clients hear it on subscriptions/listen); behind a
    // token, what one caller sees is not for shared caches. A 2026-07-28 service's own hint is
    // honoured too: the lists hold its items no longer, and no more publicly, than it allows.
    let hint: { ttlMs: number; cacheScope: 'public' | 'private' } = {
      ttlMs: this.config.toolscope.discovery.cacheTtlMs,
      cacheScope: this.config.toolscope.listen.token ? 'private' : 'public',
    };
    for (const upstream of this.upstreams.values())
      hint = combineHints(hint, upstream.cacheHint) as typeof hint;
    return hint;
  }

  // ── SessionHost ──

  async initialize(
    params: Record<string, unknown>,
    session: DownstreamSession,
  ): Promise<Record<string, unknown>> {
    if (this.mode === 'proxy') {
      const upstream = this.upstreams.values().next().value as Upstream;
      upstream.owner = session;
      return upstream.start(params);
    }
    if (this.clients === 'single') {
      // The one client: every service is its own, started with its capabilities (not toolscope's).
      for (const upstream of this.upstreams.values()) {
        upstream.owner = session;
        if (this.#specs.get(upstream.name)?.kind === 'upstream') upstream.setHandshake(mirrored(params));
        upstream.start().catch(() => {});
      }
    }
    const requested = String(params.protocolVersion ?? '');
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
      ? requested
      : LATEST_PROTOCOL_VERSION;
    return {
      protocolVersion,
      capabilities: {
        ...SERVED_CAPABILITIES,
        // Tasks are forwarded to the services that offer them; tools of the others list no taskSupport.
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      serverInfo: { name: 'toolscope', title: 'toolscope gateway', version: this.#options.version },
      instructions: this.#instructions(),
    };
  }

  openView(session: DownstreamSession): { sources: SessionSources; scope: Scope } {
    const template = session.template;
    const sources = new SessionSources(this, template.services, session);
    // A session's own connection may be replaced (restarted, or taken back and reopened): its tools
    // run on whatever connection the session has at call time.
    const executors = new Map<string, ToolExecutor>();
    const scope = this.#newScope(
      template.id,
      template.agent,
      template.services,
      template.naming,
      (service) => {
        if (!this.isolated(service)) return this.#executors.get(service) as ToolExecutor;
        let executor = executors.get(service);
        if (!executor) {
          executor = new UpstreamToolExecutor(() => sources.get(service), this.#specs.get(service)?.kind);
          executors.set(service, executor);
        }
        return executor;
      },
    );
    scope.rebuild(sources.all(), ['tools', 'prompts', 'resources']);
    return { sources, scope };
  }

  async settle(sources: readonly Upstream[]): Promise<void> {
    const { smartWaitLocalMs, smartWaitRemoteMs } = this.config.toolscope.discovery;
    const waits: Promise<void>[] = [];
    for (const upstream of sources) {
      if (upstream.state === 'initializing' || upstream.state === 'reconnecting') {
        waits.push(
          upstream.whenSettled(upstream.locality === 'local' ? smartWaitLocalMs : smartWaitRemoteMs),
        );
      }
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  async sharedSubscription(
    session: Caller,
    upstream: Upstream,
    uri: string,
    subscribe: boolean,
    context: IncomingRequestContext | undefined,
  ): Promise<Record<string, unknown>> {
    let byUri = this.#subscribers.get(upstream);
    if (!byUri) {
      byUri = new Map();
      this.#subscribers.set(upstream, byUri);
    }
    const sessions = byUri.get(uri) ?? new Set<Caller>();
    const options = { signal: context?.signal, context: context?.traceContext };
    if (subscribe) {
      // The first subscriber subscribes the shared connection; the others only register here.
      if (sessions.size === 0) await upstream.request('resources/subscribe', { uri }, options);
      sessions.add(session);
      byUri.set(uri, sessions);
    } else if (sessions.delete(session) && sessions.size === 0) {
      byUri.delete(uri);
      await upstream.request('resources/unsubscribe', { uri }, options);
    }
    return {};
  }

  sharedLogLevel(_session: DownstreamSession, upstreams: readonly Upstream[]): void {
    // A shared connection logs at the most verbose level any of its sessions asked for;
    // each session then gets only the messages at or above its own level (and only its own).
    for (const upstream of upstreams) {
      // A 2026-07-28 server hears each caller's level with each of its requests instead.
      if (upstream.era === 'modern') continue;
      const level = mostVerbose([...this.#sessionsUsing(upstream)].map((session) => session.logLevel));
      if (level) upstream.request('logging/setLevel', { level }).catch(() => {});
    }
  }

  sessionClosed(session: DownstreamSession): void {
    this.#sessions.delete(session);
    for (const [upstream, byUri] of this.#subscribers) {
      for (const [uri, sessions] of byUri) {
        if (sessions.delete(session) && sessions.size === 0) {
          byUri.delete(uri);
          upstream.request('resources/unsubscribe', { uri }).catch(() => {});
        }
      }
    }
  }

  // ── SourceProvider ──

  primary(service: string): Upstream | undefined {
    return this.upstreams.get(service);
  }

  isolated(service: string): boolean {
    const spec = this.#specs.get(service);
    // A 2026-07-28 server keeps no state per client: every request says who it is for.
    return this.clients === 'multi' && spec?.isolation === 'per-session' && spec.era.known() !== 'modern';
  }

  openLeg(service: string, sources: SessionSources): Upstream {
    const spec = this.#specs.get(service) as ServiceSpec;
    const session = sources.owner as DownstreamSession;
    const budget = spec.processes ? this.#budgetFor(service) : undefined;
    if (budget) {
      const victim = budget.makeRoom();
      if (victim === 'full') {
        throw new ToolscopeError(
          'upstream_unavailable',
          JsonRpcCode.ServerError,
          `service "${service}" runs ${budget.max} processes for client sessions and all are busy; retry later ` +
            '(toolscope.sessions.maxProcessesPerService)',
          { service },
        );
      }
      if (victim) (victim.owner as DownstreamSession | undefined)?.sources?.drop(service);
    }
    const wrap = this.#options.wrapUpstreamTransport;
    const health = this.config.toolscope.health;
    const leg = new Upstream({
      name: service,
      locality: spec.locality,
      executorKind: spec.kind,
      transports: spec.transports,
      handshake: mirrored(session.clientParams ?? {}),
      // The shared connection watches the service's health; a session's own one ends with its process.
      health: { ...health, pingIntervalMs: 0 },
      discovery: this.config.toolscope.discovery,
      wrapTransport: wrap ? (transport) => wrap(transport, service) : undefined,
      listener: this.#listener,
      owner: session,
      era: spec.era,
    });
    budget?.add(leg);
    this.#legs.add(leg);
    leg.start().catch(() => {});
    return leg;
  }

  async releaseLeg(service: string, leg: Upstream): Promise<void> {
    this.#budgets.get(service)?.delete(leg);
    await leg.stop();
    this.#legs.delete(leg);
  }

  // ── upstream events ──

  #addService(name: string, spec: ServiceSpec): void {
    this.#specs.set(name, spec);
    const wrap = this.#options.wrapUpstreamTransport;
    const upstream = new Upstream({
      name,
      locality: spec.locality,
      executorKind: spec.kind,
      transports: spec.transports,
      handshake:
        this.mode === 'proxy'
          ? { mode: 'passthrough' }
          : {
              mode: 'own',
              clientInfo: { name: 'toolscope', version: this.#options.version },
              capabilities: SHARED_CAPABILITIES,
            },
      health: this.config.toolscope.health,
      discovery: this.config.toolscope.discovery,
      wrapTransport: wrap ? (transport) => wrap(transport, name) : undefined,
      listener: this.#listener,
      era: spec.era,
    });
    this.upstreams.set(name, upstream);
    this.#executors.set(name, new UpstreamToolExecutor(upstream));
  }

  #onListsChanged(upstream: Upstream, kinds: readonly ListKind[]): void {
    const isPrimary = this.upstreams.get(upstream.name) === upstream;
    if (isPrimary) {
      // The shared scopes' members are stateless listeners; sessions announce from their own catalogs.
      for (const scope of this.scopes.values())
        if (scope.services.includes(upstream.name)) scope.announce(scope.rebuild(this.upstreams, kinds));
    }
    for (const session of this.#sessionsUsing(upstream)) session.sourcesChanged(kinds);
    if (isPrimary)
      for (const listener of this.#options.listeners ?? []) listener.onListsChanged?.(upstream.name, kinds);
  }

  #onUpstreamNotification(upstream: Upstream, notification: JsonRpcNotification): void {
    const { method, params } = notification;
    // Progress the peer could route went to its request's caller; what is left carries a token no client
    // knows (e.g. progress of a task after its tools/call answered), so passing it on would only confuse.
    if (method === 'notifications/progress') return;
    if (this.tasks && method === 'notifications/tasks/status') {
      // Only the session that created the task hears about it, under the id it knows.
      const routed = this.tasks.statusNotification(upstream.name, params);
      if (routed)
        this.#sessionById(routed.scopeId)?.deliver({ ...notification, params: routed.params }, undefined);
      return;
    }
    const target = ownerOf(upstream.owner, upstream.inFlight);
    if (upstream.owner) {
      upstream.owner.deliver(notification, target?.origin);
      return;
    }
    // A connection shared by several callers: a resource update goes to its subscribers, anything
    // else only to the one caller it can belong to (the only one with requests in flight there).
    if (method === 'notifications/resources/updated') {
      const sessions = this.#subscribers.get(upstream)?.get(String(params?.uri ?? ''));
      for (const session of sessions ?? []) session.deliver(notification, undefined);
      return;
    }
    if (!target) return;
    if (method === 'notifications/message' && !target.caller.wantsLog(params?.level)) return;
    target.caller.deliver(notification, target.origin);
  }

  #onUpstreamRequest(
    upstream: Upstream,
    request: JsonRpcRequest,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    // A request tied to a task (input_required) goes to the session that created it, with the id it knows.
    const related = this.tasks?.relatedRequest(upstream.name, request.params);
    let target: { caller: Caller; origin: JsonRpcRequest['id'] | undefined } | undefined;
    if (related) {
      const session = this.#sessionById(related.scopeId);
      target = session && { caller: session, origin: undefined };
    } else {
      target = ownerOf(upstream.owner, upstream.inFlight);
    }
    if (!target) {
      return Promise.reject(
        new ToolscopeError(
          'internal',
          JsonRpcCode.InternalError,
          `toolscope cannot tell which client ${request.method} is for: ` +
            (upstream.inFlight.size === 0
              ? 'no client request is in flight on this shared connection'
              : 'requests of several clients are in flight on this shared connection'),
        ),
      );
    }
    const capability = requiredCapability(request);
    if (capability && !target.caller.supports(capability)) {
      // Only this server request is refused, not the caller's call: on a shared connection the caller
      // is the one with a request in flight, which may not be the request that made the server ask
      // (server-everything asks for roots after every initialize). The server decides what follows.
      return Promise.reject(
        new ToolscopeError(
          'internal',
          JsonRpcCode.MethodNotFound,
          `the client does not support ${capability} (${request.method})`,
        ),
      );
    }
    const forwarded = related ? { ...request, params: related.params } : request;
    return target.caller.serverRequest(forwarded, target.origin, context);
  }

  /** Sessions that talk to `upstream` (their own connection, or a shared one they use). */
  *#sessionsUsing(upstream: Upstream): Iterable<DownstreamSession> {
    if (upstream.owner instanceof DownstreamSession && this.upstreams.get(upstream.name) !== upstream) {
      yield upstream.owner;
      return;
    }
    for (const session of this.#sessions) {
      const sources = session.sources;
      if (sources ? sources.current().includes(upstream) : session.template.services.includes(upstream.name))
        yield session;
    }
  }

  #sessionById(id: string): DownstreamSession | undefined {
    for (const session of this.#sessions) if (session.id === id) return session;
    return undefined;
  }

  #budgetFor(service: string): LegBudget {
    let budget = this.#budgets.get(service);
    if (!budget) {
      budget = new LegBudget(this.config.toolscope.sessions.maxProcessesPerService);
      this.#budgets.set(service, budget);
    }
    return budget;
  }

  #newScope(
    id: string,
    agent: string | undefined,
    services: readonly string[],
    naming: NamingMode,
    executorFor: (service: string) => ToolExecutor,
  ): Scope {
    const separator = this.config.toolscope.naming.separator;
    return new Scope({ id, agent, services, naming, separator, executorFor });
  }

  #buildScopes(): void {
    const executorFor = (service: string) => this.#executors.get(service) as ToolExecutor;
    const all = [...this.upstreams.keys()];
    const add = (id: string, agent: string | undefined, services: readonly string[], naming: NamingMode) => {
      const scope = this.#newScope(id, agent, services, naming, executorFor);
      scope.rebuild(this.upstreams, ['tools', 'prompts', 'resources']);
      this.scopes.set(id, scope);
    };
    if (this.mode === 'proxy') {
      add('proxy', undefined, all, 'original');
      return;
    }
    add('store', undefined, all, 'prefixed');
    for (const [id, agent] of Object.entries(this.config.toolscope.agents))
      add(id, id, agent.services, 'unambiguous');
  }

  #defaultScopeId(): string {
    return this.mode === 'proxy' ? 'proxy' : 'store';
  }

  #instructions(): string {
    const parts = [
      `toolscope gateway for: ${[...this.upstreams.keys()].join(', ')}. Tools are named service${this.config.toolscope.naming.separator}tool.`,
    ];
    for (const upstream of this.upstreams.values()) {
      const text = upstream.initializeResult?.instructions;
      if (typeof text === 'string' && text.trim()) parts.push(`[${upstream.name}] ${text.trim()}`);
    }
    return parts.join('\n\n');
  }

  #transportsFor(server: ServerConfig): Array<() => Transport> {
    if (server.kind === 'stdio') {
      const inherit = this.mode === 'proxy';
      const env = {
        ...(inherit ? (process.env as Record<string, string>) : getDefaultEnvironment()),
        ...server.env,
      };
      const cwd = server.cwd ? resolvePath(this.config.baseDir, server.cwd) : undefined;
      return [
        () =>
          new ChildProcessTransport({
            command: server.command,
            args: server.args,
            env,
            cwd,
            echoStderr: inherit,
          }),
      ];
    }
    const url = new URL(server.url);
    const requestInit = { headers: server.headers };
    if (server.transport === 'ws') return [() => new WsClientTransport(url, { headers: server.headers })];
    const sse = () => new SSEClientTransport(url, { requestInit, fetch: quietSignalFetch });
    if (server.transport === 'sse') return [sse];
    // 2026-07-28 first (server/discover on its own POST), then a 2025 session, then the older SSE.
    return [
      () => new ModernHttpTransport(url, { headers: server.headers }),
      () => new StreamableHTTPClientTransport(url, { requestInit, fetch: quietSignalFetch }),
      sse,
    ];
  }
}

/** An own handshake that tells the server what the client it serves really supports. */
function mirrored(params: Record<string, unknown>): Handshake {
  const clientInfo = params.clientInfo as { name?: unknown; version?: unknown } | undefined;
  return {
    mode: 'own',
    clientInfo: {
      ...(clientInfo as Record<string, unknown>),
      name: typeof clientInfo?.name === 'string' ? clientInfo.name : 'toolscope',
      version: typeof clientInfo?.version === 'string' ? clientInfo.version : '0',
    },
    capabilities: (params.capabilities as Record<string, unknown> | undefined) ?? {},
  };
}

function inProcessTransport(service: InProcessService): Transport {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  service
    .connect(serverSide)
    .catch((error: unknown) => diag.error('toolscope: in-process service failed to connect', error));
  return clientSide;
}
