// Issue 17: servers that speak 2026-07-28 only (stateless, MRTR) behind the gateway, over
// Streamable HTTP and over stdio. toolscope finds out what each server speaks (server/discover,
// falling back to initialize), sends every request with the envelope of the client it serves, and
// answers the server's input_required results by asking that client: a 2025-11-25 session with
// server-to-client requests on its call's stream, a 2026-07-28 client with input_required of its
// own. Several clients at once, each asked only for its own input.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpEnv } from '../instrument/fixtureRun.js';
import { eventually, ROOT, startHttpGateway, textOf, writeConfig } from './helpers.js';
import { type LegacyClient, legacyClient } from './legacyClient.js';
import { modernClient } from './modernClient.js';
import { OtlpReceiver, SPAN_KIND } from './otlpReceiver.js';

const MODERN_SERVER = join(ROOT, 'test/fixtures/modern-server.mjs');

async function startModernServer(env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [MODERN_SERVER, '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`modern server exited with ${code}`)));
  });
  return {
    url,
    stats: async () => (await (await fetch(new URL('/stats', url))).json()) as Record<string, number>,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('2026-07-28 servers behind the gateway', () => {
  let server: Awaited<ReturnType<typeof startModernServer>>;
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  let url: string;
  const open: Array<{ close(): Promise<unknown> }> = [];
  const receiver = new OtlpReceiver();

  beforeAll(async () => {
    await receiver.start();
    server = await startModernServer({ MODERN_TOOLS_TTL_MS: '120000' });
    const config = await writeConfig({
      mcpServers: {
        web: { type: 'http', url: server.url },
        local: {
          command: process.execPath,
          args: [MODERN_SERVER, '--stdio'],
          env: { MODERN_TOOLS_TTL_MS: '60000', MODERN_LIST_SCOPE: 'public' },
        },
      },
    });
    gateway = await startHttpGateway(config, [], {
      ...otlpEnv(receiver.url, 'gateway'),
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    });
    url = `${gateway.url}/mcp`;
  }, 30_000);

  afterAll(async () => {
    await Promise.all(open.map((client) => client.close().catch(() => {})));
    await gateway?.stop();
    await server?.stop();
    await receiver.stop();
  });

  it('server/discover is spanned, and a multi round-trip call is one trace', async () => {
    const client = await legacyClient(url, { name: 'traced', sampling: true });
    open.push(client);
    const result = await client.client.callTool({
      name: 'web_ask_sampling',
      arguments: { prompt: 'traced' },
    });
    expect(textOf(result)).toBe('sampled: answer from traced for traced');
    const discover = await eventually(() => {
      const span = receiver.spans.find((s) => s.name === 'server/discover' && s.kind === SPAN_KIND.client);
      if (!span) throw new Error('no server/discover span yet');
      return span;
    });
    expect(discover.attributes['mcp.method.name']).toBe('server/discover');
    expect(discover.attributes['mcp.protocol.version']).toBe('2026-07-28');
    const { call, rounds, sampling } = await eventually(() => {
      const call = receiver.spans.find(
        (s) => s.kind === SPAN_KIND.server && s.name === 'tools/call web_ask_sampling',
      );
      if (!call) throw new Error('no call span yet');
      const trace = receiver.trace(call.traceId);
      const rounds = trace.filter((s) => s.kind === SPAN_KIND.client && s.name === 'tools/call ask_sampling');
      const sampling = trace.filter((s) => s.name === 'sampling/createMessage');
      if (rounds.length < 2 || sampling.length < 1) throw new Error('the round trip is not all in yet');
      return { call, rounds, sampling };
    });
    // Both rounds to the server, and the question relayed to the client, belong to the call.
    expect(rounds).toHaveLength(2);
    for (const span of [...rounds, ...sampling]) expect(span.traceId).toBe(call.traceId);
    expect(sampling.every((span) => span.kind === SPAN_KIND.client)).toBe(true);
  });

  it('a modern client gets cache hints no longer or more public than the server gave', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    const text = await response.text();
    const body = JSON.parse(text.includes('data:') ? (text.split('data:').pop() ?? '') : text);
    // "web" keeps its lists for 2 minutes privately, "local" for 1 minute publicly; toolscope's own
    // default is 5 minutes, public: the shortest, and private.
    expect(body.result).toMatchObject({ resultType: 'complete', ttlMs: 60_000, cacheScope: 'private' });
  });

  it('finds both servers speaking 2026-07-28 and lists their tools, prompts and resources', async () => {
    const client = await legacyClient(url, { name: 'lister' });
    open.push(client);
    const tools = (await client.client.listTools()).tools.map((tool) => tool.name);
    expect(tools).toEqual(
      expect.arrayContaining(['web_echo', 'web_ask_sampling', 'local_echo', 'local_ask_roots']),
    );
    const prompts = (await client.client.listPrompts()).prompts.map((prompt) => prompt.name);
    expect(prompts).toEqual(expect.arrayContaining(['web_greeting', 'local_greeting']));
    const echo = await client.client.callTool({ name: 'web_echo', arguments: { message: 'hi' } });
    expect(textOf(echo)).toBe('Echo: hi');
    // A 2025-11-25 client reads a 2025-11-25 result: no resultType, no cache fields.
    expect(echo).not.toHaveProperty('resultType');
    const read = await client.client.readResource({ uri: 'modern://info' });
    expect(read.contents[0]).toMatchObject({ text: 'served statelessly' });
  });

  it('the server hears each client as itself: its clientInfo, capabilities and log level', async () => {
    const a = await legacyClient(url, { name: 'who-A', sampling: true });
    const b = await legacyClient(url, { name: 'who-B', roots: [{ uri: 'file:///b' }] });
    open.push(a, b);
    await b.client.setLoggingLevel('debug');
    const [seenA, seenB] = await Promise.all([
      a.client.callTool({ name: 'web_whoami', arguments: {} }),
      b.client.callTool({ name: 'local_whoami', arguments: {} }),
    ]);
    const whoA = JSON.parse(textOf(seenA));
    const whoB = JSON.parse(textOf(seenB));
    expect(whoA.clientInfo.name).toBe('who-A');
    expect(Object.keys(whoA.capabilities)).toEqual(['sampling']);
    expect(whoA.logLevel).toBeUndefined();
    expect(whoB.clientInfo.name).toBe('who-B');
    expect(Object.keys(whoB.capabilities)).toEqual(['roots']);
    expect(whoB.logLevel).toBe('debug');
  });

  it('legacy clients at once: sampling, elicitation and roots of a modern server reach only their own caller', async () => {
    const clients: LegacyClient[] = [];
    for (const name of ['A', 'B', 'C']) {
      clients.push(
        await legacyClient(url, {
          name,
          sampling: true,
          elicitation: true,
          roots: [{ uri: `file:///${name}` }],
          elicit: (message) => ({
            action: 'accept',
            content: message.includes('name') ? { name: `name-${name}` } : { color: `color-${name}` },
          }),
        }),
      );
    }
    open.push(...clients);
    const runs = clients.flatMap((client, index) => {
      const name = ['A', 'B', 'C'][index] as string;
      return [0, 1, 2].flatMap((round) => [
        client.client
          .callTool({
            name: round % 2 === 0 ? 'web_ask_sampling' : 'local_ask_sampling',
            arguments: { prompt: `${name} secret #${round}`, delayMs: 30 * ((round + index) % 3) },
          })
          .then((result) => [name, 'sampling', textOf(result)] as const),
        client.client
          .callTool({ name: 'web_ask_name_then_color', arguments: {} })
          .then((result) => [name, 'elicit', textOf(result)] as const),
        client.client
          .callTool({ name: 'local_ask_roots', arguments: {} })
          .then((result) => [name, 'roots', textOf(result)] as const),
      ]);
    });
    const results = await Promise.all(runs);
    for (const [name, kind, text] of results) {
      if (kind === 'sampling')
        expect(text).toMatch(new RegExp(`^sampled: answer from ${name} for ${name} secret #\\d$`));
      if (kind === 'elicit') expect(text).toBe(`name-${name} likes color-${name}`);
      if (kind === 'roots') expect(text).toBe(`roots: file:///${name}`);
    }
    for (const [index, client] of clients.entries()) {
      const name = ['A', 'B', 'C'][index] as string;
      expect(client.seen.samplingPrompts.sort()).toEqual(
        [0, 1, 2].map((round) => `${name} secret #${round}`),
      );
      expect(client.seen.elicitationMessages.sort()).toEqual([
        ...Array(3).fill('Your colour?'),
        ...Array(3).fill('Your name?'),
      ]);
      expect(client.seen.rootsRequests).toBe(3);
    }
  });

  it('a client that did not declare sampling is not asked: its call fails with the reason', async () => {
    const plain = await legacyClient(url, { name: 'plain' });
    open.push(plain);
    const result = await plain.client
      .callTool({ name: 'web_ask_sampling', arguments: { prompt: 'x' } })
      .catch((error: Error) => ({ isError: true, content: [{ type: 'text', text: error.message }] }));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/sampling/);
  });

  it('a prompt that asks for input works for a legacy client too', async () => {
    const client = await legacyClient(url, {
      name: 'prompter',
      elicitation: true,
      elicit: () => ({ action: 'accept', content: { name: 'Ada' } }),
    });
    open.push(client);
    const prompt = await client.client.getPrompt({ name: 'web_greeting' });
    expect(prompt.messages[0]?.content).toMatchObject({ type: 'text', text: 'Hello Ada' });
  });

  it('modern v2 clients through the gateway to a modern server: MRTR end to end, no cross-talk', async () => {
    const m1 = await modernClient(url, 'M1', { sampling: true, roots: ['file:///m1'] });
    const m2 = await modernClient(url, 'M2', { sampling: true, roots: ['file:///m2'] });
    const legacy = await legacyClient(url, { name: 'L', sampling: true });
    open.push(m1, m2, legacy);
    const results = await Promise.all([
      m1.client.callTool({ name: 'web_ask_sampling', arguments: { prompt: 'M1 secret', delayMs: 20 } }),
      m2.client.callTool({ name: 'local_ask_sampling', arguments: { prompt: 'M2 secret' } }),
      legacy.client.callTool({ name: 'web_ask_sampling', arguments: { prompt: 'L secret' } }),
      m1.client.callTool({ name: 'local_ask_roots', arguments: {} }),
      m2.client.callTool({ name: 'web_ask_roots', arguments: {} }),
    ]);
    expect(results.map(textOf)).toEqual([
      'sampled: modern answer from M1 for M1 secret',
      'sampled: modern answer from M2 for M2 secret',
      'sampled: answer from L for L secret',
      'roots: file:///m1',
      'roots: file:///m2',
    ]);
    expect(m1.seen.samplingPrompts).toEqual(['M1 secret']);
    expect(m2.seen.samplingPrompts).toEqual(['M2 secret']);
    expect(legacy.seen.samplingPrompts).toEqual(['L secret']);
  });
});
