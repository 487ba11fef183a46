import type { HttpRequestPlan } from './buildHttpRequest.js';
import type { HttpAnswer } from './mapHttpResponse.js';

/** How one request is sent. */
export interface SendOptions {
  readonly fetch: typeof fetch;
  /** The attempt's signal (the guard's: aborted on its timeout or the caller's cancel). */
  readonly signal: AbortSignal;
  /** The tool's own request timeout, ms (none: the guard's attempt timeout applies). */
  readonly timeoutMs: number | undefined;
  /** Bytes of body read at most; the rest is not downloaded. */
  readonly maxResponseBytes: number;
}

/** Same-origin redirects followed at most (a redirect elsewhere is answered as is: secrets stay home). */
const MAX_REDIRECTS = 5;

/** The abort reason of a request that ran out of time. */
const TIMED_OUT = Symbol('timed out');

/**
 * Send `plan` and read its answer: follows up to five same-origin redirects
 * (a 303, or a 301/302 after a POST, becomes a GET without body, as browsers
 * do), never one to another origin (the configured headers would go with it),
 * and reads at most `maxResponseBytes` of the body. Rejects when the attempt's
 * signal aborts (with its reason), on the tool's timeout ({@link isTimeout}), or
 * on a network failure.
 */
export async function sendHttpRequest(plan: HttpRequestPlan, options: SendOptions): Promise<HttpAnswer> {
  const { signal } = options;
  // The attempt's signal may be toolscope's light Cancellation, not an EventTarget fetch accepts.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort);
  if (signal.aborted) onAbort();
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(TIMED_OUT), options.timeoutMs);
  timer?.unref();
  try {
    let url = plan.url;
    let method: string = plan.method;
    let body = plan.body;
    for (let hop = 0; ; hop++) {
      const response = await options.fetch(url, {
        method,
        headers: plan.headers,
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      const location = response.headers.get('location');
      const next =
        location && response.status >= 300 && response.status < 400 ? resolve(location, url) : null;
      if (next && hop < MAX_REDIRECTS && next.origin === new URL(url).origin) {
        await response.body?.cancel().catch(() => {});
        if (
          response.status === 303 ||
          ((response.status === 301 || response.status === 302) && method === 'POST')
        ) {
          method = 'GET';
          body = undefined;
        }
        url = next.href;
        continue;
      }
      const read = await readCapped(response, options.maxResponseBytes);
      return {
        status: response.status,
        statusText: response.statusText,
        contentType: (response.headers.get('content-type') ?? '').toLowerCase(),
        body: read.body,
        truncated: read.truncated,
      };
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/** The request failed because the tool's own timeout fired. */
export function isTimeout(error: unknown): boolean {
  // fetch rejects with the abort reason itself, or an error carrying it as `cause`.
  return (
    error === TIMED_OUT ||
    (typeof error === 'object' && error !== null && (error as { cause?: unknown }).cause === TIMED_OUT)
  );
}

/** The low-level network code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) of a fetch failure. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failure's message with its causes (`fetch failed: connect ECONNREFUSED 127.0.0.1:9`). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

/** `location` resolved against the request URL, or null when it is not a URL. */
function resolve(location: string, base: string): URL | null {
  try {
    return new URL(location, base);
  } catch {
    return null;
  }
}

async function readCapped(
  response: Response,
  max: number,
): Promise<{ body: Uint8Array; truncated: boolean }> {
  if (!response.body) return { body: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { body: chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size), truncated };
}
