import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnection, createServer as createNetServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FIXTURE, httpClient, startHttpGateway, textOf, writeConfig } from '../e2e/helpers.js';
import { INITIALIZE, openHttpSession, postRaw } from '../fixtures/hardening/badinput/rawMcp.js';

// Issue 10, check 6: the HTTP front's security properties as a user (or an attacker on
// the network) would meet them. Origin/Host (403), the optional bearer token and the
// basic session rules (400 without id, 404 for an unknown one) are covered in
// test/e2e/gateway-http.test.ts; this file adds what that one does not.

const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

/** Whether a TCP connection to host:port is accepted (bounded). */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal && info.family === 'IPv4')
    .map((info) => (info as { address: string }).address);
}

describe('HTTP front: bind address and sessions', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  let mcp: string;

  beforeAll(async () => {
    // No toolscope.listen.host and no --host: the default applies.
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
      toolscope: { agents: { narrow: { services: ['fixture'] } } },
    });
    gateway = await startHttpGateway(config);
    mcp = `${gateway.url}/mcp`;
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('binds 127.0.0.1 by default: reachable on loopback, refused on every other interface', async () => {
    const url = new URL(gateway.url);
    expect(url.hostname).toBe('127.0.0.1');
    const port = Number(url.port);
    expect(await connects('127.0.0.1', port)).toBe(true);
    // A control listener on every interface shows each address is reachable at all, so
    // "refused" below means the gateway is not listening there. (On a machine with no
    // other interface the loop has nothing to try; the bound address above still holds.)
    const control = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => control.listen(0, '0.0.0.0', resolve));
    const controlPort = (control.address() as AddressInfo).port;
    try {
      for (const address of nonLoopbackAddresses()) {
        expect({ address, control: await connects(address, controlPort) }).toEqual({
          address,
          control: true,
        });
        expect({ address, gateway: await connects(address, port) }).toEqual({ address, gateway: false });
      }
    } finally {
      await new Promise((resolve) => control.close(resolve));
    }
  });

  it('gives every session a distinct, random, UUIDv4-sized id (122 random bits), nothing sequential', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await openHttpSession(mcp)).sessionId);
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) {
      // Visible ASCII only (MCP), and the shape of a random UUID: version 4, RFC 4122 variant.
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    // Random, not counted: every one of the 30 free hex digits varies across the 50 ids
    // (a counter or a timestamp leaves its leading digits fixed), and neighbours share no long prefix.
    const digits = ids.map((id) => id.replace(/-/g, ''));
    const freePositions = [...Array(32).keys()].filter((position) => position !== 12 && position !== 16);
    for (const position of freePositions) {
      const seen = new Set(digits.map((hex) => hex[position]));
      expect({ position, distinct: seen.size >= 6 }).toEqual({ position, distinct: true });
    }
    for (let i = 1; i < digits.length; i++) {
      const [a, b] = [digits[i - 1] as string, digits[i] as string];
      let common = 0;
      while (common < a.length && a[common] === b[common]) common++;
      expect(common).toBeLessThan(8);
    }
  });

  it('refuses a session id in another scope, or after DELETE ended it, with 404 as JSON', async () => {
    const session = await openHttpSession(mcp);
    const elsewhere = await postRaw(`${gateway.url}/agents/narrow/mcp`, PING, {
      'mcp-session-id': session.sessionId,
    });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.type).toContain('application/json');
    // The session still works where it belongs.
    expect((await session.send(PING)).messages[0]?.result).toEqual({});
    const ended = await fetch(mcp, {
      method: 'DELETE',
      headers: { 'mcp-session-id': session.sessionId },
      signal: AbortSignal.timeout(10_000),
    });
    expect(ended.status).toBe(200);
    const after = await session.send(PING);
    expect(after.status).toBe(404);
    expect(after.type).toContain('application/json');
    expect(JSON.parse(after.body).error.code).toBe(-32001);
  });

  it('does not let a client choose its session id: a re-sent initialize with an id is refused', async () => {
    const chosen = await postRaw(mcp, JSON.stringify(INITIALIZE), { 'mcp-session-id': 'attacker-chosen-id' });
    expect(chosen.status).toBe(404);
    expect(chosen.type).toContain('application/json');
    expect((await postRaw(mcp, PING, { 'mcp-session-id': 'attacker-chosen-id' })).status).toBe(404);
  });
});

/** What an HTTP upstream received, request by request. */
interface UpstreamLog {
  headers: IncomingHttpHeaders[];
}

/** A stateless Streamable HTTP MCP server with one tool, recording every request's headers. */
async function startRecordingUpstream(): Promise<{ server: Server; url: string; log: UpstreamLog }> {
  const log: UpstreamLog = { headers: [] };
  const server = createServer(async (req, res) => {
    log.headers.push({ ...req.headers });
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const mcp = new McpServer({ name: 'recording-upstream', version: '1.0.0' });
    mcp.registerTool(
      'echo',
      { description: 'Echo.', inputSchema: { message: z.string() } },
      async ({ message }) => ({
        content: [{ type: 'text', text: message }],
      }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, log };
}

describe('HTTP front: client credentials never reach an HTTP upstream', () => {
  const TOKEN = 'gateway-token-0123456789';
  const CLIENT_SECRETS = ['client-session-cookie', 'client-api-key-secret', 'client-proxy-auth', TOKEN];
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = await writeConfig({
      mcpServers: {
        remote: { type: 'http', url: upstream.url, headers: { 'X-Upstream-Key': 'configured-upstream-key' } },
      },
      toolscope: { listen: { token: '${HARDENING_GATEWAY_TOKEN}' } },
    });
    gateway = await startHttpGateway(config, [], { HARDENING_GATEWAY_TOKEN: TOKEN });
  });

  afterAll(async () => {
    await gateway?.stop();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  it('sends the upstream only its configured headers: no Authorization, Cookie or custom credential of the client', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`, {
      authorization: `Bearer ${TOKEN}`,
      cookie: `toolscope_token=${TOKEN}; session=client-session-cookie`,
      'x-api-key': 'client-api-key-secret',
      'proxy-authorization': 'Basic client-proxy-auth',
    });
    const seenBefore = upstream.log.headers.length;
    try {
      const result = await client.callTool({ name: 'remote_echo', arguments: { message: 'through' } });
      expect(textOf(result)).toBe('through');
    } finally {
      await close();
    }
    // The call reached the upstream (and the gateway's own handshake before it).
    const seen = upstream.log.headers;
    expect(seen.length).toBeGreaterThan(seenBefore);
    for (const headers of seen) {
      expect(headers['x-upstream-key']).toBe('configured-upstream-key');
      expect(headers.authorization).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
      expect(headers['x-api-key']).toBeUndefined();
      expect(headers['proxy-authorization']).toBeUndefined();
      const everything = JSON.stringify(headers);
      for (const secret of CLIENT_SECRETS) expect(everything).not.toContain(secret);
    }
  });
});
