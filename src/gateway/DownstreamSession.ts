import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type IncomingRequestContext, JsonRpcPeer } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';
import { JsonRpcCode, type Pipeline, ToolscopeError } from '../pipeline/index.js';
import { isTaskRequest, type TaskRouter } from '../tasks/index.js';
import type { Scope, ScopeMember } from './Scope.js';
import type { Upstream } from './Upstream.js';
import type { ListKind } from './upstreamLists.js';

/** What a session needs from the gateway that owns it. */
export interface SessionHost {
  readonly mode: 'gateway' | 'proxy';
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly pipeline: Pipeline;
  /** Routes task-augmented calls and `tasks/*` (gateway mode). */
  readonly tasks?: TaskRouter | undefined;
  /** Answer `initialize` (gateway: toolscope's own result; proxy: relayed to the server). */
  initialize(params: Record<string, unknown>, session: DownstreamSession): Promise<Record<string, unknown>>;
  /** Wait for services of the scope still initializing (smart wait). */
  settle(scope: Scope): Promise<void>;
  sessionClosed(session: DownstreamSession): void;
}

const LIST_CHANGED: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
};

/**
 * One downstream MCP connection (an agent over stdio, or one Streamable HTTP
 * session). Answers listing methods from its scope's catalogs, sends tool calls
 * through the pipeline, routes prompts, resources and completions to the right
 * upstream under their original names, and forwards progress, cancellation and
 * server-initiated requests. In proxy mode every method it does not handle
 * itself is relayed to the one upstream unchanged.
 */
export class DownstreamSession implements ScopeMember {
  readonly scope: Scope;
  readonly peer: JsonRpcPeer;
  readonly #host: SessionHost;
  /** The client's `initialize` params (clientInfo, capabilities, protocolVersion). */
  clientParams: Record<string, unknown> | undefined;
  protocolVersion: string | undefined;
  readonly #subscriptions = new Set<string>();
  /** The client sent `notifications/initialized`: list changes may be announced from now on. */
  #initialized = false;
  readonly connectedAt = Date.now();
  /** Resolves when the connection has closed (client gone, stdin ended, session deleted). */
  readonly closed: Promise<void>;
  /** Last request from the client (epoch ms): server-initiated requests go to the most recently active session. */
  lastActivity = Date.now();

  constructor(host: SessionHost, scope: Scope, transport: Transport) {
    this.#host = host;
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
      scope.members.delete(this);
      host.sessionClosed(this);
      markClosed();
    };
    scope.members.add(this);
  }

  get sessionId(): string | undefined {
    return this.peer.sessionId;
  }

  /** Whether the client declared a capability (e.g. `sampling`, `roots`, `elicitation`). */
  clientSupports(capability: string): boolean {
    const capabilities = this.clientParams?.capabilities as Record<string, unknown> | undefined;
    return capabilities?.[capability] !== undefined;
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
    // lifecycle). In proxy mode the server's first lists arrive while the client's
    // initialize is still being relayed: announcing them then would put notifications
    // ahead of the initialize response. The client lists after initializing anyway.
    if (this.#initialized) this.peer.notify(LIST_CHANGED[kind]);
  }

  async #onRequest(
    request: JsonRpcRequest,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    const scope = this.scope;
    this.lastActivity = Date.now();
    switch (request.method) {
      case 'initialize': {
        this.clientParams = params;
        const result = await this.#host.initialize(params, this);
        this.protocolVersion =
          typeof result.protocolVersion === 'string' ? result.protocolVersion : undefined;
        return result;
      }
      case 'ping':
        return {};
      case 'tools/list':
        await this.#host.settle(scope);
        this.#refreshStale();
        return { tools: scope.tools.items };
      case 'tools/call':
        // A call right after startup may name a tool of a service still initializing: smart wait.
        if (typeof params.name === 'string' && !scope.tools.lookup(params.name))
          await this.#host.settle(scope);
        if (this.#host.tasks && isTaskRequest(params)) return this.#callToolAsTask(request, params, context);
        return this.#callTool(request, params, context) as Promise<Record<string, unknown>>;
      case 'tasks/get':
      case 'tasks/result':
      case 'tasks/list':
      case 'tasks/cancel':
        if (!this.#host.tasks)
          return this.#forward(scope.services[0] as string, request.method, params, context);
        return this.#host.tasks.handle(request.method, params, scope.id, {
          signal: context.signal,
          traceContext: context.traceContext,
        });
      case 'prompts/list':
        await this.#host.settle(scope);
        return { prompts: scope.prompts.items };
      case 'prompts/get': {
        const entry = scope.prompts.resolve(String(params.name ?? ''));
        return this.#forward(entry.service, request.method, { ...params, name: entry.originalName }, context);
      }
      case 'resources/list':
        await this.#host.settle(scope);
        return { resources: scope.resources };
      case 'resources/templates/list':
        await this.#host.settle(scope);
        return { resourceTemplates: scope.resourceTemplates };
      case 'resources/read':
        return this.#forward(
          scope.resourceService(String(params.uri ?? '')),
          request.method,
          params,
          context,
        );
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = String(params.uri ?? '');
        const result = await this.#forward(scope.resourceService(uri), request.method, params, context);
        if (request.method === 'resources/subscribe') this.#subscriptions.add(uri);
        else this.#subscriptions.delete(uri);
        return result;
      }
      case 'completion/complete':
        return this.#complete(params, context);
      case 'logging/setLevel':
        if (this.#host.mode === 'proxy')
          return this.#forward(scope.services[0] as string, request.method, params, context);
        for (const service of scope.services) {
          const upstream = this.#host.upstreams.get(service);
          if (upstream?.serving && upstream.capabilities.logging) {
            upstream.request(request.method, params).catch(() => {});
          }
        }
        return {};
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

  #callTool(request: JsonRpcRequest, params: Record<string, unknown>, context: IncomingRequestContext) {
    const name = params.name;
    if (typeof name !== 'string') {
      return Promise.reject(
        new ToolscopeError('invalid_params', JsonRpcCode.InvalidParams, 'tools/call needs a string "name"'),
      );
    }
    const progressToken = (params._meta as Record<string, unknown> | undefined)?.progressToken;
    const progress =
      progressToken === undefined
        ? undefined
        : (update: Record<string, unknown>) =>
            this.peer.notify('notifications/progress', { ...update, progressToken }, request.id);
    return this.#host.pipeline.call({
      name,
      params,
      agent: this.scope.agent,
      signal: context.signal,
      inputBytes: context.byteLength,
      progress,
      context: context.traceContext,
    });
  }

  /** A `tools/call` with `params.task`: through the pipeline as usual, then the created task is registered. */
  async #callToolAsTask(
    request: JsonRpcRequest,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const tasks = this.#host.tasks as TaskRouter;
    const entry = this.scope.tools.resolve(String(params.name ?? ''));
    tasks.assertAugmentable(entry.service, entry.exposedName);
    const result = (await this.#callTool(request, params, context)) as Record<string, unknown>;
    return tasks.created(
      this.scope.id,
      { service: entry.service, tool: entry.originalName, exposedName: entry.exposedName },
      result,
      context.traceContext,
    );
  }

  async #complete(
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const ref = (params.ref ?? {}) as Record<string, unknown>;
    if (ref.type === 'ref/prompt') {
      const entry = this.scope.prompts.resolve(String(ref.name ?? ''));
      return this.#forward(
        entry.service,
        'completion/complete',
        { ...params, ref: { ...ref, name: entry.originalName } },
        context,
      );
    }
    if (ref.type === 'ref/resource') {
      return this.#forward(
        this.scope.resourceService(String(ref.uri ?? '')),
        'completion/complete',
        params,
        context,
      );
    }
    throw new ToolscopeError(
      'invalid_params',
      JsonRpcCode.InvalidParams,
      'completion/complete needs a ref/prompt or ref/resource',
    );
  }

  /** Relay a request to one upstream, with cancellation and progress routed back. */
  #forward(
    service: string,
    method: string,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ) {
    const upstream = this.#host.upstreams.get(service);
    if (!upstream) {
      return Promise.reject(
        new ToolscopeError('upstream_unavailable', JsonRpcCode.ServerError, `unknown service "${service}"`),
      );
    }
    const progressToken = (params._meta as Record<string, unknown> | undefined)?.progressToken;
    const onProgress =
      progressToken === undefined
        ? undefined
        : (update: Record<string, unknown>) =>
            this.peer.notify('notifications/progress', { ...update, progressToken }, context.id);
    return upstream.request(method, params, {
      signal: context.signal,
      onProgress,
      context: context.traceContext,
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
        // roots/list_changed and anything else the client says is for the services it uses.
        for (const service of this.scope.services) {
          this.#host.upstreams.get(service)?.notify(notification.method, notification.params);
        }
    }
  }

  #refreshStale(): void {
    for (const service of this.scope.services) this.#host.upstreams.get(service)?.refreshIfStale();
  }
}
