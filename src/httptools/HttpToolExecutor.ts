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
import { mapHttpResponse } from './mapHttpResponse.js';
import type { SecretRedactor } from './SecretRedactor.js';
import { describeError, isTimeout, networkCode, sendHttpRequest } from './sendHttpRequest.js';

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
      const answer = await sendHttpRequest(plan, {
        fetch: this.#fetch,
        signal,
        timeoutMs: spec.timeoutMs,
        maxResponseBytes: spec.maxResponseBytes,
      });
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
    if (isTimeout(error)) {
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
      this.#redactor.redact(`${what} failed: ${describeError(error)}`),
      { errorType: 'transport', service: spec.service, ...(code ? { code } : {}) },
    );
  }
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
