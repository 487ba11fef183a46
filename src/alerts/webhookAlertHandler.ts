import type { AlertEvent } from './AlertEvent.js';
import type { AlertHandler } from './AlertHandler.js';

/** Options of the webhook handler. */
export interface WebhookAlertOptions {
  readonly url: string;
  /** Handler name rules refer to. @default 'webhook' */
  readonly name?: string;
  /** Extra request headers (e.g. an authorization token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Attempts in all, first included. @default 4 */
  readonly maxAttempts?: number;
  /** Delay before the first retry, ms; doubles per retry with ±20 % jitter. @default 500 */
  readonly backoffMs?: number;
  /** Longest delay between attempts, ms (also caps `Retry-After`). @default 10000 */
  readonly maxBackoffMs?: number;
  /** Per-attempt timeout, ms. @default 5000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Waits between attempts; tests may shorten it. @default an unref()ed setTimeout */
  readonly delay?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Thrown when every attempt failed. */
export class WebhookDeliveryError extends Error {
  constructor(
    readonly url: string,
    readonly attempts: number,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `webhook ${url} failed after ${attempts} attempt(s)${status === undefined ? '' : ` (HTTP ${status})`}`,
      options,
    );
    this.name = 'WebhookDeliveryError';
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Retry on network failures, timeouts, 408, 429 and 5xx; other statuses are final. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * POSTs each alert event as JSON (`{ source: "toolscope", ...event }`) to a URL,
 * retrying with exponential backoff and jitter, honouring `Retry-After`.
 * Resolves once delivered; rejects with `WebhookDeliveryError` when it gives up.
 */
export function createWebhookAlertHandler(options: WebhookAlertOptions): AlertHandler {
  const doFetch = options.fetch ?? globalThis.fetch;
  const delay = options.delay ?? sleep;
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const backoff = Math.max(0, options.backoffMs ?? 500);
  const maxBackoff = Math.max(backoff, options.maxBackoffMs ?? 10_000);
  const timeoutMs = Math.max(1, options.timeoutMs ?? 5000);
  return {
    name: options.name ?? 'webhook',
    async handle(event: AlertEvent) {
      const body = JSON.stringify({ source: 'toolscope', ...event });
      let status: number | undefined;
      let cause: unknown;
      let attempt = 1;
      for (; attempt <= maxAttempts; attempt++) {
        let wait = Math.min(maxBackoff, backoff * 2 ** (attempt - 1)) * (0.8 + 0.4 * random());
        try {
          const res = await doFetch(options.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...options.headers },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          status = res.status;
          // Drain the body so the connection can be reused.
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return;
          if (!retryable(res.status)) break;
          const after = Number(res.headers.get('retry-after'));
          if (Number.isFinite(after) && after > 0) wait = Math.min(maxBackoff, after * 1000);
        } catch (err) {
          cause = err;
          status = undefined;
        }
        if (attempt < maxAttempts) await delay(wait);
      }
      throw new WebhookDeliveryError(options.url, Math.min(attempt, maxAttempts), status, { cause });
    },
  };
}
