import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, type InstanceRecord, type StatusSnapshot } from '../../src/dashboard/index.js';
import { parseCsv } from '../dashboard/parseCsv.js';
import { CLI, eventually } from './helpers.js';

const run = promisify(execFile);

describe('toolscope status, top, export and profile against a running demo', () => {
  let demo: ChildProcess;
  let home: string;
  let url: string;
  let stdout = '';

  /** Run the CLI with the demo's TOOLSCOPE_HOME, so it finds the demo without --url. */
  const cli = (...args: string[]) =>
    run(process.execPath, [CLI, ...args], {
      env: { ...process.env, TOOLSCOPE_HOME: home, TOOLSCOPE_LOG_LEVEL: 'error', TOOLSCOPE_URL: '' },
      timeout: 120_000,
    });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'toolscope-home-'));
    // --open keeps it serving after the workload; BROWSER=true opens nothing.
    demo = spawn(process.execPath, [CLI, 'demo', '--duration', '12', '--port', '0', '--open'], {
      env: {
        ...process.env,
        BROWSER: 'true',
        TOOLSCOPE_HOME: home,
        TOOLSCOPE_LOG_LEVEL: 'error',
        OTEL_EXPORTER_PROMETHEUS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    url = await eventually(() => {
      const match = /dashboard: (http:\/\/\S+)\//.exec(stdout);
      if (!match?.[1]) throw new Error('no URL yet');
      return match[1];
    }, 15_000);
    // A few seconds of traffic first.
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }, 300_000);

  afterAll(async () => {
    if (demo.exitCode === null) {
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      demo.kill('SIGINT');
      await exited;
    }
  });

  it('finds the demo through its instance record, which holds no token', async () => {
    const record = JSON.parse(
      await readFile(join(home, 'instances', `${demo.pid}.json`), 'utf8'),
    ) as InstanceRecord;
    expect(record).toMatchObject({
      pid: demo.pid,
      url,
      mode: 'demo',
      transport: 'http',
      tokenRequired: false,
    });
  });

  it('says which instance it picked, and lists the others running (issue 18)', async () => {
    // Another live instance, recorded earlier: this test's own process stands in for it.
    const other = { pid: process.pid, url: 'http://127.0.0.1:9', mode: 'gateway', transport: 'http' };
    const file = join(home, 'instances', `${process.pid}.json`);
    await writeFile(
      file,
      JSON.stringify({
        ...other,
        version: '0',
        startedAt: 1,
        tokenRequired: false,
        cwd: home,
        config: '/x/other.json',
      }),
    );
    try {
      const { stderr } = await cli('status');
      expect(stderr).toContain(`toolscope: using demo at ${url} (pid ${demo.pid}, started`);
      expect(stderr).toContain(`also running: gateway at http://127.0.0.1:9 (pid ${process.pid}`);
      expect(stderr).toContain('/x/other.json');
      expect(stderr).toContain('Pick one with --url');
      // export once picked an instance silently: it says the same, its stdout stays the document.
      const exported = await cli('export', '--format', 'csv');
      expect(exported.stderr).toContain(`toolscope: using demo at ${url}`);
      expect(exported.stderr).toContain('also running: gateway at http://127.0.0.1:9');
      expect(exported.stdout).not.toContain('using demo');
      // With --url nothing is picked, so nothing is said.
      expect((await cli('status', '--url', url)).stderr).toBe('');
    } finally {
      await rm(file, { force: true });
    }
  });

  it('status prints services and tools as tables', async () => {
    const { stdout: text } = await cli('status');
    expect(text).toContain(`pid ${demo.pid}`);
    expect(text).toMatch(/SERVICES\nservice +state/);
    expect(text).toMatch(/^storage +ready +in_process/m);
    expect(text).toMatch(/^tool +calls +err +p50 +p95 +p99 +cpu\/call +pool/m);
    for (const tool of ['lookup_city', 'compute_primes', 'storage_fetch_record', 'orders_submit'])
      expect(text).toMatch(new RegExp(`^${tool} +\\d+ `, 'm'));
    const json = JSON.parse((await cli('status', '--json', '--url', url)).stdout) as StatusSnapshot;
    expect(json.pid).toBe(demo.pid);
    expect(json.series).toBeUndefined();
  });

  it('export writes CSV with a header and one row per record, and JSON to a file', async () => {
    const { stdout: csv } = await cli('export', '--format', 'csv', '--since', '10m');
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    const summaries = rows.filter((row) => row[0] === 'tool_summary');
    expect(summaries.map((row) => row[3]).sort()).toEqual(['city', 'fetch_record', 'primes', 'submit']);
    for (const row of rows) expect(row).toHaveLength(EXPORT_COLUMNS.length);
    const file = join(home, 'export.json');
    await cli('export', '--format', 'json', '--output', file);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect(doc.instance.pid).toBe(demo.pid);
    expect(doc.tools).toHaveLength(4);
    await expect(cli('export', '--format', 'xml')).rejects.toMatchObject({ code: 1 });
  });

  it('top draws a live view in a terminal and quits on q', async () => {
    // script(1) (util-linux, always on Debian) gives top a pseudo-terminal of a known size.
    const top = spawn(
      'script',
      [
        '-q',
        '-e',
        '-c',
        `stty cols 150 rows 40; exec '${process.execPath}' '${CLI}' top --interval 0.5`,
        '/dev/null',
      ],
      { env: { ...process.env, TOOLSCOPE_HOME: home, TOOLSCOPE_URL: '' }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let raw = '';
    top.stdout?.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => top.once('exit', resolve));
    // What the terminal shows: the last frame, escape sequences removed.
    const screen = () => {
      const frames = raw.split('\u001b[H');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is parsed here
      return (frames.at(-1) ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\r', '');
    };
    try {
      await eventually(
        () => {
          expect(raw).toContain('\u001b[?1049h');
          expect(screen()).toMatch(/^tool +calls\/s +calls/m);
          expect(screen()).toMatch(/^storage_fetch_record +\d+\.\d /m);
        },
        15_000,
        250,
      );
      const frame = screen();
      expect(frame).toContain(`pid ${demo.pid}`);
      expect(frame).toContain(`q quit · every 0.5 s · dashboard ${url}/`);
      for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(150);
      top.stdin?.write('q');
      expect(await exited).toBe(0);
      // It leaves the alternate screen and shows the cursor again.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the test checks the terminal escape sequences
      expect(raw).toMatch(/\u001b\[\?25h\u001b\[\?1049l/);
    } finally {
      if (top.exitCode === null) top.kill();
    }
  });

  it('profile captures a CPU profile of the running instance and names its hottest functions', async () => {
    const { stdout: text } = await cli('profile', 'compute_primes', '--seconds', '1');
    expect(text).toMatch(/^CPU profile of compute\/primes: \d+ samples/m);
    expect(text).toMatch(/^saved: .*\.cpuprofile/m);
    expect(text).toMatch(/self +total +function/);
    await expect(cli('profile', 'no_such_tool', '--seconds', '1')).rejects.toMatchObject({
      stderr: expect.stringContaining('no tool named "no_such_tool"'),
    });
  });

  it('says clearly when there is nothing at the given URL', async () => {
    await expect(cli('status', '--url', 'http://127.0.0.1:9')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('toolscope at http://127.0.0.1:9 did not answer'),
    });
  });
});
