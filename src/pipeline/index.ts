export type {
  CallObservation,
  CallObserver,
  CallOutcome,
  CpuAttribution,
  ErrorType,
  ToolRef,
} from './CallObservation.js';
export { callCpuMicros } from './CallObservation.js';
export { ExecuteStage } from './ExecuteStage.js';
export {
  type BeforeAnswer,
  type ObserveClock,
  ObserveStage,
  type ObserveStageOptions,
} from './ObserveStage.js';
export { Pipeline, type ToolCallRequest, type ToolResolver } from './Pipeline.js';
export { type ArgumentProblem, SchemaValidator } from './SchemaValidator.js';
export type {
  CallProfile,
  CallStage,
  NextStage,
  ResolvedTool,
  ToolCall,
  ToolExecutor,
  ToolResult,
} from './ToolCall.js';
export {
  classifyError,
  type FailureSeverity,
  JsonRpcCode,
  severityOf,
  ToolscopeError,
  UpstreamRpcError,
} from './ToolscopeError.js';
export { ValidateStage } from './ValidateStage.js';
