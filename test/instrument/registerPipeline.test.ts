import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRecord, StatusSnapshot } from '../../src/dashboard/index.js';
import { CLI, eventually } from '../e2e/helpers.js';
import { FIXTURES, preloadArgs, runFixture } from './fixtureRun.js';

const run = promisify(execFile);
// A data directory of this file's own: other test files' gateways, running at the same time, record
// themselves in the run's shared one, and `toolscope status` would rightly pick the newest of them.
const HOME = await mkdtemp(join(tmpdir(), 'toolscope-register-home-'));

/**
 * Issue 18, item 4: under `--import toolscope/register` the tool handlers of an app's own MCP
 * server run through the gateway's pipeline — profiling, the analyzer, alerts — and the app has a
 * status page, a status API and `/metrics` that `toolscope status` finds.
 */
describe('register mode runs the whole pipeline for the app’s own tools', () => {
  let app: ChildProcess;
  let stdout = '';
  let stderr = '';
  let record: InstanceRecord;
  let exitCode: Promise<number | null>;

  const get = async (path: string) => {
    const response = await fetch(`${record.url}${path}`, { headers: { accept: 'application/json' } });
    return {
      status: response.status,
      text: await response.text(),
      type: response.headers.get('content-type'),
    };
  };

  beforeAll(async () => {
    app = spawn(process.execPath, [...preloadArgs('import'), join(FIXTURES, 'pipeline-app.mjs')], {
      cwd: FIXTURES,
      env: {
        ...process.env,
        TOOLSCOPE_HOME: HOME,
        PIPELINE_APP_WARM: '250',
        OTEL_SERVICE_NAME: 'pipeline-app',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    app.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    app.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    exitCode = new Promise((resolve) => app.once('exit', resolve));
    record = await eventually(async () => {
      const name = `${app.pid}.json`;
      if (!(await readdir(join(HOME, 'instances'))).includes(name))
        throw new Error(`no record yet: ${stderr}`);
      return JSON.parse(await readFile(join(HOME, 'instances', name), 'utf8')) as InstanceRecord;
    }, 20_000);
  });

  afterAll(async () => {
    if (app.exitCode === null) {
      app.stdin?.end();
      await exitCode;
    }
    await rm(HOME, { recursive: true, force: true });
  });

  it('records itself for the CLI, in register mode, and serves its dashboard and /metrics', async () => {
    expect(record).toMatchObject({ mode: 'register', transport: 'stdio', pid: app.pid });
    expect(record.config).toMatch(/pipeline-app\.mjs$/);
    const page = await fetch(`${record.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>toolscope</title>');
    await eventually(async () => {
      const metrics = await get('/metrics');
      expect(metrics.text).toMatch(/toolscope_call_duration_seconds_count\{[^}]*gen_ai_tool_name="lookup"/);
    }, 20_000);
  });

  it('measures CPU and heap per call, judges each tool, and catches the incident with an alert and a profile', async () => {
    const status = await eventually(
      async () => {
        const snapshot = JSON.parse((await get('/status?series=0')).text) as StatusSnapshot;
        const lookup = snapshot.tools.find((tool) => tool.name === 'lookup');
        if (!lookup?.anomaly?.anomalous)
          throw new Error(`no anomaly yet: ${JSON.stringify(lookup?.anomaly)}`);
        if (!snapshot.profiles.recent.some((p) => p.reason === 'anomaly'))
          throw new Error('no profile on the anomaly yet');
        return snapshot;
      },
      30_000,
      250,
    );
    expect(stdout).toContain('incident');
    expect(status.mode).toBe('register');
    for (const name of ['lookup', 'crunch']) {
      const tool = status.tools.find((candidate) => candidate.name === name);
      expect(tool?.key).toBe(`pipeline-app/${name}`);
      expect(tool?.cpuMicrosPerCall, name).toBeGreaterThan(0);
      expect(tool?.heapBytesPerCall, name).not.toBeNull();
      expect(tool?.anomaly, name).not.toBeNull();
    }
    expect(status.anomalies.some((episode) => episode.key === 'pipeline-app/lookup')).toBe(true);
    expect(
      status.alerts.recent.some(
        (alert) => alert.subject === 'pipeline-app/lookup' && alert.status === 'firing',
      ),
    ).toBe(true);
    expect(status.profiles.recent.find((p) => p.reason === 'anomaly')?.toolKey).toBe('pipeline-app/lookup');
    // The alert is a log line of its own, at its level, in the app's stderr.
    expect(stderr).toMatch(/"level":"(warn|error)".*"msg":"alert anomaly firing: pipeline-app\/lookup/);
  });

  it('is what `toolscope status` finds and shows, tools by their own names', async () => {
    const { stdout: text, stderr: said } = await run(process.execPath, [CLI, 'status'], {
      env: { ...process.env, TOOLSCOPE_HOME: HOME, TOOLSCOPE_URL: '' },
    });
    expect(said).toContain(`using register at ${record.url} (pid ${app.pid}`);
    expect(text).toContain('· register ·');
    expect(text).toContain("none: the tools run in this app's own MCP servers");
    expect(text).toMatch(/^lookup +\d+ /m);
    expect(text).toMatch(/^crunch +\d+ /m);
  });

  it('saves what it learned in the data directory when the app ends, and removes its record', async () => {
    app.stdin?.end();
    expect(await exitCode).toBe(0);
    await expect(readdir(join(HOME, 'instances'))).resolves.not.toContain(`${app.pid}.json`);
    const states = (await readdir(join(HOME, 'state'))).filter((name) => name.startsWith('pipeline-app-'));
    expect(states).toHaveLength(1);
    const saved = JSON.parse(
      await readFile(join(HOME, 'state', states[0] as string, 'analyzer.json'), 'utf8'),
    ) as {
      tools: Array<{ ref: { key: string } }>;
    };
    expect(saved.tools.map((tool) => tool.ref.key).sort()).toEqual([
      'pipeline-app/crunch',
      'pipeline-app/lookup',
    ]);
  });
});

describe('register mode and the console trace exporter', () => {
  it('prints an agent’s spans on stdout, and a stdio server’s on stderr, never into its MCP stream', async () => {
    const result = await runFixture('stdio-agent.mjs', {
      preload: 'import',
      env: {
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'console-agent',
      },
    });
    expect(result.code, result.stderr).toBe(0);
    // The server answered over its stdout: nothing else was written there.
    const answer = result.stdout.split('\n').find((line) => line.startsWith('{"echo"'));
    expect(JSON.parse(answer as string)).toEqual({
      echo: { content: [{ type: 'text', text: 'echo: over stdio' }] },
    });
    // The agent is only a client: its spans are on its stdout (kind 2, CLIENT).
    expect(result.stdout).toMatch(/name: 'tools\/call echo',\n\s+id: '[0-9a-f]{16}',\n\s+kind: 2/);
    // The server's (kind 1, SERVER) went to its stderr, which the agent passes through.
    expect(result.stderr).toMatch(/name: 'tools\/call echo',\n\s+id: '[0-9a-f]{16}',\n\s+kind: 1/);
    expect(result.stderr).not.toContain('OTEL_TRACES_EXPORTER=console ignored');
  });
});

describe('TOOLSCOPE_PIPELINE=off', () => {
  it('leaves spans and metrics only: no status listener for the app', async () => {
    const said = "dashboard and status of this app's MCP tools";
    const on = await runFixture('v1-app.mjs', { preload: 'import', env: { TOOLSCOPE_LOG_LEVEL: 'info' } });
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toContain(said);
    const off = await runFixture('v1-app.mjs', {
      preload: 'import',
      env: { TOOLSCOPE_LOG_LEVEL: 'info', TOOLSCOPE_PIPELINE: 'off' },
    });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toContain(said);
    expect(off.output).toEqual(on.output);
  });
});
