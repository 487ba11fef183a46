import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag } from '@opentelemetry/api';
// The guard's own module, not the gateway's face: the register hook serves this listener and must not
// load the MCP SDK (which the gateway does) before the app does.
import { answerIfRefused, sendJsonError } from '../gateway/httpGuard.js';
import type { HttpRoute, HttpSecurityPolicy } from '../gateway/index.js';

/** How the loopback status listener is set up. */
export interface StatusServerOptions {
  /** Routes to serve (the runtime's `httpRoutes()`: status, page, `/metrics`, `/healthz`). */
  routes: readonly HttpRoute[];
  /** The same Host/Origin/token policy as the MCP listener. */
  policy: HttpSecurityPolicy;
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
}

/**
 * The status API and dashboard when toolscope speaks MCP over stdio and has no
 * HTTP listener of its own: a small server bound to 127.0.0.1 only, with the
 * checks of the MCP endpoint (Host, Origin, bearer token) before any route.
 */
export class StatusServer {
  readonly #options: StatusServerOptions;
  readonly #server: Server;

  constructor(options: StatusServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      if (answerIfRefused(req, res, options.policy)) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      void (async () => {
        for (const route of this.#options.routes) if (await route(req, res, url)) return;
        sendJsonError(res, 404, -32601, `Not found: ${url.pathname}`);
      })().catch((error: unknown) => {
        diag.error('toolscope: status request failed', error);
        sendJsonError(res, 500, -32603, 'Internal error');
      });
    });
  }

  /** Start listening on 127.0.0.1; resolves with the base URL. */
  async listen(): Promise<{ port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port ?? 0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    // Never keeps the process alive: the MCP session decides when toolscope exits.
    this.#server.unref();
    const { port } = this.#server.address() as AddressInfo;
    return { port, url: `http://127.0.0.1:${port}` };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/**
 * The status port in stdio mode from `TOOLSCOPE_STATUS_PORT`: unset or empty →
 * 0 (a free port, found through the instance record), a number → that port,
 * `off` → no status listener. Anything else is reported and treated as 0.
 */
export function statusPortFromEnv(env: NodeJS.ProcessEnv = process.env): number | 'off' {
  const value = env.TOOLSCOPE_STATUS_PORT?.trim();
  if (!value) return 0;
  if (value.toLowerCase() === 'off') return 'off';
  const port = Number(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  diag.warn(`toolscope: TOOLSCOPE_STATUS_PORT="${value}" is not a port or "off"; using a free port`);
  return 0;
}
