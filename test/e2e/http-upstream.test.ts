import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';

/** An SDK McpServer over Streamable HTTP, one server instance per session (the gateway opens several). */
async function startHttpServer(): Promise<{ url: string; server: Server }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server = createServer(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!id) {
      const mcp = new McpServer({ name: 'http-upstream', version: '1.0.0' });
      mcp.registerTool(
        'echo',
        { description: 'Echo', inputSchema: { message: z.string() } },
        async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
      );
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, created);
        },
      });
      transport = created;
      await mcp.connect(transport);
    }
    if (!transport) {
      res.writeHead(404).end();
      return;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

describe('a Streamable HTTP upstream behind the gateway', () => {
  let upstream: Awaited<ReturnType<typeof startHttpServer>>;
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

  beforeAll(async () => {
    upstream = await startHttpServer();
    const config = await writeConfig({ mcpServers: { web: { url: upstream.url } } });
    gateway = await startHttpGateway(config);
  }, 300_000);

  afterAll(async () => {
    await gateway?.stop();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  it('serves thousands of calls without filling the gateway log with AbortSignal listener warnings', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      let next = 0;
      const answers: string[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next++ < 3000) {
            answers.push(textOf(await client.callTool({ name: 'web_echo', arguments: { message: 'hi' } })));
          }
        }),
      );
      expect(answers).toHaveLength(3000);
      expect(new Set(answers)).toEqual(new Set(['hi']));
    } finally {
      await close();
    }
    // The SDK hands one AbortSignal to every fetch; undici detaches its listener only when the
    // request is garbage-collected, so Node warned on every request past 1,500 in between.
    expect(gateway.stderr()).not.toContain('MaxListenersExceededWarning');
    // A bound for a hang, not a speed target: 3,000 calls take ~15 s alone and several times that
    // on a loaded machine.
  }, 300_000);
});
