import type { IncomingRequestContext } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcId, JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';

/**
 * A downstream party that owns what its requests cause upstream: a legacy client session, or one
 * request of a stateless (2026-07-28) client. The server's own requests and request-scoped
 * notifications go back to the caller whose request caused them, and to nobody else.
 */
export interface Caller {
  /** Unique per caller (for logs and task ownership). */
  readonly id: string;
  /**
   * The revision the caller speaks: a `legacy` (2025-11-25) caller is asked for input with
   * server-to-client requests, a `modern` (2026-07-28) one with `input_required` results.
   */
  readonly era: 'legacy' | 'modern';
  /**
   * Who the caller says it is, as a 2026-07-28 request envelope carries it upstream: its declared
   * capabilities, its client info and the log level it asked for.
   */
  identity(): CallerIdentity;
  /**
   * Whether the caller declared the client capability a server request needs: `sampling`,
   * `elicitation` (form), `elicitation.url`, `roots`.
   */
  supports(capability: string): boolean;
  /**
   * A request the server sent while serving `origin` (the caller's request id), or for the
   * caller's own session when `origin` is undefined. Resolves with the caller's answer.
   */
  serverRequest(
    request: JsonRpcRequest,
    origin: JsonRpcId | undefined,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>>;
  /** A notification from the server for this caller (log message, resource update, …). */
  deliver(notification: JsonRpcNotification, origin: JsonRpcId | undefined): void;
  /** Whether the caller asked for log messages at `level` (on connections it shares with others). */
  wantsLog(level: unknown): boolean;
}

/** What a 2026-07-28 request envelope says about the client a request is made for. */
export interface CallerIdentity {
  readonly capabilities: Record<string, unknown>;
  readonly clientInfo: Record<string, unknown> | undefined;
  readonly logLevel: string | undefined;
}

/** One downstream request being served upstream: who asked, under which id. */
export interface CallOrigin {
  readonly caller: Caller;
  readonly requestId: JsonRpcId;
}

/** Which client capability a server-to-client request needs (`undefined`: none). */
export function requiredCapability(request: JsonRpcRequest): string | undefined {
  switch (request.method) {
    case 'sampling/createMessage':
      return 'sampling';
    case 'elicitation/create':
      return request.params?.mode === 'url' ? 'elicitation.url' : 'elicitation';
    case 'roots/list':
      return 'roots';
    default:
      return undefined;
  }
}

/** Whether declared client `capabilities` include `capability` (dotted: `elicitation.url`). */
export function declares(capabilities: Record<string, unknown> | undefined, capability: string): boolean {
  if (!capabilities) return false;
  if (capability === 'elicitation') {
    // An empty elicitation object means form mode (2025-06-18 clients know no modes).
    const elicitation = capabilities.elicitation as Record<string, unknown> | undefined;
    return elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined);
  }
  const [head, tail] = capability.split('.', 2) as [string, string | undefined];
  const value = capabilities[head];
  if (value === undefined) return false;
  return tail === undefined || (typeof value === 'object' && value !== null && tail in value);
}

/**
 * Who a server request on a connection is for. A connection serving one caller answers
 * for it; on a shared connection the request belongs to the only caller with requests in
 * flight there. Several callers (or none) make it ambiguous: `undefined`, and the request
 * is refused rather than guessed.
 */
export function ownerOf(
  owner: Caller | undefined,
  inFlight: ReadonlySet<CallOrigin>,
): { caller: Caller; origin: JsonRpcId | undefined } | undefined {
  let caller = owner;
  let origin: JsonRpcId | undefined;
  let requests = 0;
  for (const entry of inFlight) {
    if (caller === undefined) caller = entry.caller;
    else if (entry.caller !== caller) return owner ? { caller: owner, origin: undefined } : undefined;
    origin = entry.requestId;
    requests++;
  }
  if (caller === undefined) return undefined;
  // With several of its requests in flight, the caller gets it on its session, unrelated to one.
  return { caller, origin: requests === 1 ? origin : undefined };
}
