import type { RetrySettings } from './ToolSettings.js';

/**
 * Delay before retry number `retry` (1 for the first retry): exponential,
 * `baseMs · 2^(retry-1)` capped at `maxMs`, with "half" jitter, uniform in
 * [d/2, d). Half rather than full jitter because toolscope is usually the only
 * client of its upstreams: spreading retries matters less than guaranteeing a
 * struggling upstream some breathing room. `random` is injected for simulated time.
 */
export function backoffDelayMs(retry: RetrySettings, attempt: number, random: () => number): number {
  const exponent = Math.min(30, Math.max(0, attempt - 1));
  const ceiling = Math.min(retry.maxMs, retry.baseMs * 2 ** exponent);
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
