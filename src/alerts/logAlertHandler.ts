import type { AlertEvent } from './AlertEvent.js';
import type { AlertHandler } from './AlertHandler.js';

/** Log levels the log handler uses. */
export type AlertLogLevel = 'info' | 'warn' | 'error';

/**
 * Writes alert events through a logging callback (the gateway's logger), one line
 * each: critical firings at `error`, warnings at `warn`, resolutions at `info`.
 * The message names the rule and whether it fired or resolved (the summary names
 * the subject); the event itself goes along for structured fields.
 */
export function createLogAlertHandler(
  log: (level: AlertLogLevel, message: string, event: AlertEvent) => void,
  name = 'log',
): AlertHandler {
  return {
    name,
    handle(event) {
      const level: AlertLogLevel =
        event.status === 'resolved' ? 'info' : event.level === 'critical' ? 'error' : 'warn';
      log(level, `alert ${event.rule} ${event.status}: ${event.summary}`, event);
    },
  };
}
