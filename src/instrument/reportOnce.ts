import { diag } from '@opentelemetry/api';

const reported = new Set<string>();

/**
 * Report an internal instrumentation failure through OpenTelemetry's `diag`,
 * once per site: a broken hook must be visible to operators, but must never
 * flood the app's stderr or change what the app sees.
 */
export function reportOnce(site: string, error: unknown): void {
  if (reported.has(site)) return;
  reported.add(site);
  try {
    diag.error(
      `toolscope: instrumentation failed in ${site}; the app carries on uninstrumented there (reported once)`,
      error,
    );
  } catch {
    // A throwing diag logger is the app's; nothing more to do.
  }
}

/** Define a hidden, writable own property (patches stay invisible to enumeration and replaceable by the app). */
export function defineHidden(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}
