/** What to record of tool arguments and results (both off by default: they carry user data). */
export interface ContentCapturePolicy {
  arguments: boolean;
  results: boolean;
  /** Keys (case-insensitive) whose values become `[REDACTED]`, at any depth. */
  redactKeys: readonly string[];
  /** Captured JSON is cut to this many characters. */
  maxChars: number;
}

export const NO_CAPTURE: ContentCapturePolicy = {
  arguments: false,
  results: false,
  redactKeys: [],
  maxChars: 0,
};

const REDACTED = '[REDACTED]';

/**
 * Serialise a value for a span attribute with configured keys redacted, cycles
 * and non-JSON values made safe, and the result cut to `maxChars`. Never throws:
 * a value that cannot be serialised is recorded as a placeholder.
 */
export function captureJson(value: unknown, policy: ContentCapturePolicy): string {
  const redact = new Set(policy.redactKeys.map((key) => key.toLowerCase()));
  const seen = new WeakSet<object>();
  let text: string;
  try {
    text =
      JSON.stringify(value, (key, item: unknown) => {
        if (key !== '' && redact.has(key.toLowerCase())) return REDACTED;
        if (typeof item === 'bigint') return item.toString();
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) return '[Circular]';
          seen.add(item);
        }
        return item;
      }) ?? 'undefined';
  } catch {
    text = '[unserialisable]';
  }
  return text.length > policy.maxChars ? `${text.slice(0, policy.maxChars)}…[truncated]` : text;
}
