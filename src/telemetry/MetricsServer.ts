import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag } from '@opentelemetry/api';

/**
 * The Prometheus scrape endpoint (`GET /metrics`) on its own listener. A port
 * already in use is not a failure: the process keeps serving its agent, and its
 * metrics stay reachable on its own listener's `/metrics` (the gateway's, or the
 * status listener's). The default port taken (another toolscope on this host) is
 * an info line; a port the user chose is a warning.
 */
export class MetricsServer {
  readonly #server: Server;
  readonly #ready: Promise<string | undefined>;

  constructor(
    host: string,
    port: number,
    handle: (req: IncomingMessage, res: ServerResponse) => void,
    /** The port was chosen (config or OTEL_EXPORTER_PROMETHEUS_PORT), not the default. @default true */
    chosen = true,
  ) {
    this.#server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?')))
        handle(req, res);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
    });
    this.#ready = new Promise((resolve) => {
      this.#server.once('error', (error: NodeJS.ErrnoException) => {
        if (!chosen && error.code === 'EADDRINUSE')
          diag.info(
            `toolscope: Prometheus's default port ${host}:${port} is in use (another toolscope on this host?); this process's metrics are on its own listener's /metrics`,
          );
        else
          diag.warn(
            `toolscope: Prometheus endpoint ${host}:${port} unavailable (${error.code ?? error.message}); set OTEL_EXPORTER_PROMETHEUS_PORT to another port`,
          );
        resolve(undefined);
      });
      this.#server.listen(port, host, () => {
        const address = this.#server.address() as AddressInfo;
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve(`http://${shown}:${address.port}/metrics`);
      });
    });
    this.#server.unref();
  }

  /** The URL once listening; `undefined` if the port could not be bound. */
  listening(): Promise<string | undefined> {
    return this.#ready;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
