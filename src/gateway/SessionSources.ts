import type { Caller } from './Caller.js';
import type { Upstream } from './Upstream.js';

/** How a session gets the upstream connections it talks to (the gateway provides this). */
export interface SourceProvider {
  /** The service's shared connection (also what sessions without an own one use). */
  primary(service: string): Upstream | undefined;
  /** Whether the service gives each client session a connection of its own. */
  isolated(service: string): boolean;
  /** Open a connection of the session's own (may close another session's idle one; throws when none can be had). */
  openLeg(service: string, sources: SessionSources): Upstream;
  /** The session no longer uses this connection of its own: stop it (resolves once it has stopped). */
  releaseLeg(service: string, leg: Upstream): Promise<void>;
}

/**
 * The upstream connections one client session talks to, by service: its own
 * ("legs", opened on first use with the client's own capabilities) for isolated
 * services, the shared one for the others. A leg the gateway takes back to make
 * room for another session is opened again the next time it is needed.
 */
export class SessionSources {
  readonly #provider: SourceProvider;
  readonly #services: readonly string[];
  readonly #legs = new Map<string, Upstream>();
  #closed = false;
  /** The session these are for. */
  readonly owner: Caller;

  constructor(provider: SourceProvider, services: readonly string[], owner: Caller) {
    this.#provider = provider;
    this.#services = services;
    this.owner = owner;
  }

  /** The connection for `service`: the session's own (opened now if need be) or the shared one. */
  get(service: string): Upstream | undefined {
    const leg = this.#legs.get(service);
    if (leg) return leg;
    if (this.#closed || !this.#provider.isolated(service)) return this.#provider.primary(service);
    const opened = this.#provider.openLeg(service, this);
    this.#legs.set(service, opened);
    return opened;
  }

  /** Like `get`, but a service whose own connection cannot be had now is left out, not thrown for. */
  all(): Map<string, Upstream> {
    const sources = new Map<string, Upstream>();
    for (const service of this.#services) {
      try {
        const source = this.get(service);
        if (source) sources.set(service, source);
      } catch {
        // No connection to spare: its items are missing from this session's lists until one frees up.
      }
    }
    return sources;
  }

  /** The connections opened or shared so far, without opening any. */
  current(): Upstream[] {
    const sources: Upstream[] = [];
    for (const service of this.#services) {
      const source = this.#legs.get(service) ?? this.#provider.primary(service);
      if (source) sources.push(source);
    }
    return sources;
  }

  /** Whether `upstream` is one of this session's own connections. */
  owns(upstream: Upstream): boolean {
    return this.#legs.get(upstream.name) === upstream;
  }

  /** The session's own connections. */
  legs(): IterableIterator<Upstream> {
    return this.#legs.values();
  }

  /**
   * Take back the session's own connection to `service` (stopping it). Its catalogs stay as they
   * are: the next call to the service opens a new connection.
   */
  drop(service: string): void {
    const leg = this.#legs.get(service);
    if (!leg) return;
    this.#legs.delete(service);
    void this.#provider.releaseLeg(service, leg);
  }

  /** Stop every connection of the session's own (it has ended). */
  async close(): Promise<void> {
    this.#closed = true;
    const legs = [...this.#legs];
    this.#legs.clear();
    await Promise.all(legs.map(([service, leg]) => this.#provider.releaseLeg(service, leg)));
  }
}
