import { randomUUID } from 'node:crypto';
import { type Context, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { IncomingRequestContext } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcId, JsonRpcNotification, JsonRpcRequest } from '../jsonrpc/messages.js';
import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';
import { ATTR_MCP_METHOD_NAME, ATTR_MCP_PROTOCOL_VERSION } from '../telemetry/semconv.js';
import { type Caller, type CallerIdentity, declares } from './Caller.js';
import { logLevelAdmits } from './logLevels.js';
import { MODERN_VERSION } from './modernProtocol.js';

/** A request the server sent that waits for the client's input. */
interface PendingInput {
  readonly request: { method: string; params?: Record<string, unknown> };
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: unknown) => void;
  readonly span: Span | undefined;
}

/** What a round of a call ends with. */
export type Round =
  | { kind: 'complete'; result: Record<string, unknown> }
  | { kind: 'failed'; error: unknown }
  | {
      kind: 'input_required';
      inputRequests: Record<string, { method: string; params?: Record<string, unknown> }>;
    };

/** Methods that may answer with `input_required` (MRTR, SEP-2322). */
export const INPUT_REQUIRED_METHODS: ReadonlySet<string> = new Set([
  'tools/call',
  'prompts/get',
  'resources/read',
]);

/**
 * One request of a stateless (2026-07-28) client, served by a legacy upstream
 * connection, across the rounds of a multi round-trip request. It is the caller
 * the upstream's own requests (sampling, elicitation, roots) come back to: each
 * becomes an input request of an `input_required` result, and the client's
 * retry — carrying `requestState` (this call's handle) and `inputResponses` —
 * answers them, while the upstream call runs on. Request-scoped notifications
 * (progress, log messages at the level the request asked for) go to whichever
 * round is open.
 */
export class ModernCall implements Caller {
  /** The opaque handle given to the client as `requestState`: unguessable, bound to its principal. */
  readonly id = randomUUID();
  readonly method: string;
  readonly name: string | undefined;
  readonly principal: string;
  /** Aborts the upstream call (client gone, handle expired). */
  readonly abort = new AbortController();
  #capabilities: Record<string, unknown>;
  #logLevel: string | undefined;
  readonly #clientInfo: Record<string, unknown> | undefined;
  readonly #pending = new Map<string, PendingInput>();
  #nextKey = 1;
  #outcome: Round | undefined;
  #wake: (() => void) | undefined;
  /** Where notifications of the open round go (undefined between rounds). */
  #round: ((notification: JsonRpcNotification) => void) | undefined;
  readonly #tracer: Tracer | undefined;
  /** Trace context of the call's first round: its server-to-client requests belong to it. */
  readonly #context: Context | undefined;
  /** Epoch ms of the last round (parked calls expire from it). */
  touchedAt = Date.now();

  constructor(options: {
    method: string;
    name: string | undefined;
    principal: string;
    capabilities: Record<string, unknown>;
    clientInfo: Record<string, unknown> | undefined;
    logLevel: string | undefined;
    tracer: Tracer | undefined;
    context: Context | undefined;
  }) {
    this.#clientInfo = options.clientInfo;
    this.method = options.method;
    this.name = options.name;
    this.principal = options.principal;
    this.#capabilities = options.capabilities;
    this.#logLevel = options.logLevel;
    this.#tracer = options.tracer;
    this.#context = options.context;
  }

  /** Run the upstream work; its outcome ends the round that is open then (or the next one). */
  run(work: Promise<Record<string, unknown>>): void {
    work.then(
      (result) => this.#settle({ kind: 'complete', result }),
      (error: unknown) => this.#settle({ kind: 'failed', error }),
    );
  }

  /** The client's retry: new capabilities and log level, and its answers to what was asked. */
  resume(capabilities: Record<string, unknown>, logLevel: string | undefined, responses: unknown): void {
    this.#capabilities = capabilities;
    this.#logLevel = logLevel;
    this.touchedAt = Date.now();
    if (typeof responses !== 'object' || responses === null) return;
    for (const [key, value] of Object.entries(responses as Record<string, unknown>)) {
      const pending = this.#pending.get(key);
      // Extra or unknown keys are ignored (MRTR: servers ignore what they do not need).
      if (!pending || typeof value !== 'object' || value === null) continue;
      this.#pending.delete(key);
      pending.span?.end();
      pending.resolve(value as Record<string, unknown>);
    }
  }

  /**
   * One round: resolves with the call's outcome once it has one, or as soon as some
   * input is required that the client has not answered. `notify` carries the round's
   * request-scoped notifications.
   */
  async round(notify: (notification: JsonRpcNotification) => void): Promise<Round> {
    this.#round = notify;
    try {
      for (;;) {
        if (this.#outcome) return this.#outcome;
        // Everything still unanswered is asked (again: a retry that left some out gets them again).
        if (this.#pending.size > 0) {
          const inputRequests: Record<string, { method: string; params?: Record<string, unknown> }> = {};
          for (const [key, pending] of this.#pending) inputRequests[key] = pending.request;
          return { kind: 'input_required', inputRequests };
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.#round = undefined;
      this.#wake = undefined;
      this.touchedAt = Date.now();
    }
  }

  /** Give up: the upstream call is cancelled and what waits for input fails. */
  cancel(reason: string): void {
    if (this.#outcome) return;
    const error = new ToolscopeError('internal', JsonRpcCode.InternalError, reason);
    this.abort.abort(error);
    this.#failPending(error);
  }

  #failPending(error: ToolscopeError): void {
    for (const pending of this.#pending.values()) {
      pending.span?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      pending.span?.end();
      pending.reject(error);
    }
    this.#pending.clear();
  }

  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  // ── Caller ──

  readonly era = 'modern';

  identity(): CallerIdentity {
    return { capabilities: this.#capabilities, clientInfo: this.#clientInfo, logLevel: this.#logLevel };
  }

  supports(capability: string): boolean {
    return declares(this.#capabilities, capability);
  }

  serverRequest(
    request: JsonRpcRequest,
    _origin: JsonRpcId | undefined,
    context: IncomingRequestContext,
  ): Promise<Record<string, unknown>> {
    if (!INPUT_REQUIRED_METHODS.has(this.method) || this.#outcome) {
      return Promise.reject(
        new ToolscopeError(
          'internal',
          JsonRpcCode.MethodNotFound,
          `the client cannot be asked for input during ${this.method} (2026-07-28 allows it for tools/call, prompts/get and resources/read)`,
        ),
      );
    }
    const key = `r${this.#nextKey++}`;
    const { _meta: _ignored, ...params } = request.params ?? {};
    const span = this.#tracer?.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: { [ATTR_MCP_METHOD_NAME]: request.method, [ATTR_MCP_PROTOCOL_VERSION]: MODERN_VERSION },
      },
      this.#context,
    );
    return new Promise((resolve, reject) => {
      this.#pending.set(key, {
        request: { method: request.method, params },
        resolve,
        reject,
        span,
      });
      context.signal.addEventListener('abort', () => {
        if (!this.#pending.delete(key)) return;
        span?.end();
        reject(context.signal.reason);
      });
      this.#wake?.();
    });
  }

  deliver(notification: JsonRpcNotification): void {
    this.#round?.(notification);
  }

  wantsLog(level: unknown): boolean {
    return this.#logLevel !== undefined && logLevelAdmits(this.#logLevel, level);
  }

  #settle(outcome: Round): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#failPending(
      new ToolscopeError('internal', JsonRpcCode.InternalError, 'the call ended before the client answered'),
    );
    this.#wake?.();
  }
}
