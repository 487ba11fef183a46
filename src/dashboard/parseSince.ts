const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A `--since` value as epoch ms: a duration back from `now` (`90s`, `10m`, `2h`,
 * `1d`), an ISO 8601 date, or epoch milliseconds. `undefined` when it is none of these.
 */
export function parseSince(text: string, now: number): number | undefined {
  const value = text.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(value);
  if (relative) return now - Number(relative[1]) * (UNITS[relative[2]!.toLowerCase()] as number);
  if (/^\d{12,}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}
