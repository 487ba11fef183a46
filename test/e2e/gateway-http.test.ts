import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, FIXTURE, httpClient, MEMORY, startHttpGateway, textOf, writeConfig } from './helpers.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

describe('gateway over Streamable HTTP', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: {
        everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
        memory: {
          command: process.execPath,
          args: [MEMORY],
          env: { MEMORY_FILE_PATH: '/tmp/toolscope-e2e-memory-http.jsonl' },
        },
        fixture: { command: process.execPath, args: [FIXTURE] },
      },
      toolscope: {
        agents: {
          researcher: { services: ['memory', 'fixture'] },
          echoer: { services: ['everything', 'fixture'] },
        },
      },
    });
    gateway = await startHttpGateway(config);
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('serves the store at /mcp with every service namespaced', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(['everything_echo', 'memory_search_nodes', 'fixture_echo']),
      );
      expect(
        textOf(await client.callTool({ name: 'fixture_echo', arguments: { message: 'over http' } })),
      ).toBe('over http');
    } finally {
      await close();
    }
  });

  it('an agent scope sees only its services, under original names where unambiguous', async () => {
    const { client, close } = await httpClient(`${gateway.url}/agents/researcher/mcp`);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(['search_nodes', 'read_graph', 'echo', 'count_with_progress']),
      );
      expect(names.some((name) => name.startsWith('everything'))).toBe(false);
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'scoped' } }))).toBe(
        'scoped',
      );
      const outside = await client
        .callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })
        .catch((e: Error) => e);
      expect(String(outside)).toContain('-32602');
    } finally {
      await close();
    }
    // Two services in scope share "echo": both are prefixed, the bare name is ambiguous.
    const echoer = await httpClient(`${gateway.url}/agents/echoer/mcp`);
    try {
      const names = (await echoer.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['everything_echo', 'fixture_echo', 'get-sum']));
      const ambiguous = await echoer.client
        .callTool({ name: 'echo', arguments: { message: 'x' } })
        .catch((e: Error) => e);
      expect(String(ambiguous)).toMatch(/Ambiguous tool "echo"/);
    } finally {
      await echoer.close();
    }
  });

  it('unknown agents are 404, session rules are enforced, errors are always JSON', async () => {
    expect((await post(`${gateway.url}/agents/nobody/mcp`, INIT)).status).toBe(404);
    const noSession = await post(`${gateway.url}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(noSession.status).toBe(400);
    expect(noSession.type).toContain('application/json');
    const unknown = await post(
      `${gateway.url}/mcp`,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': 'nope' },
    );
    expect(unknown.status).toBe(404);
    const badJson = await post(`${gateway.url}/mcp`, '{"jsonrpc":');
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body).error.code).toBe(-32700);
    const invalid = await post(`${gateway.url}/mcp`, { foo: 1 });
    expect(JSON.parse(invalid.body).error.code).toBe(-32600);
  });

  it('refuses a foreign Origin or Host (DNS rebinding) with 403', async () => {
    expect((await post(`${gateway.url}/mcp`, INIT, { origin: 'http://evil.example.com' })).status).toBe(403);
    // fetch() cannot set Host; node:http can.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${gateway.url}/mcp`, {
        method: 'POST',
        headers: {
          host: 'evil.example.com',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end(JSON.stringify(INIT));
    });
    expect(status).toBe(403);
    expect((await post(`${gateway.url}/mcp`, INIT, { origin: 'http://localhost:3000' })).status).toBe(200);
  });
});

describe('gateway over Streamable HTTP with a bearer token', () => {
  it('requires the token and never forwards it upstream', async () => {
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
      toolscope: { listen: { token: '${TEST_GATEWAY_TOKEN}' } },
    });
    const gateway = await startHttpGateway(config, [], { TEST_GATEWAY_TOKEN: 'correct-horse-battery' });
    try {
      const refused = await post(`${gateway.url}/mcp`, INIT);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body).error.message).toContain('bearer token');
      expect(
        (await post(`${gateway.url}/mcp`, INIT, { authorization: 'Bearer wrong-token-here' })).status,
      ).toBe(401);
      const { client, close } = await httpClient(`${gateway.url}/mcp`, {
        authorization: 'Bearer correct-horse-battery',
      });
      try {
        const facts = JSON.parse(textOf(await client.callTool({ name: 'fixture_whoami', arguments: {} })));
        // The upstream gets the SDK's default environment, not the gateway's own (which holds the token).
        expect(facts.env).not.toContain('TEST_GATEWAY_TOKEN');
      } finally {
        await close();
      }
    } finally {
      await gateway.stop();
    }
  });
});
