import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURE, ROOT } from '../e2e/helpers.js';
import { freePort } from '../e2e/prometheusServer.js';
import { fencedBlocks, type ShellCommand, shellCommands, skipReason } from './readmeBlocks.js';

/*
 * The README's promises as a newcomer meets them (issue 18): every shell command in a fenced block
 * of README.md runs here as written, in the order written, except those marked
 * `<!-- smoke: skip … -->` with a reason; a command added without a marker runs too. Each must end
 * with exit code 0, or, when it serves (a gateway over HTTP), say so and stop cleanly on Ctrl-C.
 *
 * The setting is a newcomer's machine after `npm ci`: npm's global folder is a scratch one
 * (`npm link` puts `toolscope` there, and on PATH), toolscope's data directory is a scratch one, and
 * commands run in a folder outside the clone holding what the README tells a user to have there:
 * a `toolscope.json`, and an app (`app.mjs`, `app.cjs`) with `toolscope` linked in. Commands that
 * talk to a running instance find `toolscope demo --open`, as the demo's closing lines suggest;
 * the README's `127.0.0.1:8765` is that demo's port (8765 may be taken on a shared machine).
 */

const README = join(ROOT, 'README.md');
const APP_FIXTURES = join(ROOT, 'test/fixtures/instrument');
const run = promisify(execFile);

interface Sandbox {
  dir: string;
  work: string;
  env: NodeJS.ProcessEnv;
}

let sandbox: Sandbox;
let demo: { child: ChildProcess; port: number; output: () => string } | undefined;
let appReady = false;

async function makeSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'toolscope-readme-'));
  const work = join(dir, 'work');
  await Promise.all([mkdir(join(dir, 'prefix'), { recursive: true }), mkdir(work), mkdir(join(dir, 'home'))]);
  const { CI: _ci, TOOLSCOPE_URL: _url, ...base } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    // npm's global folder and toolscope's data directory: scratch ones, never the user's.
    npm_config_prefix: join(dir, 'prefix'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    PATH: `${join(dir, 'prefix', 'bin')}${delimiter}${process.env.PATH}`,
    TOOLSCOPE_HOME: join(dir, 'home'),
    TOOLSCOPE_LOG_LEVEL: 'info',
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    BROWSER: 'true',
  };
  // The gateway config the Gateway section's commands read: one local server, a free port.
  const config = {
    mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
    toolscope: { listen: { port: await freePort() } },
  };
  await writeFile(join(work, 'toolscope.json'), JSON.stringify(config, null, 2));
  return { dir, work, env };
}

/** The app the README's register commands run: the instrumentation fixtures, with `toolscope` linked in. */
async function prepareApp(): Promise<void> {
  if (appReady) return;
  const { work, env } = sandbox;
  await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'readme-app', private: true }));
  // As the README says: `npm link toolscope` in the app's folder.
  await run('npm', ['link', 'toolscope'], { cwd: work, env, timeout: 300_000 });
  // The app's own SDK (what `npm install @modelcontextprotocol/sdk zod` would give it).
  await mkdir(join(work, 'node_modules/@modelcontextprotocol'), { recursive: true });
  await symlink(
    join(ROOT, 'node_modules/@modelcontextprotocol/sdk'),
    join(work, 'node_modules/@modelcontextprotocol/sdk'),
  );
  await symlink(join(ROOT, 'node_modules/zod'), join(work, 'node_modules/zod'));
  await copyFile(join(APP_FIXTURES, 'scenario.cjs'), join(work, 'scenario.cjs'));
  await copyFile(join(APP_FIXTURES, 'v1-app.mjs'), join(work, 'app.mjs'));
  await copyFile(join(APP_FIXTURES, 'v1-app.cjs'), join(work, 'app.cjs'));
  appReady = true;
}

/** `toolscope demo --open` on a free port: the running instance the Dashboard section's commands read. */
async function startDemo(): Promise<void> {
  if (demo) return;
  const port = await freePort();
  let output = '';
  const child = spawn('toolscope', ['demo', '--open', '--duration', '20', '--port', String(port)], {
    cwd: sandbox.work,
    env: sandbox.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  demo = { child, port, output: () => output };
  // Its summary is out (the closing lines point at `toolscope status | top | export`) and it stays up.
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`the demo ended: ${output}`);
    if (!output.includes('Where to look')) throw new Error('the demo is still running its workload');
  }, 60_000);
  expect(output).toContain('toolscope status | top | export');
  expect(output).toContain('(stays up until Ctrl-C)');
}

/**
 * Run one README command as written, in a shell: npm's commands in the clone (the README runs them
 * there), the others in the folder outside it. Resolves with its output.
 */
function runCommand(command: string): Promise<{ code: number | null; output: string; served: boolean }> {
  const child = spawn('bash', ['-c', command], {
    cwd: command.startsWith('npm ') ? ROOT : sandbox.work,
    env: sandbox.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let served = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    // A command that serves: it says where, then stops on Ctrl-C (SIGINT to its process group).
    if (!served && /gateway serving .*MCP at http/.test(output)) {
      served = true;
      setTimeout(() => process.kill(-(child.pid as number), 'SIGINT'), 1000);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-(child.pid as number), 'SIGKILL');
      reject(new Error(`\`${command}\` did not finish: ${output}`));
    }, 240_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, served });
    });
  });
}

const blocks = fencedBlocks(await readFile(README, 'utf8'));
const commands = shellCommands(blocks);

describe.sequential('the README, run as written (issue 18)', () => {
  beforeAll(async () => {
    sandbox = await makeSandbox();
  });

  afterAll(async () => {
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((resolve) => demo?.child.once('exit', resolve));
      demo.child.kill('SIGINT');
      await exited;
    }
    if (sandbox) await rm(sandbox.dir, { recursive: true, force: true });
  });

  it('has shell commands, and every skipped one says why', () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const block of blocks)
      for (const [command] of block.skipCommands) {
        expect(block.body, `marker for "${command}" at README line ${block.line}`).toContain(command);
      }
  });

  it.for(
    commands.map((command): [string, ShellCommand] => [`line ${command.line}: ${command.command}`, command]),
  )('%s', async ([, command], context) => {
    // Not a silent pass: the report counts it as skipped, with the README's reason.
    const reason = skipReason(command);
    if (reason) context.skip(`README: ${reason}`);
    let text = command.command;
    if (/toolscope\/register/.test(text)) await prepareApp();
    if (/^toolscope (status|top|export|profile)\b|127\.0\.0\.1:8765/.test(text)) {
      await startDemo();
      text = text.replaceAll('127.0.0.1:8765', `127.0.0.1:${demo?.port}`);
    }
    const result = await runCommand(text);
    expect(result.code, result.output).toBe(0);
    if (/^(npx )?toolscope --version/.test(command.command))
      expect(result.output.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    if (command.command.startsWith('npm run demo')) expect(result.output).toContain('Where to look');
    if (/--http/.test(command.command)) expect(result.served).toBe(true);
    if (/^toolscope (status|top|export|profile)\b/.test(command.command))
      expect(result.output).toContain(`using demo at http://127.0.0.1:${demo?.port}`);
    if (command.command.endsWith('> toolscope.csv'))
      expect(await readFile(join(sandbox.work, 'toolscope.csv'), 'utf8')).toMatch(/^record,/);
  });

  it('the agent config launches the proxy from a folder outside the clone, with the linked toolscope', async () => {
    const block = blocks.find((b) => b.lang === 'json' && b.body.includes('"proxy"'));
    const server = (
      JSON.parse(block?.body ?? '{}') as {
        mcpServers: Record<string, { command: string; args: string[] }>;
      }
    ).mcpServers.everything;
    expect(server?.args.slice(0, 2)).toEqual(['toolscope', 'proxy']);
    const transport = new StdioClientTransport({
      command: server?.command as string,
      args: server?.args as string[],
      cwd: sandbox.work,
      env: sandbox.env as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'readme-agent', version: '1.0.0' });
    try {
      await client.connect(transport, { timeout: 180_000 });
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools, stderr).toContain('echo');
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'from the README' } });
      expect(JSON.stringify(echo.content)).toContain('from the README');
    } finally {
      await client.close();
    }
  }, 240_000);
});
