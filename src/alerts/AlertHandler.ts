import type { AlertEvent } from './AlertEvent.js';

/** Delivers alert events somewhere. Rules name handlers by `name`. */
export interface AlertHandler {
  readonly name: string;
  /** May be async; a rejection is reported, never thrown at the caller. */
  handle(event: AlertEvent): void | Promise<void>;
}
