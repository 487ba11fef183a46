import type { HttpMethod, HttpToolServiceConfig } from './httpToolsConfigSchema.js';
import { joinUrl } from './httpToolsConfigSchema.js';
import { UrlTemplate } from './UrlTemplate.js';
import { templateArguments } from './valueTemplate.js';

/** The MCP tool definition an HTTP API tool is listed with. */
export interface HttpToolDefinition {
  name: string;
  title?: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations: Record<string, unknown>;
}

/** One HTTP API tool, compiled from config once: everything a call needs, nothing per call. */
export interface HttpToolSpec {
  readonly service: string;
  readonly name: string;
  readonly method: HttpMethod;
  readonly url: UrlTemplate;
  readonly query: Readonly<Record<string, string | number | boolean>> | undefined;
  readonly body: unknown;
  readonly bodyEncoding: 'json' | 'form';
  /** Service headers, then the tool's (case-insensitive names, lower-cased). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number | undefined;
  readonly response: 'auto' | 'json' | 'text';
  readonly maxResponseBytes: number;
  /** Arguments the URL, query and body templates consume (the rest fill the default query or body). */
  readonly consumed: ReadonlySet<string>;
  readonly definition: HttpToolDefinition;
}

/** Methods whose arguments go into the query string by default (no body). */
export const QUERY_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'DELETE']);
const SAFE_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD']);

/** Compile a service's tools (config already validated). */
export function compileHttpTools(service: string, config: HttpToolServiceConfig): HttpToolSpec[] {
  return Object.entries(config.tools).map(([name, tool]) => {
    const url = new UrlTemplate(joinUrl(config.baseUrl, tool.url));
    const consumed = new Set(url.variables);
    if (tool.query) templateArguments(tool.query, consumed);
    if (tool.body !== undefined) templateArguments(tool.body, consumed);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(config.headers)) headers[key.toLowerCase()] = value;
    for (const [key, value] of Object.entries(tool.headers)) headers[key.toLowerCase()] = value;
    const safe = SAFE_METHODS.has(tool.method);
    const definition: HttpToolDefinition = {
      name,
      description: tool.description ?? `${tool.method} ${url.template}`,
      inputSchema: tool.inputSchema ?? defaultInputSchema(url.variables),
      annotations: {
        readOnlyHint: safe,
        idempotentHint: safe,
        openWorldHint: true,
        ...tool.annotations,
      },
    };
    if (tool.title !== undefined) definition.title = tool.title;
    if (tool.outputSchema !== undefined) definition.outputSchema = tool.outputSchema;
    return {
      service,
      name,
      method: tool.method,
      url,
      query: tool.query,
      body: tool.body,
      bodyEncoding: tool.bodyEncoding,
      headers,
      timeoutMs: tool.timeoutMs ?? config.timeoutMs,
      response: tool.response,
      maxResponseBytes: tool.maxResponseBytes ?? config.maxResponseBytes,
      consumed,
      definition,
    };
  });
}

/** Without an inputSchema: each URL variable is a required string. */
function defaultInputSchema(variables: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(variables.map((name) => [name, { type: 'string' }])),
    required: [...variables],
  };
}
