import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureRun, otlpEnv, REGISTER_ESM, runFixture } from '../instrument/fixtureRun.js';
import { EVERYTHING, eventually, startHttpGateway, writeConfig } from './helpers.js';
import { OtlpReceiver, type ReceivedSpan, SPAN_KIND } from './otlpReceiver.js';

/**
 * Issue 3 acceptance: an agent run with `--import toolscope/register` → `toolscope
 * gateway --http` → `server-everything` (started by the gateway, also with the
 * register hook) is one trace per call, nested agent CLIENT → gateway SERVER →
 * gateway CLIENT → server SERVER, with the MCP semconv attributes, for a
 * success, an `isError` result and a JSON-RPC error. All three processes export
 * to one OTLP/HTTP receiver.
 */
const receiver = new OtlpReceiver();
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
let agent: FixtureRun;

interface Hop {
  agent: ReceivedSpan;
  gatewayServer: ReceivedSpan;
  gatewayClient: ReceivedSpan;
  server: ReceivedSpan;
}

beforeAll(async () => {
  await receiver.start();
  const otlp = otlpEnv(receiver.url, 'x');
  const config = await writeConfig({
    mcpServers: {
      everything: {
        command: process.execPath,
        args: ['--import', REGISTER_ESM, EVERYTHING, 'stdio'],
        env: { ...otlp, OTEL_SERVICE_NAME: 'everything', TOOLSCOPE_LOG_LEVEL: 'error' },
      },
    },
  });
  gateway = await startHttpGateway(config, [], {
    ...otlp,
    OTEL_SERVICE_NAME: 'gateway',
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
  });
  agent = await runFixture('trace-agent.mjs', {
    preload: 'import',
    env: otlpEnv(receiver.url, 'agent'),
    nodeArgs: [],
    args: [gateway.url],
  });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await receiver.stop();
});

/** The four spans of one agent call, found by walking parent links from the agent's CLIENT span. */
async function hops(agentSpanName: string): Promise<Hop> {
  return eventually(() => {
    const agentSpan = receiver.spans.find(
      (s) => s.service === 'agent' && s.kind === SPAN_KIND.client && s.name === agentSpanName,
    );
    if (!agentSpan) throw new Error(`no agent span ${agentSpanName}`);
    const trace = receiver.trace(agentSpan.traceId);
    const child = (parent: ReceivedSpan, service: string, kind: number) => {
      // The call's own hop, not the progress notifications that belong to its trace too.
      const found = trace.filter(
        (s) =>
          s.parentSpanId === parent.spanId &&
          s.service === service &&
          s.kind === kind &&
          !s.name.startsWith('notifications/'),
      );
      if (found.length !== 1)
        throw new Error(`expected one ${service} child of ${parent.name}, got ${found.length}`);
      return found[0] as ReceivedSpan;
    };
    const gatewayServer = child(agentSpan, 'gateway', SPAN_KIND.server);
    const gatewayClient = child(gatewayServer, 'gateway', SPAN_KIND.client);
    const server = child(gatewayClient, 'everything', SPAN_KIND.server);
    return { agent: agentSpan, gatewayServer, gatewayClient, server };
  }, 15_000);
}

describe('one trace across agent → gateway → server-everything', () => {
  it('the agent ran unchanged and got its answers', () => {
    expect(agent.code, agent.stderr).toBe(0);
    expect(agent.output.echo).toEqual({ content: [{ type: 'text', text: 'Echo: across hops' }] });
    expect((agent.output.toolError as { isError?: boolean }).isError).toBe(true);
    expect(agent.output.rpcError).toMatchObject({ thrown: true, class: 'McpError', code: -32602 });
  });

  it('nests a successful tool call as agent CLIENT → gateway SERVER → gateway CLIENT → server SERVER', async () => {
    const trace = await hops('tools/call everything_echo');
    expect(trace.gatewayServer.name).toBe('tools/call everything_echo');
    expect(trace.gatewayClient.name).toBe('tools/call echo');
    expect(trace.server.name).toBe('tools/call echo');
    for (const span of Object.values(trace)) {
      expect(span.attributes).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'jsonrpc.request.id': expect.any(String),
        'mcp.protocol.version': expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(span.attributes['error.type']).toBeUndefined();
    }
    expect(trace.agent.attributes['gen_ai.tool.name']).toBe('everything_echo');
    expect(trace.server.attributes['gen_ai.tool.name']).toBe('echo');
    // Streamable HTTP between agent and gateway (with a session), stdio between gateway and server.
    for (const span of [trace.agent, trace.gatewayServer]) {
      expect(span.attributes['network.transport']).toBe('tcp');
      expect(span.attributes['mcp.session.id']).toEqual(expect.any(String));
    }
    expect(trace.agent.attributes['mcp.session.id']).toBe(trace.gatewayServer.attributes['mcp.session.id']);
    for (const span of [trace.gatewayClient, trace.server])
      expect(span.attributes['network.transport']).toBe('pipe');
    expect(trace.agent.attributes['server.address']).toBe('127.0.0.1');
    // The in-process pipeline of the instrumented server annotated its SERVER span.
    expect(trace.server.attributes['toolscope.service']).toBe('mcp-servers/everything');
    // The gateway put its own view of the call on its SERVER span before answering: the pool it
    // waited for, the upstream process's CPU and memory around the call…
    expect(trace.gatewayServer.attributes).toMatchObject({
      'toolscope.service': 'everything',
      'toolscope.queue.wait': expect.any(Number),
      'toolscope.pool.in_flight': expect.any(Number),
      'toolscope.cpu.attribution': 'upstream_process',
      'toolscope.cpu.user_time': expect.any(Number),
      'toolscope.upstream.memory.rss': expect.any(Number),
      // and the analyzer's verdict on the call
      'toolscope.anomaly.score': expect.any(Number),
    });
  });

  it('marks an isError result as error.type=tool_error on every hop', async () => {
    const trace = await hops('tools/call everything_gzip-file-as-resource');
    for (const span of Object.values(trace)) {
      expect(span.attributes['error.type']).toBe('tool_error');
      expect(span.status.code).toBe(2);
    }
  });

  it('marks a JSON-RPC error from the server with error.type and rpc.response.status_code', async () => {
    const trace = await hops('prompts/get everything_args-prompt');
    expect(trace.server.name).toBe('prompts/get args-prompt');
    for (const span of Object.values(trace)) {
      expect(span.attributes['mcp.method.name']).toBe('prompts/get');
      expect(span.attributes['rpc.response.status_code']).toBe('-32602');
    }
    // Client side it is an error; server side -32602 is the caller's fault (semconv: no error.type).
    expect(trace.agent.attributes['error.type']).toBe('-32602');
    expect(trace.gatewayClient.attributes['error.type']).toBe('-32602');
    expect(trace.server.attributes['error.type']).toBeUndefined();
  });

  it('relayed progress belongs to the call’s trace, not a new trace per step (issue 17, defect 13)', async () => {
    expect(agent.output.progressed).toBeGreaterThan(0);
    const trace = await hops('tools/call everything_trigger-long-running-operation');
    await eventually(() => {
      // The updates the gateway sent the agent: children of its SERVER span for the call.
      const relayed = receiver.spans.filter(
        (s) => s.service === 'gateway' && s.kind === SPAN_KIND.client && s.name === 'notifications/progress',
      );
      expect(relayed.length).toBeGreaterThanOrEqual(3);
      for (const span of relayed) {
        expect(span.traceId).toBe(trace.agent.traceId);
        expect(span.parentSpanId).toBe(trace.gatewayServer.spanId);
      }
    }, 15_000);
  });
});
