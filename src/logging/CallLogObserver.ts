import type { Logger } from 'pino';
import type { CallObservation, CallObserver } from '../pipeline/index.js';
import { traceFields } from './traceFields.js';

/**
 * One `debug` line per finished tool call, carrying the call's `trace_id` and
 * `span_id`. At the default level (`info`) it costs one level check per call.
 */
export class CallLogObserver implements CallObserver {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  onObservation(observation: CallObservation): void {
    if (!this.#logger.isLevelEnabled('debug')) return;
    this.#logger.debug(
      {
        ...traceFields(observation.traceContext),
        service: observation.ref.service,
        tool: observation.ref.tool,
        agent: observation.agent,
        outcome: observation.outcome,
        errorType: observation.errorType,
        durationMs: Math.round(observation.durationMs * 10) / 10,
        queueWaitMs: Math.round(observation.queueWaitMs * 10) / 10,
        attempts: observation.attempts,
      },
      'tool call',
    );
  }
}
