import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { eventually, httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';

/**
 * Issue 11 acceptance: a WebSocket MCP server, built with the SDK in the test,
 * behind the gateway: listed, called, sent the configured headers, and
 * reconnected with the same lifecycle as other upstreams when it goes away.
 */

/** The server side of one WebSocket connection, as an SDK transport. */
class WsServerTransport implements Transport {
  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;
  constructor(private readonly socket: WebSocket) {}
  async start(): Promise<void> {
    this.socket.on('message', (data) => this.onmessage?.(JSON.parse(String(data)) as JSONRPCMessage));
    this.socket.on('close', () => this.onclose?.());
  }
  async send(message: JSONRPCMessage): Promise<void> {
    this.socket.send(JSON.stringify(message));
  }
  async close(): Promise<void> {
    this.socket.close();
  }
}

/** An SDK McpServer per WebSocket connection (subprotocol `mcp`), on `port` (0: any). */
async function startWsServer(port: number, seen: IncomingHttpHeaders[]): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port, host: '127.0.0.1', handleProtocols: () => 'mcp' });
  wss.on('connection', (socket, request) => {
    seen.push(request.headers);
    const server = new McpServer({ name: 'ws-test', version: '1.0.0' });
    server.registerTool(
      'add',
      { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );
    void server.connect(new WsServerTransport(socket));
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  return wss;
}

async function stopWsServer(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

const headers: IncomingHttpHeaders[] = [];
let wss: WebSocketServer;
let port = 0;
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

async function serviceState(): Promise<string> {
  const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as {
    services: Record<string, string>;
  };
  return health.services.sock ?? 'missing';
}

beforeAll(async () => {
  wss = await startWsServer(0, headers);
  port = (wss.address() as AddressInfo).port;
  const config = await writeConfig({
    mcpServers: {
      sock: { url: `ws://127.0.0.1:${port}/mcp`, headers: { Authorization: 'Bearer ${env:WS_TOKEN}' } },
    },
    toolscope: { health: { pingIntervalMs: 300, restartInitialDelayMs: 100, restartMaxDelayMs: 300 } },
  });
  gateway = await startHttpGateway(config, [], {
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    WS_TOKEN: 'ws-secret-1',
  });
});

afterAll(async () => {
  await gateway?.stop();
  if (wss) await stopWsServer(wss);
});

describe('a WebSocket upstream', () => {
  it('is listed and called through the gateway, with the configured headers on the handshake', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('sock_add');
      expect(textOf(await client.callTool({ name: 'sock_add', arguments: { a: 2, b: 3 } }))).toBe('5');
    } finally {
      await close();
    }
    expect(headers[0]?.authorization).toBe('Bearer ws-secret-1');
    expect(headers[0]?.['sec-websocket-protocol']).toBe('mcp');
  });

  it('is reconnected with backoff when the server goes away and comes back', async () => {
    await stopWsServer(wss);
    await eventually(async () => expect(await serviceState()).not.toBe('ready'), 5000);
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      await expect(client.callTool({ name: 'sock_add', arguments: { a: 1, b: 1 } })).rejects.toThrow(/sock/);
      wss = await startWsServer(port, headers);
      await eventually(async () => expect(await serviceState()).toBe('ready'), 8000);
      expect(textOf(await client.callTool({ name: 'sock_add', arguments: { a: 1, b: 1 } }))).toBe('2');
    } finally {
      await close();
    }
    expect(headers.length).toBeGreaterThanOrEqual(2);
  });
});
