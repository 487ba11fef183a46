import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src/alerts/AlertEvent.js';
import { createLogAlertHandler } from '../../src/alerts/logAlertHandler.js';
import { createMcpLoggingAlertHandler } from '../../src/alerts/mcpLoggingAlertHandler.js';
import { createWebhookAlertHandler, WebhookDeliveryError } from '../../src/alerts/webhookAlertHandler.js';

const event = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  id: 'error_rate|svc/search|1',
  status: 'firing',
  rule: 'error_rate',
  condition: 'error_rate',
  level: 'warning',
  subject: 'svc/search',
  service: 'svc',
  tool: 'search',
  time: 1_700_000_000_000,
  since: 1_700_000_000_000,
  value: 0.34,
  threshold: 0.2,
  summary: 'svc/search: error rate 34 % over 60 s (41 calls) ≥ 20 %',
  suppressed: 0,
  ...over,
});

interface Received {
  method: string | undefined;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A real HTTP server answering with the given statuses in turn (then 200). */
async function webhookServer(statuses: (number | [number, Record<string, string>])[]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body: JSON.parse(text) });
      const next = statuses.shift() ?? 200;
      const [status, headers] = Array.isArray(next) ? next : [next, {}];
      res.writeHead(status, headers).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { server, url, received };
}

describe('webhook alert handler', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('POSTs the event as JSON and retries 5xx with doubling backoff until delivered', async () => {
    const s = await webhookServer([503, 502]);
    server = s.server;
    const waits: number[] = [];
    const handler = createWebhookAlertHandler({
      url: s.url,
      headers: { authorization: 'Bearer t0ken' },
      backoffMs: 100,
      random: () => 0.5,
      delay: async (ms) => {
        waits.push(ms);
      },
    });
    await handler.handle(event());
    expect(s.received).toHaveLength(3);
    expect(s.received[0]).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body: { source: 'toolscope', rule: 'error_rate', status: 'firing', subject: 'svc/search' },
    });
    expect(waits).toEqual([100, 200]);
  });

  it('honours Retry-After on 429', async () => {
    const s = await webhookServer([[429, { 'retry-after': '2' }]]);
    server = s.server;
    const waits: number[] = [];
    const handler = createWebhookAlertHandler({ url: s.url, delay: async (ms) => void waits.push(ms) });
    await handler.handle(event());
    expect(waits).toEqual([2000]);
    expect(s.received).toHaveLength(2);
  });

  it('gives up at once on a 4xx and reports it', async () => {
    const s = await webhookServer([404]);
    server = s.server;
    const handler = createWebhookAlertHandler({ url: s.url, delay: async () => {} });
    const err = await Promise.resolve(handler.handle(event())).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect(err).toMatchObject({ attempts: 1, status: 404 });
    expect(s.received).toHaveLength(1);
  });

  it('retries network failures up to maxAttempts', async () => {
    const s = await webhookServer([]);
    await new Promise((resolve) => s.server.close(resolve));
    let waits = 0;
    const handler = createWebhookAlertHandler({
      url: s.url,
      maxAttempts: 3,
      delay: async () => void waits++,
    });
    await expect(handler.handle(event())).rejects.toMatchObject({
      name: 'WebhookDeliveryError',
      attempts: 3,
    });
    expect(waits).toBe(2);
  });
});

describe('MCP logging and log handlers', () => {
  it('sends warnings, criticals and resolutions at matching MCP logging levels', () => {
    const sent: [string, unknown][] = [];
    const handler = createMcpLoggingAlertHandler((level, data) => sent.push([level, data]));
    handler.handle(event());
    handler.handle(event({ level: 'critical' }));
    handler.handle(event({ status: 'resolved' }));
    expect(sent.map(([l]) => l)).toEqual(['warning', 'critical', 'notice']);
    // Resolved once, in words: the summary is the condition, the status says it is over (issue 18).
    expect(sent[2]![1]).toMatchObject({ message: `resolved: ${event().summary}`, status: 'resolved' });
    expect(sent[0]![1]).toMatchObject({
      logger: 'toolscope.alerts',
      message: event().summary,
      rule: 'error_rate',
    });
    expect(handler.name).toBe('mcp');
  });

  it('logs critical firings as errors, warnings as warnings, resolutions as info', () => {
    const lines: string[] = [];
    const handler = createLogAlertHandler((level, message) => lines.push(`${level} ${message}`));
    handler.handle(event({ level: 'critical' }));
    handler.handle(event());
    handler.handle(event({ status: 'resolved', summary: 'x' }));
    expect(lines).toEqual([
      `error alert error_rate firing: ${event().summary}`,
      `warn alert error_rate firing: ${event().summary}`,
      'info alert error_rate resolved: x',
    ]);
  });
});
