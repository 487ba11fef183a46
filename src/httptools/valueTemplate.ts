const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const WHOLE = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

/**
 * Render a query or body template against the call's arguments:
 * - a string that is exactly `"{arg}"` becomes the argument's value, type kept
 *   (`undefined` when the argument is absent, so the field is left out);
 * - `{arg}` inside a longer string is inserted as text (objects as JSON); when
 *   any of them is absent the whole string is left out;
 * - objects and arrays are rendered member by member, dropping left-out members;
 * - anything else is a constant.
 */
export function renderTemplate(template: unknown, args: Readonly<Record<string, unknown>>): unknown {
  if (typeof template === 'string') return renderString(template, args);
  if (Array.isArray(template)) {
    const out: unknown[] = [];
    for (const item of template) {
      const value = renderTemplate(item, args);
      if (value !== undefined) out.push(value);
    }
    return out;
  }
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(template)) {
      const value = renderTemplate(item, args);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  return template;
}

function renderString(template: string, args: Readonly<Record<string, unknown>>): unknown {
  const whole = WHOLE.exec(template);
  if (whole) return args[whole[1] as string] ?? undefined;
  let missing = false;
  const text = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = args[name];
    if (value === undefined || value === null) {
      missing = true;
      return '';
    }
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
  return missing ? undefined : text;
}

/** Names of the arguments a template refers to (added to `into`). */
export function templateArguments(template: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof template === 'string') {
    for (const match of template.matchAll(PLACEHOLDER)) into.add(match[1] as string);
  } else if (Array.isArray(template)) {
    for (const item of template) templateArguments(item, into);
  } else if (typeof template === 'object' && template !== null) {
    for (const item of Object.values(template)) templateArguments(item, into);
  }
  return into;
}
