import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  EVERYTHING,
  eventually,
  FIXTURE,
  MEMORY,
  pidsWithEnv,
  stdioClient,
  textOf,
  writeConfig,
} from './helpers.js';

// One gateway over stdio in front of three real servers: the published everything and
// memory servers and an SDK-built fixture, as an agent would run it.
describe('gateway over stdio with server-everything, server-memory and a fixture', () => {
  let gateway: Awaited<ReturnType<typeof stdioClient>>;

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: {
        everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
        memory: {
          command: process.execPath,
          args: [MEMORY],
          env: { MEMORY_FILE_PATH: '/tmp/toolscope-e2e-memory.jsonl' },
        },
        fixture: { command: process.execPath, args: [FIXTURE] },
      },
    });
    gateway = await stdioClient(process.execPath, [CLI, 'gateway', '--config', config]);
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers initialize as toolscope and lists every tool under service_tool', async () => {
    expect(gateway.client.getServerVersion()?.name).toBe('toolscope');
    const { tools } = await gateway.client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['everything_echo', 'everything_get-sum', 'memory_read_graph', 'fixture_echo']),
    );
    // Definitions are passed through: schema and annotations survive the renaming.
    const echo = tools.find((tool) => tool.name === 'everything_echo');
    expect(echo?.inputSchema.required).toEqual(['message']);
    expect(echo?.annotations?.readOnlyHint).toBe(true);
  });

  it('calls tools by namespaced name, and by a unique unprefixed name', async () => {
    expect(
      textOf(await gateway.client.callTool({ name: 'everything_echo', arguments: { message: 'hi' } })),
    ).toContain('hi');
    const graph = await gateway.client.callTool({ name: 'read_graph', arguments: {} });
    expect(graph.isError).toBeFalsy();
    expect(textOf(graph)).toContain('entities');
  });

  it('answers an unknown tool with JSON-RPC -32602 naming the closest tools', async () => {
    const error = await gateway.client
      .callTool({ name: 'everything_ecko', arguments: { message: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toContain('everything_echo');
  });

  it('refuses bad arguments before the upstream call, as an isError result naming each field', async () => {
    const result = await gateway.client.callTool({ name: 'everything_get-sum', arguments: { a: 'one' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('a: must be number (got string)');
    expect(textOf(result)).toContain('b: is required');
  });

  it('passes a tool error through as the tool reported it', async () => {
    const result = await gateway.client.callTool({ name: 'fixture_fail', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('it failed');
  });

  it('forwards prompts and resources under namespaced names', async () => {
    const { prompts } = await gateway.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(
      expect.arrayContaining(['everything_simple-prompt', 'fixture_greeting']),
    );
    const prompt = await gateway.client.getPrompt({ name: 'fixture_greeting', arguments: { name: 'Ada' } });
    expect(JSON.stringify(prompt.messages)).toContain('Say hello to Ada');
    const { resources } = await gateway.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(['fixture://readme', 'memory://knowledge-graph']),
    );
    const readme = await gateway.client.readResource({ uri: 'fixture://readme' });
    expect(readme.contents[0]).toMatchObject({ text: 'fixture readme' });
    // Templates route reads to the right service too.
    const { resourceTemplates } = await gateway.client.listResourceTemplates();
    expect(resourceTemplates.length).toBeGreaterThan(0);
  });

  it('forwards progress notifications to the caller', async () => {
    const updates: number[] = [];
    const result = await gateway.client.callTool(
      { name: 'fixture_count_with_progress', arguments: { n: 4 } },
      undefined,
      {
        onprogress: (progress) => updates.push(progress.progress),
      },
    );
    expect(textOf(result)).toBe('counted to 4');
    expect(updates).toEqual([1, 2, 3, 4]);
  });

  it('refreshes its cache on tools/list_changed and tells the client', async () => {
    let notified = 0;
    gateway.client.setNotificationHandler(
      (await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema,
      async () => {
        notified++;
      },
    );
    await gateway.client.callTool({ name: 'fixture_toggle_extra_tool', arguments: {} });
    await eventually(async () => {
      const { tools } = await gateway.client.listTools();
      expect(tools.map((t) => t.name)).toContain('fixture_extra');
      expect(notified).toBeGreaterThan(0);
    });
    expect(textOf(await gateway.client.callTool({ name: 'fixture_extra', arguments: {} }))).toBe('extra!');
  });
});

describe('gateway lifecycle over stdio', () => {
  it('restarts a crashed server with backoff; calls in flight get a clear error, later calls work', async () => {
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
    });
    const gateway = await stdioClient(process.execPath, [CLI, 'gateway', '--config', config]);
    try {
      const before = JSON.parse(
        textOf(await gateway.client.callTool({ name: 'fixture_whoami', arguments: {} })),
      ).pid;
      const crash = await gateway.client
        .callTool({ name: 'fixture_crash', arguments: {} })
        .catch((e: unknown) => e);
      expect(crash).toBeInstanceOf(McpError);
      expect((crash as McpError).message).toMatch(/service "fixture" went away: process exited with code 3/);
      const after = await eventually(async () => {
        const result = await gateway.client.callTool({ name: 'fixture_whoami', arguments: {} });
        return JSON.parse(textOf(result)).pid;
      });
      expect(after).not.toBe(before);
    } finally {
      await gateway.close();
    }
  });

  it('smart wait: tools/list waits for a slow local server, then answers with what is ready', async () => {
    const config = await writeConfig({
      mcpServers: {
        quick: { command: process.execPath, args: [FIXTURE] },
        slow: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_START_DELAY_MS: '1200' } },
        stuck: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_START_DELAY_MS: '600000' } },
      },
      // Far more than the slow server needs even on a busy machine (starting Node can take seconds
      // there), far less than the stuck one's delay.
      toolscope: { discovery: { smartWaitLocalMs: 10_000 } },
    });
    const gateway = await stdioClient(process.execPath, [CLI, 'gateway', '--config', config]);
    try {
      const started = Date.now();
      const { tools } = await gateway.client.listTools();
      const waited = Date.now() - started;
      const names = tools.map((t) => t.name);
      expect(names).toContain('quick_echo');
      expect(names).toContain('slow_echo');
      expect(names.some((name) => name.startsWith('stuck_'))).toBe(false);
      // It waited for the stuck one no longer than the smart wait (plus a busy machine's slack).
      expect(waited).toBeLessThan(10_000 + 10_000);
    } finally {
      await gateway.close();
    }
  });

  it('exits and stops its servers (even ones that ignore stdin EOF) when its stdin closes', async () => {
    const marker = `m${process.pid}-${Date.now()}`;
    const config = await writeConfig({
      mcpServers: {
        // server-everything keeps running after stdin EOF (typescript-sdk #2002): it needs SIGTERM.
        everything: {
          command: process.execPath,
          args: [EVERYTHING, 'stdio'],
          env: { TOOLSCOPE_E2E_MARKER: marker },
        },
        fixture: { command: process.execPath, args: [FIXTURE], env: { TOOLSCOPE_E2E_MARKER: marker } },
      },
    });
    const gateway = await stdioClient(process.execPath, [CLI, 'gateway', '--config', config]);
    const { tools } = await gateway.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    expect(await pidsWithEnv('TOOLSCOPE_E2E_MARKER', marker)).toHaveLength(2);
    const pid = gateway.transport.pid as number;
    await gateway.close();
    await eventually(async () => {
      expect(() => process.kill(pid, 0)).toThrow();
      expect(await pidsWithEnv('TOOLSCOPE_E2E_MARKER', marker)).toEqual([]);
    }, 10_000);
  });
});
