export { CallLogObserver } from './CallLogObserver.js';
export { createLogging, type Logging, type LoggingOptions, logLevelFrom } from './createLogging.js';
export { LOG_LEVELS, type LoggingConfig, type LogLevel, loggingConfigSchema } from './loggingConfigSchema.js';
export { OtelLogStream } from './OtelLogStream.js';
export { PinoDiagLogger } from './PinoDiagLogger.js';
export { type TraceFields, traceFields } from './traceFields.js';
