import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/** How to reach a 2026-07-28 Streamable HTTP server. */
export interface ModernHttpTransportOptions {
  /** Headers sent with every request (e.g. `Authorization`). @default {} */
  headers?: Record<string, string> | undefined;
  /** `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/** Methods whose `Mcp-Name` header mirrors a body field (SEP-2243). */
const NAMED: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/**
 * A client transport for the stateless revision (2026-07-28) over Streamable HTTP:
 * each request is a POST of its own, with the `MCP-Protocol-Version`, `Mcp-Method` and
 * `Mcp-Name` headers taken from the body, and its answer comes back on that POST —
 * a JSON body, or an SSE stream whose notifications (progress, log messages) precede
 * it. No session, no GET stream. Every message delivered carries the id of the request
 * whose response it came on (`extra.relatedRequestId`), so what a server says while
 * serving one caller's request goes back to that caller. Cancelling a request
 * (`notifications/cancelled`) closes its POST, as the revision has it.
 */
export class ModernHttpTransport implements Transport {
  readonly #url: URL;
  readonly #options: ModernHttpTransportOptions;
  /** Requests whose answer is still awaited, by JSON-RPC id. */
  readonly #open = new Map<string | number, AbortController>();
  #closed = false;

  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  constructor(url: URL, options: ModernHttpTransportOptions = {}) {
    this.#url = url;
    this.#options = options;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#open.values()) controller.abort();
    this.#open.clear();
    this.onclose?.();
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#closed) throw new Error('the transport is closed');
    const wire = message as { id?: string | number; method?: string; params?: Record<string, unknown> };
    if (wire.method === undefined) return; // a response: 2026-07-28 servers send no requests to answer
    if (wire.id === undefined) {
      if (wire.method === 'notifications/cancelled') {
        const id = wire.params?.requestId as string | number | undefined;
        if (id !== undefined) this.#open.get(id)?.abort();
        return;
      }
      await this.#post(message, wire, undefined).catch((error: unknown) => this.onerror?.(error as Error));
      return;
    }
    const controller = new AbortController();
    this.#open.set(wire.id, controller);
    const id = wire.id;
    let response: Response;
    try {
      response = await this.#post(message, wire, controller.signal);
    } catch (error) {
      this.#open.delete(id);
      if (controller.signal.aborted) return;
      throw error;
    }
    // The answer is read in the background: `send` resolves once the server has taken the request.
    void this.#read(id, response, controller).finally(() => this.#open.delete(id));
  }

  #post(
    message: JSONRPCMessage,
    wire: { method?: string; params?: Record<string, unknown> },
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      ...this.#options.headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const version = (wire.params?._meta as Record<string, unknown> | undefined)?.[
      'io.modelcontextprotocol/protocolVersion'
    ];
    if (typeof version === 'string') headers['mcp-protocol-version'] = version;
    if (wire.method) headers['mcp-method'] = wire.method;
    const field = wire.method ? NAMED[wire.method] : undefined;
    const name = field ? wire.params?.[field] : undefined;
    if (typeof name === 'string') headers['mcp-name'] = headerValue(name);
    const doFetch = this.#options.fetch ?? fetch;
    return doFetch(this.#url, { method: 'POST', headers, body: JSON.stringify(message), signal });
  }

  async #read(id: string | number, response: Response, controller: AbortController): Promise<void> {
    const type = response.headers.get('content-type') ?? '';
    try {
      if (type.includes('text/event-stream') && response.body) {
        const events = response.body
          .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
          .pipeThrough(new EventSourceParserStream());
        for await (const event of events) {
          if (event.event !== undefined && event.event !== 'message') continue;
          if (!event.data) continue;
          this.#deliver(JSON.parse(event.data), id);
        }
        return;
      }
      const text = await response.text();
      let body: { id?: unknown; result?: unknown; error?: unknown } | undefined;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (body !== undefined && (body.result !== undefined || body.error !== undefined)) {
        this.#deliver({ ...body, id: body.id ?? id }, id);
        return;
      }
      this.#deliver(
        response.ok ? unreadable(id, 'not a JSON-RPC response') : httpError(id, response.status, text),
        id,
      );
    } catch (error) {
      if (controller.signal.aborted || this.#closed) return;
      this.#deliver(unreadable(id, (error as Error).message), id);
    }
  }

  #deliver(message: unknown, relatedRequestId: string | number): void {
    if (this.#closed) return;
    const extra = { relatedRequestId };
    (this.onmessage as ((message: unknown, extra: unknown) => void) | undefined)?.(message, extra);
  }
}

/** A non-JSON-RPC HTTP failure as the JSON-RPC error of the request it answers. */
function httpError(id: string | number, status: number, text: string): unknown {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: -32000,
      message: `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      data: { status },
    },
  };
}

function unreadable(id: string | number, reason: string): unknown {
  return {
    jsonrpc: '2.0',
    id,
    error: { code: -32000, message: `the server's answer could not be read: ${reason}` },
  };
}

/** A header value as SEP-2243 has it: plain when it is safe printable ASCII, else the Base64 sentinel. */
function headerValue(value: string): string {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith('=?')) return value;
  return `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
