export { type RuntimeOptions, ToolscopeRuntime } from './ToolscopeRuntime.js';
