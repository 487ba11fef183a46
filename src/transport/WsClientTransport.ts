import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import WebSocket from 'ws';

/** How to reach a WebSocket MCP server. */
export interface WsClientTransportOptions {
  /** Handshake headers (e.g. `Authorization`): the SDK's WebSocket transport cannot send any. @default {} */
  headers?: Record<string, string> | undefined;
  /** Largest message accepted from the server, bytes (larger closes the connection). @default 16 MiB */
  maxMessageBytes?: number | undefined;
  /** Longest opening handshake, ms. @default 30000 */
  handshakeTimeoutMs?: number | undefined;
}

/** MCP's WebSocket subprotocol (as the SDK's WebSocket transports use it). */
export const MCP_SUBPROTOCOL = 'mcp';

/**
 * An MCP client transport over WebSocket, on the `ws` package. The SDK's
 * `WebSocketClientTransport` needs a global `WebSocket`, which Node 20 lacks;
 * installing one would change the host application's globals. This transport
 * also sends handshake headers (remote servers' `headers`, e.g. a bearer
 * token), bounds message size, reports each message's size to the telemetry
 * tap, and passes messages on unparsed by any schema (a proxy must not drop
 * fields it does not know).
 */
export class WsClientTransport implements Transport {
  readonly #url: URL;
  readonly #options: WsClientTransportOptions;
  #socket: WebSocket | undefined;
  #closed = false;

  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  constructor(url: URL, options: WsClientTransportOptions = {}) {
    this.#url = url;
    this.#options = options;
  }

  start(): Promise<void> {
    if (this.#socket) throw new Error('WsClientTransport already started');
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.#url, MCP_SUBPROTOCOL, {
        headers: this.#options.headers,
        maxPayload: this.#options.maxMessageBytes ?? 16 * 1024 * 1024,
        handshakeTimeout: this.#options.handshakeTimeoutMs ?? 30_000,
        perMessageDeflate: false,
      });
      this.#socket = socket;
      let open = false;
      socket.on('open', () => {
        open = true;
        resolve();
      });
      socket.on('unexpected-response', (_request, response) => {
        const error = new Error(`WebSocket handshake refused: HTTP ${response.statusCode}`);
        response.resume();
        socket.terminate();
        if (!open) reject(error);
      });
      socket.on('error', (error: Error) => {
        if (!open) reject(error);
        else this.onerror?.(error);
      });
      socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) {
          this.onerror?.(new Error('WebSocket: binary frames are not MCP messages'));
          return;
        }
        const text = rawText(data);
        let message: JSONRPCMessage;
        try {
          message = JSON.parse(text) as JSONRPCMessage;
        } catch (error) {
          this.onerror?.(error as Error);
          return;
        }
        this.onmessage?.(message, { byteLength: Buffer.byteLength(text) } as never);
      });
      socket.on('close', () => {
        if (!open) reject(new Error('WebSocket closed before it opened'));
        this.#finish();
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN)
      return Promise.reject(new Error('WebSocket is not open'));
    return new Promise((resolve, reject) => {
      socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return this.#finish();
    if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    else socket.terminate();
    // A server that never answers the close frame must not hold shutdown.
    const timer = setTimeout(() => socket.terminate(), 2000);
    timer.unref();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
