import { type InstrumentOptions, McpInstrumentation } from './McpInstrumentation.js';

let instance: McpInstrumentation | undefined;

/**
 * The process-wide instrumentation that `instrumentClient`, `instrumentServer`
 * and the register hook share. Use its `inProcess` to add stages and observers
 * to in-process tool calls, and `configure` to choose providers.
 */
export function mcpInstrumentation(): McpInstrumentation {
  instance ??= new McpInstrumentation();
  return instance;
}

/**
 * Instrument one MCP SDK `Client` (1.x `@modelcontextprotocol/sdk` or 2.x
 * `@modelcontextprotocol/client`): every request and notification it sends or
 * receives becomes a span following the OpenTelemetry MCP semantic conventions,
 * with trace context injected into `params._meta`, and
 * `mcp.client.operation.duration` is recorded. Works before or after
 * `connect()` (a connection instrumented while open lacks `mcp.protocol.version`
 * until its next `initialize`); idempotent; never throws and never changes what
 * the client returns or throws.
 *
 * Providers are the global OpenTelemetry ones unless `mcpInstrumentation().configure()` says otherwise.
 * @returns `client`, for chaining.
 */
export function instrumentClient<T extends object>(client: T, options?: InstrumentOptions): T {
  mcpInstrumentation().instrument(client, 'client', options);
  return client;
}

/**
 * Instrument one MCP SDK server: a 1.x `Server` or `McpServer`, or a 2.x
 * `@modelcontextprotocol/server` `Server`/`McpServer`. Incoming requests become
 * SERVER spans continuing the caller's trace (from `params._meta`, else HTTP
 * headers), `mcp.server.operation.duration` is recorded, and `tools/call`
 * handlers run inside toolscope's in-process pipeline (observe stage:
 * `toolscope.call.duration` per tool, plus whatever stages and observers other
 * capabilities added). Same guarantees as `instrumentClient`.
 * @returns `server`, for chaining.
 */
export function instrumentServer<T extends object>(server: T, options?: InstrumentOptions): T {
  mcpInstrumentation().instrument(server, 'server', options);
  return server;
}
