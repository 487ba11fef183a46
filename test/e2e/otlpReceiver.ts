import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as it arrived over OTLP/HTTP (JSON encoding), flattened for assertions. */
export interface ReceivedSpan {
  service: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer (OTLP enum). */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  links: Array<{ traceId: string; spanId: string }>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
};

function decodeValue(value: OtlpValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

function decodeAttributes(
  list: Array<{ key: string; value: OtlpValue }> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = decodeValue(value);
  return out;
}

/**
 * A minimal OTLP/HTTP trace receiver (what Jaeger's and the Collector's :4318
 * endpoints speak), for tests: it decodes the real wire format and can be told
 * to fail (`503`) or hang, to test backend faults.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  /** `ok` answers 200; `unavailable` answers 503; `hang` never answers. */
  mode: 'ok' | 'unavailable' | 'hang' = 'ok';
  readonly #server: Server;
  #url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests++;
        if (this.mode === 'hang') return;
        if (this.mode === 'unavailable') {
          res.writeHead(503).end();
          return;
        }
        if (req.url === '/v1/traces') this.#ingest(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  /** Base URL to use as OTEL_EXPORTER_OTLP_ENDPOINT. */
  get url(): string {
    return this.#url;
  }

  /** Listen on `port` (0: any free port); resolves with the base URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', () => resolve()));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  #ingest(body: string): void {
    const payload = JSON.parse(body) as {
      resourceSpans?: Array<{
        resource?: { attributes?: Array<{ key: string; value: OtlpValue }> };
        scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>;
      }>;
    };
    for (const resourceSpans of payload.resourceSpans ?? []) {
      const service = String(decodeAttributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            service,
            name: String(span.name),
            kind: Number(span.kind),
            traceId: String(span.traceId),
            spanId: String(span.spanId),
            parentSpanId: span.parentSpanId ? String(span.parentSpanId) : undefined,
            attributes: decodeAttributes(span.attributes as never),
            status: (span.status as ReceivedSpan['status']) ?? {},
            links: ((span.links as Array<{ traceId: string; spanId: string }>) ?? []).map((l) => ({
              traceId: l.traceId,
              spanId: l.spanId,
            })),
            events: ((span.events as Array<{ name: string; attributes?: never }>) ?? []).map((e) => ({
              name: e.name,
              attributes: decodeAttributes(e.attributes),
            })),
          });
        }
      }
    }
  }
}
