import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpEnv } from '../instrument/fixtureRun.js';
import { eventually, httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';
import { OtlpReceiver, type ReceivedSpan, SPAN_KIND } from './otlpReceiver.js';

/**
 * Issue 11 acceptance: HTTP API tools declared in `toolscope.httpTools`, backed by
 * a local HTTP server, called through the gateway: JSON and text answers, a 500,
 * a timeout, a slow endpoint, a POST; the span tree tool → HTTP client; the
 * API key (from the environment) absent from spans, logs, status and errors.
 */
const SECRET = 'sk-test-0123456789abcdef';
const receiver = new OtlpReceiver();
const hits = new Map<string, number>();
let api: Server;
let apiUrl = '';
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
  if (req.headers['x-api-key'] !== SECRET) {
    res.writeHead(401, { 'content-type': 'text/plain' }).end('missing key');
    return;
  }
  const body: Buffer[] = [];
  req.on('data', (chunk: Buffer) => body.push(chunk));
  req.on('end', () => {
    if (url.pathname.startsWith('/weather/')) {
      const city = decodeURIComponent(url.pathname.slice('/weather/'.length));
      const json = {
        city,
        temp: 21.5,
        units: url.searchParams.get('units'),
        traceparent: req.headers.traceparent,
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    } else if (url.pathname === '/text') {
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`plain answer for ${url.searchParams.get('q')}`);
    } else if (url.pathname === '/fail') {
      // A server that echoes the key in its error page: the excerpt must not show it.
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`database exploded (key ${SECRET})`);
    } else if (url.pathname === '/slow') {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('finally'), 400);
    } else if (url.pathname === '/hang' || url.pathname === '/hang-post') {
      // Never answers: the tool's timeout must.
    } else if (url.pathname === '/notes') {
      res.writeHead(201, { 'content-type': 'application/json' }).end(Buffer.concat(body).toString() || '{}');
    } else {
      res.writeHead(404).end();
    }
  });
}

beforeAll(async () => {
  await receiver.start();
  api = createServer(handle);
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const config = await writeConfig({
    mcpServers: {},
    toolscope: {
      httpTools: {
        weather: {
          baseUrl: apiUrl,
          headers: { 'X-Api-Key': '${env:WEATHER_API_KEY}' },
          tools: {
            current: {
              description: 'Current weather in a city',
              url: '/weather/{city}',
              query: { units: 'metric' },
              inputSchema: {
                type: 'object',
                properties: { city: { type: 'string' } },
                required: ['city'],
              },
              outputSchema: {
                type: 'object',
                properties: { city: { type: 'string' }, temp: { type: 'number' } },
                required: ['city', 'temp'],
              },
            },
            text: { url: '/text', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
            fail: { url: '/fail' },
            slow: { url: '/slow', timeoutMs: 3000 },
            hang: { url: '/hang', timeoutMs: 250 },
            hang_post: { method: 'POST', url: '/hang-post', timeoutMs: 250 },
            note: {
              method: 'POST',
              url: '/notes',
              inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
            },
          },
        },
        down: { baseUrl: 'http://127.0.0.1:9', tools: { ping: { url: '/ping' } } },
      },
      execution: { defaults: { retry: { baseMs: 20, maxMs: 50 } } },
    },
  });
  gateway = await startHttpGateway(config, [], {
    ...otlpEnv(receiver.url, 'gateway'),
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    TOOLSCOPE_LOG_LEVEL: 'debug',
    WEATHER_API_KEY: SECRET,
  });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  api?.closeAllConnections();
  await new Promise<void>((resolve) => api?.close(() => resolve()));
  await receiver.stop();
});

describe('HTTP API tools through the gateway', () => {
  it('are listed under their service like any tool, with schemas and derived annotations', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const { tools } = await client.listTools();
      const current = tools.find((tool) => tool.name === 'weather_current');
      expect(current).toMatchObject({
        description: 'Current weather in a city',
        annotations: { readOnlyHint: true, idempotentHint: true },
        outputSchema: { type: 'object' },
      });
      expect(tools.find((tool) => tool.name === 'weather_note')?.annotations).toMatchObject({
        readOnlyHint: false,
        idempotentHint: false,
      });
      expect(tools.map((tool) => tool.name)).toContain('down_ping');
    } finally {
      await close();
    }
  });

  it('answers JSON as structuredContent, text as text, and continues the trace in the API', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const json = await client.callTool({ name: 'weather_current', arguments: { city: 'São Paulo' } });
      expect(json.isError).toBeFalsy();
      expect(json.structuredContent).toMatchObject({ city: 'São Paulo', temp: 21.5, units: 'metric' });
      expect((json.structuredContent as { traceparent?: string }).traceparent).toMatch(/^00-[0-9a-f]{32}-/);
      const text = await client.callTool({ name: 'weather_text', arguments: { q: 'rain' } });
      expect(textOf(text)).toBe('plain answer for rain');
      const slow = await client.callTool({ name: 'weather_slow', arguments: {} });
      expect(textOf(slow)).toBe('finally');
      const note = await client.callTool({ name: 'weather_note', arguments: { text: 'remember' } });
      expect(note.structuredContent).toEqual({ text: 'remember' });
    } finally {
      await close();
    }
  });

  it('a 500 is an isError result with the status and an excerpt, the key redacted by reference', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      const result = await client.callTool({ name: 'weather_fail', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        'HTTP 500 Internal Server Error: database exploded (key ${env:WEATHER_API_KEY})',
      );
    } finally {
      await close();
    }
  });

  it('a timeout is the pipeline timeout error, retried for GET (idempotent) and not for POST', async () => {
    const { client, close } = await httpClient(`${gateway.url}/mcp`);
    try {
      await expect(client.callTool({ name: 'weather_hang', arguments: {} })).rejects.toThrow(
        /-32001.*HTTP GET .*\/hang got no answer within 250 ms/,
      );
      expect(hits.get('/hang')).toBe(3);
      await expect(client.callTool({ name: 'weather_hang_post', arguments: {} })).rejects.toThrow(/-32001/);
      expect(hits.get('/hang-post')).toBe(1);
      // A refused connection is a transport error, also retried for GET; no secret in the message.
      const error = await client.callTool({ name: 'down_ping', arguments: {} }).catch((e: Error) => e);
      expect(String(error)).toMatch(/HTTP GET http:\/\/127\.0\.0\.1:9\/ping failed: fetch failed/);
    } finally {
      await close();
    }
  });

  it('traces each call as tool SERVER span → HTTP CLIENT span, with semconv attributes and no secret', async () => {
    const client = await eventually(() => {
      const found = receiver.spans.find(
        (span) => span.kind === SPAN_KIND.client && span.attributes['url.template'] === '/weather/{city}',
      );
      if (!found) throw new Error('no HTTP client span yet');
      return found;
    });
    const parent = receiver.spans.find((span) => span.spanId === client.parentSpanId) as ReceivedSpan;
    expect(parent).toMatchObject({ name: 'tools/call weather_current', kind: SPAN_KIND.server });
    expect(client.name).toBe('GET /weather/{city}');
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'url.full': `${apiUrl}/weather/REDACTED?units=REDACTED`,
      'toolscope.service': 'weather',
    });
    const failed = await eventually(() => {
      const found = receiver.spans.find(
        (span) => span.kind === SPAN_KIND.client && span.attributes['url.template'] === '/fail',
      );
      if (!found) throw new Error('no span for /fail yet');
      return found;
    });
    expect(failed.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
    const timedOut = await eventually(() => {
      const found = receiver.spans.filter(
        (span) => span.kind === SPAN_KIND.client && span.attributes['url.template'] === '/hang',
      );
      if (found.length < 3) throw new Error('not all attempts traced yet');
      return found;
    });
    expect(timedOut.every((span) => span.attributes['error.type'] === 'timeout')).toBe(true);
    expect(JSON.stringify(receiver.spans)).not.toContain(SECRET);
  });

  it('keeps the key out of logs and status; debug lines inside a call carry its trace id', async () => {
    const response = await fetch(`${gateway.url}/status`);
    expect(response.status).toBe(200);
    const status = await response.text();
    expect(status).toContain('weather');
    expect(status).not.toContain(SECRET);
    const lines = gateway
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const request = lines.find((line) => line.msg === 'http tool request' && line.tool === 'current');
    expect(request).toMatchObject({ level: 'debug', status: 200, service: 'weather' });
    const span = receiver.spans.find(
      (s) => s.kind === SPAN_KIND.client && s.attributes['url.template'] === '/weather/{city}',
    ) as ReceivedSpan;
    expect(request?.trace_id).toBe(span.traceId);
    expect(request?.span_id).toBe(span.spanId);
    expect(gateway.stderr()).not.toContain(SECRET);
  });
});
