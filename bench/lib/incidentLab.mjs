// The incident lab's moving parts: a real `toolscope gateway` (the CLI, over Streamable HTTP) in front
// of real child-process MCP servers (bench/fixtures/incident-server.mjs), an open-loop Poisson load of
// several MCP clients with a deadline per call, and the gateway's own /status read at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BENCH_DIR, percentile, ROOT } from './stats.mjs';

const CLI = join(ROOT, 'dist/cli.js');
export const INCIDENT_SERVER = join(BENCH_DIR, 'fixtures/incident-server.mjs');
const { quietSignalFetch } = await import(join(ROOT, 'dist/gateway/index.js'));
// toolscope's own seeded generator, so every configuration of a scenario offers the same calls.
const { createRandom } = await import(join(ROOT, 'dist/analysis/index.js'));

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `toolscope gateway` with one stdio service per entry of `services` (name → fixture plan),
 * and the `toolscope` section given. Returns its MCP URL, its base URL (status) and `stop()`.
 */
export async function startGateway({ services, toolscope, t0 }) {
  const dir = mkdtempSync(join(tmpdir(), 'toolscope-incidents-'));
  const mcpServers = {};
  for (const [name, plan] of Object.entries(services)) {
    mcpServers[name] = {
      command: process.execPath,
      args: [INCIDENT_SERVER],
      env: { INCIDENT_PLAN: JSON.stringify({ t0, ...plan }) },
      // One backend of known capacity that every client shares (per-session isolation would start a
      // process, and so the fixture's workers, per client).
      isolation: 'shared',
    };
  }
  const config = join(dir, 'toolscope.json');
  writeFileSync(config, JSON.stringify({ mcpServers, toolscope }));
  const child = spawn(process.execPath, [CLI, 'gateway', config, '--http', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      HOME: dir,
      // The address is an info line.
      TOOLSCOPE_LOG_LEVEL: 'info',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
    },
  });
  let stderr = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM'); // never leave a gateway behind (on SIGTERM it stops its servers too)
      reject(new Error(`gateway did not start: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 1e6) stderr = stderr.slice(-1e5);
      const match = /MCP at (http:\/\/\S+)\/mcp/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${stderr}`)));
  });
  let exit;
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  return {
    url: `${base}/mcp`,
    base,
    /** Why the gateway is gone, with its last stderr; undefined while it runs. */
    death() {
      return exit === undefined
        ? undefined
        : `gateway exited (code ${exit.code}, signal ${exit.signal}): ${stderr.slice(-2000)}`;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET /status without the series; a few tries, since the read races the end of an overload. */
export async function readStatus(base, tries = 3) {
  for (let i = 1; ; i++) {
    try {
      const response = await fetch(`${base}/status?series=0`);
      if (!response.ok) throw new Error(`/status answered ${response.status}`);
      return await response.json();
    } catch (error) {
      if (i >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * i));
    }
  }
}

async function connect(url, name) {
  const client = new Client({ name, version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: quietSignalFetch }));
  return client;
}

/** Exponential draw with the given mean. */
function exponential(mean, random) {
  return -Math.log(1 - random()) * mean;
}

/**
 * The calls a stream offers: Poisson arrivals whose rate follows `rate(t)` (calls/s at ms t from the
 * start; thinning against `maxRate`), each with a payload of `payloadBytes(random)` bytes.
 */
export function scheduleCalls({ tool, rate, maxRate, durationMs, payloadBytes, seed }) {
  const random = createRandom(seed);
  const calls = [];
  let t = 0;
  for (;;) {
    t += exponential(1000 / maxRate, random);
    if (t >= durationMs) break;
    if (random() * maxRate > rate(t)) continue;
    calls.push({ at: t, tool, bytes: payloadBytes ? Math.round(payloadBytes(random)) : 0 });
  }
  return calls;
}

/**
 * Offers `calls` (sorted by `at`) open-loop from `start` (epoch ms) through `clients` MCP sessions, each
 * call with its own `deadlineMs` (the client gives up and cancels). Resolves with one record per call:
 * `{ at, tool, latencyMs, outcome }`, outcome `ok | tool_error | refused | error | timeout`.
 */
export async function offerLoad({ url, calls, start, deadlineMs, clients = 4, onProgress }) {
  const sessions = await Promise.all(Array.from({ length: clients }, (_, i) => connect(url, `lab-${i}`)));
  const records = [];
  const pending = new Set();
  const payloads = new Map();
  const payloadOf = (bytes) => {
    let p = payloads.get(bytes);
    if (p === undefined) {
      p = 'x'.repeat(bytes);
      payloads.set(bytes, p);
    }
    return p;
  };
  let next = 0;
  let lastProgress = 0;
  while (next < calls.length) {
    const now = Date.now() - start;
    while (next < calls.length && calls[next].at <= now) {
      const call = calls[next];
      const client = sessions[next % sessions.length];
      next++;
      const sent = performance.now();
      const record = { at: call.at, tool: call.tool, latencyMs: Number.NaN, outcome: 'error' };
      records.push(record);
      const args = call.bytes > 0 ? { payload: payloadOf(call.bytes) } : {};
      const p = client
        .callTool({ name: call.tool, arguments: args }, undefined, { timeout: deadlineMs })
        .then(
          (result) => {
            record.outcome = result.isError ? 'tool_error' : 'ok';
          },
          (error) => {
            const type = error?.data?.errorType;
            if (error?.code === -32001 && type === undefined) record.outcome = 'timeout';
            else if (type === 'overloaded') record.outcome = 'refused';
            else record.outcome = 'error';
          },
        )
        .finally(() => {
          record.latencyMs = performance.now() - sent;
          pending.delete(p);
        });
      pending.add(p);
    }
    if (onProgress && now - lastProgress >= 1000) {
      lastProgress = now;
      onProgress(now, pending.size);
    }
    const wait = next < calls.length ? Math.max(0, Math.min(50, calls[next].at - (Date.now() - start))) : 0;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.allSettled([...pending]);
  await Promise.allSettled(sessions.map((s) => s.close()));
  return records;
}

/**
 * Caller-side figures over the calls offered in [fromMs, toMs): latency percentiles of answered calls,
 * goodput (answered in time and not an error, per second) and the share of calls that failed
 * (errors, refusals and deadlines missed).
 */
export function callFigures(records, fromMs, toMs, tool) {
  const inWindow = records.filter(
    (r) => r.at >= fromMs && r.at < toMs && (tool === undefined || r.tool === tool),
  );
  const ok = inWindow.filter((r) => r.outcome === 'ok');
  const latencies = ok.map((r) => r.latencyMs);
  return {
    offered: inWindow.length,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    goodput: (ok.length * 1000) / (toMs - fromMs),
    errors: inWindow.length === 0 ? 0 : (inWindow.length - ok.length) / inWindow.length,
    outcomes: Object.fromEntries(
      ['ok', 'tool_error', 'refused', 'error', 'timeout'].map((o) => [
        o,
        inWindow.filter((r) => r.outcome === o).length,
      ]),
    ),
  };
}
