import type { ToolResult } from '../pipeline/index.js';

/** An HTTP answer as the executor read it. */
export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  /** `content-type`, lower-cased, parameters kept (`application/json; charset=utf-8`). */
  readonly contentType: string;
  readonly body: Uint8Array;
  /** The body was longer than the limit and was cut at `body.length` bytes. */
  readonly truncated: boolean;
}

/** How an answer becomes content. */
export interface ResponseMapping {
  readonly mode: 'auto' | 'json' | 'text';
  /** Replaces secrets in any text that leaves (the API may echo a key back). */
  readonly redact: (text: string) => string;
  /** Longest body excerpt shown in an error result, characters. @default 300 */
  readonly excerptChars?: number;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** `application/json`, `application/problem+json`, `text/json`, … */
export function isJsonType(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]?.trim() ?? '';
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/**
 * Turn an HTTP answer into an MCP tool result. Non-2xx answers are `isError`
 * results naming the status with a short, whitespace-collapsed body excerpt (so
 * the model can see what went wrong). A 2xx JSON object becomes
 * `structuredContent` plus its text (MCP asks for both); other JSON, text and
 * unknown types become text; images and audio become image/audio content in
 * `auto` mode. Pure: the executor does the I/O.
 */
export function mapHttpResponse(answer: HttpAnswer, mapping: ResponseMapping): ToolResult {
  const statusLine = `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  if (answer.status < 200 || answer.status > 299) {
    const excerpt = excerptOf(mapping.redact(decoder.decode(answer.body)), mapping.excerptChars ?? 300);
    return errorResult(excerpt ? `${statusLine}: ${excerpt}` : statusLine);
  }
  if (answer.body.length === 0) return { content: [{ type: 'text', text: statusLine }] };
  const type = answer.contentType.split(';', 1)[0]?.trim() ?? '';
  if (mapping.mode === 'json' || (mapping.mode === 'auto' && isJsonType(answer.contentType))) {
    if (answer.truncated)
      return errorResult(`${statusLine}: the JSON answer is larger than ${answer.body.length} bytes`);
    const text = mapping.redact(decoder.decode(answer.body));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return errorResult(`${statusLine}: the answer is not valid JSON (${(error as Error).message})`);
    }
    const result: ToolResult = { content: [{ type: 'text', text }] };
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      result.structuredContent = value;
    return result;
  }
  if (mapping.mode === 'auto' && (type.startsWith('image/') || type.startsWith('audio/'))) {
    if (answer.truncated)
      return errorResult(`${statusLine}: the ${type} answer is larger than ${answer.body.length} bytes`);
    const data = Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.length).toString(
      'base64',
    );
    return { content: [{ type: type.startsWith('image/') ? 'image' : 'audio', data, mimeType: type }] };
  }
  let text = mapping.redact(decoder.decode(answer.body));
  if (answer.truncated) text += `\n[answer cut at ${answer.body.length} bytes]`;
  return { content: [{ type: 'text', text }] };
}

function errorResult(text: string): ToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function excerptOf(text: string, max: number): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > max ? `${collapsed.slice(0, max)}…` : collapsed;
}
