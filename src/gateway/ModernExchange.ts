import type { Tracer } from '@opentelemetry/api';
import type { IncomingRequestContext, JsonRpcPeer } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';
import { JsonRpcCode, type Pipeline, ToolscopeError, UpstreamRpcError } from '../pipeline/index.js';
import type { Caller } from './Caller.js';
import type { ConnectionHost } from './ConnectionHost.js';
import { INPUT_REQUIRED_METHODS, ModernCall } from './ModernCall.js';
import { completeResult, type Envelope, META_SUBSCRIPTION_ID } from './modernProtocol.js';
import type { ParkedCalls } from './ParkedCalls.js';
import { routeRequest } from './routeRequest.js';
import type { Scope, ScopeMember } from './Scope.js';
import type { Upstream } from './Upstream.js';
import { ORIGIN_EXTENSION } from './UpstreamToolExecutor.js';
import type { ListKind } from './upstreamLists.js';

/** What a stateless exchange needs from the gateway. */
export interface ModernHost extends ConnectionHost {
  readonly pipeline: Pipeline;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly parked: ParkedCalls;
  readonly tracer: Tracer | undefined;
  /** `server/discover`'s answer (capabilities, instructions, versions), without the 2026 wrapping. */
  discover(): Record<string, unknown>;
  serverInfo(): Record<string, unknown>;
  /** How long lists may be cached, and by whom. */
  cacheHint(): { ttlMs: number; cacheScope: 'public' | 'private' };
}

const LIST_KEYS: Readonly<Record<string, [string, (scope: Scope) => readonly unknown[]]>> = {
  'tools/list': ['tools', (scope) => scope.tools.items],
  'prompts/list': ['prompts', (scope) => scope.prompts.items],
  'resources/list': ['resources', (scope) => scope.resources],
  'resources/templates/list': ['resourceTemplates', (scope) => scope.resourceTemplates],
};

const LISTEN_KINDS: Readonly<Record<string, ListKind>> = {
  toolsListChanged: 'tools',
  promptsListChanged: 'prompts',
  resourcesListChanged: 'resources',
};

const LIST_CHANGED: Readonly<Record<ListKind, string>> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
};

/**
 * One request of a stateless (2026-07-28) client: served from the scope's shared
 * catalogs and connections, with the per-request envelope (capabilities, log level)
 * standing in for a session. `tools/call`, `prompts/get` and `resources/read` may
 * span rounds (multi round-trip requests): what the upstream asks the client comes
 * back as `input_required`, and the retry resumes the call. `subscriptions/listen`
 * keeps the response open for the changes the client opted into.
 */
export class ModernExchange {
  readonly #host: ModernHost;
  readonly #scope: Scope;
  readonly #envelope: Envelope;
  readonly #principal: string;
  #peer: JsonRpcPeer | undefined;

  constructor(host: ModernHost, scope: Scope, envelope: Envelope, principal: string) {
    this.#host = host;
    this.#scope = scope;
    this.#envelope = envelope;
    this.#principal = principal;
  }

  /** The connection this exchange answers on (set before its request is handled). */
  attach(peer: JsonRpcPeer): void {
    this.#peer = peer;
  }

  async handle(request: JsonRpcRequest, context: IncomingRequestContext): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    const method = request.method;
    if (method === 'server/discover') {
      return completeResult(this.#host.discover(), this.#host.serverInfo(), this.#host.cacheHint());
    }
    await this.#settle();
    const list = LIST_KEYS[method];
    if (list) {
      const [key, items] = list;
      // Stale-while-revalidate, as for sessions: what has outlived its TTL is reloaded in the background.
      for (const service of this.#scope.services) this.#host.upstreams.get(service)?.refreshIfStale();
      return completeResult({ [key]: items(this.#scope) }, this.#host.serverInfo(), this.#host.cacheHint());
    }
    if (INPUT_REQUIRED_METHODS.has(method) || method === 'completion/complete')
      return this.#call(request, params, context);
    if (method === 'subscriptions/listen') return this.#listen(request, params, context);
    throw new ToolscopeError('internal', JsonRpcCode.MethodNotFound, `Method not found: ${method}`);
  }

  async #settle(): Promise<void> {
    const sources = this.#scope.services
      .map((service) => this.#host.upstreams.get(service))
      .filter((upstream): upstream is Upstream => upstream !== undefined);
    if (sources.some((source) => source.state === 'initializing' || source.state === 'reconnecting'))
      await this.#host.settle(sources);
  }

  /** A call, new or resumed, and one round of it. */
  async #call(
    request: JsonRpcRequest,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const method = request.method;
    const name = method === 'resources/read' ? String(params.uri ?? '') : (params.name as string | undefined);
    const parked = this.#host.parked;
    let call: ModernCall;
    if (params.requestState !== undefined) {
      const resumed = parked.resume(params.requestState, this.#principal, method, name);
      if (!resumed) {
        throw new ToolscopeError(
          'invalid_params',
          JsonRpcCode.InvalidParams,
          'Invalid params: requestState is not one this server issued for this request, or it has expired',
        );
      }
      call = resumed;
      call.resume(this.#envelope.clientCapabilities, this.#envelope.logLevel, params.inputResponses);
    } else {
      call = this.#start(request, params, context);
    }
    // The client closing this round's response abandons the call, unless it is already waiting for input.
    const onAbort = () => call.cancel('the client closed the request');
    context.signal.addEventListener('abort', onAbort);
    let round: Awaited<ReturnType<ModernCall['round']>>;
    try {
      round = await call.round((notification) => this.#relay(notification, request, context));
    } finally {
      context.signal.removeEventListener('abort', onAbort);
    }
    if (round.kind === 'input_required') {
      parked.park(call);
      return { resultType: 'input_required', inputRequests: round.inputRequests, requestState: call.id };
    }
    parked.forget(call);
    if (round.kind === 'failed')
      throw method === 'resources/read' ? notFound(round.error, name) : round.error;
    const cache = method === 'resources/read' ? { ttlMs: 0, cacheScope: 'private' as const } : undefined;
    return completeResult(round.result, this.#host.serverInfo(), cache);
  }

  #start(
    request: JsonRpcRequest,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): ModernCall {
    const method = request.method;
    const call = new ModernCall({
      method,
      name: method === 'resources/read' ? String(params.uri ?? '') : (params.name as string | undefined),
      principal: this.#principal,
      capabilities: this.#envelope.clientCapabilities,
      clientInfo: this.#envelope.clientInfo,
      logLevel: this.#envelope.logLevel,
      tracer: this.#host.tracer,
      context: context.traceContext,
    });
    const origin = { caller: call, requestId: request.id };
    const forwarded = withoutEnvelope(params);
    if (method === 'tools/call') {
      const token = (params._meta as Record<string, unknown> | undefined)?.progressToken;
      const progress =
        token === undefined
          ? undefined
          : (update: Record<string, unknown>) =>
              call.deliver({
                jsonrpc: '2.0',
                method: 'notifications/progress',
                params: { ...update, progressToken: token },
              });
      call.run(
        this.#host.pipeline.call({
          name: String(params.name ?? ''),
          params: forwarded,
          agent: this.#scope.agent,
          signal: call.abort.signal,
          inputBytes: context.byteLength,
          progress,
          context: context.traceContext,
          extensions: { [ORIGIN_EXTENSION]: origin },
        }) as Promise<Record<string, unknown>>,
      );
      return call;
    }
    const route = routeRequest(this.#scope, method, forwarded) as {
      service: string;
      params: Record<string, unknown>;
    };
    const upstream = this.#host.upstreams.get(route.service);
    if (!upstream) {
      throw new ToolscopeError(
        'upstream_unavailable',
        JsonRpcCode.ServerError,
        `unknown service "${route.service}"`,
      );
    }
    call.run(
      upstream.request(method, route.params, {
        signal: call.abort.signal,
        context: context.traceContext,
        origin,
      }),
    );
    return call;
  }

  /** A request-scoped notification of the call, on this round's response stream. */
  #relay(notification: JsonRpcNotification, request: JsonRpcRequest, context: IncomingRequestContext): void {
    this.#peer?.notify(notification.method, notification.params, request.id, context.traceContext);
  }

  /** `subscriptions/listen`: acknowledge what the gateway honours, then stream it until the client closes. */
  async #listen(
    request: JsonRpcRequest,
    params: Record<string, unknown>,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    const wanted = (params.notifications ?? {}) as Record<string, unknown>;
    const tag = { [META_SUBSCRIPTION_ID]: request.id };
    const honoured: Record<string, unknown> = {};
    const kinds = new Set<ListKind>();
    for (const [key, kind] of Object.entries(LISTEN_KINDS)) {
      if (wanted[key] === true) {
        honoured[key] = true;
        kinds.add(kind);
      }
    }
    const peer = this.#peer;
    const send = (method: string, extra: Record<string, unknown>) =>
      peer?.notify(method, { ...extra, _meta: tag }, request.id, context.traceContext);
    const uris = Array.isArray(wanted.resourceSubscriptions)
      ? wanted.resourceSubscriptions.filter((uri): uri is string => typeof uri === 'string')
      : [];
    const subscriber: Caller & ScopeMember = {
      id: `listen-${String(request.id)}`,
      era: 'modern',
      identity: () => ({
        capabilities: this.#envelope.clientCapabilities,
        clientInfo: this.#envelope.clientInfo,
        logLevel: undefined,
      }),
      supports: () => false,
      serverRequest: () => Promise.reject(new Error('no requests on a subscription')),
      deliver: (notification) => send(notification.method, { ...notification.params, _meta: undefined }),
      wantsLog: () => false,
      notifyListChanged: (kind) => {
        if (kinds.has(kind)) send(LIST_CHANGED[kind], {});
      },
    };
    const subscribed: Array<[Upstream, string]> = [];
    for (const uri of uris) {
      let upstream: Upstream | undefined;
      try {
        upstream = this.#host.upstreams.get(this.#scope.resourceService(uri));
      } catch {
        continue; // nobody owns it: not honoured
      }
      if (!upstream?.capabilities.resources) continue;
      try {
        await this.#host.sharedSubscription(subscriber, upstream, uri, true, context);
        subscribed.push([upstream, uri]);
      } catch {
        // The service refused it: not honoured.
      }
    }
    if (uris.length > 0) honoured.resourceSubscriptions = subscribed.map(([, uri]) => uri);
    send('notifications/subscriptions/acknowledged', { notifications: honoured });
    this.#scope.members.add(subscriber);
    try {
      // Until the client closes the stream (the request's cancellation).
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve();
        else context.signal.addEventListener('abort', () => resolve());
      });
    } finally {
      this.#scope.members.delete(subscriber);
      for (const [upstream, uri] of subscribed)
        void this.#host.sharedSubscription(subscriber, upstream, uri, false, undefined).catch(() => {});
    }
    return { resultType: 'complete', _meta: tag };
  }
}

/**
 * A 2025 server's "resource not found" (-32002) as 2026-07-28 has it: -32602, with the URI in
 * `data` (SEP-2164). Other errors pass unchanged.
 */
function notFound(error: unknown, uri: string | undefined): unknown {
  if (
    !(error instanceof UpstreamRpcError) ||
    (error.code !== -32002 && error.code !== JsonRpcCode.InvalidParams)
  )
    return error;
  const data = typeof error.data === 'object' && error.data !== null ? error.data : {};
  return new UpstreamRpcError(JsonRpcCode.InvalidParams, error.message, { uri, ...data });
}

/** A 2026 request's params as a 2025 server expects them: no envelope, no MRTR fields. */
function withoutEnvelope(params: Record<string, unknown>): Record<string, unknown> {
  const { _meta: meta, inputResponses: _responses, requestState: _state, ...rest } = params;
  if (meta === undefined) return rest;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta as Record<string, unknown>))
    if (!key.startsWith('io.modelcontextprotocol/')) kept[key] = value;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}
