import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from '../gateway/index.js';
import { CaptureRefusedError } from '../profiling/index.js';
import { exportToCsv } from './exportDocument.js';
import { isPageAsset, loadPageAsset } from './pageAssets.js';
import { parseSince } from './parseSince.js';
import type { StatusHost } from './StatusHost.js';
import { StatusService } from './StatusService.js';

// The page loads only its own files; nothing inline, nothing from elsewhere, never framed.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
const MAX_PROFILE_BODY = 4096;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

/**
 * The status API and the dashboard, as routes for the gateway's HTTP listener
 * (which checks Host, Origin and the bearer token before any route runs) or the
 * loopback status listener of stdio mode (same checks):
 *
 * - `GET /` and `/assets/*`: the dashboard page, uPlot served from node_modules;
 * - `GET /status[?series=0][&coarse=1][&since=10m]`: the {@link StatusSnapshot};
 * - `GET /export?format=json|csv[&since=1h]`: the {@link ExportDocument} or its CSV;
 * - `POST /profile` `{"tool": "storage_fetch_record", "seconds": 5}`: a CPU profile
 *   of the process, answered when it is done.
 */
export function statusRoutes(host: StatusHost): HttpRoute[] {
  const service = StatusService.for(host);
  return [
    async (req: IncomingMessage, res: ServerResponse, url: URL) => {
      const path = url.pathname;
      if (req.method === 'POST' && path === '/profile') {
        await profile(service, req, res);
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (isPageAsset(path)) {
        const asset = await loadPageAsset(path);
        res.writeHead(200, {
          'content-type': asset.type,
          'content-length': asset.body.length,
          ...PAGE_HEADERS,
        });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
        return true;
      }
      if (path === '/status') {
        const now = Date.now();
        const since = sinceOf(url, now, res);
        if (since === null) return true;
        sendJson(
          res,
          200,
          service.status({
            now,
            since,
            series: url.searchParams.get('series') !== '0',
            coarse: url.searchParams.get('coarse') === '1',
            points: pointsOf(url),
          }),
        );
        return true;
      }
      if (path === '/export') {
        const now = Date.now();
        const since = sinceOf(url, now, res);
        if (since === null) return true;
        const format = url.searchParams.get('format') ?? 'json';
        if (format !== 'json' && format !== 'csv') {
          sendError(res, 400, `format must be json or csv, not "${format}"`);
          return true;
        }
        const doc = service.export({ since, now });
        if (format === 'json') {
          sendJson(res, 200, doc);
          return true;
        }
        const csv = exportToCsv(doc);
        res.writeHead(200, {
          'content-type': 'text/csv; charset=utf-8; header=present',
          'content-disposition': `attachment; filename="toolscope-export-${new Date(now).toISOString().slice(0, 19).replaceAll(':', '')}.csv"`,
          'content-length': Buffer.byteLength(csv),
          'cache-control': 'no-store',
        });
        res.end(csv);
        return true;
      }
      return false;
    },
  ];
}

/** `points` from the query: a positive integer, else every bucket held. */
function pointsOf(url: URL): number | undefined {
  const points = Number(url.searchParams.get('points') ?? Number.NaN);
  return Number.isInteger(points) && points > 0 ? points : undefined;
}

/** `since` from the query: epoch ms, `undefined` when absent, `null` when invalid (answered with 400). */
function sinceOf(url: URL, now: number, res: ServerResponse): number | undefined | null {
  const text = url.searchParams.get('since');
  if (text === null || text === '') return undefined;
  const since = parseSince(text, now);
  if (since === undefined) {
    sendError(res, 400, `since must be a duration (10m, 2h), an ISO date or epoch ms, not "${text}"`);
    return null;
  }
  return since;
}

async function profile(service: StatusService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // JSON only: a cross-site form cannot send it without a CORS preflight, which we never grant.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    sendError(res, 415, 'POST /profile takes a JSON body: {"tool": "<name>", "seconds": <n>}');
    return;
  }
  const body = await readSmallBody(req, MAX_PROFILE_BODY);
  if (body === 'too_large') {
    sendError(res, 413, `the body is larger than ${MAX_PROFILE_BODY} bytes`);
    return;
  }
  let request: { tool?: unknown; seconds?: unknown };
  try {
    request = body === undefined ? {} : (JSON.parse(body) as typeof request);
  } catch {
    sendError(res, 400, 'the body is not valid JSON');
    return;
  }
  if (typeof request.tool !== 'string' || request.tool.length === 0) {
    sendError(res, 400, '"tool" (a tool name) is required');
    return;
  }
  const seconds = request.seconds;
  if (seconds !== undefined && (typeof seconds !== 'number' || !(seconds > 0))) {
    sendError(res, 400, '"seconds" must be a positive number');
    return;
  }
  const key = service.resolveTool(request.tool);
  if (key === undefined) {
    sendError(res, 404, `no tool named "${request.tool}"`);
    return;
  }
  try {
    sendJson(res, 200, await service.profile(key, seconds));
  } catch (error) {
    if (error instanceof CaptureRefusedError) sendError(res, 409, error.message);
    else sendError(res, 500, `profile capture failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** The body as text (`undefined` when empty), or `'too_large'` past `limit` bytes (the rest is drained). */
function readSmallBody(req: IncomingMessage, limit: number): Promise<string | undefined | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) resolve('too_large');
      else resolve(size === 0 ? undefined : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}
