import { type HttpToolSpec, QUERY_METHODS } from './HttpToolSpec.js';
import type { HttpMethod } from './httpToolsConfigSchema.js';
import { REDACTED, UrlTemplateError } from './UrlTemplate.js';
import { renderTemplate } from './valueTemplate.js';

/** The request one call makes, before it is sent. */
export interface HttpRequestPlan {
  readonly method: HttpMethod;
  readonly url: string;
  /** `url` with inserted arguments, query values and credentials replaced by `REDACTED` (semconv `url.full`). */
  readonly redactedUrl: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** Arguments that cannot make a request (a URL argument missing, an object where text is needed). */
export class HttpArgumentError extends Error {
  override readonly name = 'HttpArgumentError';
}

const DEFAULT_ACCEPT = 'application/json, text/plain;q=0.9, */*;q=0.8';

/**
 * Map a call's arguments to the request: URL template variables first, then the
 * `query` mapping (or, for GET/HEAD/DELETE without one, every argument the URL did
 * not use), then the `body` template (or, for POST/PUT/PATCH without one, the
 * arguments nothing else used, as a JSON object). Pure: no I/O, no clock.
 */
export function buildHttpRequest(
  spec: HttpToolSpec,
  args: Readonly<Record<string, unknown>>,
  userAgent: string,
): HttpRequestPlan {
  let expanded: { url: string; redacted: string };
  try {
    expanded = spec.url.expand(args);
  } catch (error) {
    if (error instanceof UrlTemplateError) throw new HttpArgumentError(error.message);
    throw error;
  }
  const url = new URL(expanded.url);
  const redacted = new URL(expanded.redacted);
  const params: Array<[string, string]> = [];
  if (spec.query !== undefined) {
    for (const [name, template] of Object.entries(spec.query))
      addParam(params, name, renderTemplate(template, args));
  } else if (QUERY_METHODS.has(spec.method)) {
    for (const [name, value] of Object.entries(args))
      if (!spec.consumed.has(name)) addParam(params, name, value);
  }
  for (const [name, value] of params) url.searchParams.append(name, value);
  // Every query value is redacted, the template's literal ones too (`?key=…` may be a secret).
  const redactedQuery = new URLSearchParams();
  for (const [name] of url.searchParams) redactedQuery.append(name, REDACTED);
  redacted.search = redactedQuery.toString();
  if (redacted.username) redacted.username = REDACTED;
  if (redacted.password) redacted.password = REDACTED;

  const headers: Record<string, string> = {
    accept: DEFAULT_ACCEPT,
    'user-agent': userAgent,
    ...spec.headers,
  };
  let body: string | undefined;
  if (!QUERY_METHODS.has(spec.method) || spec.body !== undefined) {
    const payload = spec.body !== undefined ? renderTemplate(spec.body, args) : rest(spec, args);
    if (payload !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD') {
      if (spec.bodyEncoding === 'form') {
        body = formEncode(payload);
        headers['content-type'] ??= 'application/x-www-form-urlencoded';
      } else {
        body = JSON.stringify(payload);
        headers['content-type'] ??= 'application/json';
      }
    }
  }
  return { method: spec.method, url: url.href, redactedUrl: redacted.href, headers, body };
}

function rest(spec: HttpToolSpec, args: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    if (!spec.consumed.has(name)) out[name] = value;
  }
  return out;
}

function addParam(params: Array<[string, string]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) addParam(params, name, item);
    return;
  }
  params.push([name, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
}

function formEncode(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new HttpArgumentError('a form body must be an object');
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) form.append(name, formValue(item));
    else form.append(name, formValue(value));
  }
  return form.toString();
}

function formValue(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
