import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorResponse } from '../jsonrpc/messages.js';
import { LineReader, peekMessageId } from './LineReader.js';

/** Options of the stdio server transport. */
export interface StdioServerTransportOptions {
  input?: Readable;
  output?: Writable;
  /** Largest message accepted from the client, bytes. @default 16 MiB */
  maxMessageBytes?: number;
}

/**
 * The MCP server side of stdio (toolscope's own stdin/stdout, facing the agent).
 * Closes when stdin ends — so the gateway exits with its client, unlike servers
 * built on the SDK's transport (typescript-sdk #2002) — and when stdout breaks
 * (EPIPE), without crashing. Bad JSON gets -32700 and an oversized line gets an
 * error naming the limit, as the client expects from a server.
 */
export class StdioServerTransport implements Transport {
  readonly #input: Readable;
  readonly #output: Writable;
  readonly #maxMessageBytes: number;
  #closed = false;
  #onData: ((chunk: Buffer) => void) | undefined;

  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  constructor(options: StdioServerTransportOptions = {}) {
    this.#input = options.input ?? process.stdin;
    this.#output = options.output ?? process.stdout;
    this.#maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  }

  async start(): Promise<void> {
    const reader = new LineReader(
      this.#maxMessageBytes,
      (line) => this.#onLine(line),
      (head, total) => {
        const id = peekMessageId(head);
        this.#write(
          errorResponse(
            id,
            -32600,
            `Invalid Request: message too large (${total} bytes; limit ${this.#maxMessageBytes})`,
          ),
        );
      },
    );
    this.#onData = (chunk) => reader.push(chunk);
    this.#input.on('data', this.#onData);
    this.#input.once('end', () => this.#finish());
    this.#input.once('close', () => this.#finish());
    this.#input.on('error', (error) => {
      this.onerror?.(error);
      this.#finish();
    });
    this.#output.on('error', (error) => {
      // EPIPE: the client went away. Stop quietly; there is nobody to answer.
      this.onerror?.(error);
      this.#finish();
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('stdio transport is closed'));
    this.#write(message);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.#finish();
  }

  #write(message: unknown): void {
    if (this.#closed || this.#output.destroyed) return;
    this.#output.write(`${JSON.stringify(message)}\n`);
  }

  #onLine(line: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(line.toString('utf8'));
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'invalid JSON';
      this.#write(errorResponse(null, -32700, `Parse error: ${reason}`));
      return;
    }
    this.onmessage?.(message as JSONRPCMessage, { byteLength: line.length } as never);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#onData) this.#input.off('data', this.#onData);
    this.#input.pause();
    this.onclose?.();
  }
}
