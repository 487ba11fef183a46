import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Attributes } from '@opentelemetry/api';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { HttpFront } from '../../src/gateway/index.js';
import { ToolscopeRuntime } from '../../src/runtime/index.js';
import { METRIC_LABELS } from '../../src/telemetry/instruments.js';
import { toolName, wideService } from '../fixtures/hardening/cardinality/wideService.js';

const TOOLS = 5_000;
/** Calls made over Streamable HTTP (a real session id to look for); the rest go in memory, faster. */
const OVER_HTTP = 100;
/** The cardinality limit toolscope configures on every instrument (`metricViews(2000)`). */
const LIMIT = 2_000;
/** Marks every argument value, to find it if it ever became a label. */
const ARG_MARK = 'argvalue-7f3a';
/** Label keys that would make a series per request or per session. */
const FORBIDDEN_LABELS = ['jsonrpc.request.id', 'mcp.session.id', 'session.id', 'request.id', 'note'];

interface Series {
  instrument: string;
  attributes: Attributes;
  /** The data point's value: a number, or a histogram (`count`, `sum`, buckets). */
  value: unknown;
}

/** Collects on demand, like a Prometheus scrape, without serialising 60 MB of text. */
class MemoryReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}

  /** Every exported series: one per (instrument, attribute set). */
  async series(): Promise<Series[]> {
    const { resourceMetrics } = await this.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        (metric.dataPoints as Array<{ attributes: Attributes; value: unknown }>).map((point) => ({
          instrument: metric.descriptor.name,
          attributes: point.attributes,
          value: point.value,
        })),
      ),
    );
  }
}

const OVERFLOW = 'otel.metric.overflow';

// 5,000 distinct tools, each called once through the real runtime (pipeline, profiling,
// analyzer, tracing transports) — the first over Streamable HTTP, the rest over an
// in-memory session — then every series toolscope's metric readers export.
describe(`${TOOLS.toLocaleString('en')} distinct tool names`, () => {
  let runtime: ToolscopeRuntime;
  let front: HttpFront;
  let url: string;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  let local: Client;
  let series: Series[];
  let reader: MemoryReader | undefined;

  beforeAll(async () => {
    const config = parseConfig({ mcpServers: {}, toolscope: { listen: { port: 0 } } }, { env: {} });
    runtime = new ToolscopeRuntime({
      config,
      inProcess: { wide: wideService(TOOLS) },
      servePrometheus: false,
      stateDir: null,
      // The per-call histograms come from toolscope's own producer: the reader is given it, as Prometheus is.
      metricReaders: (producers) => {
        reader = new MemoryReader({ metricProducers: producers });
        return [reader];
      },
    });
    await runtime.start();
    front = new HttpFront(runtime.gateway, { listen: config.toolscope.listen, routes: runtime.httpRoutes() });
    url = (await front.listen()).url;
    client = new Client({ name: 'cardinality', version: '1' });
    transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
    await client.connect(transport);
    const [clientEnd, gatewayEnd] = InMemoryTransport.createLinkedPair();
    await runtime.gateway.connect(gatewayEnd);
    local = new Client({ name: 'cardinality-local', version: '1' });
    await local.connect(clientEnd);

    const started = performance.now();
    let next = 0;
    let failures = 0;
    const worker = async () => {
      while (next < TOOLS) {
        const i = next++;
        const result = await (i < OVER_HTTP ? client : local).callTool({
          name: `wide_${toolName(i)}`,
          arguments: { note: `${ARG_MARK}-${i}` },
        });
        if (result.isError) failures++;
      }
    };
    await Promise.all(Array.from({ length: 2 }, worker));
    expect(failures).toBe(0);
    const callsMs = performance.now() - started;
    series = (await reader?.series()) ?? [];
    console.log(
      `${TOOLS} calls in ${Math.round(callsMs)} ms; collected ${series.length} series in ${Math.round(performance.now() - started - callsMs)} ms`,
    );
  }, 300_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await local?.close().catch(() => {});
    await front?.close();
    await runtime?.stop();
  });

  it(`caps every instrument at ${LIMIT} series, the overflow series among them`, () => {
    const perInstrument = new Map<string, { count: number; overflow: boolean }>();
    for (const { instrument, attributes } of series) {
      const entry = perInstrument.get(instrument) ?? { count: 0, overflow: false };
      entry.count++;
      if (attributes[OVERFLOW] === true) entry.overflow = true;
      perInstrument.set(instrument, entry);
    }
    const overflowed = [...perInstrument].filter(([, entry]) => entry.overflow).map(([name]) => name);
    console.log(
      `instruments at the cap: ${overflowed.map((name) => `${name}=${perInstrument.get(name)?.count}`).join(', ')}`,
    );
    const over = [...perInstrument].filter(([, entry]) => entry.count > LIMIT);
    expect(over).toEqual([]);
    // Each per-tool instrument met 5,000 tools: all of them hit the cap and overflowed.
    expect(overflowed).toEqual(
      expect.arrayContaining([
        'mcp.server.operation.duration',
        'mcp.client.operation.duration',
        'toolscope.call.duration',
        'toolscope.cpu.user_time',
      ]),
    );
    for (const name of overflowed)
      expect({ name, count: perInstrument.get(name)?.count }).toEqual({ name, count: LIMIT });
  });

  it('keeps one series per tool up to the cap, and counts every other call in the overflow series', () => {
    const calls = series.filter((s) => s.instrument === 'toolscope.call.duration');
    const named = calls.filter((s) => s.attributes[OVERFLOW] === undefined);
    expect(new Set(named.map((s) => s.attributes['gen_ai.tool.name'])).size).toBe(LIMIT - 1);
    const overflow = calls.filter((s) => s.attributes[OVERFLOW] === true);
    expect(overflow).toHaveLength(1);
    // No call is lost: 1,999 tools with one call each, the other 3,001 in the overflow series.
    const count = (s: Series) => (s.value as { count: number }).count;
    expect(count(overflow[0] as Series)).toBe(TOOLS - (LIMIT - 1));
    expect(calls.reduce((sum, s) => sum + count(s), 0)).toBe(TOOLS);
  });

  it('labels series only from each instrument’s whitelist: never a request id, a session id or an argument value', () => {
    const sessionId = transport.sessionId;
    expect(sessionId).toBeTruthy();
    // Collected, then compared once: an expect per attribute of 18,000 series is slow.
    const found = new Set<string>();
    for (const { instrument, attributes } of series) {
      const allowed = METRIC_LABELS[instrument];
      for (const [key, value] of Object.entries(attributes)) {
        if (FORBIDDEN_LABELS.includes(key)) found.add(`${instrument}: label ${key}`);
        if (allowed && key !== OVERFLOW && !allowed.includes(key))
          found.add(`${instrument}: label ${key} not whitelisted`);
        if (String(value).includes(ARG_MARK)) found.add(`${instrument}: ${key} carries an argument value`);
        if (String(value) === sessionId) found.add(`${instrument}: ${key} carries the session id`);
      }
    }
    expect([...found]).toEqual([]);
  });
});

// Issue 17, defect 9: a client that calls tools that do not exist must not mint series. 2,100 junk
// names used to fill the 2,000-series cap, after which a real tool was counted only as overflow.
describe('junk tool names from a client', () => {
  it('never become label values: a real tool keeps its own series after 2,100 junk calls', async () => {
    let junkReader: MemoryReader | undefined;
    const config = parseConfig({ mcpServers: {} }, { env: {} });
    const junkRuntime = new ToolscopeRuntime({
      config,
      inProcess: { wide: wideService(3) },
      servePrometheus: false,
      stateDir: null,
      metricReaders: (producers) => {
        junkReader = new MemoryReader({ metricProducers: producers });
        return [junkReader];
      },
    });
    await junkRuntime.start();
    const [clientEnd, gatewayEnd] = InMemoryTransport.createLinkedPair();
    await junkRuntime.gateway.connect(gatewayEnd);
    const junkClient = new Client({ name: 'junk', version: '1' });
    await junkClient.connect(clientEnd);
    try {
      let refused = 0;
      for (let i = 0; i < 2_100; i++) {
        await junkClient.callTool({ name: `junk-${i}`, arguments: {} }).catch(() => refused++);
      }
      expect(refused).toBe(2_100);
      const real = `wide_${toolName(1)}`;
      expect((await junkClient.callTool({ name: real, arguments: {} })).isError).toBeFalsy();
      const all = (await junkReader?.series()) ?? [];
      const server = all.filter((s) => s.instrument === 'mcp.server.operation.duration');
      const named = server.map((s) => s.attributes['gen_ai.tool.name']).filter((name) => name !== undefined);
      expect(named.filter((name) => String(name).startsWith('junk-'))).toEqual([]);
      expect(server.some((s) => s.attributes[OVERFLOW] === true)).toBe(false);
      expect(named).toContain(real);
    } finally {
      await junkClient.close().catch(() => {});
      await junkRuntime.stop();
    }
  }, 60_000);
});
