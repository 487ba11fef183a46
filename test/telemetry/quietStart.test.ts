import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { telemetrySchema } from '../../src/config/toolscopeSchema.js';
import { MetricsServer, Telemetry } from '../../src/telemetry/index.js';

/** Every diag line at or above `info`, as `level message`. */
function recordDiag(): string[] {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  diag.setLogger(
    { error: push('error'), warn: push('warn'), info: push('info'), debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true },
  );
  return lines;
}

function scrape(telemetry: Telemetry): Promise<string> {
  return new Promise((resolve) => {
    const res = {
      writeHead: () => res,
      end: (body: string) => resolve(String(body)),
    };
    telemetry.handleMetrics({ headers: {} } as never, res as never);
  });
}

async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('a quiet start (issue 18: one line per event, at the right level)', () => {
  afterEach(() => diag.disable());

  it('a scrape right at start waits for the resource, instead of logging an error per read', async () => {
    const lines = recordDiag();
    const telemetry = Telemetry.start({
      config: telemetrySchema.parse({}),
      version: '0',
      servePrometheus: false,
      env: {},
    });
    try {
      const [first, second] = await Promise.all([scrape(telemetry), scrape(telemetry)]);
      expect(first).toContain('target_info');
      expect(second).toContain('target_info');
      expect(lines).toEqual([]);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('the default Prometheus port being taken is an info line; a port the user chose, a warning', async () => {
    const { server, port } = await busyPort();
    try {
      const lines = recordDiag();
      const quiet = new MetricsServer('127.0.0.1', port, () => {}, false);
      expect(await quiet.listening()).toBeUndefined();
      const loud = new MetricsServer('127.0.0.1', port, () => {}, true);
      expect(await loud.listening()).toBeUndefined();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^info .*default port .* is in use/);
      expect(lines[1]).toMatch(/^warn .*unavailable \(EADDRINUSE\)/);
    } finally {
      server.close();
    }
  });
});
