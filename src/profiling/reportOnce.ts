import { diag } from '@opentelemetry/api';

const reported = new Set<string>();

/**
 * Reports an internal profiling failure through OTel `diag`, once per `key`:
 * telemetry must never break or flood the host.
 */
export function reportOnce(key: string, message: string, error?: unknown): void {
  if (reported.has(key)) return;
  reported.add(key);
  try {
    diag.warn(message, error instanceof Error ? error.message : error);
  } catch {
    // diag itself failing is not the host's problem either.
  }
}
