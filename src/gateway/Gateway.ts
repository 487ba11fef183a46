import { resolve as resolvePath } from 'node:path';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { diag, type Meter, type Tracer } from '@opentelemetry/api';
import type { ServerConfig, ToolscopeConfig } from '../config/index.js';
import type { IncomingRequestContext } from '../jsonrpc/JsonRpcPeer.js';
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
import { ChildProcessTransport, WsClientTransport } from '../transport/index.js';
import { DownstreamSession, type SessionHost } from './DownstreamSession.js';
import type { NamingMode } from './NamedCatalog.js';
import { quietSignalFetch } from './quietSignalFetch.js';
import { Scope } from './Scope.js';
import { Upstream, type UpstreamState } from './Upstream.js';
import { UpstreamToolExecutor } from './UpstreamToolExecutor.js';
import type { ListKind } from './upstreamLists.js';

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

export interface GatewayOptions {
  config: ToolscopeConfig;
  /** `proxy`: one stdio server, nothing renamed, the client's handshake relayed. @default "gateway" */
  mode?: 'gateway' | 'proxy';
  /** Services that run in this process (demo, tests), in addition to the configured ones. */
  inProcess?: Record<string, InProcessService>;
  stages?: PipelineStages;
  /** The observe stage to use (so observers can subscribe before start). */
  observe?: ObserveStage;
  /** Decorate upstream transports (telemetry). */
  wrapUpstreamTransport?: (transport: Transport, service: string) => Transport;
  /** Decorate downstream transports (telemetry). */
  wrapDownstreamTransport?: (transport: Transport, scope: Scope) => Transport;
  listeners?: readonly GatewayListener[];
  /** toolscope's version, reported as serverInfo/clientInfo. */
  version: string;
  /** Where the gateway's own spans and metrics go (task lifecycles). @default the global tracer, no metrics */
  telemetry?: { tracer?: Tracer; meter?: Meter } | undefined;
}

/**
 * Many MCP servers behind one instrumented endpoint (or, in proxy mode, one
 * server behind a transparent hop). Owns the upstream services, the scopes
 * (store, agents), the call pipeline and the downstream sessions.
 */
export class Gateway implements SessionHost {
  readonly mode: 'gateway' | 'proxy';
  readonly upstreams = new Map<string, Upstream>();
  readonly scopes = new Map<string, Scope>();
  readonly pipeline: Pipeline;
  readonly observe: ObserveStage;
  readonly config: ToolscopeConfig;
  readonly startedAt = Date.now();
  /** Task-augmented calls and `tasks/*` routing (gateway mode; the proxy relays tasks untouched). */
  readonly tasks: TaskRouter | undefined;
  readonly #options: GatewayOptions;
  readonly #executors = new Map<string, ToolExecutor>();
  readonly #sessions = new Set<DownstreamSession>();
  #stopping = false;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.config = options.config;
    this.mode = options.mode ?? 'gateway';
    const servers = options.config.servers;
    if (
      this.mode === 'proxy' &&
      Object.keys(servers).length + Object.keys(options.inProcess ?? {}).length !== 1
    ) {
      throw new Error('proxy mode wraps exactly one server');
    }
    for (const [name, server] of Object.entries(servers))
      this.#addUpstream(
        name,
        this.#transportsFor(server),
        server.kind === 'stdio' ? 'local' : 'remote',
        'upstream',
      );
    for (const [name, service] of Object.entries(options.inProcess ?? {})) {
      if (this.upstreams.has(name)) throw new Error(`service "${name}" is defined twice`);
      this.#addUpstream(name, [() => inProcessTransport(service)], 'local', 'in_process');
      if (service.executor) this.#executors.set(name, service.executor);
    }
    this.tasks =
      this.mode === 'gateway'
        ? new TaskRouter({
            upstreams: this.upstreams,
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

  /** Connect every upstream concurrently (gateway mode). Resolves when all have settled once. */
  async start(): Promise<void> {
    if (this.mode === 'proxy') return;
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.start().catch(() => {})));
  }

  /** Attach a downstream connection to a scope (default: the store, or the proxy's scope). */
  async connect(transport: Transport, scopeId: string = this.#defaultScopeId()): Promise<DownstreamSession> {
    const scope = this.scopes.get(scopeId);
    if (!scope) throw new Error(`unknown scope "${scopeId}"`);
    const wrapped = this.#options.wrapDownstreamTransport?.(transport, scope) ?? transport;
    const session = new DownstreamSession(this, scope, wrapped);
    this.#sessions.add(session);
    await session.start();
    return session;
  }

  /** Close every session and stop every upstream (children: stdin close → SIGTERM → SIGKILL). */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.tasks?.stop();
    await Promise.all([...this.#sessions].map((session) => session.close().catch(() => {})));
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.stop()));
  }

  /** Kill child processes at once (for `process.on('exit')`). */
  killNow(): void {
    for (const upstream of this.upstreams.values()) upstream.killNow();
  }

  // ── SessionHost ──

  async initialize(
    params: Record<string, unknown>,
    _session: DownstreamSession,
  ): Promise<Record<string, unknown>> {
    if (this.mode === 'proxy') {
      const upstream = this.upstreams.values().next().value as Upstream;
      return upstream.start(params);
    }
    const requested = String(params.protocolVersion ?? '');
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
      ? requested
      : LATEST_PROTOCOL_VERSION;
    return {
      protocolVersion,
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        completions: {},
        logging: {},
        // Tasks are forwarded to the services that offer them; tools of the others list no taskSupport.
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      serverInfo: { name: 'toolscope', title: 'toolscope gateway', version: this.#options.version },
      instructions: this.#instructions(),
    };
  }

  async settle(scope: Scope): Promise<void> {
    const { smartWaitLocalMs, smartWaitRemoteMs } = this.config.toolscope.discovery;
    const waits: Promise<void>[] = [];
    for (const name of scope.services) {
      const upstream = this.upstreams.get(name);
      if (upstream && (upstream.state === 'initializing' || upstream.state === 'reconnecting')) {
        waits.push(
          upstream.whenSettled(upstream.locality === 'local' ? smartWaitLocalMs : smartWaitRemoteMs),
        );
      }
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  sessionClosed(session: DownstreamSession): void {
    this.#sessions.delete(session);
  }

  // ── upstream events ──

  #addUpstream(
    name: string,
    transports: ReadonlyArray<() => Transport>,
    locality: 'local' | 'remote',
    kind: 'upstream' | 'in_process',
  ): void {
    const wrap = this.#options.wrapUpstreamTransport;
    const upstream = new Upstream({
      name,
      locality,
      executorKind: kind,
      transports,
      handshake:
        this.mode === 'proxy'
          ? { mode: 'passthrough' }
          : {
              mode: 'own',
              clientInfo: { name: 'toolscope', version: this.#options.version },
              capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} },
            },
      health: this.config.toolscope.health,
      discovery: this.config.toolscope.discovery,
      wrapTransport: wrap ? (transport) => wrap(transport, name) : undefined,
      listener: {
        onStateChange: (u, state, previous) => {
          for (const listener of this.#options.listeners ?? [])
            listener.onUpstreamState?.(u.name, state, previous);
        },
        onListsChanged: (u, kinds) => this.#onListsChanged(u, kinds),
        onNotification: (u, notification) => this.#onUpstreamNotification(u, notification),
        onRequest: (u, request, context) => this.#onUpstreamRequest(u, request, context),
      },
    });
    this.upstreams.set(name, upstream);
    this.#executors.set(name, new UpstreamToolExecutor(upstream));
  }

  #onListsChanged(upstream: Upstream, kinds: readonly ListKind[]): void {
    for (const scope of this.scopes.values()) {
      if (!scope.services.includes(upstream.name)) continue;
      const changed = scope.rebuild(this.upstreams, kinds);
      if (changed.length > 0) scope.announce(changed);
    }
    for (const listener of this.#options.listeners ?? []) listener.onListsChanged?.(upstream.name, kinds);
  }

  #onUpstreamNotification(upstream: Upstream, notification: JsonRpcNotification): void {
    // Progress the peer could route went to its request's caller; what is left carries a token no client
    // knows (e.g. progress of a task after its tools/call answered), so passing it on would only confuse.
    if (notification.method === 'notifications/progress') return;
    if (this.tasks && notification.method === 'notifications/tasks/status') {
      // Only the scope that created the task hears about it, under the id it knows.
      const routed = this.tasks.statusNotification(upstream.name, notification.params);
      if (!routed) return;
      for (const session of this.#sessionsUsing(upstream.name))
        if (session.scope.id === routed.scopeId) session.peer.notify(notification.method, routed.params);
      return;
    }
    const uri = notification.params?.uri;
    for (const session of this.#sessionsUsing(upstream.name)) {
      if (
        notification.method === 'notifications/resources/updated' &&
        typeof uri === 'string' &&
        !session.isSubscribed(uri)
      ) {
        continue;
      }
      session.peer.notify(notification.method, notification.params);
    }
  }

  #onUpstreamRequest(upstream: Upstream, request: JsonRpcRequest, context: IncomingRequestContext) {
    const capability = REQUEST_CAPABILITY[request.method];
    // A request tied to a task (input_required) goes to the scope that created it, with the id it knows.
    const related = this.tasks?.relatedRequest(upstream.name, request.params);
    const params = related?.params ?? request.params;
    let chosen: DownstreamSession | undefined;
    for (const session of this.#sessionsUsing(upstream.name)) {
      if (related && session.scope.id !== related.scopeId) continue;
      if (this.mode === 'gateway' && capability && !session.clientSupports(capability)) continue;
      if (!chosen || session.lastActivity > chosen.lastActivity) chosen = session;
    }
    if (!chosen) {
      const need = capability ? ` that supports ${capability}` : '';
      return Promise.reject(
        new ToolscopeError(
          'internal',
          JsonRpcCode.MethodNotFound,
          `no connected client${need} for ${request.method}`,
        ),
      );
    }
    return chosen.peer.request(request.method, params, {
      signal: context.signal,
      context: context.traceContext,
    });
  }

  *#sessionsUsing(service: string): Iterable<DownstreamSession> {
    for (const session of this.#sessions) if (session.scope.services.includes(service)) yield session;
  }

  #buildScopes(): void {
    const separator = this.config.toolscope.naming.separator;
    const executorFor = (service: string) => this.#executors.get(service) as ToolExecutor;
    const all = [...this.upstreams.keys()];
    const add = (id: string, agent: string | undefined, services: readonly string[], naming: NamingMode) => {
      const scope = new Scope({ id, agent, services, naming, separator, executorFor });
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
    return [() => new StreamableHTTPClientTransport(url, { requestInit, fetch: quietSignalFetch }), sse];
  }
}

/** Which client capability a server-initiated request needs. */
const REQUEST_CAPABILITY: Record<string, string | undefined> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

function inProcessTransport(service: InProcessService): Transport {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  service
    .connect(serverSide)
    .catch((error: unknown) => diag.error('toolscope: in-process service failed to connect', error));
  return clientSide;
}
