import type { JsonRpcId } from '../jsonrpc/messages.js';

/** The stateless revision toolscope serves next to 2025-11-25. */
export const MODERN_VERSION = '2026-07-28';
/** Every version toolscope's HTTP front accepts, newest first. */
export const SERVED_VERSIONS = [MODERN_VERSION, '2025-11-25', '2025-06-18', '2025-03-26'] as const;

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** 2026-07-28 error codes. */
export const HEADER_MISMATCH = -32020;
export const MISSING_CLIENT_CAPABILITY = -32021;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** Methods whose `Mcp-Name` header mirrors a body field. */
const NAMED: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/** The per-request envelope of a 2026-07-28 request. */
export interface Envelope {
  readonly protocolVersion: string;
  readonly clientCapabilities: Record<string, unknown>;
  readonly clientInfo: Record<string, unknown> | undefined;
  readonly logLevel: string | undefined;
}

/** Why a request is refused before it is served, as HTTP status and JSON-RPC error. */
export interface Refusal {
  readonly status: number;
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** Which era one HTTP POST belongs to. */
export type Era =
  | { era: 'legacy' }
  | { era: 'modern'; envelope: Envelope }
  | { era: 'refused'; refusal: Refusal };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The era of a POSTed message, body first: a request whose `_meta` names a protocol
 * version is that version's (a modern one is served statelessly, a malformed or unknown
 * claim is refused, never taken for legacy); one without a claim is 2025-era traffic,
 * unless its `MCP-Protocol-Version` header says 2026-07-28. `initialize` is legacy by
 * definition. Responses and notifications without a claim are legacy.
 */
export function classifyEra(
  message: { method?: string; params?: Record<string, unknown> },
  headers: Headers,
): Era {
  const versionHeader = header(headers, 'mcp-protocol-version');
  const meta = message.params?._meta as Record<string, unknown> | undefined;
  const claim = meta?.[META_PROTOCOL_VERSION];
  if (claim === undefined) {
    if (versionHeader === MODERN_VERSION && message.method !== undefined && message.method !== 'initialize') {
      return refused(400, -32602, `Invalid params: missing _meta["${META_PROTOCOL_VERSION}"]`);
    }
    return { era: 'legacy' };
  }
  // A header that disagrees with the body is a mismatch first, whatever either names.
  if (versionHeader !== undefined && versionHeader !== claim) {
    return refused(
      400,
      HEADER_MISMATCH,
      `Header mismatch: MCP-Protocol-Version header value '${versionHeader}' does not match body value '${String(claim)}'`,
    );
  }
  if (typeof claim !== 'string' || !SERVED_VERSIONS.includes(claim as (typeof SERVED_VERSIONS)[number])) {
    return refused(400, UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version: ${String(claim)}`, {
      supported: [MODERN_VERSION],
      requested: claim,
    });
  }
  if (claim !== MODERN_VERSION) return { era: 'legacy' };
  const capabilities = meta?.[META_CLIENT_CAPABILITIES];
  if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities)) {
    return refused(400, -32602, `Invalid params: missing _meta["${META_CLIENT_CAPABILITIES}"]`);
  }
  const clientInfo = meta?.[META_CLIENT_INFO];
  const logLevel = meta?.[META_LOG_LEVEL];
  return {
    era: 'modern',
    envelope: {
      protocolVersion: claim,
      clientCapabilities: capabilities as Record<string, unknown>,
      clientInfo:
        typeof clientInfo === 'object' && clientInfo !== null
          ? (clientInfo as Record<string, unknown>)
          : undefined,
      logLevel: typeof logLevel === 'string' ? logLevel : undefined,
    },
  };
}

/**
 * The standard headers of a 2026-07-28 request (SEP-2243): `MCP-Protocol-Version`,
 * `Mcp-Method` and, for the methods that mirror a name, `Mcp-Name` (Base64 sentinel
 * decoded) must be present and equal the body. `undefined` when they are.
 */
export function checkStandardHeaders(
  message: { method: string; params?: Record<string, unknown> },
  headers: Headers,
): Refusal | undefined {
  if (header(headers, 'mcp-protocol-version') === undefined)
    return mismatch('the MCP-Protocol-Version header is required');
  const method = header(headers, 'mcp-method');
  if (method === undefined) return mismatch('the Mcp-Method header is required');
  if (method !== message.method)
    return mismatch(`Mcp-Method header value '${method}' does not match body value '${message.method}'`);
  const field = NAMED[message.method];
  if (!field) return undefined;
  const raw = header(headers, 'mcp-name');
  if (raw === undefined) return mismatch('the Mcp-Name header is required');
  const name = decodeHeaderValue(raw);
  if (name === undefined) return mismatch('the Mcp-Name header is not valid');
  const body = message.params?.[field];
  if (name !== body)
    return mismatch(`Mcp-Name header value '${name}' does not match body value '${String(body)}'`);
  return undefined;
}

/** A header value, with the Base64 sentinel (`=?base64?…?=`) decoded; `undefined` when malformed. */
export function decodeHeaderValue(value: string): string | undefined {
  const match = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  if (!match) return value.startsWith('=?base64?') ? undefined : value;
  return Buffer.from(match[1] as string, 'base64').toString('utf8');
}

/** A complete result as 2026-07-28 writes it: `resultType`, and the server's identity in `_meta`. */
export function completeResult(
  result: Record<string, unknown>,
  serverInfo: Record<string, unknown>,
  cache?: { ttlMs: number; cacheScope: 'public' | 'private' },
): Record<string, unknown> {
  const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
  return {
    ...result,
    resultType: 'complete',
    ...cache,
    _meta: { ...meta, [META_SERVER_INFO]: serverInfo },
  };
}

/** The JSON-RPC id a refusal answers (the request's, when it had one). */
export function idOf(message: unknown): JsonRpcId | null {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function refused(status: number, code: number, message: string, data?: unknown): Era {
  return {
    era: 'refused',
    refusal: data === undefined ? { status, code, message } : { status, code, message, data },
  };
}

function mismatch(detail: string): Refusal {
  return { status: 400, code: HEADER_MISMATCH, message: `Header mismatch: ${detail}` };
}
