import { basename, extname, resolve } from 'node:path';
import { loadConfig, parseConfig, stateDirectoryFor } from '../config/index.js';
import { startStatusListener } from '../dashboard/index.js';
import { ToolscopeRuntime } from '../runtime/index.js';
import { StdioServerTransport } from '../transport/index.js';
import { CommandLineError } from './CommandLineError.js';
import { whyNotExecutable } from './findExecutable.js';
import { drainingShutdown } from './shutdown.js';

/** Options of `toolscope proxy`. */
export interface ProxyCommandOptions {
  command: string;
  args: string[];
  /** Optional config file for the `toolscope` section (telemetry, policies). */
  config?: string;
  /** Service name in telemetry. @default derived from the command */
  name?: string;
}

const LAUNCHERS = new Set([
  'node',
  'npx',
  'bun',
  'bunx',
  'deno',
  'uvx',
  'uv',
  'python',
  'python3',
  'pipx',
  'docker',
  'pnpm',
  'yarn',
]);

/** A readable service name from a command line: `npx -y @scope/server-foo` → `server-foo`. */
export function serviceNameFor(command: string, args: readonly string[]): string {
  let candidate = basename(command);
  if (LAUNCHERS.has(candidate)) {
    const target = args.find((arg) => !arg.startsWith('-') && arg !== 'run' && arg !== 'exec');
    if (target) candidate = basename(target);
  }
  candidate = candidate.replace(/@[^/]*$/, '').slice(0, 64);
  const cleaned = basename(candidate, extname(candidate)).replace(/[^A-Za-z0-9._-]/g, '-');
  return cleaned || 'server';
}

/** `toolscope proxy -- <command> [args…]`: one stdio server behind a transparent, instrumented hop. */
export async function runProxy(options: ProxyCommandOptions): Promise<void> {
  // The server starts on the agent's initialize; a command that cannot start is said now, not then.
  const unusable = whyNotExecutable(options.command);
  if (unusable) throw new CommandLineError(`proxy cannot start the server: ${unusable}`, 127);
  const base = options.config ? await loadConfig(options.config) : parseConfig({ mcpServers: {} });
  const name = options.name ?? serviceNameFor(options.command, options.args);
  const config = {
    ...base,
    servers: {
      [name]: {
        kind: 'stdio' as const,
        command: options.command,
        args: options.args,
        env: {},
        disabled: false,
        isolation: 'per-session' as const,
      },
    },
  };
  const runtime = new ToolscopeRuntime({
    config,
    mode: 'proxy',
    stdoutIsProtocol: true,
    // Learned state belongs to the proxied command line, wherever the agent starts it from.
    stateDir:
      config.toolscope.stateDir ??
      stateDirectoryFor({ kind: 'command', command: options.command, args: options.args }),
  });
  const { gateway } = runtime;
  const shutdown = drainingShutdown(runtime);
  process.once('exit', () => gateway.killNow());
  await runtime.start();
  // stdout carries MCP: the status API and dashboard get a loopback port of their own.
  const listen = config.toolscope.listen;
  const status = await startStatusListener({
    routes: runtime.httpRoutes(),
    policy: { allowedHosts: listen.allowedHosts, allowedOrigins: listen.allowedOrigins, token: listen.token },
    mode: 'proxy',
    config: options.config ? resolve(options.config) : undefined,
  });
  if (status) shutdown.add(() => status.close());
  const session = await gateway.connect(new StdioServerTransport());
  void session.closed.then(() => shutdown.run());
  shutdown.add(() => runtime.stop());
  await shutdown.done;
}
