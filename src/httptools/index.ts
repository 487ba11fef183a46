export { buildHttpRequest, HttpArgumentError, type HttpRequestPlan } from './buildHttpRequest.js';
export { HttpToolExecutor, type HttpToolExecutorOptions } from './HttpToolExecutor.js';
export {
  createHttpToolServices,
  HttpToolService,
  type HttpToolServiceOptions,
  type HttpToolServiceStatus,
  secretsOf,
} from './HttpToolService.js';
export {
  compileHttpTools,
  type HttpToolDefinition,
  type HttpToolSpec,
  QUERY_METHODS,
} from './HttpToolSpec.js';
export {
  HTTP_METHODS,
  type HttpMethod,
  type HttpToolConfig,
  type HttpToolServiceConfig,
  type HttpToolsConfig,
  httpToolSchema,
  httpToolServiceSchema,
  httpToolsConfigSchema,
  joinUrl,
} from './httpToolsConfigSchema.js';
export { type HttpAnswer, isJsonType, mapHttpResponse, type ResponseMapping } from './mapHttpResponse.js';
export { REDACTED_LABEL, type Secret, SecretRedactor } from './SecretRedactor.js';
export {
  describeError,
  isTimeout,
  networkCode,
  type SendOptions,
  sendHttpRequest,
} from './sendHttpRequest.js';
export {
  type ExpandedUrl,
  REDACTED,
  UrlTemplate,
  UrlTemplateError,
  type UrlTemplatePart,
} from './UrlTemplate.js';
export { renderTemplate, templateArguments } from './valueTemplate.js';
