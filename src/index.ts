/**
 * toolscope's public API. Everything the CLI does is reachable from here.
 */
export type { ToolscopeConfig } from './config/index.js';
export { ConfigError, loadConfig, parseConfig } from './config/index.js';
export { type DemoOptions, type DemoReport, runDemo } from './demo/index.js';
export {
  Gateway,
  type GatewayListener,
  type GatewayOptions,
  HttpFront,
  type HttpFrontOptions,
  type InProcessService,
} from './gateway/index.js';
export { instrumentClient, instrumentServer, mcpInstrumentation } from './instrument/index.js';
export type {
  CallObservation,
  CallObserver,
  CallStage,
  ErrorType,
  ToolCall,
  ToolRef,
  ToolResult,
} from './pipeline/index.js';
export { type RuntimeOptions, ToolscopeRuntime } from './runtime/index.js';
export { ChildProcessTransport, StdioServerTransport } from './transport/index.js';
export { VERSION } from './version.js';
