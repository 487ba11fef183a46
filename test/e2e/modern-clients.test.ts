// Issue 17: 2026-07-28 (stateless) clients through the HTTP gateway, in front of servers that
// speak 2025-11-25 only (the published server-everything). The v2 SDK client negotiates the modern
// revision with server/discover; what the legacy server asks while serving its call (sampling,
// elicitation, roots) comes back to it as input_required results, and its retry completes the call.
// Modern and legacy clients at once: nobody gets anybody else's conversation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startHttpGateway, textOf, writeConfig } from './helpers.js';
import { type LegacyClient, legacyClient } from './legacyClient.js';
import { modernClient } from './modernClient.js';

const MODERN = '2026-07-28';

/** A raw 2026-07-28 POST: the envelope and the standard headers as the spec asks for them. */
async function modernPost(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const name = (params.name ?? params.uri) as string | undefined;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name === undefined ? {} : { 'mcp-name': name }),
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        },
      },
    }),
  });
  const text = await response.text();
  const data = text.includes('data:') ? (text.split('data:').pop() ?? '') : text;
  return { status: response.status, body: JSON.parse(data) as Record<string, any> };
}

describe('2026-07-28 clients through the gateway, in front of 2025-11-25 servers', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  const open: Array<{ close(): Promise<unknown> }> = [];

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } },
    });
    gateway = await startHttpGateway(config);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(open.map((client) => client.close().catch(() => {})));
    await gateway?.stop();
  });

  it('server/discover, lists with cache hints, and errors as 2026-07-28 has them', async () => {
    const url = `${gateway.url}/mcp`;
    const discover = await modernPost(url, 'server/discover');
    expect(discover.status).toBe(200);
    expect(discover.body.result).toMatchObject({
      resultType: 'complete',
      supportedVersions: expect.arrayContaining([MODERN, '2025-11-25']),
      capabilities: { tools: {} },
      ttlMs: expect.any(Number),
      cacheScope: 'public',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'toolscope' } },
    });
    const tools = await modernPost(url, 'tools/list');
    expect(tools.body.result.resultType).toBe('complete');
    expect(tools.body.result.ttlMs).toBeGreaterThanOrEqual(0);
    expect(tools.body.result.tools.map((t: { name: string }) => t.name)).toContain('everything_echo');
    const echo = await modernPost(url, 'tools/call', {
      name: 'everything_echo',
      arguments: { message: 'stateless' },
    });
    expect(echo.body.result).toMatchObject({
      resultType: 'complete',
      content: [{ text: 'Echo: stateless' }],
    });
    // Header and body disagree: 400 -32020. No headers at all: the same.
    const mismatch = await modernPost(
      url,
      'tools/call',
      { name: 'everything_echo', arguments: { message: 'x' } },
      { 'mcp-name': 'other' },
    );
    expect([mismatch.status, mismatch.body.error.code]).toEqual([400, -32020]);
    const unknownMethod = await modernPost(url, 'ping');
    expect([unknownMethod.status, unknownMethod.body.error.code]).toEqual([404, -32601]);
    const unsupported = await modernPost(url, 'tools/list', {}, {});
    expect(unsupported.status).toBe(200);
  });

  it('a modern v2 client completes a sampling round trip against server-everything (legacy)', async () => {
    const modern = await modernClient(`${gateway.url}/mcp`, 'M', { sampling: true });
    open.push(modern);
    expect(modern.client.getNegotiatedProtocolVersion()).toBe(MODERN);
    const result = await modern.client.callTool({
      name: 'everything_trigger-sampling-request',
      arguments: { prompt: 'modern secret' },
    });
    expect(textOf(result)).toContain('modern answer from M');
    expect(modern.seen.samplingPrompts).toEqual([expect.stringContaining('modern secret')]);
  });

  it('what the request did not declare it can do is not asked of it: the server hears a refusal', async () => {
    const plain = await modernClient(`${gateway.url}/mcp`, 'P');
    open.push(plain);
    const result = await plain.client.callTool({
      name: 'everything_trigger-sampling-request',
      arguments: { prompt: 'x' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('does not support sampling');
  });

  it('modern and legacy clients at once: sampling, elicitation and roots reach only their own caller', async () => {
    const url = `${gateway.url}/mcp`;
    const modernA = await modernClient(url, 'MA', {
      sampling: true,
      elicitation: true,
      roots: ['file:///ma'],
    });
    const legacyB = await legacyClient(url, {
      name: 'LB',
      sampling: true,
      elicitation: true,
      roots: [{ uri: 'file:///lb' }],
    });
    const legacyC = await legacyClient(url, { name: 'LC', sampling: true });
    open.push(modernA, legacyB, legacyC);
    const runs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 3; i++) {
      runs.push(
        modernA.client.callTool({
          name: 'everything_trigger-sampling-request',
          arguments: { prompt: `MA #${i}` },
        }),
        legacyB.client.callTool({
          name: 'everything_trigger-sampling-request',
          arguments: { prompt: `LB #${i}` },
        }),
        legacyC.client.callTool({
          name: 'everything_trigger-sampling-request',
          arguments: { prompt: `LC #${i}` },
        }),
      );
    }
    await Promise.allSettled(runs);
    await modernA.client
      .callTool({ name: 'everything_trigger-elicitation-request', arguments: {} })
      .catch(() => undefined);
    await legacyB.client
      .callTool({ name: 'everything_trigger-elicitation-request', arguments: {} })
      .catch(() => undefined);
    const only = (prompts: string[], own: string) => prompts.filter((prompt) => !prompt.includes(own));
    expect(only(modernA.seen.samplingPrompts, 'MA #')).toEqual([]);
    expect(only((legacyB as LegacyClient).seen.samplingPrompts, 'LB #')).toEqual([]);
    expect(only((legacyC as LegacyClient).seen.samplingPrompts, 'LC #')).toEqual([]);
    // The legacy clients have sessions of their own, so each of their calls was answered.
    expect(legacyB.seen.samplingPrompts).toHaveLength(3);
    expect(legacyC.seen.samplingPrompts).toHaveLength(3);
    expect(legacyB.seen.elicitationMessages.length + modernA.seen.elicitations.length).toBeGreaterThan(0);
  });
});
