// Issue 17, defects 1, 2 and 6: several legacy (2025-11-25) clients on one HTTP gateway, in front of
// the published server-everything over stdio and over Streamable HTTP. Each client must get exactly
// its own conversation: the sampling requests its own calls cause, its own roots, its own log level
// and log messages, its own session resources, and tools that match its own capabilities.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, eventually, startHttpGateway, textOf, writeConfig } from './helpers.js';
import { type LegacyClient, legacyClient } from './legacyClient.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** server-everything over Streamable HTTP on a free port; resolves once it listens. */
async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${output}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${output}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

const SERVICES = ['stdio', 'http'] as const;

/** Legacy clients of a gateway's store, all closed at the end. */
function clientsOf(base: () => string) {
  const open: LegacyClient[] = [];
  return {
    async connect(options: Parameters<typeof legacyClient>[1]) {
      const client = await legacyClient(`${base()}/mcp`, options);
      open.push(client);
      return client;
    },
    closeAll: () => Promise.all(open.map((client) => client.close().catch(() => {}))),
  };
}

describe('every HTTP client gets exactly its own conversation (published servers)', () => {
  let upstream: Awaited<ReturnType<typeof startEverythingHttp>>;
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  const { connect, closeAll } = clientsOf(() => gateway.url);

  beforeAll(async () => {
    upstream = await startEverythingHttp();
    const config = await writeConfig({
      mcpServers: {
        stdio: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
        http: { url: upstream.url },
      },
    });
    gateway = await startHttpGateway(config);
  }, 30_000);

  afterAll(async () => {
    await closeAll();
    await gateway?.stop();
    if (upstream?.child.exitCode === null) {
      const exited = new Promise((resolve) => upstream.child.once('exit', resolve));
      upstream.child.kill('SIGTERM');
      await exited;
    }
  });

  it.each(SERVICES)(
    'sampling a server asks while serving A goes to A, never to B (%s upstream)',
    async (service) => {
      const a = await connect({ name: 'A', sampling: true });
      const b = await connect({ name: 'B', sampling: true });
      const tool = `${service}_trigger-sampling-request`;
      // As reported: A calls while B only pings, so B is always the client heard from last.
      for (let i = 0; i < 3; i++) {
        const call = a.client.callTool({ name: tool, arguments: { prompt: `A alone #${i}` } });
        await b.client.ping();
        expect(textOf(await call)).toContain('answer from A');
      }
      expect(b.seen.samplingPrompts).toEqual([]);
      // A's calls and B's chatter interleave; B also samples, so both have calls in flight.
      const calls = Array.from({ length: 5 }, (_, i) =>
        a.client.callTool({ name: tool, arguments: { prompt: `A secret #${i}` } }),
      );
      const chatter = Array.from({ length: 5 }, async (_, i) => {
        await b.client.ping();
        return b.client.callTool({ name: tool, arguments: { prompt: `B note #${i}` } });
      });
      const [aResults, bResults] = await Promise.all([Promise.all(calls), Promise.all(chatter)]);
      expect(b.seen.samplingPrompts.filter((p) => p.includes('A secret'))).toEqual([]);
      expect(a.seen.samplingPrompts.filter((p) => p.includes('B note'))).toEqual([]);
      expect(a.seen.samplingPrompts).toHaveLength(8);
      expect(b.seen.samplingPrompts).toHaveLength(5);
      for (const result of aResults) expect(textOf(result)).toContain('answer from A');
      for (const result of bResults) expect(textOf(result)).toContain('answer from B');
    },
  );

  it.each(SERVICES)('log messages A turned on never reach B (%s upstream)', async (service) => {
    const a = await connect({ name: 'A' });
    const b = await connect({ name: 'B' });
    await a.client.setLoggingLevel('debug');
    await a.client.callTool({ name: `${service}_toggle-simulated-logging`, arguments: {} });
    await eventually(() => expect(a.seen.logs.some((line) => line.includes('-level message'))).toBe(true));
    // B makes requests of its own meanwhile: a leak would have plenty of chances to show.
    for (let i = 0; i < 5; i++) await b.client.listTools();
    expect(b.seen.logs.filter((line) => line.includes('-level message'))).toEqual([]);
    await a.client.callTool({ name: `${service}_toggle-simulated-logging`, arguments: {} });
  });

  it.each(SERVICES)(
    'each client is asked for its own roots, and keeps them after another leaves (%s upstream)',
    async (service) => {
      const a = await connect({ name: 'A', roots: [{ uri: 'file:///home/a', name: 'A root' }] });
      const b = await connect({ name: 'B', roots: [{ uri: 'file:///home/b', name: 'B root' }] });
      const rootsOf = async (client: LegacyClient) =>
        textOf(await client.client.callTool({ name: `${service}_get-roots-list`, arguments: {} }));
      expect(await rootsOf(a)).toContain('file:///home/a');
      const ofB = await rootsOf(b);
      expect(ofB).toContain('file:///home/b');
      expect(ofB).not.toContain('file:///home/a');
      expect(b.seen.rootsRequests).toBeGreaterThan(0);
      await a.close();
      const afterA = await rootsOf(b);
      expect(afterA).toContain('file:///home/b');
      expect(afterA).not.toContain('file:///home/a');
    },
  );

  it.each(SERVICES)(
    'resources one client creates are listed for that client only (%s upstream)',
    async (service) => {
      const a = await connect({ name: 'A' });
      const b = await connect({ name: 'B' });
      const data = `data:text/plain;base64,${Buffer.from(`private to A via ${service}`).toString('base64')}`;
      const created = await a.client.callTool({
        name: `${service}_gzip-file-as-resource`,
        arguments: { name: `a-${service}-private.gz`, data, outputType: 'resourceLink' },
      });
      const link = (created.content as Array<{ type: string; uri?: string }>).find(
        (c) => c.type === 'resource_link',
      );
      expect(link?.uri).toBeTruthy();
      const uris = async (client: LegacyClient) =>
        (await client.client.listResources()).resources.map((resource) => resource.uri);
      await eventually(async () => expect(await uris(a)).toContain(link?.uri));
      expect(await uris(b)).not.toContain(link?.uri);
      // The link the tool just returned can be read by its creator.
      const read = await a.client.readResource({ uri: link?.uri as string });
      expect(read.contents).toHaveLength(1);
    },
  );

  it('each client is offered the tools its own capabilities allow, and the server sees them (defect 6)', async () => {
    const plain = await connect({ name: 'plain' });
    const rich = await connect({
      name: 'rich',
      sampling: true,
      elicitation: true,
      roots: [{ uri: 'file:///r' }],
    });
    const names = async (client: LegacyClient) =>
      (await client.client.listTools()).tools.map((tool) => tool.name);
    const plainTools = await names(plain);
    const richTools = await names(rich);
    for (const service of SERVICES) {
      expect(richTools).toEqual(
        expect.arrayContaining([
          `${service}_trigger-sampling-request`,
          `${service}_trigger-elicitation-request`,
          `${service}_get-roots-list`,
        ]),
      );
      expect(plainTools).not.toContain(`${service}_trigger-sampling-request`);
      expect(plainTools).not.toContain(`${service}_trigger-elicitation-request`);
      expect(plainTools).not.toContain(`${service}_get-roots-list`);
    }
  });
});

describe('isolation: "shared" — one upstream session for every client, still no cross-talk', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  const { connect, closeAll } = clientsOf(() => gateway.url);

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: { shared: { command: process.execPath, args: [EVERYTHING, 'stdio'], isolation: 'shared' } },
    });
    gateway = await startHttpGateway(config);
  }, 30_000);

  afterAll(async () => {
    await closeAll();
    await gateway?.stop();
  });

  it('a server request goes to the only client with a call in flight, and is refused when several have one', async () => {
    const a = await connect({ name: 'A', sampling: true });
    const b = await connect({ name: 'B', sampling: true });
    for (let i = 0; i < 3; i++) {
      const call = a.client.callTool({
        name: 'shared_trigger-sampling-request',
        arguments: { prompt: `A alone #${i}` },
      });
      await b.client.ping();
      expect(textOf(await call)).toContain('answer from A');
    }
    expect(b.seen.samplingPrompts).toEqual([]);
    // Both call at once: whoever cannot be told apart is refused, nobody gets the other's prompt.
    const outcomes = await Promise.all(
      [a, b].flatMap((client) =>
        Array.from({ length: 3 }, (_, i) =>
          client.client
            .callTool({
              name: 'shared_trigger-sampling-request',
              arguments: { prompt: `${client === a ? 'A' : 'B'} busy #${i}` },
            })
            .then(textOf, (error: Error) => error.message),
        ),
      ),
    );
    expect(a.seen.samplingPrompts.filter((p) => p.includes('B busy'))).toEqual([]);
    expect(b.seen.samplingPrompts.filter((p) => p.includes('A busy'))).toEqual([]);
    expect(outcomes.join('\n')).not.toMatch(/answer from B[\s\S]*A busy|answer from A[\s\S]*B busy/);
  });

  it('log messages reach only a client that asked for them, for its own calls', async () => {
    const a = await connect({ name: 'A' });
    const b = await connect({ name: 'B' });
    await a.client.setLoggingLevel('debug');
    await a.client.callTool({ name: 'shared_toggle-simulated-logging', arguments: {} });
    for (let i = 0; i < 5; i++) await b.client.listTools();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(b.seen.logs.filter((line) => line.includes('-level message'))).toEqual([]);
    await a.client.callTool({ name: 'shared_toggle-simulated-logging', arguments: {} });
  });
});
