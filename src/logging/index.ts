export { CallLogObserver } from './CallLogObserver.js';
export {
  createLogging,
  type Logging,
  type LoggingOptions,
  logFormatFrom,
  logLevelFrom,
} from './createLogging.js';
export {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LoggingConfig,
  type LogLevel,
  loggingConfigSchema,
} from './loggingConfigSchema.js';
export { OtelLogStream } from './OtelLogStream.js';
export { PinoDiagLogger } from './PinoDiagLogger.js';
export { formatTextLine, TextLogStream } from './TextLogStream.js';
export { type TraceFields, traceFields } from './traceFields.js';
