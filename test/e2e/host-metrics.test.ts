import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURE, httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';

/**
 * Issue 11 acceptance: `/metrics` carries host metrics (CPU, memory, disk and
 * network I/O) and Node runtime metrics (event-loop delay, GC, heap) from the
 * OpenTelemetry packages, under their semconv names; the status API shows them.
 */
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

beforeAll(async () => {
  const config = await writeConfig({
    mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
  });
  gateway = await startHttpGateway(config, [], { OTEL_EXPORTER_PROMETHEUS_PORT: '0' });
});

afterAll(async () => {
  await gateway?.stop();
});

describe('host and runtime metrics', () => {
  it('are on /metrics next to the MCP metrics', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { message: 'hi' } }))).toBe(
        'hi',
      );
    } finally {
      await close();
    }
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const families = new Set(
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.replace(/[{ ].*/, '')),
    );
    const expected = [
      'system_cpu_utilization',
      'system_cpu_time_seconds_total',
      'system_memory_usage',
      'system_memory_utilization',
      'system_network_io_total',
      'process_cpu_utilization',
      'process_memory_usage',
      'nodejs_eventloop_delay_p99_seconds',
      'nodejs_eventloop_utilization_ratio',
      'v8js_memory_heap_used_bytes',
      'mcp_server_operation_duration_seconds_count',
    ];
    if (process.platform === 'linux')
      expected.push('system_disk_io_bytes_total', 'system_disk_operations_total');
    for (const name of expected) expect(families, name).toContain(name);
    expect(text).toMatch(/system_disk_io_bytes_total\{[^}]*disk_io_direction="read"/);
    expect(text).toMatch(/system_network_io_total\{[^}]*network_io_direction="receive"/);
  });

  it('are shown by the status API', async () => {
    // The first request starts a collection; a later one shows its values.
    await fetch(`${gateway.url}/status?series=0`);
    const status = await eventually(async () => {
      const response = await fetch(`${gateway.url}/status?series=0`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        host: { host: Record<string, number | undefined>; process: Record<string, number | undefined> };
      };
      expect(body.host.process.eventLoopUtilization).toBeDefined();
      return body.host;
    });
    expect(status.host.cores).toBeGreaterThan(0);
    expect(status.host.memoryTotalBytes).toBeGreaterThan(0);
    expect(status.host.networkReceiveBytes).toBeGreaterThanOrEqual(0);
    if (process.platform === 'linux') expect(status.host.diskReadBytes).toBeGreaterThanOrEqual(0);
    expect(status.process.rssBytes).toBeGreaterThan(0);
    expect(status.process.heapUsedBytes).toBeGreaterThan(0);
    expect(status.process.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(0);
    expect(status.process.eventLoopUtilization).toBeGreaterThanOrEqual(0);
    expect(status.host.cpuUtilization === undefined || (status.host.cpuUtilization as number) <= 1).toBe(
      true,
    );
  });
});
