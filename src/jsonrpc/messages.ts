/**
 * JSON-RPC 2.0 message shapes as MCP uses them, and a pure classifier that tells a
 * request from a notification from a response, or says precisely why a value is
 * not a valid message. No schema library: this runs for every message.
 */

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcResultResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  /** `null` when the request id could not be read (parse errors, invalid requests). */
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcMessage =
  | JsonRpcRequest
  | JsonRpcNotification
  | JsonRpcResultResponse
  | JsonRpcErrorResponse;

/** The classifier's verdict on one decoded JSON value. */
export type ClassifiedMessage =
  | { readonly kind: 'request'; readonly message: JsonRpcRequest }
  | { readonly kind: 'notification'; readonly message: JsonRpcNotification }
  | { readonly kind: 'result'; readonly message: JsonRpcResultResponse }
  | { readonly kind: 'error'; readonly message: JsonRpcErrorResponse }
  | {
      readonly kind: 'invalid';
      /** Human-readable reason, sent back in the -32600 error. */
      readonly reason: string;
      /** The id, when one could be read (so the error can be correlated). */
      readonly id: JsonRpcId | null;
    };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidId(id: unknown): id is JsonRpcId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
}

function invalid(reason: string, id: unknown): ClassifiedMessage {
  return { kind: 'invalid', reason, id: isValidId(id) ? id : null };
}

/**
 * MCP reserves `params._meta` for protocol metadata: an object, whose
 * `progressToken` is a string or a number. Checked here because a relayed
 * message with a malformed `_meta` is dropped unanswered by SDK-built servers,
 * so the caller would wait forever instead of getting -32600.
 */
function checkMeta(params: unknown): string | undefined {
  if (!isObject(params) || params._meta === undefined) return undefined;
  const meta = params._meta;
  if (!isObject(meta)) return '"params._meta" must be an object';
  const token = meta.progressToken;
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'number')
    return '"params._meta.progressToken" must be a string or a number';
  return undefined;
}

/**
 * Classify a decoded JSON value as a JSON-RPC message. Batches (arrays) are
 * invalid: MCP 2025-06-18 and later do not allow them. Request ids must be a
 * string or an integer, never `null` (MCP).
 */
export function classifyMessage(value: unknown): ClassifiedMessage {
  if (!isObject(value)) {
    return invalid(
      Array.isArray(value) ? 'batches are not supported' : 'a message must be a JSON object',
      null,
    );
  }
  if (value.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"', value.id);
  const { method, id } = value;
  if (method !== undefined) {
    if (typeof method !== 'string' || method.length === 0)
      return invalid('"method" must be a non-empty string', id);
    if (value.params !== undefined && !isObject(value.params))
      return invalid('"params" must be an object', id);
    const metaProblem = checkMeta(value.params);
    if (metaProblem) return invalid(metaProblem, id);
    if (id === undefined) return { kind: 'notification', message: value as unknown as JsonRpcNotification };
    if (!isValidId(id)) return invalid('"id" must be a string or an integer', null);
    return { kind: 'request', message: value as unknown as JsonRpcRequest };
  }
  if ('result' in value && 'error' in value)
    return invalid('a response has "result" or "error", never both', id);
  if ('result' in value) {
    if (!isValidId(id)) return invalid('a response needs a string or integer "id"', null);
    if (!isObject(value.result)) return invalid('"result" must be an object', id);
    return { kind: 'result', message: value as unknown as JsonRpcResultResponse };
  }
  if ('error' in value) {
    const error = value.error;
    if (!isObject(error) || typeof error.code !== 'number' || typeof error.message !== 'string') {
      return invalid('"error" must have a numeric "code" and a string "message"', id);
    }
    if (id !== null && id !== undefined && !isValidId(id))
      return invalid('"id" must be a string or an integer', null);
    return { kind: 'error', message: value as unknown as JsonRpcErrorResponse };
  }
  return invalid('not a request, notification or response', id);
}

/** Build an error response. */
export function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

/**
 * The message with only its JSON-RPC members (`jsonrpc`, `id`, `method`,
 * `params`, `result`, `error`), and an error response's `id: null` written as
 * no id. Fronts that hand messages to strict parsers (the SDK's HTTP transport
 * refuses unknown members and a null id) pass this, so a message is accepted
 * over HTTP exactly when it is over stdio.
 */
export function canonicalMessage(
  classified: Exclude<ClassifiedMessage, { kind: 'invalid' }>,
): JsonRpcMessage {
  const { message } = classified;
  const params = 'params' in message && message.params !== undefined ? { params: message.params } : {};
  switch (classified.kind) {
    case 'request':
      return { jsonrpc: '2.0', id: classified.message.id, method: classified.message.method, ...params };
    case 'notification':
      return { jsonrpc: '2.0', method: classified.message.method, ...params };
    case 'result':
      return { jsonrpc: '2.0', id: classified.message.id, result: classified.message.result };
    case 'error': {
      const { id, error } = classified.message;
      return (id === null ? { jsonrpc: '2.0', error } : { jsonrpc: '2.0', id, error }) as JsonRpcMessage;
    }
  }
}
