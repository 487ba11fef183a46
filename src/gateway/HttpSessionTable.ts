import type { JsonRpcId } from '../jsonrpc/messages.js';

/** One client session of the HTTP front, as the table tracks it. */
export interface HttpSessionEntry<T> {
  readonly value: T;
  readonly scopeId: string;
  /** Epoch ms of the last HTTP request. */
  lastSeen: number;
  /** Event streams (GET) open now. */
  streams: number;
  /** Request ids whose POST is still being answered (an id in use cannot be reused). */
  readonly requests: Set<JsonRpcId>;
  /** Epoch ms at which a session whose client has gone away is closed (0: not going away). */
  leavingAt: number;
}

/** Limits of the table. */
export interface HttpSessionLimits {
  /** Sessions at most. */
  max: number;
  /** A session with nothing open and no request for this long is closed, ms. */
  idleTimeoutMs: number;
  /** After its last event stream closed, a session that sends nothing more is closed after this, ms. */
  disconnectGraceMs: number;
}

/**
 * The HTTP front's sessions and their lifetimes, without I/O: what is open,
 * what may be reused, and which sessions are due to close. A session is
 * "connected" while it has an event stream or a request open; one that is not
 * can be closed to make room (least recently used first), and is closed when
 * idle too long, or shortly after its client went away (its last event stream
 * closed and nothing followed — how the SDK's `close()` looks from here).
 */
export class HttpSessionTable<T> {
  readonly #limits: HttpSessionLimits;
  readonly #now: () => number;
  readonly #entries = new Map<string, HttpSessionEntry<T>>();

  constructor(limits: HttpSessionLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): HttpSessionEntry<T> | undefined {
    return this.#entries.get(id);
  }

  values(): IterableIterator<HttpSessionEntry<T>> {
    return this.#entries.values();
  }

  /**
   * Room for one more session: `undefined` when there is room, the id of a session
   * to close first, or `'full'` when every session is connected.
   */
  makeRoom(): string | 'full' | undefined {
    if (this.#entries.size < this.#limits.max) return undefined;
    let victim: [string, HttpSessionEntry<T>] | undefined;
    for (const entry of this.#entries) {
      const session = entry[1];
      if (session.streams > 0 || session.requests.size > 0) continue;
      if (!victim || session.lastSeen < victim[1].lastSeen) victim = entry;
    }
    return victim ? victim[0] : 'full';
  }

  add(id: string, value: T, scopeId: string): HttpSessionEntry<T> {
    const entry: HttpSessionEntry<T> = {
      value,
      scopeId,
      lastSeen: this.#now(),
      streams: 0,
      requests: new Set(),
      leavingAt: 0,
    };
    this.#entries.set(id, entry);
    return entry;
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  /** The client was heard from: it has not gone away. */
  touch(entry: HttpSessionEntry<T>): void {
    entry.lastSeen = this.#now();
    entry.leavingAt = 0;
  }

  /** A POST with request `id` began; false when that id is already being answered. */
  beginRequest(entry: HttpSessionEntry<T>, id: JsonRpcId): boolean {
    if (entry.requests.has(id)) return false;
    entry.requests.add(id);
    return true;
  }

  endRequest(entry: HttpSessionEntry<T>, id: JsonRpcId): void {
    entry.requests.delete(id);
    entry.lastSeen = this.#now();
  }

  streamOpened(entry: HttpSessionEntry<T>): void {
    entry.streams++;
    this.touch(entry);
  }

  streamClosed(entry: HttpSessionEntry<T>): void {
    entry.streams = Math.max(0, entry.streams - 1);
    entry.lastSeen = this.#now();
    if (entry.streams === 0) entry.leavingAt = this.#now() + this.#limits.disconnectGraceMs;
  }

  /** Sessions due to close now: gone away past the grace, or idle past the timeout. */
  due(): string[] {
    const now = this.#now();
    const idleBefore = now - this.#limits.idleTimeoutMs;
    const due: string[] = [];
    for (const [id, entry] of this.#entries) {
      if (entry.streams > 0 || entry.requests.size > 0) continue;
      if ((entry.leavingAt > 0 && entry.leavingAt <= now) || entry.lastSeen < idleBefore) due.push(id);
    }
    return due;
  }
}
