import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { MISSING_CLIENT_CAPABILITY } from './modernProtocol.js';

/**
 * One 2026-07-28 HTTP exchange as an MCP `Transport`: the POSTed request goes to
 * `onmessage` once started; what is sent back is its answer — a single JSON body,
 * or, as soon as a notification (progress, a log message) precedes the answer, an
 * SSE stream that the answer then ends. The client closing the response before the
 * answer is cancellation (`onclose`, and the peer aborts the request).
 */
export class ExchangeTransport implements Transport {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #message: JSONRPCMessage;
  #streaming = false;
  #done = false;

  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, message: JSONRPCMessage) {
    this.#req = req;
    this.#res = res;
    this.#message = message;
  }

  /** Keep the stream open after the answer to this request (a `subscriptions/listen` stream is all notifications). */
  get streaming(): boolean {
    return this.#streaming;
  }

  async start(): Promise<void> {
    this.#res.once('close', () => this.#finish());
    const extra = { requestInfo: { headers: this.#req.headers } };
    // After start returns, as a transport delivers what arrives after it is started.
    queueMicrotask(() => this.onmessage?.(this.#message, extra as never));
  }

  /** Switch to an SSE stream now (before anything is written). */
  openStream(): void {
    if (this.#streaming || this.#res.headersSent) return;
    this.#streaming = true;
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    this.#res.flushHeaders();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#done) throw new Error('the exchange is over');
    const isAnswer = !('method' in message) && 'id' in message;
    if (!isAnswer) {
      this.openStream();
      this.#res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return;
    }
    if (this.#streaming) {
      this.#res.end(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    } else {
      const body = JSON.stringify(message);
      this.#res.writeHead(statusOf(message), {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      this.#res.end(body);
    }
    this.#finish();
  }

  async close(): Promise<void> {
    if (!this.#res.writableEnded) this.#res.end();
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.onclose?.();
  }
}

/** HTTP status of a plain-JSON answer: protocol refusals the spec maps, everything else in-band. */
function statusOf(message: JSONRPCMessage): number {
  const code = (message as { error?: { code?: number } }).error?.code;
  if (code === -32601) return 404;
  if (code === MISSING_CLIENT_CAPABILITY) return 400;
  return 200;
}
