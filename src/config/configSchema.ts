import { z } from 'zod';
import { alertsConfigSchema } from '../alerts/index.js';
import { analysisConfigSchema } from '../analysis/index.js';
// The schema's own module, not the capability's face (which holds the MCP SDK's Server): the register
// hook parses a config before the app loads the SDK, and must not load it first.
import { httpToolsConfigSchema } from '../httptools/httpToolsConfigSchema.js';
import { loggingConfigSchema } from '../logging/index.js';
import { profilingConfigSchema } from '../profiling/index.js';
import { resilienceConfigSchema } from '../resilience/index.js';
import { tuningConfigSchema } from '../tuning/index.js';
import type { EnvReference } from './loadConfig.js';
import { type ServerConfig, serverConfigSchema } from './serverSchema.js';
import {
  agentSchema,
  discoverySchema,
  healthSchema,
  listenSchema,
  namingSchema,
  sessionsSchema,
  telemetrySchema,
} from './toolscopeSchema.js';

/** The `toolscope` section: everything that is not the MCP client format. Strict: typos are errors. */
export const toolscopeSectionSchema = z.strictObject({
  /** HTTP listener (Streamable HTTP, status, dashboard). */
  listen: listenSchema.prefault({}),
  naming: namingSchema.prefault({}),
  /** Agent scopes by id, served at `/agents/{id}/mcp`. @default {} */
  agents: z
    .record(
      z.string().regex(/^[A-Za-z0-9._-]+$/, 'agent ids are letters, digits, ".", "_" and "-"'),
      agentSchema,
    )
    .default({}),
  discovery: discoverySchema.prefault({}),
  /** HTTP client sessions: limits, idle expiry, processes per service. */
  sessions: sessionsSchema.prefault({}),
  health: healthSchema.prefault({}),
  telemetry: telemetrySchema.prefault({}),
  /** Pools, queues, timeouts, retries, breakers and fallbacks: defaults, per service, per tool ("service/tool"). */
  execution: resilienceConfigSchema.prefault({}),
  /** Per-call CPU/heap attribution and profile capture. */
  profiling: profilingConfigSchema.prefault({}),
  /** Baselines, isolation forest and verdicts per tool. */
  analysis: analysisConfigSchema.prefault({}),
  /** The adaptive resource manager: per-pool enabled/min/max/initial, dry-run. */
  tuning: tuningConfigSchema.prefault({}),
  /** Alert rules (built-ins + yours), cooldowns and handlers. */
  alerts: alertsConfigSchema.prefault({}),
  /**
   * Where learned state (baselines, forests) is kept across restarts.
   * @default a folder of this config's own in the user's data directory (`<data>/state/<name>-<hash>`)
   */
  stateDir: z.string().optional(),
  /** Services of tools backed by plain HTTP APIs, served like MCP services (gateway mode). @default {} */
  httpTools: httpToolsConfigSchema,
  /** toolscope's own structured logs. */
  logging: loggingConfigSchema.prefault({}),
});

/** A whole toolscope config file. */
export const configFileSchema = z
  .looseObject({
    mcpServers: z
      .record(
        z.string().regex(/^[A-Za-z0-9._-]+$/, 'server names are letters, digits, ".", "_" and "-"'),
        serverConfigSchema,
      )
      .optional(),
    /** VS Code's key for the same map. */
    servers: z.record(z.string(), serverConfigSchema).optional(),
    toolscope: toolscopeSectionSchema.prefault({}),
  })
  .superRefine((file, ctx) => {
    const servers = file.mcpServers ?? file.servers ?? {};
    const known = [...Object.keys(servers), ...Object.keys(file.toolscope.httpTools)];
    for (const name of Object.keys(file.toolscope.httpTools)) {
      if (name in servers) {
        ctx.addIssue({
          code: 'custom',
          path: ['toolscope', 'httpTools', name],
          message: `"${name}" is already a server in mcpServers; service names must be unique`,
        });
      }
    }
    for (const [agentId, agent] of Object.entries(file.toolscope.agents)) {
      agent.services.forEach((service, index) => {
        if (!known.includes(service)) {
          ctx.addIssue({
            code: 'custom',
            path: ['toolscope', 'agents', agentId, 'services', index],
            message: `unknown service "${service}" (known: ${known.join(', ') || 'none'})`,
          });
        }
      });
    }
  });

export type ToolscopeSection = z.infer<typeof toolscopeSectionSchema>;

/** A loaded, validated config with defaults applied. */
export interface ToolscopeConfig {
  /** Enabled servers by name. */
  servers: Record<string, ServerConfig>;
  toolscope: ToolscopeSection;
  /** Directory of the config file (relative paths resolve against it). */
  baseDir: string;
  /** Values substituted from the environment, by where they went (secrets are redacted by these). @default [] */
  envReferences?: readonly EnvReference[];
}
