export { configFileSchema, type ToolscopeConfig, type ToolscopeSection } from './configSchema.js';
export { dataDirectory, type StateOwner, stateDirectoryFor } from './dataDirectory.js';
export { stripJsonComments } from './jsonc.js';
export { ConfigError, type EnvReference, loadConfig, parseConfig, substituteEnv } from './loadConfig.js';
export type { Isolation, RemoteServerConfig, ServerConfig, StdioServerConfig } from './serverSchema.js';
export type {
  AgentConfig,
  DiscoveryConfig,
  HealthConfig,
  ListenConfig,
  SamplingConfig,
  SessionsConfig,
  TelemetryConfig,
} from './toolscopeSchema.js';
