import { loadConfig } from '../config/index.js';
import { HttpFront } from '../gateway/index.js';
import { ToolscopeRuntime } from '../runtime/index.js';
import { StdioServerTransport } from '../transport/index.js';
import { Shutdown } from './shutdown.js';

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
  const runtime = new ToolscopeRuntime({ config, stdoutIsProtocol: !options.http });
  const { gateway } = runtime;
  const shutdown = new Shutdown();
  process.once('exit', () => gateway.killNow());
  // Serve at once; tools/list waits for services still starting (smart wait).
  void runtime.start();
  if (options.http) {
    const front = new HttpFront(gateway, { listen, routes: runtime.httpRoutes() });
    const address = await front.listen();
    process.stderr.write(
      `toolscope gateway: ${gateway.upstreams.size} services; MCP at ${address.url}/mcp` +
        `${Object.keys(config.toolscope.agents).length > 0 ? ` (agents: ${address.url}/agents/<id>/mcp)` : ''}` +
        `; metrics at ${address.url}/metrics\n`,
    );
    shutdown.add(() => front.close());
  } else {
    const session = await gateway.connect(new StdioServerTransport());
    void session.closed.then(() => shutdown.run());
  }
  shutdown.add(() => runtime.stop());
  await shutdown.done;
}
