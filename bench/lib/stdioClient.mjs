// An SDK client of a stdio server or hop, as the benchmarks start one.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/**
 * Starts `command args` in `cwd` (toolscope keeps its learned state in `.toolscope` of its working
 * directory: a benchmark's own temp dir, not the repo), drains its stderr and connects an SDK client.
 * Returns the client, the pid of the process started and `close`.
 */
export async function connectStdio({ command, args, env = process.env, cwd, name = 'bench' }) {
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: 'pipe' });
  transport.stderr?.on('data', () => {});
  const client = new Client({ name, version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid ?? undefined, close: () => client.close() };
}
