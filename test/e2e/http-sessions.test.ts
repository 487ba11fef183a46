// Issue 17, defects 7, 8 and 10: the HTTP front's sessions. A path cannot climb out of an agent's
// scope; one-shot clients cannot lock everyone out (the SDK's close() ends its session, and at the
// limit the session idle longest makes room); DELETE and idle expiry end sessions; a request id
// reused while in flight is refused and the first request keeps its answer.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURE, httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

/** POST through node:http, so the path goes out exactly as written (fetch would resolve dot segments). */
function rawPost(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const { hostname, port } = new URL(base);
      const req = httpRequest({ hostname, port, path, method: 'POST', headers: { ...HEADERS, ...headers } });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    },
  );
}

/** Open a raw session: initialize + initialized; returns its id. */
async function rawSession(base: string, path = '/mcp'): Promise<string> {
  const init = await rawPost(base, path, INIT);
  expect(init.status).toBe(200);
  const id = String(init.headers['mcp-session-id']);
  await rawPost(
    base,
    path,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'mcp-session-id': id },
  );
  return id;
}

/** The JSON-RPC message in a response body (plain JSON, or the data of an SSE event). */
function messageOf(body: string): {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
} {
  const data = body.includes('data:')
    ? body
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5))
        .pop()
    : body;
  return JSON.parse(data ?? '{}');
}

async function sessionCount(base: string): Promise<number> {
  const response = await fetch(`${base}/status`);
  return ((await response.json()) as { sessions: number }).sessions;
}

describe('HTTP sessions: scope paths, limits, expiry, request ids', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: {
        fixture: { command: process.execPath, args: [FIXTURE], isolation: 'shared' },
        other: { command: process.execPath, args: [FIXTURE], isolation: 'shared' },
      },
      toolscope: {
        agents: { narrow: { services: ['fixture'] } },
        sessions: { max: 4, idleTimeoutMs: 3000, disconnectGraceMs: 300 },
      },
    });
    gateway = await startHttpGateway(config);
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  it('refuses a path that climbs out of an agent scope (defect 7)', async () => {
    for (const path of [
      '/agents/narrow/%2e%2e/%2e%2e/mcp',
      '/agents/narrow/%2E%2E/%2E%2E/mcp',
      '/agents/narrow/../../mcp',
      '/agents/narrow/./mcp',
      '/agents/narrow%2f..%2f..%2fmcp',
    ]) {
      const answer = await rawPost(gateway.url, path, INIT);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.headers['mcp-session-id']).toBeUndefined();
    }
    // The agent itself still works, and sees only its own service.
    const narrow = await httpClient(`${gateway.url}/agents/narrow/mcp`);
    try {
      const names = (await narrow.client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('echo');
      expect(names.some((name) => name.startsWith('other'))).toBe(false);
    } finally {
      await narrow.close();
    }
  });

  it("the SDK client's close() ends its session (defect 8)", async () => {
    await eventually(async () => expect(await sessionCount(gateway.url)).toBe(0), 5000);
    const client = await httpClient(`${gateway.url}/mcp`);
    await client.client.listTools();
    expect(await sessionCount(gateway.url)).toBe(1);
    await client.close();
    await eventually(async () => expect(await sessionCount(gateway.url)).toBe(0), 5000);
  });

  it('one-shot clients cannot lock others out: at the limit the idle session makes room (defect 8)', async () => {
    const steady = await httpClient(`${gateway.url}/mcp`);
    try {
      // Twice the limit of clients that initialize and never come back (no event stream, no DELETE).
      for (let i = 0; i < 8; i++) await rawSession(gateway.url);
      expect(await sessionCount(gateway.url)).toBeLessThanOrEqual(4);
      // The connected client was never the one to go.
      const answer = await steady.client.callTool({
        name: 'fixture_echo',
        arguments: { message: 'still here' },
      });
      expect(textOf(answer)).toBe('still here');
      const fresh = await httpClient(`${gateway.url}/mcp`);
      expect((await fresh.client.listTools()).tools.length).toBeGreaterThan(0);
      await fresh.close();
    } finally {
      await steady.close();
    }
  });

  it('DELETE ends a session, and an idle one expires after the configured time (defect 8)', async () => {
    const deleted = await rawSession(gateway.url);
    const bye = await fetch(`${gateway.url}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': deleted, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(bye.status).toBe(200);
    const after = await rawPost(
      gateway.url,
      '/mcp',
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { 'mcp-session-id': deleted },
    );
    expect(after.status).toBe(404);
    const idle = await rawSession(gateway.url);
    // Asking would keep it alive: wait past the idle time (3 s) and the sweep (1 s), then ask once.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const expired = await rawPost(
      gateway.url,
      '/mcp',
      { jsonrpc: '2.0', id: 3, method: 'ping' },
      { 'mcp-session-id': idle },
    );
    expect(expired.status).toBe(404);
  });

  it('a request id reused while in flight is refused; the first request keeps its answer (defect 10)', async () => {
    const session = await rawSession(gateway.url);
    const call = (message: string) => ({
      jsonrpc: '2.0',
      id: 42,
      method: 'tools/call',
      params: { name: 'fixture_count_with_progress', arguments: { n: 20 }, _meta: { note: message } },
    });
    const first = rawPost(gateway.url, '/mcp', call('first'), { 'mcp-session-id': session });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = await rawPost(gateway.url, '/mcp', call('second'), { 'mcp-session-id': session });
    expect(second.status).toBe(400);
    expect(messageOf(second.body).error?.code).toBe(-32600);
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(messageOf(answered.body)).toMatchObject({
      id: 42,
      result: { content: [{ text: 'counted to 20' }] },
    });
    // Once answered, the id may be used again.
    const again = await rawPost(gateway.url, '/mcp', call('again'), { 'mcp-session-id': session });
    expect(messageOf(again.body)).toMatchObject({ id: 42, result: { content: [{ text: 'counted to 20' }] } });
  });
});
