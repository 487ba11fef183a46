import { setMaxListeners } from 'node:events';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

const raised = new WeakSet<AbortSignal>();

/**
 * `fetch` for the SDK's HTTP client transports. They hand one long-lived
 * AbortSignal to every request, and undici detaches its abort listener only
 * when the request is garbage-collected: thousands pile up between collections
 * (released then, measured: ~300 left after 2,000 calls, 1 after a GC) and Node
 * printed a MaxListenersExceededWarning for every request past 1,500. The
 * listeners are bounded by the GC, so the warning is lifted on those signals.
 */
export const quietSignalFetch: FetchLike = (url, init) => {
  const signal = init?.signal;
  if (signal && !raised.has(signal)) {
    setMaxListeners(0, signal);
    raised.add(signal);
  }
  return fetch(url, init);
};
