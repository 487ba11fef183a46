import { resolve } from 'node:path';
import { loadConfig, stateDirectoryFor } from '../config/index.js';
import { registerInstance, startStatusListener } from '../dashboard/index.js';
import { HttpFront } from '../gateway/index.js';
import { ToolscopeRuntime } from '../runtime/index.js';
import { StdioServerTransport } from '../transport/index.js';
import { VERSION } from '../version.js';
import { plural } from './formatTable.js';
import { drainingShutdown } from './shutdown.js';

/** Options of `toolscope gateway`. */
export interface GatewayCommandOptions {
  config: string;
  /** Serve Streamable HTTP instead of stdio. */
  http?: boolean;
  host?: string;
  port?: number;
}

/** `toolscope gateway`: serve every configured server through one endpoint until stopped. */
export async function runGateway(options: GatewayCommandOptions): Promise<void> {
  const config = await loadConfig(options.config);
  const listen = config.toolscope.listen;
  if (options.host !== undefined) listen.host = options.host;
  if (options.port !== undefined) listen.port = options.port;
  const runtime = new ToolscopeRuntime({
    config,
    stdoutIsProtocol: !options.http,
    // Learned state belongs to this config: another config in the same folder has its own.
    stateDir:
      config.toolscope.stateDir ?? stateDirectoryFor({ kind: 'config', path: resolve(options.config) }),
  });
  const { gateway } = runtime;
  const shutdown = drainingShutdown(runtime);
  process.once('exit', () => gateway.killNow());
  // Serve at once; tools/list waits for services still starting (smart wait).
  void runtime.start();
  if (options.http) {
    const front = new HttpFront(gateway, { listen, routes: runtime.httpRoutes() });
    const address = await front.listen();
    const agents = Object.keys(config.toolscope.agents).length > 0;
    runtime.logging.logger.info(
      {
        services: gateway.upstreams.size,
        mcp: `${address.url}/mcp`,
        dashboard: `${address.url}/`,
        metrics: `${address.url}/metrics`,
      },
      `gateway serving ${plural(gateway.upstreams.size, 'service')}: MCP at ${address.url}/mcp` +
        `${agents ? ` (agents: ${address.url}/agents/<id>/mcp)` : ''}` +
        `, dashboard at ${address.url}/, metrics at ${address.url}/metrics`,
    );
    // So that `toolscope status/top/export` find this gateway without --url.
    const record = registerInstance({
      pid: process.pid,
      url: address.url,
      mode: 'gateway',
      transport: 'http',
      version: VERSION,
      startedAt: runtime.startedAt,
      tokenRequired: listen.token !== undefined,
      config: resolve(options.config),
      cwd: process.cwd(),
    });
    shutdown.add(() => record.remove());
    shutdown.add(() => front.close());
  } else {
    // stdout carries MCP: the status API and dashboard get a loopback port of their own.
    const status = await startStatusListener({
      routes: runtime.httpRoutes(),
      policy: {
        allowedHosts: listen.allowedHosts,
        allowedOrigins: listen.allowedOrigins,
        token: listen.token,
      },
      mode: 'gateway',
      config: resolve(options.config),
    });
    if (status) {
      runtime.logging.logger.info(
        { services: gateway.upstreams.size, dashboard: `${status.url}/` },
        `gateway serving ${plural(gateway.upstreams.size, 'service')} over stdio; dashboard and status at ${status.url}/`,
      );
      shutdown.add(() => status.close());
    }
    const session = await gateway.connect(new StdioServerTransport());
    void session.closed.then(() => shutdown.run());
  }
  shutdown.add(() => runtime.stop());
  await shutdown.done;
}
