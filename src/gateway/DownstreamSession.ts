import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type IncomingRequestContext, JsonRpcPeer } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcId, JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';
import { JsonRpcCode, type Pipeline, ToolscopeError } from '../pipeline/index.js';
import { isTaskRequest, type TaskRouter } from '../tasks/index.js';
import { type Caller, type CallerIdentity, declares } from './Caller.js';
import type { ConnectionHost } from './ConnectionHost.js';
import { isLogLevel, logLevelAdmits } from './logLevels.js';
import { routeRequest } from './routeRequest.js';
import type { Scope, ScopeMember } from './Scope.js';
import type { SessionSources } from './SessionSources.js';
import type { Upstream } from './Upstream.js';
import { ORIGIN_EXTENSION } from './UpstreamToolExecutor.js';
import type { ListKind } from './upstreamLists.js';

/** What a session needs from the gateway that owns it. */
export interface SessionHost extends ConnectionHost {
  readonly mode: 'gateway' | 'proxy';
  readonly pipeline: Pipeline;
  /** Routes task-augmented calls and `tasks/*` (gateway mode). */
  readonly tasks?: TaskRouter | undefined;
  /** Answer `initialize` (gateway: toolscope's own result; proxy: relayed to the server). */
  initialize(params: Record<string, unknown>, session: DownstreamSession): Promise<Record<string, unknown>>;
  /** The connections the session will talk to, and its own catalogs over them. */
  openView(session: DownstreamSession): { sources: SessionSources; scope: Scope };
  /** The session's log level changed: adjust connections it shares with others. */
  sharedLogLevel(session: DownstreamSession, upstreams: readonly Upstream[]): void;
  sessionClosed(session: DownstreamSession): void;
}

const LIST_CHANGED: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
};

/**
 * One downstream MCP connection (an agent over stdio, or one Streamable HTTP
 * session). It has its own catalogs, built from the connections it talks to:
 * upstream sessions of its own (initialized with its capabilities) for isolated
 * services, shared ones for the others. It answers listing methods from them,
 * sends tool calls through the pipeline, routes prompts, resources and
 * completions to the right upstream under their original names, and is the
 * {@link Caller} its requests' upstream effects come back to. In proxy mode
 * every method it does not handle itself is relayed to the one upstream.
 */
export class DownstreamSession implements ScopeMember, Caller {
  readonly id = randomUUID();
  /** The scope it connected to (store, agent, proxy), shared with other sessions. */
  readonly template: Scope;
  /** Its own view of that scope (the template until it has initialized). */
  scope: Scope;
  readonly peer: JsonRpcPeer;
  readonly #host: SessionHost;
  #sources: SessionSources | undefined;
  /** The client's `initialize` params (clientInfo, capabilities, protocolVersion). */
  clientParams: Record<string, unknown> | undefined;
  protocolVersion: string | undefined;
  readonly #subscriptions = new Set<string>();
  /** The level the client set with `logging/setLevel`, if it did. */
  logLevel: string | undefined;
  /** The client sent `notifications/initialized`: list changes may be announced from now on. */
  #initialized = false;
  /** Kinds the client has listed: only those can be stale, so only those are announced. */
  readonly #listed = new Set<ListKind>();
  readonly connectedAt = Date.now();
  /** Resolves when the connection has closed (client gone, stdin ended, session deleted). */
  readonly closed: Promise<void>;
  /** Last request from the client (epoch ms). */
  lastActivity = Date.now();

  constructor(host: SessionHost, scope: Scope, transport: Transport) {
    this.#host = host;
    this.template = scope;
    this.scope = scope;
    this.peer = new JsonRpcPeer(transport, {
      onRequest: (request, context) => this.#onRequest(request, context),
      onNotification: (notification) => this.#onNotification(notification),
    });
    let markClosed: () => void = () => {};
    this.closed = new Promise((resolve) => {
      markClosed = resolve;
    });
    this.peer.onclose = () => {
      this.scope.members.delete(this);
      void this.#sources?.close();
      host.sessionClosed(this);
      markClosed();
    };
  }

  get sessionId(): string | undefined {
    return this.peer.sessionId;
  }

  /** The connections this session talks to (undefined until it has initialized). */
  get sources(): SessionSources | undefined {
    return this.#sources;
  }

  // ── Caller ──

  readonly era = 'legacy';

  identity(): CallerIdentity {
    const params = this.clientParams;
    return {
      capabilities: (params?.capabilities as Record<string, unknown> | undefined) ?? {},
      clientInfo: params?.clientInfo as Record<string, unknown> | undefined,
      logLevel: this.logLevel,
    };
  }

  supports(capability: string): boolean {
    return declares(this.clientParams?.capabilities as Record<string, unknown> | undefined, capability);
  }

  serverRequest(
    request: JsonRpcRequest,
    origin: JsonRpcId | undefined,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    return this.peer.request(request.method, request.params, {
      signal: context.signal,
      context: context.traceContext,
      relatedRequestId: origin,
    });
  }

  deliver(notification: JsonRpcNotification, origin: JsonRpcId | undefined): void {
    this.peer.notify(notification.method, notification.params, origin);
  }

  wantsLog(level: unknown): boolean {
    return this.logLevel !== undefined && logLevelAdmits(this.logLevel, level);
  }

  /** Whether a tool or prompt name means something to this session (metric labels come only from these). */
  knows(kind: 'tool' | 'prompt', name: string): boolean {
    return (kind === 'tool' ? this.scope.tools : this.scope.prompts).lookup(name) !== undefined;
  }

  isSubscribed(uri: string): boolean {
    return this.#subscriptions.has(uri);
  }

  start(): Promise<void> {
    return this.peer.start();
  }

  close(): Promise<void> {
    return this.peer.close();
  }

  notifyListChanged(kind: ListKind): void {
    // Nothing but pings and logging may reach a client before it has initialized (MCP
    // lifecycle), and a kind a gateway client has never listed cannot be stale.
    // The proxy is transparent: it passes on every change the server announced.
    if (this.#initialized && (this.#host.mode === 'proxy' || this.#listed.has(kind)))
      this.peer.notify(LIST_CHANGED[kind]);
  }

  /** Rebuild this session's catalogs from its connections after `kinds` changed on one of them. */
  sourcesChanged(kinds: readonly ListKind[]): void {
    if (!this.#sources) return;
    this.scope.announce(this.scope.rebuild(this.#sources.all(), kinds));
  }

  async #onRequest(
    request: JsonRpcRequest,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    this.lastActivity = Date.now();
    switch (request.method) {
      case 'initialize':
        return this.#initialize(params);
      case 'ping':
        return {};
      case 'tools/call': {
        // A call right after startup may name a tool of a service still initializing: smart wait.
        const entry = typeof params.name === 'string' ? this.scope.tools.lookup(params.name) : undefined;
        if (!entry || !this.#serving(entry.service)) await this.#settle();
        if (this.#host.tasks && isTaskRequest(params)) return this.#callToolAsTask(request, params, context);
        return this.#callTool(request, params, context) as Promise<Record<string, unknown>>;
      }
    }
    // Every other method waits for services still starting, like the lists do.
    await this.#settle();
    const scope = this.scope;
    switch (request.method) {
      case 'tools/list':
        this.#listed.add('tools');
        this.#refreshStale();
        return { tools: scope.tools.items };
      case 'tasks/get':
      case 'tasks/result':
      case 'tasks/list':
      case 'tasks/cancel':
        if (!this.#host.tasks)
          return this.#forward(scope.services[0] as string, request.method, params, context);
        return this.#host.tasks.handle(request.method, params, this.id, {
          signal: context.signal,
          traceContext: context.traceContext,
        });
      case 'prompts/list':
        this.#listed.add('prompts');
        return { prompts: scope.prompts.items };
      case 'prompts/get':
      case 'resources/read':
      case 'completion/complete': {
        // The proxy is transparent: the server judges names and URIs itself, even ones it never listed.
        const route =
          this.#host.mode === 'proxy'
            ? { service: scope.services[0] as string, params }
            : (routeRequest(scope, request.method, params) as { service: string; params: typeof params });
        return this.#forward(route.service, request.method, route.params, context);
      }
      case 'resources/list':
        this.#listed.add('resources');
        return { resources: scope.resources };
      case 'resources/templates/list':
        this.#listed.add('resources');
        return { resourceTemplates: scope.resourceTemplates };
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.#subscription(request.method === 'resources/subscribe', params, context);
      case 'logging/setLevel':
        return this.#setLevel(params, context);
      default:
        if (this.#host.mode === 'proxy')
          return this.#forward(scope.services[0] as string, request.method, params, context);
        throw new ToolscopeError(
          'internal',
          JsonRpcCode.MethodNotFound,
          `Method not found: ${request.method}`,
        );
    }
  }

  async #initialize(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.clientParams = params;
    // The host starts what this client needs before its first await; the view opens right after,
    // so a request that arrives before the answer already finds it.
    const answer = this.#host.initialize(params, this);
    if (!this.#sources) {
      const { sources, scope } = this.#host.openView(this);
      this.#sources = sources;
      this.template.members.delete(this);
      this.scope = scope;
      scope.members.add(this);
    }
    const result = await answer;
    this.protocolVersion = typeof result.protocolVersion === 'string' ? result.protocolVersion : undefined;
    return result;
  }

  #serving(service: string): boolean {
    const source = this.#sources?.get(service);
    return source === undefined || source.serving;
  }

  /** Wait for the session's connections that are still (re)starting. */
  async #settle(): Promise<void> {
    const sources = this.#sources?.current();
    if (!sources) return;
    if (sources.some((source) => source.state === 'initializing' || source.state === 'reconnecting'))
      await this.#host.settle(sources);
  }

  #source(service: string): Upstream {
    const source = this.#sources?.get(service);
    if (!source) {
      throw new ToolscopeError(
        'upstream_unavailable',
        JsonRpcCode.ServerError,
        `unknown service "${service}"`,
      );
    }
    return source;
  }

  #callTool(request: JsonRpcRequest, params: Record<string, unknown>, context: IncomingRequestContext) {
    const name = params.name;
    if (typeof name !== 'string') {
      return Promise.reject(
        new ToolscopeError('invalid_params', JsonRpcCode.InvalidParams, 'tools/call needs a string "name"'),
      );
    }
    const progressToken = (params._meta as Record<string, unknown> | undefined)?.progressToken;
    const traceContext = context.traceContext;
    let lastProgress = 0;
    const progress =
      progressToken === undefined
        ? undefined
        : (update: Record<string, unknown>) => {
            lastProgress = performance.now();
            this.peer.notify(
              'notifications/progress',
              { ...update, progressToken },
              request.id,
              traceContext,
            );
          };
    // Resolved in this session's own scope, also when the name is unknown: its error names this
    // session's tools, and a call is never served by a connection that is not the session's own.
    const entry = this.scope.tools.lookup(name) ?? this.scope.tools.resolve(name);
    let result = this.#host.pipeline.call({
      name,
      params,
      agent: this.scope.agent,
      signal: context.signal,
      inputBytes: context.byteLength,
      progress,
      context: traceContext,
      tool: entry.resolved,
      extensions: { [ORIGIN_EXTENSION]: { caller: this, requestId: request.id } },
    });
    // The SDK's client handles a notification a microtask after it reads it but a response at once:
    // an answer in the same read as the call's last progress updates would make it drop them.
    if (progress) result = result.then((answer) => afterProgress(answer, lastProgress));
    // Links the tool hands out can be read back from its service even when it does not list them.
    if (this.scope.services.length > 1)
      void result.then((answer) => this.scope.noteLinks(entry.service, answer), noop);
    return result;
  }

  /** A `tools/call` with `params.task`: through the pipeline as usual, then the created task is registered. */
  async #callToolAsTask(
    request: JsonRpcRequest,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const tasks = this.#host.tasks as TaskRouter;
    const entry = this.scope.tools.resolve(String(params.name ?? ''));
    tasks.assertAugmentable(entry.service, entry.exposedName, this.id);
    const result = (await this.#callTool(request, params, context)) as Record<string, unknown>;
    return tasks.created(
      this.id,
      { service: entry.service, tool: entry.originalName, exposedName: entry.exposedName },
      result,
      context.traceContext,
    );
  }

  async #subscription(
    subscribe: boolean,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const uri = String(params.uri ?? '');
    const source = this.#source(this.scope.resourceService(uri));
    const method = subscribe ? 'resources/subscribe' : 'resources/unsubscribe';
    const result =
      this.#sources?.owns(source) || source.owner === this
        ? await this.#forward(source.name, method, params, context)
        : await this.#host.sharedSubscription(this, source, uri, subscribe, context);
    if (subscribe) this.#subscriptions.add(uri);
    else this.#subscriptions.delete(uri);
    return result;
  }

  async #setLevel(
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    if (this.#host.mode === 'proxy')
      return this.#forward(this.scope.services[0] as string, 'logging/setLevel', params, context);
    if (!isLogLevel(params.level))
      throw new ToolscopeError(
        'invalid_params',
        JsonRpcCode.InvalidParams,
        `Invalid log level: ${String(params.level)}`,
      );
    this.logLevel = params.level;
    const shared: Upstream[] = [];
    const own: Promise<unknown>[] = [];
    for (const source of this.#sources?.current() ?? []) {
      // A 2026-07-28 server hears the level with each request (the session's identity carries it).
      if (!source.serving || !source.capabilities.logging || source.era === 'modern') continue;
      if (this.#sources?.owns(source) || source.owner === this)
        own.push(source.request('logging/setLevel', params, { signal: context.signal }).catch(noop));
      else shared.push(source);
    }
    if (shared.length > 0) this.#host.sharedLogLevel(this, shared);
    await Promise.all(own);
    return {};
  }

  /** Relay a request to one upstream, with cancellation and progress routed back. */
  #forward(
    service: string,
    method: string,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    let upstream: Upstream;
    try {
      upstream = this.#source(service);
    } catch (error) {
      return Promise.reject(error);
    }
    const progressToken = (params._meta as Record<string, unknown> | undefined)?.progressToken;
    const onProgress =
      progressToken === undefined
        ? undefined
        : (update: Record<string, unknown>) =>
            this.peer.notify(
              'notifications/progress',
              { ...update, progressToken },
              context.id,
              context.traceContext,
            );
    return upstream.request(method, params, {
      signal: context.signal,
      onProgress,
      context: context.traceContext,
      origin: { caller: this, requestId: context.id },
    });
  }

  #onNotification(notification: JsonRpcNotification): void {
    switch (notification.method) {
      case 'notifications/initialized':
        this.#initialized = true;
        return;
      case 'notifications/cancelled': // handled by the peer
        return;
      default:
        // roots/list_changed and anything else the client says concern its own upstream sessions
        // only: another client's session must not hear it.
        for (const source of this.#sources?.current() ?? []) {
          if (this.#sources?.owns(source) || source.owner === this)
            source.notify(notification.method, notification.params);
        }
    }
  }

  #refreshStale(): void {
    for (const source of this.#sources?.current() ?? []) source.refreshIfStale();
  }
}

function noop(): void {}

/** How long an answer trails the last progress update it follows, ms. */
const PROGRESS_SETTLE_MS = 5;

/** `value`, once `PROGRESS_SETTLE_MS` have passed since the progress update at `last` (0: none). */
function afterProgress<T>(value: T, last: number): T | Promise<T> {
  const wait = last === 0 ? 0 : PROGRESS_SETTLE_MS - (performance.now() - last);
  if (wait <= 0) return value;
  return new Promise((resolve) => setTimeout(resolve, wait, value));
}
