import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * The events a session's SSE streams carried, so a client that lost a stream can
 * resume it with `Last-Event-ID` (SEP-1699; the SDK transport then sends a
 * priming event on each stream). Bounded: only the newest `maxEvents` are kept,
 * so a long session costs flat memory; a resume from before them replays nothing.
 */
export class SessionEventStore implements EventStore {
  readonly #events = new Map<EventId, { streamId: StreamId; message: JSONRPCMessage }>();
  readonly #maxEvents: number;
  #next = 0;

  constructor(maxEvents = 1000) {
    this.#maxEvents = maxEvents;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const eventId = `${streamId}_${++this.#next}`;
    this.#events.set(eventId, { streamId, message });
    if (this.#events.size > this.#maxEvents) this.#events.delete(this.#events.keys().next().value as EventId);
    return eventId;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.#events.get(eventId)?.streamId ?? streamOf(eventId);
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const streamId = this.#events.get(lastEventId)?.streamId ?? streamOf(lastEventId);
    let after = false;
    for (const [eventId, event] of this.#events) {
      if (eventId === lastEventId) {
        after = true;
        continue;
      }
      // Priming events store an empty message; only this stream's own messages are replayed.
      if (after && event.streamId === streamId && Object.keys(event.message).length > 0)
        await send(eventId, event.message);
    }
    return streamId;
  }
}

/** The stream an event id was minted for (`<streamId>_<n>`), also when the event itself is gone. */
function streamOf(eventId: EventId): StreamId {
  const cut = eventId.lastIndexOf('_');
  return cut > 0 ? eventId.slice(0, cut) : eventId;
}
