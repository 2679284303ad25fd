import { events, type EventName, type EventPayload, type WireEvent } from '../shared';

export type WireEventSink = (event: WireEvent) => void;

/**
 * Fans pushed events out to every connected window or browser. Payloads are validated against
 * the contract before they leave, so a malformed event is a bug caught at its source.
 */
export class EventBus {
  private readonly sinks = new Set<WireEventSink>();

  subscribe(sink: WireEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = events[event].payload.parse(payload);
    for (const sink of this.sinks) sink({ event, payload: checked });
  }

  get size(): number {
    return this.sinks.size;
  }
}
