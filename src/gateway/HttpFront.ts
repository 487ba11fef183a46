import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { diag } from '@opentelemetry/api';
import type { ListenConfig, SessionsConfig } from '../config/index.js';
import { canonicalMessage, classifyMessage, type JsonRpcId } from '../jsonrpc/messages.js';
import { sdkRefusal } from '../jsonrpc/sdkMessageCheck.js';
import { ExchangeTransport } from './ExchangeTransport.js';
import type { Gateway } from './Gateway.js';
import { type HttpSessionEntry, HttpSessionTable } from './HttpSessionTable.js';
import { answerIfRefused, sendJsonError } from './httpGuard.js';
import { isLoopback } from './httpSecurity.js';
import { checkStandardHeaders, classifyEra, idOf, type Refusal } from './modernProtocol.js';
import { SessionEventStore } from './SessionEventStore.js';

/** Extra routes (status API, dashboard, …): return true when the request was handled. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface HttpFrontOptions {
  listen: ListenConfig;
  routes?: readonly HttpRoute[];
  /** Session limits and expiry. @default the gateway's `toolscope.sessions` */
  sessions?: Partial<SessionsConfig>;
}

type HttpSession = HttpSessionEntry<StreamableHTTPServerTransport>;

/**
 * The gateway's Streamable HTTP endpoint: `/mcp` for the store and
 * `/agents/{id}/mcp` for agent scopes, one MCP session per client. Security
 * and framing checks run before the SDK sees a request: Host and Origin
 * (DNS rebinding), the bearer token, dot segments in the path, the body limit
 * (413), JSON syntax (-32700), message shape (-32600) and a request id already
 * in use (-32600) — always answered as JSON. Sessions end on DELETE, shortly
 * after the client closed its event stream, or when idle; at the limit the
 * least recently used idle session makes room.
 */
export class HttpFront {
  readonly #gateway: Gateway;
  readonly #options: HttpFrontOptions;
  readonly #sessions: HttpSessionTable<StreamableHTTPServerTransport>;
  readonly #limits: SessionsConfig;
  readonly #server: Server;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(gateway: Gateway, options: HttpFrontOptions) {
    this.#gateway = gateway;
    this.#options = options;
    this.#limits = { ...gateway.config.toolscope.sessions, ...options.sessions };
    this.#sessions = new HttpSessionTable({
      max: this.#limits.max,
      idleTimeoutMs: this.#limits.idleTimeoutMs,
      disconnectGraceMs: this.#limits.disconnectGraceMs,
    });
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        diag.error('toolscope: HTTP request failed', error);
        sendJsonError(res, 500, -32603, 'Internal error');
      });
    });
    this.#server.keepAliveTimeout = 65_000;
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Start listening; resolves with the bound address. */
  async listen(): Promise<{ host: string; port: number; url: string }> {
    const { host, port, allowedHosts } = this.#options.listen;
    if (!isLoopback(host) && allowedHosts.length === 0) {
      diag.warn(
        `toolscope: listening on ${host} without toolscope.listen.allowedHosts: only loopback Host headers are accepted`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const { idleTimeoutMs, disconnectGraceMs } = this.#limits;
    const every = Math.max(100, Math.min(1000, idleTimeoutMs, disconnectGraceMs || 1000));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref();
    const address = this.#server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const sessions = [...this.#sessions.values()];
    await Promise.all(sessions.map((session) => session.value.close().catch(() => {})));
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { listen } = this.#options;
    if (
      answerIfRefused(req, res, {
        allowedHosts: listen.allowedHosts,
        allowedOrigins: listen.allowedOrigins,
        token: listen.token,
      })
    ) {
      return;
    }
    // `/agents/x/%2e%2e/%2e%2e/mcp` is `/mcp` once a URL parser resolves it: a path with dot
    // segments, plain or encoded, is refused rather than resolved into another scope.
    if (hasDotSegment(req.url ?? '/')) {
      sendJsonError(res, 400, -32600, 'Bad Request: the path has "." or ".." segments');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scopeId = this.#scopeFor(url.pathname);
    if (scopeId === undefined) {
      for (const route of this.#options.routes ?? []) if (await route(req, res, url)) return;
      sendJsonError(res, 404, -32601, `Not found: ${url.pathname}`);
      return;
    }
    if (scopeId === null) {
      sendJsonError(res, 404, -32601, `Unknown agent in ${url.pathname}`);
      return;
    }
    if (req.method === 'POST') return this.#post(req, res, scopeId);
    if (req.method === 'GET' || req.method === 'DELETE') {
      const session = this.#existingSession(req, res, scopeId);
      if (!session) return;
      if (req.method === 'GET') {
        // The client's event stream: when the last one closes and nothing follows, the client has gone.
        this.#sessions.streamOpened(session);
        res.once('close', () => this.#sessions.streamClosed(session));
      }
      await session.value.handleRequest(req, res);
      return;
    }
    sendJsonError(res, 405, -32000, `Method not allowed: ${req.method}`, { allow: 'GET, POST, DELETE' });
  }

  /** `undefined`: not an MCP path; `null`: an agent path for an unknown agent. */
  #scopeFor(path: string): string | null | undefined {
    if (path === '/mcp') return this.#gateway.mode === 'proxy' ? 'proxy' : 'store';
    const match = /^\/agents\/([^/]+)\/mcp$/.exec(path);
    if (!match) return undefined;
    const id = decodeURIComponent(match[1] as string);
    return this.#gateway.scopes.has(id) && id !== 'store' ? id : null;
  }

  async #post(req: IncomingMessage, res: ServerResponse, scopeId: string): Promise<void> {
    const body = await readBody(req, this.#options.listen.maxBodyBytes);
    if (body === 'too_large') {
      sendJsonError(
        res,
        413,
        -32600,
        `Request body too large (limit ${this.#options.listen.maxBodyBytes} bytes)`,
      );
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (error) {
      sendJsonError(res, 400, -32700, `Parse error: ${(error as Error).message}`);
      return;
    }
    const classified = classifyMessage(message);
    if (classified.kind === 'invalid') {
      sendJsonError(res, 400, -32600, `Invalid Request: ${classified.reason}`, {}, classified.id);
      return;
    }
    // Only the JSON-RPC members go on, so HTTP accepts what stdio accepts; what the
    // SDK would still refuse gets -32600 here rather than its "Parse error".
    const wire = canonicalMessage(classified);
    const refusal = sdkRefusal(classified.kind, wire);
    if (refusal) {
      const id = 'id' in wire && wire.id !== null ? wire.id : null;
      sendJsonError(res, 400, -32600, `Invalid Request: ${refusal}`, {}, id);
      return;
    }
    // 2026-07-28 requests are stateless: served on their own, whatever session header they carry.
    if (classified.kind === 'request' || classified.kind === 'notification') {
      const era = classifyEra(wire as { method: string; params?: Record<string, unknown> }, req.headers);
      if (era.era === 'refused') {
        sendRefusal(res, era.refusal, idOf(wire));
        return;
      }
      if (era.era === 'modern') {
        if (classified.kind === 'notification') {
          res.writeHead(202).end();
          return;
        }
        const refusal = checkStandardHeaders(classified.message, req.headers);
        if (refusal) {
          sendRefusal(res, refusal, classified.message.id);
          return;
        }
        const transport = new ExchangeTransport(req, res, wire as never);
        await this.#gateway.serveModern(transport, scopeId, era.envelope, principalOf(req));
        return;
      }
    }
    const sessionHeader = req.headers['mcp-session-id'];
    if (
      sessionHeader === undefined &&
      classified.kind === 'request' &&
      classified.message.method === 'initialize'
    ) {
      await this.#initialize(req, res, scopeId, wire);
      return;
    }
    const session = this.#existingSession(req, res, scopeId);
    if (!session) return;
    if (classified.kind === 'request') {
      // The SDK answers by id: a second request with an id still in use would take the first one's answer.
      const id = classified.message.id;
      if (!this.#sessions.beginRequest(session, id)) {
        sendJsonError(res, 400, -32600, `Invalid Request: id ${String(id)} is already in use`, {}, id);
        return;
      }
      res.once('close', () => this.#sessions.endRequest(session, id));
    }
    await session.value.handleRequest(req, res, wire);
  }

  async #initialize(
    req: IncomingMessage,
    res: ServerResponse,
    scopeId: string,
    message: unknown,
  ): Promise<void> {
    const room = this.#sessions.makeRoom();
    if (room === 'full') {
      sendJsonError(res, 503, -32000, 'Too many sessions, all in use; retry later', { 'retry-after': '5' });
      return;
    }
    if (room !== undefined) this.#end(room);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new SessionEventStore(),
      // Tells a client whose stream broke when to come back (the SSE retry field, SEP-1699).
      retryInterval: 1000,
      onsessioninitialized: (id) => {
        this.#sessions.add(id, transport, scopeId);
      },
    });
    const session = await this.#gateway.connect(transport, scopeId);
    void session.closed.then(() => {
      if (transport.sessionId) this.#sessions.delete(transport.sessionId);
    });
    await transport.handleRequest(req, res, message);
  }

  #existingSession(req: IncomingMessage, res: ServerResponse, scopeId: string): HttpSession | undefined {
    const id = req.headers['mcp-session-id'];
    if (typeof id !== 'string' || id.length === 0) {
      sendJsonError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const session = this.#sessions.get(id);
    if (!session || session.scopeId !== scopeId) {
      sendJsonError(res, 404, -32001, 'Session not found');
      return undefined;
    }
    this.#sessions.touch(session);
    return session;
  }

  #sweep(): void {
    for (const id of this.#sessions.due()) this.#end(id);
  }

  /** Close a session (its upstream sessions of its own go with it). */
  #end(id: string): void {
    const session = this.#sessions.get(id);
    this.#sessions.delete(id);
    session?.value.close().catch(() => {});
  }
}

/** Who is asking, as far as a call waiting for input is concerned: a digest of their credentials. */
function principalOf(req: IncomingMessage): string {
  const authorization = req.headers.authorization ?? '';
  return createHash('sha256').update(authorization).digest('base64url');
}

/** A 2026-07-28 refusal: its HTTP status, and the JSON-RPC error with its data. */
function sendRefusal(res: ServerResponse, refusal: Refusal, id: JsonRpcId | null): void {
  const error =
    refusal.data === undefined
      ? { code: refusal.code, message: refusal.message }
      : { code: refusal.code, message: refusal.message, data: refusal.data };
  const body = JSON.stringify({ jsonrpc: '2.0', id, error });
  res.writeHead(refusal.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Whether a request target's path has a `.` or `..` segment, plain or percent-encoded. */
function hasDotSegment(target: string): boolean {
  const path = target.split(/[?#]/, 1)[0] ?? '';
  for (const segment of path.split('/')) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return true; // undecodable: not a path toolscope serves
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\')) return true;
  }
  return false;
}

/** Read a request body up to `limit` bytes; `'too_large'` when it is bigger (the rest is discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too_large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
