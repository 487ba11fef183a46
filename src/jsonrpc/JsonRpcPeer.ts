import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { type Context, diag } from '@opentelemetry/api';
import { JsonRpcCode, ToolscopeError, UpstreamRpcError } from '../pipeline/ToolscopeError.js';
import { Cancellation } from './Cancellation.js';
import {
  classifyMessage,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
} from './messages.js';

/** What a transport may tell about a message besides its content. */
export interface MessageExtra {
  /** Serialised size in bytes, when the transport framed the message itself. */
  byteLength?: number;
  /** HTTP request details (Streamable HTTP server transports). */
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
  authInfo?: unknown;
  /** The request whose response stream carried the message (per-request transports: 2026-07-28 HTTP). */
  relatedRequestId?: JsonRpcId;
}

/** Context of a request received from the peer. */
export interface IncomingRequestContext {
  readonly id: JsonRpcId;
  /** Aborted when the peer cancels the request or the connection closes. */
  readonly signal: AbortSignal;
  /** Serialised size of the request (0 when unknown). */
  readonly byteLength: number;
  readonly extra: MessageExtra | undefined;
  /** Trace context the request continues (its SERVER span), when a tracing transport saw it. */
  readonly traceContext: Context | undefined;
}

/** Handles what the peer sends us. */
export interface PeerHandler {
  /** Answer a request; throw `UpstreamRpcError` or `ToolscopeError` to answer with a JSON-RPC error. */
  onRequest(request: JsonRpcRequest, context: IncomingRequestContext): Promise<Record<string, unknown>>;
  onNotification(notification: JsonRpcNotification, extra: MessageExtra | undefined): void;
}

/** Options of one outgoing request. */
export interface OutgoingRequestOptions {
  /** Aborting sends `notifications/cancelled` to the peer and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Route the peer's `notifications/progress` for this request here (the token is rewritten). */
  onProgress?: ((params: Record<string, unknown>) => void) | undefined;
  /**
   * Notifications the transport says belong to this request (they came on its response stream), other
   * than its routed progress: they go here instead of the handler.
   */
  onRelated?: ((notification: JsonRpcNotification) => void) | undefined;
  /** HTTP server transports: the incoming request this one belongs to (picks the SSE stream). */
  relatedRequestId?: JsonRpcId | undefined;
  /** Trace context to send under (the parent of the request's CLIENT span). */
  context?: Context | undefined;
  /** Written by the peer on success: the response's size in bytes (0 when the transport doesn't say). */
  responseBytes?: number;
}

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(error: unknown): void;
  options: OutgoingRequestOptions | undefined;
  onAbort: (() => void) | undefined;
}

const noop = (): void => {};

/**
 * One side of a JSON-RPC connection over an MCP `Transport`: assigns ids to
 * outgoing requests and correlates responses, forwards cancellation both ways,
 * routes progress notifications, and answers malformed messages with the precise
 * JSON-RPC error. Parameters and results pass through untouched: toolscope is a
 * proxy, so it must not drop fields it does not know.
 */
export class JsonRpcPeer {
  readonly #transport: Transport;
  readonly #handler: PeerHandler;
  /** Outgoing requests awaiting a response, by our id. */
  readonly #pending = new Map<JsonRpcId, Pending>();
  /** Incoming requests being handled, by the peer's id (to honour its cancellations). */
  readonly #incoming = new Map<JsonRpcId, Cancellation>();
  /** Progress routes for outgoing requests, by the token we put on the wire. */
  readonly #progress = new Map<JsonRpcId, (params: Record<string, unknown>) => void>();
  #nextId = 1;
  #closed = false;
  /** Error used to reject requests still pending when the connection closes. */
  #closeError: () => Error;
  /** Called once when the connection closes, for whatever reason. */
  onclose: (() => void) | undefined;

  constructor(transport: Transport, handler: PeerHandler, options?: { closeError?: () => Error }) {
    this.#transport = transport;
    this.#handler = handler;
    this.#closeError =
      options?.closeError ??
      (() => new ToolscopeError('transport', JsonRpcCode.ServerError, 'connection closed'));
  }

  /** True once the connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Outgoing requests still waiting for a response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** The transport's session id (Streamable HTTP), if any. */
  get sessionId(): string | undefined {
    return this.#transport.sessionId;
  }

  /** Install callbacks, then start the transport (callbacks first, or early messages are lost). */
  async start(): Promise<void> {
    // A tracing transport hands the message's trace context as a third argument (see TracingTransport).
    const onmessage = (message: unknown, extra?: unknown, traceContext?: Context) =>
      this.receive(message, extra as MessageExtra | undefined, traceContext);
    this.#transport.onmessage = onmessage as Transport['onmessage'];
    this.#transport.onclose = () => this.#onTransportClosed();
    this.#transport.onerror = (error) => diag.debug(`toolscope: transport error: ${error.message}`);
    await this.#transport.start();
  }

  /**
   * Feed one decoded message (transports call this through `onmessage`).
   * `traceContext` is the context it continues, when a tracing transport knows it.
   */
  receive(value: unknown, extra?: MessageExtra, traceContext?: Context): void {
    const classified = classifyMessage(value);
    switch (classified.kind) {
      case 'request':
        this.#onRequest(classified.message, extra, traceContext);
        return;
      case 'notification':
        this.#onNotification(classified.message, extra);
        return;
      case 'result': {
        const { id, result } = classified.message;
        const pending = this.#take(id);
        if (pending) {
          if (pending.options) pending.options.responseBytes = extra?.byteLength ?? 0;
          pending.resolve(result);
        }
        return;
      }
      case 'error': {
        const { id, error } = classified.message;
        const pending = id === null ? undefined : this.#take(id);
        if (pending) pending.reject(new UpstreamRpcError(error.code, error.message, error.data));
        else diag.debug(`toolscope: peer sent error ${error.code} ${error.message} for id ${String(id)}`);
        return;
      }
      case 'invalid':
        // Answering a malformed *response* could ping-pong errors between two peers.
        if (!looksLikeResponse(value)) {
          this.#send(
            errorResponse(classified.id, JsonRpcCode.InvalidRequest, `Invalid Request: ${classified.reason}`),
          );
        } else {
          diag.debug(`toolscope: dropped malformed response: ${classified.reason}`);
        }
        return;
    }
  }

  /** Send a request and wait for its result. Rejects with `UpstreamRpcError` for JSON-RPC errors. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: OutgoingRequestOptions,
  ): Promise<Record<string, unknown>> {
    if (this.#closed) return Promise.reject(this.#closeError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    let wireParams = params;
    if (options?.onProgress) {
      // Our id is the token on the wire: unique on this connection whatever the callers used.
      const meta = (params?._meta as Record<string, unknown> | undefined) ?? {};
      wireParams = { ...params, _meta: { ...meta, progressToken: id } };
      this.#progress.set(id, options.onProgress);
    }
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const pending: Pending = { resolve, reject, options, onAbort: undefined };
      if (signal) {
        pending.onAbort = () => {
          if (!this.#take(id)) return;
          this.#send({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: id, reason: abortReasonText(signal.reason) },
          });
          reject(signal.reason);
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#pending.set(id, pending);
      const message: JsonRpcRequest =
        wireParams === undefined
          ? { jsonrpc: '2.0', id, method }
          : { jsonrpc: '2.0', id, method, params: wireParams };
      const sendOptions: (TransportSendOptions & { traceContext?: Context }) | undefined =
        options?.relatedRequestId === undefined && options?.context === undefined
          ? undefined
          : { relatedRequestId: options.relatedRequestId, traceContext: options.context };
      this.#transport.send(message as JSONRPCMessage, sendOptions).catch((error: unknown) => {
        if (this.#take(id))
          reject(new ToolscopeError('transport', JsonRpcCode.ServerError, sendFailure(error)));
      });
    });
  }

  /**
   * Send a notification. Never throws: a closed connection just drops it. `relatedRequestId`
   * picks the HTTP response stream of that request; `traceContext` is the trace the
   * notification belongs to (e.g. the call whose progress it relays).
   */
  notify(
    method: string,
    params?: Record<string, unknown>,
    relatedRequestId?: JsonRpcId,
    traceContext?: Context,
  ): void {
    const message: JsonRpcNotification =
      params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    this.#send(message, relatedRequestId, traceContext);
  }

  /** Close the connection; pending requests fail with the close error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#transport.close();
    } finally {
      this.#onTransportClosed();
    }
  }

  #take(id: JsonRpcId): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    if (pending.options?.onProgress) this.#progress.delete(id);
    if (pending.onAbort) pending.options?.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  #onRequest(
    request: JsonRpcRequest,
    extra: MessageExtra | undefined,
    traceContext: Context | undefined,
  ): void {
    const controller = new Cancellation();
    const { id } = request;
    if (this.#incoming.has(id)) {
      // MCP forbids reusing an id while it is in flight; answering would confuse the peer.
      this.#send(
        errorResponse(id, JsonRpcCode.InvalidRequest, `Invalid Request: id ${String(id)} is already in use`),
      );
      return;
    }
    this.#incoming.set(id, controller);
    const context: IncomingRequestContext = {
      id,
      signal: controller.signal,
      byteLength: extra?.byteLength ?? 0,
      extra,
      traceContext,
    };
    let answer: Promise<Record<string, unknown>>;
    try {
      answer = this.#handler.onRequest(request, context);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (result) => {
        if (this.#incoming.get(id) !== controller) return;
        this.#incoming.delete(id);
        if (!controller.signal.aborted) this.#send({ jsonrpc: '2.0', id, result });
      },
      (error: unknown) => {
        if (this.#incoming.get(id) !== controller) return;
        this.#incoming.delete(id);
        // A request the peer cancelled gets no response (MCP cancellation).
        if (controller.signal.aborted) return;
        this.#send(toErrorResponse(id, error));
      },
    );
  }

  #onNotification(notification: JsonRpcNotification, extra: MessageExtra | undefined): void {
    const { method, params } = notification;
    if (method === 'notifications/cancelled') {
      const requestId = params?.requestId as JsonRpcId | undefined;
      if (requestId !== undefined) this.#incoming.get(requestId)?.abort(cancelledByPeer(params?.reason));
    } else if (method === 'notifications/progress') {
      const route = this.#progress.get(params?.progressToken as JsonRpcId);
      if (route && params) {
        try {
          route(params);
        } catch (error) {
          diag.error('toolscope: progress route failed', error);
        }
        return;
      }
    }
    const related = extra?.relatedRequestId;
    const onRelated = related === undefined ? undefined : this.#pending.get(related)?.options?.onRelated;
    if (onRelated) {
      try {
        onRelated(notification);
      } catch (error) {
        diag.error('toolscope: related notification route failed', error);
      }
      return;
    }
    try {
      this.#handler.onNotification(notification, extra);
    } catch (error) {
      diag.error(`toolscope: notification handler failed for ${method}`, error);
    }
  }

  #send(message: JsonRpcMessage, relatedRequestId?: JsonRpcId, traceContext?: Context): void {
    if (this.#closed) return;
    const options =
      relatedRequestId === undefined && traceContext === undefined
        ? undefined
        : { relatedRequestId, traceContext };
    this.#transport.send(message as JSONRPCMessage, options).catch(noop);
  }

  #onTransportClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = this.#closeError();
    for (const [id, pending] of this.#pending) {
      this.#take(id);
      pending.reject(error);
    }
    for (const controller of this.#incoming.values()) controller.abort(error);
    this.#incoming.clear();
    this.onclose?.();
  }
}

function cancelledByPeer(reason: unknown): Error {
  const error = new Error(
    typeof reason === 'string' ? `cancelled by caller: ${reason}` : 'cancelled by caller',
  );
  error.name = 'AbortError';
  return error;
}

function abortReasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'cancelled';
}

function sendFailure(error: unknown): string {
  return `could not send: ${error instanceof Error ? error.message : String(error)}`;
}

/** Map any error thrown while answering a request to the JSON-RPC error the caller gets. */
export function toErrorResponse(id: JsonRpcId, error: unknown) {
  if (error instanceof UpstreamRpcError) return errorResponse(id, error.code, error.message, error.data);
  if (error instanceof ToolscopeError) {
    return errorResponse(id, error.code, error.message, { errorType: error.errorType, ...error.data });
  }
  const message = error instanceof Error ? error.message : String(error);
  return errorResponse(id, JsonRpcCode.InternalError, `Internal error: ${message}`);
}

function looksLikeResponse(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !('method' in value) &&
    ('result' in value || 'error' in value)
  );
}
