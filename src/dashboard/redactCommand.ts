// Flags whose value is a credential more often than not.
const SECRET_FLAG =
  /(token|secret|password|passwd|api[-_]?key|auth|credential|private[-_]?key|cookie|session)/i;
// Values that carry credentials whatever flag precedes them.
const SECRET_VALUE = /^(bearer\s|basic\s|gh[pousr]_|sk-|xox[abp]-|eyJ)|:\/\/[^/@\s]+:[^/@\s]+@/i;

const REDACTED = '[REDACTED]';

/**
 * A stdio service's command line for status output, with what looks like a
 * credential replaced: the value after a `--token`-like flag, `--api-key=…`
 * forms, `KEY=value` assignments with such names, and values that look like
 * tokens or URLs with a password. `env` is never shown at all.
 */
export function redactCommand(command: string, args: readonly string[]): string {
  const out = [command];
  let hideNext = false;
  for (const arg of args) {
    if (hideNext) {
      out.push(REDACTED);
      hideNext = false;
      continue;
    }
    const assignment = /^(-{0,2}[A-Za-z0-9_.-]+)=(.*)$/.exec(arg);
    if (assignment && SECRET_FLAG.test(assignment[1]!)) {
      out.push(`${assignment[1]}=${REDACTED}`);
      continue;
    }
    if (SECRET_VALUE.test(arg)) {
      out.push(REDACTED);
      continue;
    }
    if (arg.startsWith('-') && SECRET_FLAG.test(arg)) hideNext = true;
    out.push(/\s/.test(arg) ? JSON.stringify(arg) : arg);
  }
  return out.join(' ');
}

/** A remote service's URL without credentials, query or fragment (tokens hide there). */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '[invalid URL]';
  }
}
