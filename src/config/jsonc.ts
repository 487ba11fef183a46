/**
 * Remove `//` and `/* *\/` comments and trailing commas from JSON text, leaving
 * strings alone, so JSONC files (VS Code's `mcp.json`) parse with `JSON.parse`.
 * Removed characters become spaces, so JSON error positions stay right.
 */
export function stripJsonComments(text: string): string {
  const out = text.split('');
  // Pass 1: comments. Pass 2: trailing commas (a comment may sit between a comma and `}`).
  scan(out, (i) => {
    if (out[i] === '/' && out[i + 1] === '/') {
      while (i < out.length && out[i] !== '\n') out[i++] = ' ';
      return i;
    }
    if (out[i] === '/' && out[i + 1] === '*') {
      while (i < out.length && !(out[i] === '*' && out[i + 1] === '/')) {
        if (out[i] !== '\n') out[i] = ' ';
        i++;
      }
      if (i < out.length) out[i++] = ' ';
      if (i < out.length) out[i] = ' ';
      return i;
    }
    return i;
  });
  scan(out, (i) => {
    if (out[i] !== ',') return i;
    let j = i + 1;
    while (j < out.length && /\s/.test(out[j] as string)) j++;
    if (out[j] === '}' || out[j] === ']') out[i] = ' ';
    return i;
  });
  return out.join('');
}

/** Visit every character outside string literals; `visit` returns the index it consumed up to. */
function scan(chars: string[], visit: (index: number) => number): void {
  let inString = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else {
      i = visit(i);
    }
  }
}
