import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_LABELS, withUnitSuffix } from '../../src/telemetry/index.js';
import { needs } from '../setup/needs.js';
import { eventually, FIXTURE, httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';
import { freePort, PrometheusServer } from './prometheusServer.js';

// A real Prometheus (Debian's package, installed by .ci/run) scrapes the gateway's /metrics.
describe('Prometheus scraping the gateway', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  let prometheus: PrometheusServer;

  const prometheusPackage = needs('prometheus');

  beforeAll(async () => {
    if (!prometheusPackage.installed) return;
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
    });
    // The separate Prometheus listener gets a free port too, so parallel test files never collide.
    gateway = await startHttpGateway(config, [], { OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) });
    const target = new URL(gateway.url).host;
    prometheus = new PrometheusServer(
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: toolscope\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    await prometheus.start();
  });

  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('counts every tool call in mcp_server_operation_duration_seconds, by tool and outcome', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      for (let i = 0; i < 12; i++) {
        expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { message: `m${i}` } }))).toBe(
          `m${i}`,
        );
      }
      for (let i = 0; i < 3; i++) await client.callTool({ name: 'fixture_fail', arguments: {} });
    } finally {
      await close();
    }
    await eventually(
      async () => {
        const echo = await prometheus.query(
          'sum(mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call",gen_ai_tool_name="fixture_echo"})',
        );
        expect(echo[0]?.value).toBe(12);
        const failed = await prometheus.query(
          'sum(mcp_server_operation_duration_seconds_count{gen_ai_tool_name="fixture_fail",error_type="tool_error"})',
        );
        expect(failed[0]?.value).toBe(3);
      },
      20_000,
      500,
    );
    // toolscope's own per-tool view, with the service as a label, and no ids as labels anywhere.
    const perTool = await prometheus.query(
      'sum by (toolscope_service, gen_ai_tool_name) (toolscope_call_duration_seconds_count)',
    );
    expect(perTool).toContainEqual({
      metric: { toolscope_service: 'fixture', gen_ai_tool_name: 'echo' },
      value: 12,
    });
    const labels = await prometheus.query(
      'count by (__name__) ({__name__=~"mcp_.*|toolscope_.*", jsonrpc_request_id!=""})',
    );
    expect(labels).toEqual([]);
    const sessions = await prometheus.query('count({__name__=~"mcp_.*|toolscope_.*", mcp_session_id!=""})');
    expect(sessions).toEqual([]);
  });

  it('uses only whitelisted label keys on every toolscope and MCP metric', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    // Prometheus family name → allowed label keys (dots become underscores on the wire).
    const allowed = new Map<string, Set<string>>();
    for (const [name, labels] of Object.entries(METRIC_LABELS)) {
      const keys = new Set([
        ...labels.map((label) => label.replace(/\./g, '_')),
        'otel_scope_name',
        'otel_scope_version',
        'le',
        'otel_metric_overflow',
      ]);
      for (const unit of ['s', 'By', ''])
        allowed.set(withUnitSuffix(name, unit, false).replace(/\./g, '_'), keys);
    }
    let checked = 0;
    for (const line of text.split('\n')) {
      const match = /^((?:mcp|toolscope)_[a-z_]+?)(?:_bucket|_count|_sum|_total)?\{(.*)\} /.exec(line);
      if (!match) continue;
      const family = [...allowed.keys()].find(
        (name) =>
          match[1] === name || match[1]?.startsWith(`${name}_`) || match[1] === name.replace(/_total$/, ''),
      );
      expect(family, `unknown metric ${match[1]}`).toBeDefined();
      const keys = [...(match[2] as string).matchAll(/([a-z_]+)="/g)].map((m) => m[1] as string);
      for (const key of keys)
        expect(allowed.get(family as string)?.has(key), `${match[1]} has label ${key}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('exposes upstream health and pool state as gauges', async () => {
    // Whatever the scrape before the calls saw, a later one shows the service up and its pool.
    await eventually(async () => {
      const up = await prometheus.query('toolscope_upstream_up{toolscope_service="fixture"}');
      expect(up[0]?.value).toBe(1);
      const limit = await prometheus.query('toolscope_pool_limit{toolscope_pool="fixture"}');
      expect(limit[0]?.value).toBeGreaterThan(0);
    }, 30_000);
  });
});
