import { z } from 'zod';

/**
 * How the gateway's HTTP clients share one server:
 * - `per-session`: each client session gets its own upstream session (stdio: its own process, bounded by
 *   `toolscope.sessions.maxProcessesPerService`), initialized with that client's own capabilities, so
 *   log level, roots, subscriptions and session resources never cross clients;
 * - `shared`: every client uses one upstream session. toolscope still routes each server request to the
 *   client whose call caused it (refusing it when that cannot be told) and keeps subscriptions and log
 *   levels apart, but what the server keeps per session (resources a tool created, its roots) is shared.
 * The stdio front and the proxy serve one client, which always gets the upstream session to itself.
 */
const isolationSchema = z.enum(['per-session', 'shared']).default('per-session');

/**
 * One entry of `mcpServers`, in the format MCP clients already use (Claude
 * Desktop, Claude Code, Cursor, VS Code, Cline, Windsurf). Unknown keys that
 * those clients define (`autoApprove`, `alwaysAllow`, `timeout`, …) are
 * accepted and ignored, so a file a client accepts loads here as is.
 */
const stdioServerSchema = z.looseObject({
  /** Executable to start. */
  command: z.string().min(1, 'expected a non-empty command'),
  /** Arguments. @default [] */
  args: z.array(z.string()).default([]),
  /** Extra environment for the child (values are treated as secrets). @default {} */
  env: z.record(z.string(), z.string()).default({}),
  /** Working directory of the child. */
  cwd: z.string().optional(),
  type: z.literal('stdio').optional(),
  /** Skip this server. @default false */
  disabled: z.boolean().default(false),
  /** One process per HTTP client session, or one for all. @default "per-session" */
  isolation: isolationSchema,
});

const remoteServerSchema = z.looseObject({
  /** Streamable HTTP, legacy SSE, or WebSocket endpoint. */
  url: z.url({ protocol: /^(https?|wss?)$/, error: 'expected an http(s):// or ws(s):// URL' }),
  /** Request headers (values are treated as secrets). @default {} */
  headers: z.record(z.string(), z.string()).default({}),
  /**
   * Transport: `http` (Streamable HTTP, falling back to SSE when the server
   * refuses it), `sse` (legacy SSE only), `ws` (WebSocket). Inferred from the
   * URL when absent.
   */
  type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse', 'ws', 'websocket']).optional(),
  disabled: z.boolean().default(false),
  /** One upstream session per HTTP client session, or one for all. @default "per-session" */
  isolation: isolationSchema,
});

export type StdioServerConfig = z.infer<typeof stdioServerSchema> & { kind: 'stdio' };
export type RemoteServerConfig = z.infer<typeof remoteServerSchema> & {
  kind: 'remote';
  transport: 'http' | 'sse' | 'ws';
};
export type ServerConfig = StdioServerConfig | RemoteServerConfig;
export type Isolation = z.infer<typeof isolationSchema>;

/** Aliases used by some clients, mapped to the canonical keys before validation. */
function normalizeAliases(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entry = { ...(value as Record<string, unknown>) };
  if (entry.url === undefined && typeof entry.serverUrl === 'string') entry.url = entry.serverUrl; // Windsurf
  if (entry.type === undefined && typeof entry.transportType === 'string') entry.type = entry.transportType; // Cline
  if (entry.type === 'streamable_http') entry.type = 'http';
  return entry;
}

function has(entry: unknown, key: string): boolean {
  return typeof entry === 'object' && entry !== null && key in entry;
}

/**
 * Schema of one `mcpServers` entry; the result carries `kind` (and `transport`
 * for remote servers). The shape is picked by which key is present, so errors
 * name the bad field (`command: expected string`) rather than a vague union failure.
 */
export const serverConfigSchema = z
  .preprocess(normalizeAliases, z.unknown())
  .transform((entry, ctx): ServerConfig => {
    const schema = has(entry, 'command')
      ? stdioServerSchema
      : has(entry, 'url')
        ? remoteServerSchema
        : undefined;
    if (!schema) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected either "command" (stdio server) or "url" (remote server)',
        input: entry,
      });
      return z.NEVER;
    }
    const parsed = schema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, input: undefined } as never);
      return z.NEVER;
    }
    if (schema === stdioServerSchema)
      return { ...(parsed.data as z.infer<typeof stdioServerSchema>), kind: 'stdio' };
    const remote = parsed.data as z.infer<typeof remoteServerSchema>;
    const protocol = new URL(remote.url).protocol;
    const transport =
      remote.type === 'sse'
        ? 'sse'
        : remote.type === 'ws' || remote.type === 'websocket' || protocol === 'ws:' || protocol === 'wss:'
          ? 'ws'
          : 'http';
    return { ...remote, kind: 'remote', transport };
  });
