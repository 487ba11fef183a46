import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { TracingTransport, type TracingTransportOptions } from '../telemetry/index.js';
import { defineHidden } from './reportOnce.js';

/** Per-transport patch state, shared by every toolscope copy in the process. */
const STATE = Symbol.for('toolscope.instrument.transport');

type Send = (message: JSONRPCMessage, options?: TransportSendOptions) => Promise<void>;
type Receive = Transport['onmessage'];

interface TransportState {
  /** The transport's own methods, captured before patching. */
  readonly send: Send;
  readonly start: () => Promise<void>;
  readonly setProtocolVersion: ((version: string) => void) | undefined;
  /** Telemetry of the current connection (a fresh one per `connect`); undefined once it closed. */
  tracing: TracingTransport | undefined;
  /** The tracing's inbound hooks, installed as the transport's `onmessage`/`onclose` at `start()`. */
  receive: Receive;
  close: (() => void) | undefined;
}

type Patched = Transport & { [STATE]?: TransportState };

/**
 * Is `transport` already traced: a `TracingTransport` (the gateway and proxy wrap
 * their own legs) or one toolscope attached to in place?
 */
export function isTraced(transport: object): boolean {
  if (transport instanceof TracingTransport) return true;
  if ((transport as { constructor?: { name?: unknown } }).constructor?.name === 'TracingTransport')
    return true;
  return (transport as Patched)[STATE]?.tracing !== undefined;
}

/**
 * Trace one connection of an SDK transport **in place**: a `TracingTransport`
 * does the telemetry, but the app's transport object stays the one the SDK and
 * the app hold (`client.transport === transport`, `instanceof`, 2.x-only members
 * such as `setSupportedProtocolVersions` and `hasPerRequestStream` all keep
 * working, which a wrapper object would break).
 *
 * `send` (and `setProtocolVersion` when the transport has it) become own
 * properties that route through the tracing. Inbound, the SDK's `onmessage` and
 * `onclose` are moved behind the tracing in `start()`: `Protocol.connect`
 * assigns them synchronously and then calls `start()`, so even messages a
 * transport delivers during `start()` (queued before `connect()` resolved,
 * sentry-javascript #23977) are traced. Pass `started` for a transport that is
 * already running (instrumenting a live connection): the hand-over happens now.
 */
export function attachTracing(
  transport: Transport,
  options: TracingTransportOptions,
  started: boolean,
): void {
  const target = transport as Patched;
  const state = target[STATE] ?? patch(target);
  const facade: Transport = {
    start: () => state.start.call(target),
    send: (message, sendOptions) => state.send.call(target, message, sendOptions),
    close: () => target.close(),
    get sessionId() {
      return target.sessionId;
    },
    ...(state.setProtocolVersion && {
      setProtocolVersion: (version: string) => state.setProtocolVersion?.call(target, version),
    }),
  };
  const tracing = new TracingTransport(facade, options);
  const receive = facade.onmessage;
  const closeTracing = facade.onclose;
  const close = () => {
    // A closed connection leaves the transport as the SDK left it (its own handlers, no tracing),
    // so a later `connect` of the same transport, instrumented or not, starts clean.
    if (state.tracing === tracing) state.tracing = undefined;
    if (target.onmessage === receive) target.onmessage = tracing.onmessage;
    if (target.onclose === close) target.onclose = tracing.onclose;
    closeTracing?.();
  };
  state.tracing = tracing;
  state.receive = receive;
  state.close = close;
  if (started) handOver(target, state, tracing);
}

function patch(target: Patched): TransportState {
  const state: TransportState = {
    send: target.send,
    start: target.start,
    setProtocolVersion:
      typeof target.setProtocolVersion === 'function' ? target.setProtocolVersion : undefined,
    tracing: undefined,
    receive: undefined,
    close: undefined,
  };
  defineHidden(target, STATE, state);
  defineHidden(
    target,
    'send',
    function send(this: Transport, message: JSONRPCMessage, options?: TransportSendOptions) {
      const tracing = state.tracing;
      return tracing ? tracing.send(message, options) : state.send.call(this, message, options);
    },
  );
  defineHidden(target, 'start', function start(this: Transport) {
    const tracing = state.tracing;
    if (!tracing) return state.start.call(this);
    handOver(target, state, tracing);
    return tracing.start();
  });
  // Only where the transport has one: the SDK checks `transport.setProtocolVersion` before calling it.
  if (state.setProtocolVersion) {
    const own = state.setProtocolVersion;
    defineHidden(target, 'setProtocolVersion', function setProtocolVersion(this: Transport, version: string) {
      const tracing = state.tracing;
      if (tracing) tracing.setProtocolVersion(version);
      else own.call(this, version);
    });
  }
  return state;
}

/** Put the tracing between the transport and the handlers the SDK installed on it. */
function handOver(target: Patched, state: TransportState, tracing: TracingTransport): void {
  if (target.onmessage !== state.receive) {
    tracing.onmessage = target.onmessage;
    target.onmessage = state.receive;
  }
  if (target.onclose !== state.close) {
    tracing.onclose = target.onclose;
    target.onclose = state.close;
  }
}
