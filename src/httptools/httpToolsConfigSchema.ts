import { z } from 'zod';
import { UrlTemplate, UrlTemplateError } from './UrlTemplate.js';

/*
 * `toolscope.httpTools`: services whose tools are plain HTTP API calls. Each
 * service is a namespace like an `mcpServers` entry (`weather_forecast`), and each
 * tool says how its arguments become a request and how the answer becomes tool
 * content. Strict: typos are errors.
 */

const NAME = /^[A-Za-z0-9._-]+$/;

/** HTTP methods an API tool may use. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

const objectSchema = z
  .record(z.string(), z.unknown())
  .refine((schema) => schema.type === 'object', 'a tool schema must have "type": "object"');

const headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name'),
  z.string(),
);

/** One tool backed by an HTTP endpoint. */
export const httpToolSchema = z.strictObject({
  title: z.string().optional(),
  /** What the tool does, for the model. @default "<METHOD> <url>" */
  description: z.string().optional(),
  /** JSON Schema of the arguments. @default one required string per URL template variable */
  inputSchema: objectSchema.optional(),
  /** JSON Schema the JSON answer must match; it is then returned as `structuredContent`. */
  outputSchema: objectSchema.optional(),
  /** @default "GET" */
  method: z.enum(HTTP_METHODS).default('GET'),
  /**
   * URL template, absolute or relative to the service's `baseUrl`: `{name}` inserts
   * an argument percent-encoded, `{+name}` keeps `/` and other reserved characters.
   * Arguments may not appear in the scheme, host or port.
   */
  url: z.string().min(1),
  /**
   * Query parameters: name → value, where `"{arg}"` inserts an argument (omitted
   * when the argument is absent; arrays repeat the parameter) and other text is
   * sent as is. @default for GET, HEAD and DELETE: every argument the URL does not use
   */
  query: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /**
   * Body template (any JSON): a string that is exactly `"{arg}"` becomes the
   * argument's value with its type, `{arg}` inside a longer string is inserted as
   * text. @default for POST, PUT and PATCH: the arguments the URL and query do not use
   */
  body: z.unknown().optional(),
  /** How the body is sent. @default "json" */
  bodyEncoding: z.enum(['json', 'form']).default('json'),
  /** Extra request headers (treated as secrets: never logged, traced or shown). @default {} */
  headers: headers.default({}),
  /** Per-attempt timeout of the HTTP request, ms. @default the service's, else execution's `timeoutMs` */
  timeoutMs: z.number().int().positive().optional(),
  /**
   * How the answer becomes content: `auto` (JSON by content type, images as image
   * content, anything else as text), `json`, or `text`. @default "auto"
   */
  response: z.enum(['auto', 'json', 'text']).default('auto'),
  /** Larger answers are cut (text) or refused (JSON), bytes. @default the service's */
  maxResponseBytes: z.number().int().positive().optional(),
  /**
   * MCP tool annotations. @default GET and HEAD: `readOnlyHint` and `idempotentHint`
   * true (so failed attempts are retried); others: both false
   */
  annotations: z.record(z.string(), z.unknown()).optional(),
});

/** A service of HTTP API tools (one namespace, one base URL, shared headers). */
export const httpToolServiceSchema = z
  .strictObject({
    /** Prefix of relative tool URLs, e.g. `https://api.example.com/v1`. */
    baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).optional(),
    /** Headers sent with every request of the service (secrets: use `${env:VAR}`). @default {} */
    headers: headers.default({}),
    /** Default per-request timeout of the service's tools, ms. @default execution's `timeoutMs` */
    timeoutMs: z.number().int().positive().optional(),
    /** Default answer size limit, bytes. @default 1048576 (1 MiB) */
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Tools by name (the name the model sees after the service prefix). */
    tools: z
      .record(z.string().regex(NAME, 'tool names are letters, digits, ".", "_" and "-"'), httpToolSchema)
      .refine((tools) => Object.keys(tools).length > 0, 'a service needs at least one tool'),
  })
  .superRefine((service, ctx) => {
    for (const [name, tool] of Object.entries(service.tools)) {
      if (tool.body !== undefined && (tool.method === 'GET' || tool.method === 'HEAD')) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools', name, 'body'],
          message: `${tool.method} has no body`,
        });
      }
      const path = ['tools', name, 'url'];
      const absolute = /^https?:\/\//i.test(tool.url);
      if (!absolute && service.baseUrl === undefined) {
        ctx.addIssue({ code: 'custom', path, message: 'a relative URL needs the service\'s "baseUrl"' });
        continue;
      }
      let template: UrlTemplate;
      try {
        template = new UrlTemplate(joinUrl(service.baseUrl, tool.url));
      } catch (error) {
        if (!(error instanceof UrlTemplateError)) throw error;
        ctx.addIssue({ code: 'custom', path, message: error.message });
        continue;
      }
      const declared = tool.inputSchema?.properties;
      if (typeof declared !== 'object' || declared === null) continue;
      for (const variable of template.variables) {
        if (!(variable in declared)) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `uses {${variable}}, which the tool's inputSchema does not declare`,
          });
        }
      }
    }
  });

/** `toolscope.httpTools`: services of HTTP API tools by name. @default {} */
export const httpToolsConfigSchema = z
  .record(
    z.string().regex(NAME, 'service names are letters, digits, ".", "_" and "-"'),
    httpToolServiceSchema,
  )
  .default({});

export type HttpToolConfig = z.infer<typeof httpToolSchema>;
export type HttpToolServiceConfig = z.infer<typeof httpToolServiceSchema>;
export type HttpToolsConfig = z.infer<typeof httpToolsConfigSchema>;

/** A tool URL resolved against its service's base URL (`base` + `/` + `url`, one slash between). */
export function joinUrl(base: string | undefined, url: string): string {
  if (/^https?:\/\//i.test(url) || base === undefined) return url;
  return `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}
