import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  type Attributes,
  type Context,
  context,
  diag,
  isSpanContextValid,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type ContentCapturePolicy, captureJson, NO_CAPTURE } from './ContentCapture.js';
import type { McpInstruments } from './instruments.js';
import { extractContext, injectContext } from './metaPropagation.js';
import * as sc from './semconv.js';
import { ATTR_TS_SERVICE } from './toolscopeNames.js';

/** Where a 2026-07-28 request carries its protocol version. */
const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';

/** Facts about the connection, for `network.*` and address attributes. */
export interface NetworkInfo {
  /** `pipe` (stdio), `tcp` (HTTP, WebSocket), `inproc` (same process). */
  transport: 'pipe' | 'tcp' | 'inproc';
  protocolName?: 'http' | 'websocket' | undefined;
  protocolVersion?: string | undefined;
  /** The peer's address: `server.*` on client transports, `client.*` on server transports. */
  peerAddress?: string | undefined;
  peerPort?: number | undefined;
}

export interface TracingTransportOptions {
  tracer: Tracer;
  instruments: McpInstruments;
  network: NetworkInfo;
  /** `client`: this transport connects to an MCP server; `server`: it serves an MCP client. */
  role: 'client' | 'server';
  /** `toolscope.service` of the upstream (gateway client transports). */
  service?: string | undefined;
  capture?: ContentCapturePolicy | undefined;
  /** Spans kept for correlation at most (a peer that never answers cannot grow memory). @default 10000 */
  maxPending?: number | undefined;
  /**
   * Whether a tool or prompt name the peer sent is a real one. Metric attributes carry only
   * names it accepts (others are recorded without one), so a client cannot mint series.
   * @default every name is accepted
   */
  knownName?: ((kind: 'tool' | 'prompt', name: string) => boolean) | undefined;
}

interface PendingSpan {
  readonly span: Span;
  readonly start: number;
  readonly method: string;
  readonly tool: string | undefined;
  readonly prompt: string | undefined;
  /** `mcp.protocol.version` the span got at its start (undefined: not known then, or not recording). */
  readonly version: string | undefined;
  /** The span's context, when one was made anyway (the duration's exemplar points at its trace). */
  context?: Context | undefined;
  /** The request's `_meta.progressToken`, when it asked for progress. */
  progressToken?: string | number | undefined;
}

type Message = Record<string, unknown> & {
  method?: string;
  id?: string | number;
  params?: Record<string, unknown>;
};

let reported = false;
function reportOnce(error: unknown): void {
  if (reported) return;
  reported = true;
  diag.error('toolscope: telemetry failed on an MCP message (reported once; messages still flow)', error);
}

const RESOURCE_METHODS = new Set([
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'notifications/resources/updated',
]);

/**
 * Wraps any MCP `Transport` so every message becomes telemetry that follows the
 * OpenTelemetry MCP semantic conventions: requests and notifications this side
 * sends are CLIENT spans (their trace context injected into `params._meta`),
 * those it receives are SERVER spans that continue the sender's trace (from
 * `_meta`, else the HTTP headers) and link the transport's own span; a span ends
 * when the response with its id passes, and its duration goes to
 * `mcp.{client,server}.operation.duration`. Messages pass unchanged apart from
 * `_meta`, and a telemetry failure never stops one. `onmessage` receives the
 * message's trace context as a third argument (for consumers that do not rely
 * on a context manager); it also runs inside that context.
 */
export class TracingTransport implements Transport {
  readonly #inner: Transport;
  readonly #options: TracingTransportOptions;
  readonly #sent = new Map<string | number, PendingSpan>();
  readonly #received = new Map<string | number, PendingSpan>();
  /** Spans of requests sent asking for progress, by token: their progress belongs to their trace. */
  readonly #progressOf = new Map<string | number, Span>();
  readonly #maxPending: number;
  readonly #capture: ContentCapturePolicy;
  #protocolVersion: string | undefined;
  #startedAt = 0;
  #closed = false;
  /** Histogram attributes per side → method → tool or prompt (`''`: neither) → outcome (`''`: success). */
  readonly #attributeCache = {
    client: new Map<string, Map<string, Map<string, Attributes>>>(),
    server: new Map<string, Map<string, Map<string, Attributes>>>(),
  };
  #cachedAttributes = 0;
  #cachedVersion: string | undefined;

  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  constructor(inner: Transport, options: TracingTransportOptions) {
    this.#inner = inner;
    this.#options = options;
    this.#maxPending = options.maxPending ?? 10_000;
    this.#capture = options.capture ?? NO_CAPTURE;
    inner.onmessage = (message, extra) => this.#receive(message as unknown as Message, extra);
    inner.onclose = () => this.#onClose();
    inner.onerror = (error) => this.onerror?.(error);
  }

  /** The wrapped transport. */
  get inner(): Transport {
    return this.#inner;
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
    this.#inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    this.#startedAt = performance.now();
    return this.#inner.start();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const outgoing = message as unknown as Message;
    let wire = outgoing;
    let notificationSpan: Span | undefined;
    let request: string | number | undefined;
    try {
      if (typeof outgoing.method === 'string') {
        // Explicit context from the sender (toolscope's own path) wins over the ambient one.
        const parent = (options as { traceContext?: Context } | undefined)?.traceContext ?? context.active();
        if (outgoing.id !== undefined) {
          wire = this.#startClientRequest(outgoing, parent);
          request = outgoing.id as string | number;
        } else [wire, notificationSpan] = this.#startNotification(outgoing, parent);
      }
    } catch (error) {
      reportOnce(error);
      wire = outgoing;
    }
    let sent: Promise<void>;
    try {
      sent = this.#inner.send(wire as unknown as JSONRPCMessage, options);
    } catch (error) {
      this.#answered(outgoing);
      // The transport refused the message outright (e.g. arguments it cannot serialise):
      // the app gets the transport's own error; the span ends now rather than at close.
      if (request !== undefined) this.#sendFailed(request, error);
      if (notificationSpan)
        this.#endNotification(
          notificationSpan,
          performance.now(),
          outgoing.method as string,
          'client',
          'send_failed',
        );
      throw error;
    }
    // A response ends its SERVER span after it is handed to the wire, so the caller's answer does not
    // wait for span and histogram work (the span then covers the write too, as the caller sees it).
    this.#answered(outgoing);
    // No answer will come for a request that never left: end its span (and free its slot) now.
    if (request !== undefined) sent.then(undefined, (error: unknown) => this.#sendFailed(request, error));
    if (notificationSpan) {
      const span = notificationSpan;
      const start = performance.now();
      const method = outgoing.method as string;
      sent.then(
        () => this.#endNotification(span, start, method, 'client'),
        () => this.#endNotification(span, start, method, 'client', 'send_failed'),
      );
    }
    return sent;
  }

  // ── outgoing ──

  /** A response (or error) we sent: end the SERVER span of the request it answers. */
  #answered(outgoing: Message): void {
    if (typeof outgoing.method === 'string' || outgoing.id === undefined) return;
    try {
      this.#finish(this.#received, outgoing, 'server');
    } catch (error) {
      reportOnce(error);
    }
  }

  #startClientRequest(message: Message, parent: Context): Message {
    if (this.#sent.size >= this.#maxPending) return message;
    const pending = this.#startSpan(message, SpanKind.CLIENT, parent, undefined);
    this.#sent.set(message.id as string | number, pending);
    const token = (message.params?._meta as Record<string, unknown> | undefined)?.progressToken;
    if (typeof token === 'string' || typeof token === 'number') {
      pending.progressToken = token;
      this.#progressOf.set(token, pending.span);
    }
    // No trace to continue (nothing recorded, no context from the caller): nothing to inject, no copies.
    if (!isSpanContextValid(pending.span.spanContext())) return message;
    pending.context = trace.setSpan(parent, pending.span);
    return { ...message, params: injectContext(message.params, pending.context) };
  }

  #startNotification(message: Message, parent: Context): [Message, Span] {
    const { span } = this.#startSpan(message, SpanKind.CLIENT, parent, undefined);
    if (message.method === 'notifications/cancelled')
      this.#cancel(this.#sent, message.params?.requestId, 'client');
    if (!isSpanContextValid(span.spanContext())) return [message, span];
    return [{ ...message, params: injectContext(message.params, trace.setSpan(parent, span)) }, span];
  }

  // ── incoming ──

  #receive(message: Message, extra: unknown): void {
    let span: Span | undefined;
    const ambientContext = context.active();
    let spanContext = ambientContext;
    let notificationStart = 0;
    try {
      if (typeof message.method === 'string') {
        const headers = (
          extra as { requestInfo?: { headers?: Record<string, string | string[] | undefined> } } | undefined
        )?.requestInfo?.headers;
        let parent = extractContext(message.params?._meta, headers);
        // Progress a server sends without trace context of its own belongs to the request it reports on.
        if (message.method === 'notifications/progress' && trace.getSpan(parent) === undefined) {
          const request = this.#progressOf.get(message.params?.progressToken as string | number);
          if (request) parent = trace.setSpan(parent, request);
        }
        const ambient = trace.getSpan(spanContext);
        const links: Link[] | undefined = ambient ? [{ context: ambient.spanContext() }] : undefined;
        const pending = this.#startSpan(message, SpanKind.SERVER, parent, links);
        span = pending.span;
        spanContext = trace.setSpan(parent, span);
        pending.context = spanContext;
        if (message.id !== undefined) {
          if (this.#received.size < this.#maxPending) this.#received.set(message.id, pending);
          span = undefined;
        } else {
          notificationStart = pending.start;
          if (message.method === 'notifications/cancelled')
            this.#cancel(this.#received, message.params?.requestId, 'server');
        }
      } else if (message.id !== undefined) {
        this.#finish(this.#sent, message, 'client');
      }
    } catch (error) {
      reportOnce(error);
    }
    // The span context also travels with the message, as a third argument the SDK ignores, so
    // toolscope's own code (JsonRpcPeer) needs no context manager and nothing is copied per message.
    const onmessage = this.onmessage as
      | ((message: JSONRPCMessage, extra: unknown, traceContext: Context) => void)
      | undefined;
    const deliver = () => onmessage?.(message as unknown as JSONRPCMessage, extra, spanContext);
    if (span) {
      try {
        context.with(spanContext, deliver);
      } finally {
        this.#endNotification(span, notificationStart, message.method as string, 'server');
      }
    } else if (spanContext === ambientContext) {
      deliver(); // a response: it continues the context it arrived in, no need to enter it again
    } else {
      context.with(spanContext, deliver);
    }
  }

  // ── spans ──

  #startSpan(
    message: Message,
    kind: SpanKind,
    parent: ReturnType<typeof context.active>,
    links: Link[] | undefined,
  ): PendingSpan {
    const method = message.method as string;
    const params = message.params;
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    const prompt = method === 'prompts/get' && typeof params?.name === 'string' ? params.name : undefined;
    const target = tool ?? prompt;
    const span = this.#options.tracer.startSpan(
      target === undefined ? method : `${method} ${target}`,
      { kind, links },
      parent,
    );
    let version: string | undefined;
    // Attributes cost allocations; a span that is not recorded (no exporter, or sampled out) needs none.
    if (span.isRecording()) {
      const attributes: Attributes = { [sc.ATTR_MCP_METHOD_NAME]: method };
      if (message.id !== undefined) attributes[sc.ATTR_JSONRPC_REQUEST_ID] = String(message.id);
      if (tool !== undefined) {
        attributes[sc.ATTR_GEN_AI_TOOL_NAME] = tool;
        attributes[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_EXECUTE_TOOL;
        if (this.#capture.arguments && params?.arguments !== undefined) {
          attributes[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = captureJson(params.arguments, this.#capture);
        }
      }
      if (prompt !== undefined) attributes[sc.ATTR_GEN_AI_PROMPT_NAME] = prompt;
      if (RESOURCE_METHODS.has(method) && typeof params?.uri === 'string')
        attributes[sc.ATTR_MCP_RESOURCE_URI] = params.uri;
      this.#addConnectionAttributes(attributes);
      // A 2026-07-28 request names its revision itself: there is no handshake to learn it from.
      const claim = (params?._meta as Record<string, unknown> | undefined)?.[META_PROTOCOL_VERSION];
      if (typeof claim === 'string') attributes[sc.ATTR_MCP_PROTOCOL_VERSION] = claim;
      span.setAttributes(attributes);
      version = typeof claim === 'string' ? claim : this.#protocolVersion;
    }
    return { span, start: performance.now(), method, tool, prompt, version };
  }

  #addConnectionAttributes(attributes: Attributes): void {
    const { network, role, service } = this.#options;
    attributes[sc.ATTR_NETWORK_TRANSPORT] = network.transport;
    if (network.protocolName) attributes[sc.ATTR_NETWORK_PROTOCOL_NAME] = network.protocolName;
    if (network.protocolVersion) attributes[sc.ATTR_NETWORK_PROTOCOL_VERSION] = network.protocolVersion;
    if (network.peerAddress) {
      attributes[role === 'client' ? sc.ATTR_SERVER_ADDRESS : sc.ATTR_CLIENT_ADDRESS] = network.peerAddress;
      if (network.peerPort !== undefined) {
        attributes[role === 'client' ? sc.ATTR_SERVER_PORT : sc.ATTR_CLIENT_PORT] = network.peerPort;
      }
    }
    const sessionId = this.#inner.sessionId;
    if (sessionId) attributes[sc.ATTR_MCP_SESSION_ID] = sessionId;
    if (this.#protocolVersion) attributes[sc.ATTR_MCP_PROTOCOL_VERSION] = this.#protocolVersion;
    if (service) attributes[ATTR_TS_SERVICE] = service;
  }

  /** End the span of the request `response` answers; `side` is who measured it. */
  #finish(pending: Map<string | number, PendingSpan>, response: Message, side: 'client' | 'server'): void {
    const id = response.id as string | number;
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    const { span, method } = entry;
    const error = response.error as { code?: number; message?: string } | undefined;
    const result = response.result as Record<string, unknown> | undefined;
    if (method === 'initialize' && typeof result?.protocolVersion === 'string')
      this.#protocolVersion = result.protocolVersion;
    let errorType: string | undefined;
    let statusCode: string | undefined;
    let description: string | undefined;
    if (error) {
      statusCode = String(error.code);
      description = error.message;
      // Server side, "the caller asked for something we cannot serve" is not an error (semconv). Nor is
      // a 2025-11-25 server refusing `server/discover`: that is how toolscope learns which revision it
      // speaks, on every start, and an error there would keep a trace per upstream and per session.
      const probed = side === 'client' && method === 'server/discover';
      if (!probed && (side === 'client' || !sc.SERVER_NON_ERROR_CODES.has(error.code ?? 0)))
        errorType = statusCode;
      span.setAttribute(sc.ATTR_RPC_RESPONSE_STATUS_CODE, statusCode);
    } else if (result?.isError === true && method === 'tools/call') {
      errorType = sc.ERROR_TYPE_TOOL_ERROR;
      // A tool error's text is part of its result (user data): the status says it only when results are captured.
      if (this.#capture.results) description = firstText(result);
    }
    if (entry.tool !== undefined && this.#capture.results && result !== undefined) {
      span.setAttribute(
        sc.ATTR_GEN_AI_TOOL_CALL_RESULT,
        captureJson(result.content ?? result, this.#capture),
      );
    }
    // Negotiated while the span was open (initialize itself, or a connection traced mid-way).
    if (this.#protocolVersion && entry.version !== this.#protocolVersion)
      span.setAttribute(sc.ATTR_MCP_PROTOCOL_VERSION, this.#protocolVersion);
    this.#end(entry, side, errorType, statusCode, description);
  }

  /** End the span of a request the transport failed to send (`error.type` = `send_failed`). */
  #sendFailed(id: string | number, error: unknown): void {
    try {
      const entry = this.#sent.get(id);
      if (!entry) return;
      this.#sent.delete(id);
      this.#end(entry, 'client', 'send_failed', undefined, (error as Error | undefined)?.message);
    } catch (failure) {
      reportOnce(failure);
    }
  }

  #cancel(pending: Map<string | number, PendingSpan>, requestId: unknown, side: 'client' | 'server'): void {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const entry = pending.get(requestId);
    if (!entry) return;
    pending.delete(requestId);
    this.#end(entry, side, 'cancelled', undefined, 'request cancelled');
  }

  #end(
    entry: PendingSpan,
    side: 'client' | 'server',
    errorType: string | undefined,
    statusCode: string | undefined,
    description: string | undefined,
  ): void {
    const { span } = entry;
    if (entry.progressToken !== undefined) this.#progressOf.delete(entry.progressToken);
    if (errorType !== undefined) {
      span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: description });
    }
    span.end();
    this.#record(
      side,
      entry.method,
      entry.tool,
      entry.prompt,
      errorType,
      statusCode,
      (performance.now() - entry.start) / 1000,
      entry.context,
    );
  }

  #endNotification(
    span: Span,
    start: number,
    method: string,
    side: 'client' | 'server',
    errorType?: string,
  ): void {
    try {
      if (errorType) {
        span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      this.#record(
        side,
        method,
        undefined,
        undefined,
        errorType,
        undefined,
        (performance.now() - start) / 1000,
      );
    } catch (error) {
      reportOnce(error);
    }
  }

  #record(
    side: 'client' | 'server',
    method: string,
    tool: string | undefined,
    prompt: string | undefined,
    errorType: string | undefined,
    statusCode: string | undefined,
    seconds: number,
    traceContext?: Context,
  ): void {
    // Service, network and protocol version are fixed per transport (the version once
    // negotiated), so attributes are cached per transport, by side, method, tool or prompt and
    // outcome. Nested maps of the strings the message already has: a success (outcome '') is found
    // without building a key, which would be a fresh string hashed on every call.
    const known = this.#options.knownName;
    if (known !== undefined) {
      if (tool !== undefined && !known('tool', tool)) tool = undefined;
      if (prompt !== undefined && !known('prompt', prompt)) prompt = undefined;
    }
    const version = this.#protocolVersion;
    if (version !== this.#cachedVersion) {
      this.#attributeCache.client.clear();
      this.#attributeCache.server.clear();
      this.#cachedAttributes = 0;
      this.#cachedVersion = version;
    }
    const target = tool ?? prompt ?? '';
    const outcome =
      errorType === undefined && statusCode === undefined ? '' : `${errorType ?? ''}|${statusCode ?? ''}`;
    const byMethod = this.#attributeCache[side];
    let byTarget = byMethod.get(method);
    let byOutcome = byTarget?.get(target);
    let attributes = byOutcome?.get(outcome);
    if (attributes === undefined) {
      attributes = { [sc.ATTR_MCP_METHOD_NAME]: method };
      if (tool !== undefined) {
        attributes[sc.ATTR_GEN_AI_TOOL_NAME] = tool;
        attributes[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.GEN_AI_OPERATION_EXECUTE_TOOL;
      }
      if (prompt !== undefined) attributes[sc.ATTR_GEN_AI_PROMPT_NAME] = prompt;
      if (errorType !== undefined) attributes[sc.ATTR_ERROR_TYPE] = errorType;
      if (statusCode !== undefined) attributes[sc.ATTR_RPC_RESPONSE_STATUS_CODE] = statusCode;
      this.#addConnectionAttributes(attributes);
      delete attributes[sc.ATTR_MCP_SESSION_ID];
      // Bounded: past this, measurements carry fresh objects and the metric's cardinality limit applies.
      if (this.#cachedAttributes < 1024) {
        this.#cachedAttributes++;
        if (byTarget === undefined) {
          byTarget = new Map();
          byMethod.set(method, byTarget);
        }
        if (byOutcome === undefined) {
          byOutcome = new Map();
          byTarget.set(target, byOutcome);
        }
        byOutcome.set(outcome, attributes);
      }
    }
    const instruments = this.#options.instruments;
    (side === 'client' ? instruments.clientOperation : instruments.serverOperation).record(
      seconds,
      attributes,
      traceContext,
    );
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const entry of this.#sent.values())
        this.#end(entry, 'client', 'connection_closed', undefined, 'connection closed');
      for (const entry of this.#received.values())
        this.#end(entry, 'server', 'connection_closed', undefined, 'connection closed');
      this.#sent.clear();
      this.#received.clear();
      this.#progressOf.clear();
      if (this.#startedAt > 0) {
        const attributes: Attributes = {};
        this.#addConnectionAttributes(attributes);
        delete attributes[sc.ATTR_MCP_SESSION_ID];
        const histogram =
          this.#options.role === 'client'
            ? this.#options.instruments.clientSession
            : this.#options.instruments.serverSession;
        histogram.record((performance.now() - this.#startedAt) / 1000, attributes);
      }
    } catch (error) {
      reportOnce(error);
    }
    this.onclose?.();
  }
}

function firstText(result: Record<string, unknown>): string | undefined {
  const content = result.content;
  if (!Array.isArray(content)) return undefined;
  for (const item of content) {
    if (item && typeof item === 'object' && (item as { type?: unknown }).type === 'text') {
      const text = (item as { text?: unknown }).text;
      if (typeof text === 'string') return text.length > 200 ? `${text.slice(0, 200)}…` : text;
    }
  }
  return undefined;
}
