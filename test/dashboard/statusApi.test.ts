import { mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import {
  EXPORT_COLUMNS,
  type StatusHost,
  type StatusSnapshot,
  statusRoutes,
  type TuningSource,
} from '../../src/dashboard/index.js';
import { DemoIncident, demoServices } from '../../src/demo/index.js';
import { HttpFront } from '../../src/gateway/index.js';
import { ToolscopeRuntime } from '../../src/runtime/index.js';
import { parseCsv } from './parseCsv.js';

const TOKEN = 'a-test-token-123';

/** A raw HTTP request (fetch may not set Host), answered as status, headers and body text. */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('status API and dashboard routes', () => {
  let runtime: ToolscopeRuntime;
  let front: HttpFront;
  let client: Client;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const start = Date.now();
  const tuning: TuningSource = {
    decisions: () => [
      {
        time: start,
        poolId: 'storage',
        previousLimit: 16,
        newLimit: 8,
        direction: 'down',
        reason: 'capacity_drop',
        applied: true,
        message: 'storage: 16 → 8 (capacity_drop)',
      },
    ],
    loadPatterns: () => new Map([['compute/primes', { pattern: 'cpu_bound', cpuRatio: 0.97 }]]),
  };

  beforeAll(async () => {
    const config = parseConfig(
      {
        mcpServers: {},
        toolscope: {
          listen: { port: 0, token: TOKEN },
          profiling: {
            mode: 'exact',
            capture: {
              directory: await mkdtemp(join(tmpdir(), 'toolscope-profiles-')),
              heap: false,
              autoOnAnomaly: false,
            },
          },
        },
      },
      { env: {} },
    );
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    runtime = new ToolscopeRuntime({
      config,
      inProcess: demoServices(new DemoIncident(), random),
      stateDir: null,
      servePrometheus: false,
      downstream: 'inproc',
      logDestination: { write() {} },
    });
    // The runtime with a tuner beside it: what the status reads once the tuner is wired in.
    const host: StatusHost = {
      startedAt: runtime.startedAt,
      config: runtime.config,
      gateway: runtime.gateway,
      stats: runtime.stats,
      control: runtime.control,
      analysis: runtime.analysis,
      profiling: runtime.profiling,
      tuning,
    };
    front = new HttpFront(runtime.gateway, { listen: config.toolscope.listen, routes: statusRoutes(host) });
    base = (await front.listen()).url;
    await runtime.start();
    const [clientEnd, gatewayEnd] = InMemoryTransport.createLinkedPair();
    await runtime.gateway.connect(gatewayEnd);
    client = new Client({ name: 'status-test', version: '1' });
    await client.connect(clientEnd);
    for (let i = 0; i < 30; i++) {
      await Promise.all([
        // One unknown city in ten: tool errors, below the built-in error-rate alert (20 %).
        client.callTool({ name: 'lookup_city', arguments: { name: i % 10 === 0 ? 'atlantis' : 'paris' } }),
        client.callTool({ name: 'compute_primes', arguments: { limit: 5000 } }),
        client.callTool({ name: 'storage_fetch_record', arguments: { id: `r-${i}` } }),
      ]);
    }
  });

  afterAll(async () => {
    await client?.close();
    await front?.close();
    await runtime?.stop();
  });

  it('answers every status path with the MCP endpoint’s refusals: no token 401, foreign Host or Origin 403', async () => {
    for (const path of ['/', '/status', '/export?format=csv', '/assets/uPlot.iife.min.js']) {
      const anonymous = await request(`${base}${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      const wrongToken = await request(`${base}${path}`, {
        headers: { authorization: 'Bearer nope-nope-nope' },
      });
      expect(wrongToken.status).toBe(401);
      const rebinding = await request(`${base}${path}`, { headers: { ...auth, host: 'evil.example:8765' } });
      expect(rebinding.status).toBe(403);
      const crossSite = await request(`${base}${path}`, {
        headers: { ...auth, origin: 'https://evil.example' },
      });
      expect(crossSite.status).toBe(403);
    }
    const profile = await request(`${base}/profile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', ...auth },
      body: '{"tool":"compute_primes","seconds":1}',
    });
    expect(profile.status).toBe(403);
  });

  it('serves the page with a strict content policy, and uPlot from node_modules', async () => {
    const page = await request(`${base}/`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<script src="/assets/uPlot.iife.min.js"');
    expect(page.body).not.toMatch(/https?:\/\/(?!127)/);
    const uplot = await request(`${base}/assets/uPlot.iife.min.js`, { headers: auth });
    expect(uplot.status).toBe(200);
    expect(uplot.body).toContain('uPlot');
    for (const path of ['/assets/../package.json', '/assets/%2e%2e/package.json', '/assets/nothing.js'])
      expect((await request(`${base}${path}`, { headers: auth })).status).toBe(404);
  });

  it('reports services, per-tool figures joined with pools, breakers, analyzer and tuner, and aligned series', async () => {
    const res = await request(`${base}/status`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const status = JSON.parse(res.body) as StatusSnapshot;
    expect(status).toMatchObject({ mode: 'gateway', pid: process.pid, sessions: 1 });
    expect(status.services.map((s) => [s.name, s.kind, s.state, s.tools])).toEqual([
      ['lookup', 'in_process', 'ready', ['city']],
      ['compute', 'in_process', 'ready', ['primes']],
      ['storage', 'in_process', 'ready', ['fetch_record']],
      ['orders', 'in_process', 'ready', ['submit']],
    ]);
    const byName = new Map(status.tools.map((t) => [t.name, t]));
    const lookup = byName.get('lookup_city')!;
    expect(lookup).toMatchObject({ key: 'lookup/city', calls: 30, toolErrors: 3, errorRate: 0.1 });
    expect(lookup.pool).toMatchObject({ id: 'lookup', inFlight: 0, queued: 0 });
    expect(lookup.breaker?.state).toBe('closed');
    expect(lookup.anomaly).toMatchObject({ warmingUp: true, anomalous: false });
    expect(lookup.loadPattern).toEqual({ pattern: 'unknown' });
    const compute = byName.get('compute_primes')!;
    expect(compute.cpuMicrosPerCall).toBeGreaterThan(0);
    expect(compute.loadPattern).toEqual({ pattern: 'cpu_bound', cpuRatio: 0.97 });
    expect(byName.get('storage_fetch_record')!.p50).toBeGreaterThanOrEqual(30);
    expect(status.tuning).toMatchObject({
      enabled: true,
      decisions: [expect.objectContaining({ newLimit: 8 })],
    });

    const series = status.series!;
    expect(series.bucketMs).toBe(1000);
    expect(series.t.length).toBeGreaterThan(0);
    for (const tool of Object.values(series.tools)) {
      expect(tool.t).toEqual(series.t);
      expect(tool.p95).toHaveLength(series.t.length);
    }
    expect(series.tools['storage/fetch_record']!.calls.reduce((a, b) => a + b, 0)).toBe(30);
    // The limit series follows the tuner's decision: 8 from the decision's bucket on.
    expect(series.limits.storage!.at(-1)).toBe(8);
  });

  it('leaves the series out on request and refuses a since it cannot read', async () => {
    const light = JSON.parse(
      (await request(`${base}/status?series=0`, { headers: auth })).body,
    ) as StatusSnapshot;
    expect(light.series).toBeUndefined();
    expect(light.tools.length).toBe(3);
    const bad = await request(`${base}/status?since=yesterday`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('since');
  });

  it('exports CSV a spreadsheet opens: a header and one row per record', async () => {
    const res = await request(`${base}/export?format=csv&since=10m`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="toolscope-export-.*\.csv"$/);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(
      rows
        .slice(1)
        .map((row) => row[0])
        .sort(),
    ).toEqual(['tool_summary', 'tool_summary', 'tool_summary', 'tuning_decision']);
    const json = JSON.parse((await request(`${base}/export`, { headers: auth })).body);
    expect(Object.keys(json)).toEqual([
      'exportedAt',
      'since',
      'instance',
      'tools',
      'alerts',
      'anomalies',
      'decisions',
    ]);
    expect((await request(`${base}/export?format=xml`, { headers: auth })).status).toBe(400);
  });

  it('captures a CPU profile on POST /profile and lists it in /status', async () => {
    const post = (body: string, type = 'application/json') =>
      request(`${base}/profile`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
    expect((await post('tool=compute_primes', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post('{"tool": "no_such_tool"}')).status).toBe(404);
    expect((await post('{"tool": "compute_primes", "seconds": -1}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    const busy = client.callTool({ name: 'compute_primes', arguments: { limit: 400_000 } });
    const res = await post('{"tool": "compute_primes", "seconds": 0.5}');
    await busy;
    expect(res.status).toBe(200);
    const result = JSON.parse(res.body);
    expect(result).toMatchObject({ toolKey: 'compute/primes', reason: 'on_demand', scope: 'process' });
    expect(result.path).toMatch(/\.cpuprofile$/);
    expect(result.top.length).toBeGreaterThan(0);
    const status = JSON.parse(
      (await request(`${base}/status?series=0`, { headers: auth })).body,
    ) as StatusSnapshot;
    expect(status.profiles.recent.at(-1)).toMatchObject({ toolKey: 'compute/primes', path: result.path });
  });
});
