import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/config/index.js';
import { HttpFront } from '../../src/gateway/index.js';
import { ToolscopeRuntime } from '../../src/runtime/index.js';
import { OtlpReceiver } from './otlpReceiver.js';
import { freePort } from './prometheusServer.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const warnings: string[] = [];
const capture: DiagLogger = {
  error: (m) => warnings.push(`error ${m}`),
  warn: (m) => warnings.push(`warn ${m}`),
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * The trace backend misbehaves in three ways, one after another, while 10,000
 * calls per phase go through the gateway: every call succeeds, memory stays
 * bounded, drops are counted, and each outage is logged once — not per batch.
 */
describe('telemetry backend faults never reach the calls', () => {
  const receiver = new OtlpReceiver();
  let runtime: ToolscopeRuntime;
  let client: Client;
  let front: HttpFront;
  let metricsUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    // Nothing listens on this port yet: the first phase is "connection refused".
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '20';
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '300';
    process.env.OTEL_EXPORTER_PROMETHEUS_PORT = String(await freePort());
    (receiver as unknown as { port: number }).port = port;
    const config = parseConfig({ mcpServers: {}, toolscope: { listen: { port: 0 } } }, { env: {} });
    runtime = new ToolscopeRuntime({
      config,
      inProcess: {
        app: {
          async connect(transport) {
            const server = new McpServer({ name: 'app', version: '1' });
            server.registerTool('echo', { inputSchema: { message: z.string() } }, async ({ message }) => ({
              content: [{ type: 'text', text: message }],
            }));
            await server.connect(transport);
          },
        },
      },
      downstream: 'inproc',
    });
    diag.setLogger(capture, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    await runtime.gateway.start();
    const [clientEnd, gatewayEnd] = InMemoryTransport.createLinkedPair();
    await runtime.gateway.connect(gatewayEnd);
    client = new Client({ name: 'load', version: '1' });
    await client.connect(clientEnd);
    front = new HttpFront(runtime.gateway, { listen: config.toolscope.listen, routes: runtime.httpRoutes() });
    metricsUrl = `${(await front.listen()).url}/metrics`;
  });

  afterAll(async () => {
    await client?.close();
    await front?.close();
    await runtime?.stop();
    await receiver.stop().catch(() => {});
  });

  async function run(calls: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < calls) {
        const i = next++;
        const result = await client.callTool({ name: 'app_echo', arguments: { message: `m${i}` } });
        expect((result.content as Array<{ text: string }>)[0]?.text).toBe(`m${i}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  async function droppedSpans(): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    let total = 0;
    for (const line of text.split('\n')) {
      // Export failures (toolscope) and queue overflow (the SDK's own self-metric).
      if (
        /^toolscope_telemetry_dropped_total\{/.test(line) ||
        /^otel_sdk_processor_span_processed_total\{.*error_type="queue_full"/.test(line)
      ) {
        total += Number(line.split(' ').at(-1));
      }
    }
    return total;
  }

  async function phase(
    label: string,
  ): Promise<{ growthMb: number; dropped: number; outageWarnings: number }> {
    // Warnings count from the phase's start: the first /metrics scrape below may take long enough
    // (host metrics) for the first failed export to be reported while it runs.
    const warned = warnings.length;
    const before = heapMb();
    const droppedBefore = await droppedSpans();
    await run(10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const growthMb = heapMb() - before;
    // The figures bench/RESULTS.md quotes ("measured in tests").
    console.log(`collector ${label}: heap ${growthMb.toFixed(1)} MB growth`);
    const outageWarnings = warnings
      .slice(warned)
      .filter((w) => w.includes('trace export to') && w.includes('is failing')).length;
    const dropped = (await droppedSpans()) - droppedBefore;
    console.log(`  ${dropped} spans dropped and counted, ${outageWarnings} outage warning(s)`);
    return { growthMb, dropped, outageWarnings };
  }

  it('collector refusing connections', async () => {
    const { growthMb, dropped, outageWarnings } = await phase('refusing connections');
    expect(dropped).toBeGreaterThan(0);
    expect(outageWarnings).toBe(1);
    expect(growthMb).toBeLessThan(32);
  });

  it('collector answering 503', async () => {
    receiver.mode = 'unavailable';
    await listenOn(receiver);
    const { growthMb, dropped } = await phase('answering 503');
    expect(receiver.requests).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(growthMb).toBeLessThan(32);
    // Still one outage since the first phase: no new "is failing" line per batch.
    expect(warnings.filter((w) => w.includes('is failing')).length).toBe(1);
  });

  it('collector accepting but never answering', async () => {
    receiver.mode = 'hang';
    const { growthMb, dropped } = await phase('hanging');
    expect(dropped).toBeGreaterThan(0);
    expect(growthMb).toBeLessThan(32);
  });

  it('recovers and says so once the collector is back', async () => {
    receiver.mode = 'ok';
    await run(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(warnings.some((w) => w.includes('recovered'))).toBe(true);
  });
});

/** Start the receiver on the port the runtime was configured with. */
async function listenOn(receiver: OtlpReceiver): Promise<void> {
  const port = (receiver as unknown as { port: number }).port;
  await receiver.start(port);
}
