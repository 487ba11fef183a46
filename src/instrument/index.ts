export {
  type AutoInstrumentOptions,
  type AutoInstrumentReport,
  type EsmHookMode,
  installAutoInstrumentation,
} from './autoInstrument.js';
export { findSdkCopies } from './findSdkCopies.js';
export { type Flushable, flushOnExit } from './flushOnExit.js';
export { InProcessInstrumentation } from './InProcessInstrumentation.js';
export {
  InProcessToolRunner,
  SDK_EXTRA,
  SDK_REQUEST,
  type SdkRequestHandler,
} from './InProcessToolRunner.js';
export { instrumentClient, instrumentServer, mcpInstrumentation } from './instrumentClient.js';
export { interceptToolCalls, originalHandler } from './interceptToolCalls.js';
export {
  type InstrumentationTelemetry,
  type InstrumentOptions,
  isPatchedProtocol,
  McpInstrumentation,
} from './McpInstrumentation.js';
export { networkOf } from './networkOf.js';
export { currentRegistration, type Registration, registerFromEnv } from './registerFromEnv.js';
export {
  PROTOCOL_MODULE_PATTERN,
  protocolOf,
  type ResolvedSdkModule,
  resolveSdkModules,
  SDK_PACKAGES,
  type SdkPackage,
} from './sdkModules.js';
