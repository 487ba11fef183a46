import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether a bind address is loopback-only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTNAMES.has(host) || host.startsWith('127.');
}

/** Hostname of a `Host` header value (`example.com:8080` → `example.com`, `[::1]:80` → `::1`). */
export function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end === -1 ? hostHeader : hostHeader.slice(1, end);
  }
  const colon = hostHeader.lastIndexOf(':');
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

/** What the HTTP checks need to know. */
export interface HttpSecurityPolicy {
  /** Extra allowed Host values (hostname or hostname:port); loopback names are always allowed. */
  allowedHosts: readonly string[];
  /** Extra allowed Origin values (scheme://host[:port]); loopback origins are always allowed. */
  allowedOrigins: readonly string[];
  /** Required bearer token, if any. */
  token: string | undefined;
}

/** Why a request is refused, with the HTTP status to answer. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/**
 * DNS-rebinding protection and authentication, checked before anything else:
 * the `Host` must be loopback or allowed, a present `Origin` must be loopback or
 * allowed (the SDK's own helper checks Host only), and when a token is set the
 * request must carry it as a bearer token (compared in constant time).
 */
export function checkRequest(req: IncomingMessage, policy: HttpSecurityPolicy): Refusal | undefined {
  const host = req.headers.host ?? '';
  const hostname = hostnameOf(host);
  if (
    !LOOPBACK_HOSTNAMES.has(hostname) &&
    !policy.allowedHosts.includes(hostname) &&
    !policy.allowedHosts.includes(host.toLowerCase())
  ) {
    return { status: 403, message: `Forbidden: Host "${host}" is not allowed` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && !originAllowed(origin, policy.allowedOrigins)) {
    return { status: 403, message: `Forbidden: Origin "${origin}" is not allowed` };
  }
  if (origin === 'null') return { status: 403, message: 'Forbidden: opaque Origin "null" is not allowed' };
  if (
    policy.token !== undefined &&
    !bearerMatches(req.headers.authorization, policy.token) &&
    !cookieMatches(req.headers.cookie, policy.token)
  ) {
    return { status: 401, message: 'Unauthorized: a valid bearer token is required' };
  }
  return undefined;
}

function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** Name of the cookie that carries the token for browsers (which cannot send a bearer header on page loads). */
export const TOKEN_COOKIE = 'toolscope_token';

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  return header?.startsWith('Bearer ') === true && sameSecret(header.slice(7).trim(), token);
}

function cookieMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return sameSecret(decodeURIComponent(value.join('=')), token);
  }
  return false;
}

/**
 * A browser opening `/?token=…` once: when the token is right, the answer sets it
 * as an HttpOnly, SameSite=Strict cookie and redirects to the same page without
 * the token in the URL (so it does not stay in history or logs). Returns the
 * headers of that redirect, or undefined when the request is not such a login.
 */
export function tokenLogin(
  req: IncomingMessage,
  url: URL,
  token: string | undefined,
): Record<string, string> | undefined {
  const given = url.searchParams.get('token');
  if (token === undefined || given === null || req.method !== 'GET' || !sameSecret(given, token))
    return undefined;
  url.searchParams.delete('token');
  return {
    'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    location: `${url.pathname}${url.search}`,
  };
}
