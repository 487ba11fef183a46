/** One piece of a parsed URL template: literal text, or an argument to insert. */
export type UrlTemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  /** `{name}`: percent-encoded; `{+name}`: reserved characters (`/`, `?`, …) kept, for paths. */
  | { readonly kind: 'variable'; readonly name: string; readonly reserved: boolean };

/** Why a template or an expansion was refused. */
export class UrlTemplateError extends Error {
  override readonly name = 'UrlTemplateError';
}

/** What `expand` produces. */
export interface ExpandedUrl {
  /** The URL to request. */
  readonly url: string;
  /** The same URL with every inserted argument replaced by `REDACTED` (for spans and logs). */
  readonly redacted: string;
}

/** Marker semconv uses for redacted URL parts. */
export const REDACTED = 'REDACTED';

const VARIABLE = /\{(\+?)([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/**
 * A URL with `{name}` placeholders (the RFC 6570 level-2 subset: simple and
 * reserved expansion). Placeholders may only appear after the origin, so an
 * argument can never choose the host a request goes to (no SSRF through
 * arguments); a simple `{name}` is percent-encoded and may not be `.` or `..`,
 * so it cannot climb the path either.
 */
export class UrlTemplate {
  readonly template: string;
  readonly parts: readonly UrlTemplatePart[];
  /** Names of the arguments the template uses, in order of first use. */
  readonly variables: readonly string[];
  /** The template with its origin removed (`/forecast/{city}`): semconv's `url.template`. */
  readonly pathTemplate: string;

  constructor(template: string) {
    this.template = template;
    const origin = originEnd(template);
    const parts: UrlTemplatePart[] = [];
    const variables: string[] = [];
    let last = 0;
    for (const match of template.matchAll(VARIABLE)) {
      const index = match.index ?? 0;
      if (index < origin)
        throw new UrlTemplateError(`"${template}": arguments may not choose the scheme, host or port`);
      if (index > last) parts.push({ kind: 'literal', text: template.slice(last, index) });
      const name = match[2] as string;
      parts.push({ kind: 'variable', name, reserved: match[1] === '+' });
      if (!variables.includes(name)) variables.push(name);
      last = index + match[0].length;
    }
    if (last < template.length) parts.push({ kind: 'literal', text: template.slice(last) });
    for (const part of parts) {
      if (part.kind === 'literal' && /[{}]/.test(part.text))
        throw new UrlTemplateError(`"${template}": unbalanced or invalid "{…}" placeholder`);
    }
    try {
      new URL(template.replace(VARIABLE, 'x'));
    } catch {
      throw new UrlTemplateError(`"${template}" is not an absolute http(s) URL`);
    }
    if (!/^https?:\/\//i.test(template))
      throw new UrlTemplateError(`"${template}" is not an absolute http(s) URL`);
    this.parts = parts;
    this.variables = variables;
    this.pathTemplate = template.slice(origin) || '/';
  }

  /**
   * Insert `args`. Every variable must have a value (string, number or boolean;
   * arrays are joined with commas). Throws `UrlTemplateError` naming the argument
   * otherwise.
   */
  expand(args: Readonly<Record<string, unknown>>): ExpandedUrl {
    let url = '';
    let redacted = '';
    for (const part of this.parts) {
      if (part.kind === 'literal') {
        url += part.text;
        redacted += part.text;
        continue;
      }
      const text = scalarText(args[part.name], part.name);
      if (!part.reserved && (text === '.' || text === '..'))
        throw new UrlTemplateError(`argument "${part.name}" may not be "${text}"`);
      url += part.reserved ? encodeReserved(text) : encodeURIComponent(text);
      redacted += REDACTED;
    }
    return { url, redacted };
  }
}

/** Index where the path starts (after `scheme://host:port`), or the length when there is no path. */
function originEnd(template: string): number {
  const scheme = template.indexOf('://');
  if (scheme < 0) return 0;
  const rest = template.slice(scheme + 3);
  const end = rest.search(/[/?#]/);
  return end < 0 ? template.length : scheme + 3 + end;
}

function scalarText(value: unknown, name: string): string {
  if (value === undefined || value === null)
    throw new UrlTemplateError(`argument "${name}" is needed to build the URL`);
  if (Array.isArray(value)) return value.map((item) => scalarText(item, name)).join(',');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new UrlTemplateError(`argument "${name}" must be a string, number or boolean to go into the URL`);
}

/** RFC 6570 reserved expansion: keep reserved and unreserved characters, encode the rest. */
function encodeReserved(text: string): string {
  return encodeURI(text).replace(/%25([0-9A-Fa-f]{2})/g, '%$1');
}
