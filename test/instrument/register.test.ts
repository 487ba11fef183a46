import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../e2e/helpers.js';
import { OtlpReceiver, type ReceivedSpan, SPAN_KIND } from '../e2e/otlpReceiver.js';
import { type FixtureRun, only, otlpEnv, type Preload, runFixture } from './fixtureRun.js';

/**
 * The register hook on unchanged apps: every module system × SDK line, each app
 * run once plain and once with `--import`/`--require toolscope/register`,
 * exporting to a real OTLP/HTTP receiver. "Zero spans" is the known failure of
 * today's peers, so every path asserts real, nested spans.
 */
interface Case {
  label: string;
  app: string;
  preload: Exclude<Preload, 'none'>;
  /** How the SDK answers an unknown tool: 1.x ≥ 1.18 with an isError result (#1510), 1.10 and 2.x with -32602. */
  unknownTool: 'tool_error' | '-32602';
  protocolVersion: string;
}

const CASES: Case[] = [
  {
    label: 'SDK 1.32 ESM',
    app: 'v1-app.mjs',
    preload: 'import',
    unknownTool: 'tool_error',
    protocolVersion: '2025-11-25',
  },
  {
    label: 'SDK 1.32 CJS',
    app: 'v1-app.cjs',
    preload: 'require',
    unknownTool: 'tool_error',
    protocolVersion: '2025-11-25',
  },
  {
    label: 'SDK 1.10 ESM',
    app: 'sdk-1.10/app.mjs',
    preload: 'import',
    unknownTool: '-32602',
    protocolVersion: '2024-11-05',
  },
  {
    label: 'SDK 1.10 CJS',
    app: 'sdk-1.10/app.cjs',
    preload: 'require',
    unknownTool: '-32602',
    protocolVersion: '2024-11-05',
  },
  {
    label: 'SDK 2.x ESM',
    app: 'v2-app.mjs',
    preload: 'import',
    unknownTool: '-32602',
    protocolVersion: '2025-11-25',
  },
  {
    label: 'SDK 2.x CJS',
    app: 'v2-app.cjs',
    preload: 'require',
    unknownTool: '-32602',
    protocolVersion: '2025-11-25',
  },
  // The other preload flag on each module system: a CJS app under --import, an ESM app under --require.
  {
    label: 'SDK 1.32 CJS app under --import',
    app: 'v1-app.cjs',
    preload: 'import',
    unknownTool: 'tool_error',
    protocolVersion: '2025-11-25',
  },
  {
    label: 'SDK 2.x ESM app under --require',
    app: 'v2-app.mjs',
    preload: 'require',
    unknownTool: '-32602',
    protocolVersion: '2025-11-25',
  },
];

const receiver = new OtlpReceiver();

beforeAll(async () => {
  await receiver.start();
}, 200_000);

afterAll(async () => {
  await receiver.stop();
});

describe.each(CASES)('$label with --$preload toolscope/register', (testCase) => {
  const service = `fixture-${testCase.label.replace(/\W+/g, '-')}`;
  let plain: FixtureRun;
  let instrumented: FixtureRun;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    [plain, instrumented] = await Promise.all([
      runFixture(testCase.app, { preload: 'none' }),
      runFixture(testCase.app, { preload: testCase.preload, env: otlpEnv(receiver.url, service) }),
    ]);
    // The app flushed on its way out (beforeExit), so its spans are in by now.
    spans = receiver.spans.filter((span) => span.service === service);
  });

  it('exports a CLIENT span and a SERVER span per tool call, the server one a child of the client one', () => {
    expect(instrumented.code, instrumented.stderr).toBe(0);
    const client = only(spans, 'tools/call echo', SPAN_KIND.client);
    const server = only(spans, 'tools/call echo', SPAN_KIND.server);
    expect(server.traceId).toBe(client.traceId);
    expect(server.parentSpanId).toBe(client.spanId);
    for (const span of [client, server]) {
      expect(span.attributes).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'echo',
        'gen_ai.operation.name': 'execute_tool',
        'jsonrpc.request.id': expect.any(String),
        'mcp.protocol.version': testCase.protocolVersion,
        'network.transport': 'inproc',
      });
      expect(span.attributes['error.type']).toBeUndefined();
    }
  });

  it('runs the server tool handler inside the in-process pipeline (observe stage annotates the SERVER span)', () => {
    const server = only(spans, 'tools/call echo', SPAN_KIND.server);
    expect(server.attributes['toolscope.service']).toBe('fixture-server');
  });

  it('traces the initialize request the server received while connect() was still running', () => {
    const client = only(spans, 'initialize', SPAN_KIND.client);
    const server = only(spans, 'initialize', SPAN_KIND.server);
    expect(server.parentSpanId).toBe(client.spanId);
  });

  it('marks isError results as tool_error on both sides', () => {
    for (const kind of [SPAN_KIND.client, SPAN_KIND.server]) {
      const span = only(spans, 'tools/call fail', kind);
      expect(span.attributes['error.type']).toBe('tool_error');
      expect(span.status.code).toBe(2);
    }
  });

  it('records JSON-RPC errors with error.type and rpc.response.status_code', () => {
    const read = only(spans, 'resources/read', SPAN_KIND.client);
    expect(read.attributes).toMatchObject({
      'error.type': '-32602',
      'rpc.response.status_code': '-32602',
      'mcp.resource.uri': 'fixture://missing',
    });
    const unknown = only(spans, 'tools/call no-such-tool', SPAN_KIND.client);
    expect(unknown.attributes['error.type']).toBe(testCase.unknownTool);
    if (testCase.unknownTool === '-32602')
      expect(unknown.attributes['rpc.response.status_code']).toBe('-32602');
  });

  it('leaves the app its results and its error objects exactly as without toolscope', () => {
    expect(plain.code, plain.stderr).toBe(0);
    expect(instrumented.output).toEqual(plain.output);
    expect(instrumented.output.identity).toBe(true);
    for (const value of Object.values(instrumented.output)) {
      const origin = (value as { origin?: string } | null)?.origin;
      if (origin) expect(origin).not.toMatch(/\/dist\/(instrument|telemetry|register)/);
    }
  });

  it('writes nothing to stdout but the app’s own output', () => {
    expect(instrumented.stdout).toBe(plain.stdout);
  });
});

describe('hostile hooks', () => {
  it.each([
    ['SDK 1.32 ESM', 'v1-app.mjs', 'import'],
    ['SDK 2.x CJS', 'v2-app.cjs', 'require'],
  ] as const)(
    '%s: a throwing propagator, stage and observer change nothing for the app, each reported once',
    async (_label, app, preload) => {
      const [plain, hostile] = await Promise.all([
        runFixture(app, { preload: 'none' }),
        runFixture(app, {
          preload,
          nodeArgs: ['--import', './hostile.mjs'],
          env: { ...otlpEnv(receiver.url, `hostile-${preload}`), TOOLSCOPE_LOG_LEVEL: 'error' },
        }),
      ]);
      expect(hostile.code, hostile.stderr).toBe(0);
      expect(hostile.output).toEqual(plain.output);
      expect(hostile.stdout).toBe(plain.stdout);
      for (const site of ['hostile-before', 'hostile-after', 'call observer', 'telemetry failed']) {
        expect(
          hostile.stderr.split('\n').filter((line) => line.includes(site)),
          hostile.stderr,
        ).toHaveLength(1);
      }
    },
  );
});

describe('a collector that is down', () => {
  it('changes nothing for the app, and its exit waits at most TOOLSCOPE_SHUTDOWN_TIMEOUT_MS for the flush', async () => {
    const plain = await runFixture('v1-app.mjs', { preload: 'none' });
    const started = Date.now();
    const down = await runFixture('v1-app.mjs', {
      preload: 'import',
      env: {
        ...otlpEnv('http://127.0.0.1:9', 'collector-down'),
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
        TOOLSCOPE_SHUTDOWN_TIMEOUT_MS: '500',
      },
    });
    expect(down.code, down.stderr).toBe(0);
    expect(down.output).toEqual(plain.output);
    // The exporter alone would retry for its 60 s timeout; the bound ends it long before (a busy
    // machine takes seconds just to start Node, so the margin is wide).
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('apps mixing module systems and SDK copies', () => {
  it('instruments both halves of the dual-package hazard (ESM client, CJS server of the same SDK)', async () => {
    const run = await runFixture('dual-app.mjs', {
      preload: 'import',
      env: otlpEnv(receiver.url, 'fixture-dual'),
    });
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver.spans.filter((span) => span.service === 'fixture-dual');
    const client = only(spans, 'tools/call echo', SPAN_KIND.client);
    const server = only(spans, 'tools/call echo', SPAN_KIND.server);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.attributes['toolscope.service']).toBe('fixture-server');
  });

  it('nests the spans of an agent and a stdio server it spawns, both run with the hook (pipe transport)', async () => {
    const run = await runFixture('stdio-agent.mjs', {
      preload: 'import',
      env: otlpEnv(receiver.url, 'fixture-stdio'),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.output.echo).toEqual({ content: [{ type: 'text', text: 'echo: over stdio' }] });
    const agent = receiver.spans.filter((span) => span.service === 'fixture-stdio');
    const call = only(agent, 'tools/call echo', SPAN_KIND.client);
    // The server flushes when its stdin closes, which may be just after the agent exits.
    const handled = await eventually(() =>
      only(
        receiver.spans.filter((span) => span.service === 'fixture-stdio-server'),
        'tools/call echo',
        SPAN_KIND.server,
      ),
    );
    expect(handled.traceId).toBe(call.traceId);
    expect(handled.parentSpanId).toBe(call.spanId);
    expect(call.attributes['network.transport']).toBe('pipe');
    expect(handled.attributes['network.transport']).toBe('pipe');
  });
});
