import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { quietSignalFetch } from '../../src/gateway/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli.js');
export const FIXTURE = join(ROOT, 'test/fixtures/gateway-fixture.mjs');
export const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const MEMORY = join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');

/** Write a config file into a fresh temp dir; returns its path. */
export async function writeConfig(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'toolscope-e2e-'));
  const file = join(dir, 'toolscope.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/** An SDK client connected to a stdio command, with its stderr collected. */
export async function stdioClient(command: string, args: string[], env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command,
    args,
    env: { ...(process.env as Record<string, string>), TOOLSCOPE_LOG_LEVEL: 'error', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities: { roots: {} } });
  await client.connect(transport);
  return {
    client,
    transport,
    stderr: () => stderr,
    close: () => client.close(),
  };
}

/** Start `toolscope gateway --http --port 0`; resolves once it prints its URL. */
export async function startHttpGateway(
  configPath: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
) {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'gateway', '--config', configPath, '--http', '--port', '0', ...extraArgs],
    {
      // Where it serves is an info line.
      env: { ...process.env, TOOLSCOPE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start: ${stderr}`)),
      15_000 * WAIT_SLACK,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /MCP at (http:\/\/[^\s]+)\/mcp/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An SDK client over Streamable HTTP. */
export async function httpClient(url: string, headers: Record<string, string> = {}) {
  const client = new Client({ name: 'e2e-http-client', version: '1.0.0' });
  // The SDK's shared AbortSignal would otherwise flood the test log with listener warnings.
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers },
    fetch: quietSignalFetch,
  });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

/**
 * How much longer than its nominal bound a wait may take before it counts as a hang. Waits end as
 * soon as what they wait for happens, so the slack costs a passing test nothing; it keeps a machine
 * busy with other work from turning a slow start into a failure.
 */
export const WAIT_SLACK = 4;

/** Poll until `check` passes or `timeoutMs` (times {@link WAIT_SLACK}) elapses. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs * WAIT_SLACK;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw lastError;
}

/** Text of the first content item of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.find((item) => item.type === 'text')?.text ?? '';
}

/** pids of live processes whose environment holds `NAME=value` (Linux /proc): finds orphans by marker. */
export async function pidsWithEnv(name: string, value: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      if (environ.split('\0').includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}
