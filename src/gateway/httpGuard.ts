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
  const login = tokenLogin(req, new URL(req.url ?? '/', 'http://localhost'), policy.token);
  if (login && !checkRequest(req, { ...policy, token: undefined })) {
    res.writeHead(303, login).end();
    return true;
  }
  const refusal = checkRequest(req, policy);
  if (!refusal) return false;
  sendJsonError(
    res,
    refusal.status,
    -32000,
    refusal.message,
    refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
  );
  return true;
}
