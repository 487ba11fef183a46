import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { EnvReference } from '../config/index.js';
import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';
import { HttpToolExecutor } from './HttpToolExecutor.js';
import { compileHttpTools, type HttpToolSpec } from './HttpToolSpec.js';
import type { HttpToolServiceConfig, HttpToolsConfig } from './httpToolsConfigSchema.js';
import { REDACTED_LABEL, type Secret, SecretRedactor } from './SecretRedactor.js';

/** What status pages show of an HTTP API service: shapes, never header values. */
export interface HttpToolServiceStatus {
  readonly service: string;
  readonly tools: ReadonlyArray<{
    readonly name: string;
    readonly method: string;
    /** The URL template, secrets replaced by their reference. */
    readonly url: string;
    readonly timeoutMs: number | undefined;
  }>;
  /** Names of the headers sent (values are secrets). */
  readonly headers: readonly string[];
}

/** Shared by every HTTP API service of a runtime. */
export interface HttpToolServiceOptions {
  readonly tracer?: Tracer;
  readonly logger?: Logger | undefined;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
  /** toolscope's version (serverInfo of the in-process MCP server). @default "0" */
  readonly version?: string;
}

/**
 * A service of HTTP API tools, served in this process. To the gateway it is an
 * in-process MCP service (so it is listed, namespaced, health-checked and shown
 * like any other), whose calls go straight to an {@link HttpToolExecutor}
 * instead of over the in-memory MCP connection: the pipeline (validate, admit,
 * guard, profile, observe) wraps the executor, and the HTTP client span is a
 * child of the call's own span.
 */
export class HttpToolService {
  readonly name: string;
  readonly tools: readonly HttpToolSpec[];
  readonly executor: HttpToolExecutor;
  readonly redactor: SecretRedactor;
  readonly #byName: ReadonlyMap<string, HttpToolSpec>;
  readonly #config: HttpToolServiceConfig;
  readonly #version: string;

  constructor(
    name: string,
    config: HttpToolServiceConfig,
    envReferences: readonly EnvReference[],
    options: HttpToolServiceOptions = {},
  ) {
    this.name = name;
    this.#config = config;
    this.#version = options.version ?? '0';
    this.tools = compileHttpTools(name, config);
    this.#byName = new Map(this.tools.map((tool) => [tool.name, tool]));
    this.redactor = new SecretRedactor(secretsOf(name, config, envReferences));
    this.executor = new HttpToolExecutor({
      tools: this.tools,
      redactor: this.redactor,
      tracer: options.tracer,
      logger: options.logger,
      userAgent: options.userAgent,
      fetch: options.fetch,
    });
  }

  /**
   * Attach a fresh MCP server to `transport` (the gateway's in-process
   * connection): it lists the tools, answers pings, and can run calls itself,
   * though the gateway sends them to `executor` directly.
   */
  async connect(transport: Transport): Promise<void> {
    const server = new Server(
      { name: `toolscope-http-${this.name}`, version: this.#version },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: this.tools.map((tool) => tool.definition) as never,
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const spec = this.#byName.get(request.params.name);
      if (!spec) {
        throw new ToolscopeError(
          'invalid_params',
          JsonRpcCode.InvalidParams,
          `Unknown tool "${request.params.name}"`,
        );
      }
      const { result } = await this.executor.run(
        spec,
        request.params.arguments ?? {},
        extra.signal,
        undefined,
      );
      return result as never;
    });
    await server.connect(transport);
  }

  /** Tool shapes for status pages, with secrets replaced by their reference. */
  status(): HttpToolServiceStatus {
    const headers = new Set(Object.keys(this.#config.headers).map((key) => key.toLowerCase()));
    for (const tool of Object.values(this.#config.tools))
      for (const key of Object.keys(tool.headers)) headers.add(key.toLowerCase());
    return {
      service: this.name,
      tools: this.tools.map((tool) => ({
        name: tool.name,
        method: tool.method,
        url: this.redactor.redact(tool.url.template),
        timeoutMs: tool.timeoutMs,
      })),
      headers: [...headers],
    };
  }
}

/** One service per `toolscope.httpTools` entry. */
export function createHttpToolServices(
  config: HttpToolsConfig,
  envReferences: readonly EnvReference[],
  options: HttpToolServiceOptions = {},
): HttpToolService[] {
  return Object.entries(config).map(
    ([name, service]) => new HttpToolService(name, service, envReferences, options),
  );
}

/**
 * The secrets of a service: every value substituted from the environment
 * anywhere in its config (labelled with its reference, `${env:NAME}`), and every
 * header value (labelled with the same value with its references put back, or
 * `[REDACTED]` when it has none).
 */
export function secretsOf(
  service: string,
  config: HttpToolServiceConfig,
  envReferences: readonly EnvReference[],
): Secret[] {
  const fromEnv = envReferences
    .filter((ref) => ref.path[0] === 'toolscope' && ref.path[1] === 'httpTools' && ref.path[2] === service)
    .map((ref) => ({ value: ref.value, label: `\${env:${ref.name}}` }));
  const byReference = new SecretRedactor(fromEnv);
  const secrets: Secret[] = [...fromEnv];
  const headerValues = [
    ...Object.values(config.headers),
    ...Object.values(config.tools).flatMap((tool) => Object.values(tool.headers)),
  ];
  for (const value of headerValues) {
    const label = byReference.redact(value);
    secrets.push({ value, label: label === value ? REDACTED_LABEL : label });
  }
  return secrets;
}
