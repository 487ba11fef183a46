import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURE, ROOT, stdioClient, textOf, writeConfig } from './helpers.js';

const run = promisify(execFile);

describe('toolscope proxy -- <server>', () => {
  let direct: Awaited<ReturnType<typeof stdioClient>>;
  let proxied: Awaited<ReturnType<typeof stdioClient>>;

  beforeAll(async () => {
    direct = await stdioClient(process.execPath, [FIXTURE]);
    proxied = await stdioClient(process.execPath, [CLI, 'proxy', '--', process.execPath, FIXTURE], {
      PROXY_E2E_VAR: 'seen',
    });
  });

  afterAll(async () => {
    await Promise.all([direct?.close(), proxied?.close()]);
  });

  it('is transparent: same server info, capabilities and tools as a direct connection', async () => {
    expect(proxied.client.getServerVersion()).toEqual(direct.client.getServerVersion());
    expect(proxied.client.getServerCapabilities()).toEqual(direct.client.getServerCapabilities());
    expect((await proxied.client.listTools()).tools).toEqual((await direct.client.listTools()).tools);
    expect((await proxied.client.listPrompts()).prompts).toEqual((await direct.client.listPrompts()).prompts);
  });

  it("relays the agent's own handshake, so the server sees the real client", async () => {
    const seen = JSON.parse(textOf(await proxied.client.callTool({ name: 'client_info', arguments: {} })));
    expect(seen.client).toEqual({ name: 'e2e-client', version: '1.0.0' });
    expect(seen.capabilities).toEqual({ roots: {} });
  });

  it("passes the agent's environment to the server, as the agent's own launch would", async () => {
    const facts = JSON.parse(textOf(await proxied.client.callTool({ name: 'whoami', arguments: {} })));
    expect(facts.env).toContain('PROXY_E2E_VAR');
  });

  it('still runs every call through the pipeline: precise errors for unknown tools and bad arguments', async () => {
    // The SDK server itself would answer an unknown tool with an isError result; the proxy answers -32602.
    const unknown = await proxied.client.callTool({ name: 'ecoh', arguments: {} }).catch((e: unknown) => e);
    expect((unknown as McpError).code).toBe(-32602);
    expect((unknown as McpError).message).toContain('echo');
    const bad = await proxied.client.callTool({ name: 'add', arguments: { a: 1 } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain('b: is required');
    // What reaches the agent, in order. (Not the SDK client's onprogress: it runs notification handlers
    // a microtask later than responses, so when the last progress and the result arrive in one read,
    // as they do on a busy machine, the result wins and the late progress is dropped.)
    const seen: string[] = [];
    const deliver = proxied.transport.onmessage;
    proxied.transport.onmessage = (message) => {
      const m = message as { method?: string; params?: { progress?: number }; result?: unknown };
      if (m.method === 'notifications/progress') seen.push(`progress ${m.params?.progress}`);
      else if (m.result !== undefined) seen.push('result');
      deliver?.(message);
    };
    try {
      await proxied.client.callTool({ name: 'count_with_progress', arguments: { n: 3 } }, undefined, {
        onprogress: () => {},
      });
    } finally {
      proxied.transport.onmessage = deliver;
    }
    expect(seen).toEqual(['progress 1', 'progress 2', 'progress 3', 'result']);
  });
});

// The MCP Inspector CLI (v1, runs on Node 20) as a user would run it. Its quirk: it resolves
// ../package.json from the working directory, so it runs from test/ (whose parent holds one).
describe('MCP Inspector CLI', () => {
  const inspector = join(ROOT, 'node_modules/.bin/mcp-inspector-cli');

  it('lists the fixture tools through the proxy', async () => {
    const { stdout } = await run(
      inspector,
      ['--cli', 'node', CLI, 'proxy', '--', 'node', FIXTURE, '--method', 'tools/list'],
      {
        cwd: join(ROOT, 'test'),
        timeout: 120_000,
      },
    );
    const names = (JSON.parse(stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'add', 'whoami']));
  });

  // The inspector takes --config for itself, so the gateway's config is passed positionally.
  it('lists and calls tools through the gateway', async () => {
    const config = await writeConfig({ mcpServers: { fixture: { command: 'node', args: [FIXTURE] } } });
    const listed = await run(inspector, ['--cli', 'node', CLI, 'gateway', config, '--method', 'tools/list'], {
      cwd: join(ROOT, 'test'),
      timeout: 120_000,
    });
    expect(listed.stdout).toContain('fixture_echo');
    const called = await run(
      inspector,
      [
        '--cli',
        'node',
        CLI,
        'gateway',
        config,
        '--method',
        'tools/call',
        '--tool-name',
        'fixture_echo',
        '--tool-arg',
        'message=inspected',
      ],
      { cwd: join(ROOT, 'test'), timeout: 30_000 },
    );
    expect(called.stdout).toContain('inspected');
  });
});
