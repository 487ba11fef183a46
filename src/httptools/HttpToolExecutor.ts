import {
  type Context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { traceFields } from '../logging/index.js';
import {
  JsonRpcCode,
  SchemaValidator,
  type ToolCall,
  type ToolExecutor,
  type ToolResult,
  ToolscopeError,
} from '../pipeline/index.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_BODY_SIZE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_BODY_SIZE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_SCHEME,
  ATTR_URL_TEMPLATE,
} from '../telemetry/semconv.js';
import { ATTR_TS_SERVICE } from '../telemetry/toolscopeNames.js';
import { buildHttpRequest, HttpArgumentError, type HttpRequestPlan } from './buildHttpRequest.js';
import type { HttpToolSpec } from './HttpToolSpec.js';
import { type HttpAnswer, mapHttpResponse } from './mapHttpResponse.js';
import type { SecretRedactor } from './SecretRedactor.js';

/** How an {@link HttpToolExecutor} is set up. */
export interface HttpToolExecutorOptions {
  readonly tools: readonly HttpToolSpec[];
  /** Scrubs secrets from anything that leaves: spans, logs, errors, results. */
  readonly redactor: SecretRedactor;
  /** Where HTTP client spans go. @default the global tracer "toolscope" */
  readonly tracer?: Tracer;
  /** Per-request lines at `debug` (with the call's trace ids); nothing is logged per call above that. */
  readonly logger?: Logger | undefined;
  /** @default "toolscope" */
  readonly userAgent?: string;
  /** The HTTP client. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Same-origin redirects followed at most (a redirect elsewhere is an error result: secrets stay home). */
const MAX_REDIRECTS = 5;

/** Why an attempt's controller was aborted. */
const TIMED_OUT = Symbol('timed out');

/**
 * Runs HTTP API tools: maps the arguments to a request, sends it under an HTTP
 * CLIENT span (a child of the call's span, with W3C trace context in the
 * headers), and maps the answer to a tool result. The pipeline around it
 * validates, pools, guards and observes the call like any other.
 *
 * Failures are typed like those of every other tool, so the guard applies the
 * same rules: no answer within the timeout is a `timeout`, a failed connection a
 * `transport` error — both retried only for idempotent tools (GET/HEAD by
 * default). An answer, even a 500, is a result: non-2xx is `isError` with the
 * status and a short excerpt. Secrets never reach spans, logs or errors.
 */
export class HttpToolExecutor implements ToolExecutor {
  readonly kind = 'in_process' as const;
  readonly #tools: ReadonlyMap<string, HttpToolSpec>;
  readonly #redactor: SecretRedactor;
  readonly #tracer: Tracer;
  readonly #logger: Logger | undefined;
  readonly #userAgent: string;
  readonly #fetch: typeof fetch;
  readonly #outputs = new SchemaValidator();

  constructor(options: HttpToolExecutorOptions) {
    this.#tools = new Map(options.tools.map((tool) => [tool.name, tool]));
    this.#redactor = options.redactor;
    this.#tracer = options.tracer ?? trace.getTracer('toolscope');
    this.#logger = options.logger;
    this.#userAgent = options.userAgent ?? 'toolscope';
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  execute(call: ToolCall): Promise<ToolResult> {
    const spec = this.#tools.get(call.tool.ref.tool);
    if (!spec) {
      return Promise.reject(
        new ToolscopeError(
          'invalid_params',
          JsonRpcCode.InvalidParams,
          `Unknown tool "${call.tool.ref.key}"`,
        ),
      );
    }
    return this.run(spec, call.arguments ?? {}, call.signal, call.context).then(({ result, bytes }) => {
      call.outputBytes = bytes;
      return result;
    });
  }

  /** One request for `spec` (also used by the service's own MCP server, without a trace context). */
  async run(
    spec: HttpToolSpec,
    args: Readonly<Record<string, unknown>>,
    signal: AbortSignal,
    parent: Context | undefined,
  ): Promise<{ result: ToolResult; bytes: number }> {
    let plan: HttpRequestPlan;
    try {
      plan = buildHttpRequest(spec, args, this.#userAgent);
    } catch (error) {
      if (!(error instanceof HttpArgumentError)) throw error;
      return { result: errorResult(`Invalid arguments: ${this.#redactor.redact(error.message)}`), bytes: 0 };
    }
    const redactedUrl = this.#redactor.redact(plan.redactedUrl);
    const target = new URL(plan.url);
    const span = this.#tracer.startSpan(
      `${plan.method} ${spec.url.pathTemplate}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: plan.method,
          [ATTR_URL_FULL]: redactedUrl,
          [ATTR_URL_TEMPLATE]: spec.url.pathTemplate,
          [ATTR_URL_SCHEME]: target.protocol.slice(0, -1),
          [ATTR_SERVER_ADDRESS]: target.hostname,
          [ATTR_SERVER_PORT]: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
          [ATTR_TS_SERVICE]: spec.service,
        },
      },
      parent ?? ROOT_CONTEXT,
    );
    const spanContext = trace.setSpan(parent ?? ROOT_CONTEXT, span);
    // The API's own tracing continues our trace; its response never sees the caller's headers.
    propagation.inject(spanContext, plan.headers);
    if (plan.body !== undefined) span.setAttribute(ATTR_HTTP_REQUEST_BODY_SIZE, Buffer.byteLength(plan.body));
    const log = this.#logger?.isLevelEnabled('debug') ? this.#logger : undefined;
    const started = performance.now();
    try {
      const answer = await this.#send(spec, plan, signal);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, answer.status);
      span.setAttribute(ATTR_HTTP_RESPONSE_BODY_SIZE, answer.body.length);
      if (answer.status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(answer.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      const result = this.#checkOutput(
        spec,
        mapHttpResponse(answer, { mode: spec.response, redact: (text) => this.#redactor.redact(text) }),
      );
      log?.debug(
        {
          ...traceFields(spanContext),
          service: spec.service,
          tool: spec.name,
          method: plan.method,
          url: redactedUrl,
          status: answer.status,
          durationMs: round(performance.now() - started),
        },
        'http tool request',
      );
      return { result, bytes: answer.body.length };
    } catch (error) {
      const failure = this.#failure(spec, plan, redactedUrl, error, signal);
      span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(error, failure));
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      log?.debug(
        {
          ...traceFields(spanContext),
          service: spec.service,
          tool: spec.name,
          method: plan.method,
          url: redactedUrl,
          error: failure.message,
          durationMs: round(performance.now() - started),
        },
        'http tool request failed',
      );
      throw failure;
    } finally {
      span.end();
    }
  }

  /** Send, following same-origin redirects, and read the body up to the size limit. */
  async #send(spec: HttpToolSpec, plan: HttpRequestPlan, signal: AbortSignal): Promise<HttpAnswer> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    const timer =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(TIMED_OUT), spec.timeoutMs);
    timer?.unref();
    try {
      let url = plan.url;
      let method: string = plan.method;
      let body = plan.body;
      for (let hop = 0; ; hop++) {
        const response = await this.#fetch(url, {
          method,
          headers: plan.headers,
          body,
          redirect: 'manual',
          signal: controller.signal,
        });
        const location = response.headers.get('location');
        const next =
          location && response.status >= 300 && response.status < 400 ? resolve(location, url) : null;
        if (next && hop < MAX_REDIRECTS && next.origin === new URL(url).origin) {
          await response.body?.cancel().catch(() => {});
          if (
            response.status === 303 ||
            ((response.status === 301 || response.status === 302) && method === 'POST')
          ) {
            method = 'GET';
            body = undefined;
          }
          url = next.href;
          continue;
        }
        const read = await readCapped(response, spec.maxResponseBytes);
        return {
          status: response.status,
          statusText: response.statusText,
          contentType: (response.headers.get('content-type') ?? '').toLowerCase(),
          body: read.body,
          truncated: read.truncated,
        };
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  #checkOutput(spec: HttpToolSpec, result: ToolResult): ToolResult {
    const schema = spec.definition.outputSchema;
    if (schema === undefined || result.isError) return result;
    if (result.structuredContent === undefined)
      return errorResult('The API did not answer with a JSON object, but the tool declares an outputSchema');
    const problems = this.#outputs.validate(schema, result.structuredContent);
    if (problems.length === 0) return result;
    const lines = problems.map((problem) => `- ${problem.field}: ${problem.expected}`);
    return errorResult(`The API's answer does not match the tool's outputSchema:\n${lines.join('\n')}`);
  }

  /** The typed error an attempt fails with (the caller's own abort reason is passed on unchanged). */
  #failure(
    spec: HttpToolSpec,
    plan: HttpRequestPlan,
    redactedUrl: string,
    error: unknown,
    signal: AbortSignal,
  ): Error {
    if (signal.aborted && signal.reason instanceof Error) return signal.reason;
    const what = `HTTP ${plan.method} ${redactedUrl}`;
    if (
      error === TIMED_OUT ||
      (error instanceof Error && error.cause === TIMED_OUT) ||
      isTimeoutAbort(error)
    ) {
      return new ToolscopeError(
        'timeout',
        JsonRpcCode.RequestTimeout,
        `${what} got no answer within ${spec.timeoutMs} ms`,
        { errorType: 'timeout', timeoutMs: spec.timeoutMs, service: spec.service },
      );
    }
    const code = networkCode(error);
    return new ToolscopeError(
      'transport',
      JsonRpcCode.ServerError,
      this.#redactor.redact(`${what} failed: ${describe(error)}`),
      { errorType: 'transport', service: spec.service, ...(code ? { code } : {}) },
    );
  }
}

/** `location` resolved against the request URL, or null when it is not a URL. */
function resolve(location: string, base: string): URL | null {
  try {
    return new URL(location, base);
  } catch {
    return null;
  }
}

async function readCapped(
  response: Response,
  max: number,
): Promise<{ body: Uint8Array; truncated: boolean }> {
  if (!response.body) return { body: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { body: chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size), truncated };
}

function isTimeoutAbort(error: unknown): boolean {
  // fetch rejects with the abort reason itself, or a DOMException carrying it as `cause`.
  return typeof error === 'object' && error !== null && (error as { cause?: unknown }).cause === TIMED_OUT;
}

/** The low-level network code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) of a fetch failure. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

function errorTypeOf(error: unknown, failure: Error): string {
  if (failure instanceof ToolscopeError)
    return failure.errorType === 'transport' ? (networkCode(error) ?? 'transport') : failure.errorType;
  return failure.name === 'AbortError' ? 'cancelled' : '_OTHER';
}

function errorResult(text: string): ToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
