import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, httpClient, ROOT, startHttpGateway, textOf, writeConfig } from './helpers.js';
import { freePort } from './prometheusServer.js';

const FIXTURE = join(ROOT, 'test/fixtures/resilience/fixture-server.mjs');

/**
 * Execution control through the real gateway against a real stdio server with a
 * slow tool, a hanging tool (that records the cancellations it receives), a flaky
 * tool and a fast echo (issue 4).
 */
describe('execution control through the gateway', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  let client: Awaited<ReturnType<typeof httpClient>>;
  let cancelLog: string;

  beforeAll(async () => {
    cancelLog = join(await mkdtemp(join(tmpdir(), 'toolscope-exec-')), 'cancellations.jsonl');
    const file = await writeConfig({
      mcpServers: {
        res: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_CANCEL_LOG: cancelLog } },
      },
      toolscope: {
        execution: {
          tools: {
            'res/hang': { timeoutMs: 400, pool: { limit: 4 } },
            'res/slow': { pool: { limit: 4 } },
            'res/flaky': { breaker: { consecutiveFailures: 3, cooldownMs: 1000 }, fallback: 'res/echo' },
          },
        },
      },
    });
    gateway = await startHttpGateway(file, [], { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) });
    client = await httpClient(`${gateway.url}/mcp`);
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
  });

  async function serverStats() {
    const result = await client.client.callTool({ name: 'res_stats', arguments: {} });
    return result.structuredContent as {
      cancellations: number;
      cancelled: Array<{ tool: string }>;
      active: Record<string, number>;
    };
  }

  it('times a hanging call out: the caller gets a timeout error and the server receives the cancellation', async () => {
    const started = Date.now();
    const error = await client.client.callTool({ name: 'res_hang', arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32001);
    expect((error as McpError).message).toMatch(/timed out after 400 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    await eventually(async () => {
      const log = await readFile(cancelLog, 'utf8');
      expect(log).toContain('"tool":"hang"');
    });
  });

  it('forwards the caller’s own cancellation upstream', async () => {
    const before = (await serverStats()).cancelled.filter((c) => c.tool === 'slow').length;
    const controller = new AbortController();
    setTimeout(() => controller.abort('changed my mind'), 300);
    const error = await client.client
      .callTool({ name: 'res_slow', arguments: { ms: 10_000 } }, undefined, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/abort|changed my mind/i);
    await eventually(async () => {
      expect((await serverStats()).cancelled.filter((c) => c.tool === 'slow').length).toBe(before + 1);
    });
  });

  it('keeps other tools fast while one tool hangs', async () => {
    const hanging = [1, 2, 3].map(() =>
      client.client.callTool({ name: 'res_hang', arguments: {} }).catch(() => undefined),
    );
    const latencies: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = performance.now();
      expect(textOf(await client.client.callTool({ name: 'res_echo', arguments: { text: `e${i}` } }))).toBe(
        `e${i}`,
      );
      latencies.push(performance.now() - start);
    }
    await Promise.all(hanging);
    latencies.sort((a, b) => a - b);
    // The echo calls do not wait for the hanging ones to time out (400 ms): they run beside them.
    expect(latencies[7]).toBeLessThan(400);
  });

  it('opens the breaker after repeated failures, answers from the fallback, and recovers after the cool-down', async () => {
    await client.client.callTool({ name: 'res_set_flaky', arguments: { pattern: 'f' } });
    for (let i = 0; i < 3; i++) {
      const failed = await client.client.callTool({ name: 'res_flaky', arguments: {} });
      expect(failed.isError).toBe(true);
    }
    // Open: the fallback (res/echo) answers instead, without calling the flaky tool.
    const fallback = await client.client.callTool({ name: 'res_flaky', arguments: {} });
    expect(fallback.isError).toBeFalsy();
    expect(textOf(fallback)).toBe('echo');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/toolscope_breaker_state\{[^}]*gen_ai_tool_name="flaky"[^}]*\} 2/);

    await client.client.callTool({ name: 'res_set_flaky', arguments: { pattern: 's' } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await eventually(async () => {
      const recovered = await client.client.callTool({ name: 'res_flaky', arguments: {} });
      expect(textOf(recovered)).toBe('flaky success');
    });
    const after = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(after).toMatch(/toolscope_breaker_state\{[^}]*gen_ai_tool_name="flaky"[^}]*\} 0/);
  });

  it('leaks nothing: in-flight and queue gauges return to zero, the server has no active calls', async () => {
    await eventually(async () => {
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      const gauges = metrics
        .split('\n')
        .filter((line) => /^toolscope_pool_(in_flight|queue_depth)\{/.test(line));
      expect(gauges.length).toBeGreaterThan(0);
      for (const line of gauges) expect(line.endsWith(' 0'), line).toBe(true);
      const active = (await serverStats()).active;
      for (const [tool, count] of Object.entries(active)) if (tool !== 'stats') expect(count, tool).toBe(0);
    });
  });
});
