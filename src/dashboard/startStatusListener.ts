import { diag } from '@opentelemetry/api';
import type { HttpRoute, HttpSecurityPolicy } from '../gateway/index.js';
import { VERSION } from '../version.js';
import { instancesDirectory, registerInstance } from './instanceDiscovery.js';
import { StatusServer, statusPortFromEnv } from './StatusServer.js';

/** A running status listener, and how to stop it. */
export interface StatusListener {
  url: string;
  close(): Promise<void>;
}

/**
 * For stdio mode: serves the status API and dashboard on a loopback port
 * (`TOOLSCOPE_STATUS_PORT`, a free one by default) and writes the instance
 * record the CLI finds it by. `undefined` when `TOOLSCOPE_STATUS_PORT=off` or
 * the port is taken (reported through `diag`; MCP is served regardless).
 */
export async function startStatusListener(options: {
  routes: readonly HttpRoute[];
  policy: HttpSecurityPolicy;
  mode: 'gateway' | 'proxy' | 'register';
  config?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<StatusListener | undefined> {
  const port = statusPortFromEnv(options.env);
  if (port === 'off') return undefined;
  const server = new StatusServer({ routes: options.routes, policy: options.policy, port });
  let url: string;
  try {
    ({ url } = await server.listen());
  } catch (error) {
    // The tools matter more than their dashboard: serve MCP anyway.
    diag.warn(`toolscope: no status listener on port ${port}: ${(error as Error).message}`);
    return undefined;
  }
  const record = registerInstance(
    {
      pid: process.pid,
      url,
      mode: options.mode,
      transport: 'stdio',
      version: VERSION,
      startedAt: Date.now(),
      tokenRequired: options.policy.token !== undefined,
      config: options.config,
      cwd: process.cwd(),
    },
    instancesDirectory(options.env),
  );
  return {
    url,
    close: async () => {
      record.remove();
      await server.close();
    },
  };
}
