import type { SdkRequestHandler } from './InProcessToolRunner.js';
import { defineHidden } from './reportOnce.js';

const INTERCEPTED = Symbol.for('toolscope.instrument.toolCalls');
const ORIGINAL = Symbol.for('toolscope.instrument.originalHandler');

type Wrappable = SdkRequestHandler & { [ORIGINAL]?: SdkRequestHandler };

/**
 * Route a server's `tools/call` handler through `wrap`, now and whenever it is
 * (re)registered. Both SDK lines keep request handlers in the Map
 * `Protocol._requestHandlers` keyed by method, and dispatch with
 * `_requestHandlers.get(method)` at call time; every registration path
 * (`Server.setRequestHandler`, `McpServer.registerTool`'s lazy setup, 2.x
 * `_wrapHandler`) ends in that Map's `set`. Intercepting `set` on the one Map
 * instance therefore catches handlers registered before and after `connect`
 * without touching any SDK class. Idempotent; a handler is wrapped once.
 *
 * @returns false when the object does not look like an SDK server (nothing changed).
 */
export function interceptToolCalls(
  server: object,
  wrap: (handler: SdkRequestHandler) => SdkRequestHandler,
): boolean {
  const handlers = (server as { _requestHandlers?: unknown })._requestHandlers;
  if (!(handlers instanceof Map)) return false;
  if (Object.hasOwn(handlers, INTERCEPTED)) return true;
  const set = handlers.set;
  const wrapOnce = (handler: Wrappable): SdkRequestHandler => {
    if (handler[ORIGINAL] !== undefined) return handler;
    const wrapped = wrap(handler) as Wrappable;
    defineHidden(wrapped, ORIGINAL, handler);
    return wrapped;
  };
  defineHidden(
    handlers,
    'set',
    function setHandler(this: Map<unknown, unknown>, method: unknown, handler: unknown) {
      return set.call(
        this,
        method,
        method === 'tools/call' && typeof handler === 'function' ? wrapOnce(handler as Wrappable) : handler,
      );
    },
  );
  defineHidden(handlers, INTERCEPTED, true);
  const existing = handlers.get('tools/call');
  if (typeof existing === 'function') set.call(handlers, 'tools/call', wrapOnce(existing as Wrappable));
  return true;
}

/** The SDK's own handler behind a wrapped one (tests and debugging). */
export function originalHandler(handler: unknown): unknown {
  return (handler as Wrappable | undefined)?.[ORIGINAL] ?? handler;
}
