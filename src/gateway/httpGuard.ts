import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonRpcId } from '../jsonrpc/messages.js';
import { checkRequest, type HttpSecurityPolicy, tokenLogin } from './httpSecurity.js';

/**
 * Send a JSON-RPC error as JSON, whatever went wrong: never an HTML page. `id` is
 * the request's id when it could be read (so the client can correlate), else null.
 */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  id: JsonRpcId | null = null,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * The checks every toolscope HTTP listener runs before anything else (the MCP
 * endpoint, the status API, the stdio-mode status listener): a token login
 * (`/?token=…` → cookie + redirect), then Host/Origin and the bearer token.
 * Answers and returns true when the request goes no further.
 */
export function answerIfRefused(
  req: IncomingMessage,
  res: ServerResponse,
  policy: HttpSecurityPolicy,
): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const tried = url.searchParams.has('token');
  const login = tokenLogin(req, url, policy.token);
  if (login && !checkRequest(req, { ...policy, token: undefined })) {
    res.writeHead(303, login).end();
    return true;
  }
  const refusal = checkRequest(req, policy);
  if (!refusal) return false;
  // A person opening the dashboard gets a page that asks for the token, not a JSON-RPC error.
  if (refusal.status === 401 && req.method === 'GET' && url.pathname === '/' && wantsHtml(req)) {
    const body = tokenPage(tried);
    res.writeHead(401, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'www-authenticate': 'Bearer',
    });
    res.end(body);
    return true;
  }
  sendJsonError(
    res,
    refusal.status,
    -32000,
    refusal.message,
    refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
  );
  return true;
}

/** A browser's page load (`Accept: text/html…`), not an API client. */
function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

/**
 * The page a browser gets at `/` without the token: a form that loads `/?token=…`, which
 * sets the HttpOnly cookie and cleans the URL (`tokenLogin`). No script, nothing from the
 * request is echoed.
 */
function tokenPage(retry: boolean): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>toolscope: token required</title><link rel="icon" href="data:,">
<style>body{font:15px/1.5 system-ui,sans-serif;color:#1d2330;background:#f6f7f9;margin:0}
header{background:#1d2330;color:#fff;padding:10px 18px;font-weight:600}main{max-width:34em;margin:3em auto;padding:0 18px}
input{font:inherit;padding:6px 8px;width:100%;box-sizing:border-box;margin:6px 0 12px}
button{font:inherit;padding:6px 14px}.error{color:#b91c1c}code{background:#e5e7eb;padding:0 4px}</style></head>
<body><header>toolscope</header><main>
<h1>This toolscope needs its token</h1>
${retry ? '<p class="error" id="token-error">That token is not the right one.</p>\n' : ''}<p>Its dashboard and status API are protected by a bearer token (<code>toolscope.listen.token</code>).
Enter it once: it is kept in a cookie for this browser only, and the address is cleaned.</p>
<form method="get" action="/"><label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Open the dashboard</button></form>
</main></body></html>
`;
}
