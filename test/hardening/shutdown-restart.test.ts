import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  httpClient,
  pidsWithEnv,
  ROOT,
  startHttpGateway,
  stdioClient,
  textOf,
} from '../e2e/helpers.js';
import { OtlpReceiver, SPAN_KIND } from '../e2e/otlpReceiver.js';

const SLOW_SERVER = join(ROOT, 'test/fixtures/hardening/shutdown/slow-server.mjs');
/** Marks the upstream processes these tests start, to prove none outlives its gateway. */
const MARKER = `shutdown-${randomUUID()}`;

type Gateway = Awaited<ReturnType<typeof startHttpGateway>>;
type Client = Awaited<ReturnType<typeof httpClient>>;

interface ToolRow {
  name: string;
  calls: number;
  anomaly: { warmingUp: boolean } | null;
  pool: { inFlight: number } | null;
}

const started: Gateway[] = [];
const clients: Client[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toolscope-shutdown-'));
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  for (const gateway of started.splice(0)) if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
});

afterAll(async () => {
  for (const pid of await pidsWithEnv('TOOLSCOPE_TEST_MARKER', MARKER)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, stateDir: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const file = join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      mcpServers: {
        slow: { command: process.execPath, args: [SLOW_SERVER], env: { TOOLSCOPE_TEST_MARKER: MARKER } },
      },
      toolscope: {
        stateDir,
        analysis: { warmupCalls: 8 },
        execution: { defaults: { timeoutMs: 60_000 } },
      },
    }),
  );
  return file;
}

async function start(
  config: string,
  env: Record<string, string>,
): Promise<{ gateway: Gateway; client: Client }> {
  const gateway = await startHttpGateway(config, [], {
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    TOOLSCOPE_LOG_LEVEL: 'info',
    ...env,
  });
  started.push(gateway);
  const client = await httpClient(`${gateway.url}/mcp`);
  clients.push(client);
  return { gateway, client };
}

async function tools(gateway: Gateway): Promise<ToolRow[]> {
  const response = await fetch(`${gateway.url}/status?series=0`);
  return ((await response.json()) as { tools: ToolRow[] }).tools;
}

async function row(gateway: Gateway, name: string): Promise<ToolRow> {
  const found = (await tools(gateway)).find((tool) => tool.name === name);
  if (!found) throw new Error(`no status row for ${name}`);
  return found;
}

/** Resolves once the slow service's pool has `count` calls running. */
async function inFlight(gateway: Gateway, count: number): Promise<void> {
  await eventually(
    async () => expect((await row(gateway, 'slow_ping')).pool?.inFlight).toBe(count),
    10_000,
    50,
  );
}

function exited(gateway: Gateway): Promise<number> {
  return new Promise((resolve) => {
    if (gateway.child.exitCode !== null) resolve(gateway.child.exitCode);
    else gateway.child.once('exit', (code) => resolve(code ?? -1));
  });
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('SIGTERM with calls in flight, then a restart', () => {
  it('drains in-flight calls, refuses new ones, flushes their spans and saves the analyzer state the next start restores', async () => {
    const receiver = new OtlpReceiver();
    await receiver.start();
    const config = await writeConfig('drain', join(dir, 'state'));
    try {
      const { gateway, client } = await start(config, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        // Nothing leaves on the batch schedule: every span the receiver gets comes from the stop's flush.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        TOOLSCOPE_SHUTDOWN_TIMEOUT_MS: '20000',
      });

      // A cold start: the first call finds the analyzer warming up.
      expect(textOf(await client.client.callTool({ name: 'slow_ping', arguments: {} }))).toBe('pong');
      // The call ran on the client session's own process; the status lists the tools of the shared
      // one, which may finish starting a moment later.
      expect((await eventually(() => row(gateway, 'slow_ping'))).anomaly?.warmingUp).toBe(true);
      for (let i = 0; i < 15; i++) await client.client.callTool({ name: 'slow_ping', arguments: {} });
      await eventually(async () => expect((await row(gateway, 'slow_ping')).anomaly?.warmingUp).toBe(false));

      const slow = ['a', 'b', 'c'].map((tag) =>
        client.client.callTool({ name: 'slow_sleep', arguments: { ms: 2500, tag } }),
      );
      await inFlight(gateway, 3);
      const signalled = performance.now();
      const exit = exited(gateway);
      gateway.child.kill('SIGTERM');

      // Calls sent after the signal is handled are refused with a clear error (a call that
      // beats the signal into the process is simply served: keep asking until refused).
      const refusal = await eventually(
        async () => {
          const outcome = await client.client.callTool({ name: 'slow_ping', arguments: {} }).then(
            () => undefined,
            (error: unknown) => error,
          );
          if (outcome === undefined) throw new Error('served: the signal has not arrived yet');
          return outcome;
        },
        5_000,
        10,
      );
      expect(refusal).toBeInstanceOf(McpError);
      expect((refusal as McpError).message).toContain('shutting down and accepts no new calls');
      expect((refusal as McpError).data).toMatchObject({ reason: 'shutting_down' });
      // Meanwhile the health check sends new work elsewhere.
      const health = await fetch(`${gateway.url}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe('draining');

      // The calls in flight finish with their real results.
      const results = await Promise.all(slow);
      expect(results.map(textOf)).toEqual([
        'slept 2500 ms for a',
        'slept 2500 ms for b',
        'slept 2500 ms for c',
      ]);
      expect(await exit).toBe(0);
      const exitMs = performance.now() - signalled;
      // It waited for them (they had ~2.5 s left), and no longer than needed (bound: 20 s).
      expect(exitMs).toBeGreaterThan(1500);
      expect(exitMs).toBeLessThan(10_000);
      console.log(`drain: SIGTERM → exit in ${Math.round(exitMs)} ms with 3 × 2.5 s calls in flight`);

      // (A ping that beat the signal in may be among the calls in flight.)
      const lines = jsonLines(gateway.stderr());
      const drained = lines.find((line) => line.msg === 'shutting down: calls drained');
      expect(drained?.inFlight).toBeGreaterThanOrEqual(3);
      expect(drained?.cutOff).toBe(0);
      expect(lines.some((line) => line.msg === 'shutting down: draining calls in flight')).toBe(true);

      // Telemetry flushed on the way out: the drained calls' spans reached the collector.
      const sleepSpans = receiver.spans.filter(
        (span) => span.name === 'tools/call slow_sleep' && span.kind === SPAN_KIND.server,
      );
      expect(sleepSpans).toHaveLength(3);
      for (const span of sleepSpans) expect(span.status.code ?? 0).not.toBe(2);
      expect(
        receiver.spans.some((span) => span.name === 'tools/call sleep' && span.kind === SPAN_KIND.client),
      ).toBe(true);

      // The analyzer's state was saved, including the drained calls.
      const saved = JSON.parse(await readFile(join(dir, 'state', 'analyzer.json'), 'utf8')) as {
        tools: Array<{ ref: { key: string }; calls: number }>;
      };
      const calls = Object.fromEntries(saved.tools.map((tool) => [tool.ref.key, tool.calls]));
      expect(calls['slow/ping']).toBeGreaterThanOrEqual(16);
      expect(calls['slow/sleep']).toBe(3);
      expect(await pidsWithEnv('TOOLSCOPE_TEST_MARKER', MARKER)).toEqual([]);

      // The next start says what it restored, and the tool is judged at once: no warm-up again.
      const next = await start(config, {});
      const restored = await eventually(() => {
        const line = jsonLines(next.gateway.stderr()).find((l) => l.msg === 'analyzer state restored');
        if (!line) throw new Error('no restore line yet');
        return line;
      });
      expect(restored).toMatchObject({ path: join(dir, 'state', 'analyzer.json'), tools: 2 });
      expect(restored.calls).toBeGreaterThanOrEqual(19);
      expect(textOf(await next.client.client.callTool({ name: 'slow_ping', arguments: {} }))).toBe('pong');
      // The row is the call's observation, recorded right after its answer went out: on a busy
      // machine the status can be asked first.
      await eventually(async () =>
        expect((await row(next.gateway, 'slow_ping')).anomaly?.warmingUp).toBe(false),
      );
      await next.client.close();
      await next.gateway.stop();
    } finally {
      await receiver.stop();
    }
  }, 300_000);

  it('answers a call that outlasts the shutdown timeout with an error and exits within the bound', async () => {
    const config = await writeConfig('cutoff', join(dir, 'state-cutoff'));
    const { gateway, client } = await start(config, { TOOLSCOPE_SHUTDOWN_TIMEOUT_MS: '1000' });
    await client.client.callTool({ name: 'slow_ping', arguments: {} });
    const call = client.client.callTool({ name: 'slow_sleep', arguments: { ms: 30_000, tag: 'long' } }).then(
      () => undefined,
      (error: unknown) => ({ error, at: performance.now() }),
    );
    await inFlight(gateway, 1);
    const signalled = performance.now();
    const exit = exited(gateway);
    gateway.child.kill('SIGTERM');

    const outcome = await call;
    if (!outcome) throw new Error('the call succeeded: it should have been cut off');
    expect(outcome.error).toBeInstanceOf(McpError);
    expect((outcome.error as McpError).data).toMatchObject({
      errorType: 'cancelled',
      reason: 'shutting_down',
    });
    expect((outcome.error as McpError).message).toContain(
      'did not finish within the 1000 ms shutdown timeout',
    );
    const answeredMs = outcome.at - signalled;
    expect(answeredMs).toBeGreaterThan(900);
    expect(answeredMs).toBeLessThan(5_000);

    expect(await exit).toBe(0);
    const exitMs = performance.now() - signalled;
    // Bound 1 s, plus the rest of the stop (the upstream's stdin → SIGTERM grace, the flush).
    expect(exitMs).toBeLessThan(1000 + 8_000);
    console.log(
      `cut-off: error to the caller ${Math.round(answeredMs)} ms, exit ${Math.round(exitMs)} ms after SIGTERM`,
    );
    const warned = jsonLines(gateway.stderr()).find((line) =>
      line.msg?.toString().includes('answered with an error'),
    );
    expect(warned).toMatchObject({ inFlight: 1, cutOff: 1 });
    expect(await pidsWithEnv('TOOLSCOPE_TEST_MARKER', MARKER)).toEqual([]);
  }, 300_000);
});

describe('toolscope proxy on SIGTERM', () => {
  it('lets a call in flight finish and answers it before exiting', async () => {
    const proxy = await stdioClient(
      process.execPath,
      [join(ROOT, 'dist/cli.js'), 'proxy', '--', process.execPath, SLOW_SERVER],
      { TOOLSCOPE_TEST_MARKER: MARKER },
    );
    try {
      const call = proxy.client.callTool({ name: 'sleep', arguments: { ms: 1500, tag: 'proxy' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pid = proxy.transport.pid;
      expect(pid).toBeTypeOf('number');
      process.kill(pid as number, 'SIGTERM');
      expect(textOf(await call)).toBe('slept 1500 ms for proxy');
    } finally {
      await proxy.close().catch(() => {});
    }
    await eventually(async () => expect(await pidsWithEnv('TOOLSCOPE_TEST_MARKER', MARKER)).toEqual([]));
  }, 300_000);
});
