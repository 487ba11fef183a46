import type { IncomingRequestContext } from '../jsonrpc/JsonRpcPeer.js';
import type { Caller } from './Caller.js';
import type { Upstream } from './Upstream.js';

/** What every downstream caller (a session, a stateless exchange) needs of the gateway's connections. */
export interface ConnectionHost {
  /** Wait for connections still initializing (smart wait). */
  settle(sources: readonly Upstream[]): Promise<void>;
  /** Subscribe or unsubscribe on a connection several callers share (the upstream is subscribed while any is). */
  sharedSubscription(
    subscriber: Caller,
    upstream: Upstream,
    uri: string,
    subscribe: boolean,
    context: IncomingRequestContext | undefined,
  ): Promise<Record<string, unknown>>;
}
