/** A value that must never leave in text, and what to show instead. */
export interface Secret {
  readonly value: string;
  /** Shown in its place: the reference it came from (`${env:API_KEY}`), or `[REDACTED]`. */
  readonly label: string;
}

/** Shown for a secret whose origin is unknown (a literal header value). */
export const REDACTED_LABEL = '[REDACTED]';

/**
 * Removes known secret values from text before it reaches a span, a log line, a
 * status page, an error message or a result. Redaction is by reference: it
 * knows the exact values (header values, `${env:…}` substitutions), not key
 * patterns, and replaces each with the name of where it came from, so an
 * operator still sees *which* credential was involved. Values shorter than
 * `minLength` are ignored: replacing every "1" in a message protects nothing.
 */
export class SecretRedactor {
  readonly #secrets: readonly Secret[];

  constructor(secrets: Iterable<Secret>, minLength = 4) {
    const byValue = new Map<string, Secret>();
    for (const secret of secrets) {
      if (secret.value.length < minLength) continue;
      // A value known from an env reference keeps that label over a bare [REDACTED].
      const known = byValue.get(secret.value);
      if (!known || known.label === REDACTED_LABEL) byValue.set(secret.value, secret);
      // Headers are often "Bearer <token>": the token alone may be echoed back.
      const token = /^(?:Bearer|Basic|Token)\s+(.+)$/i.exec(secret.value)?.[1];
      if (token && token.length >= minLength && !byValue.has(token))
        byValue.set(token, { value: token, label: secret.label });
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...byValue.values()].sort((a, b) => b.value.length - a.value.length);
  }

  /** Number of secret values known. */
  get size(): number {
    return this.#secrets.length;
  }

  /** `text` with every known secret replaced by its label (the same string when none occurs). */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret.value)) out = out.split(secret.value).join(secret.label);
    }
    return out;
  }

  /** True when `text` contains a known secret. */
  leaks(text: string): boolean {
    return this.#secrets.some((secret) => text.includes(secret.value));
  }
}
