/** MCP log levels (RFC 5424 severities), least severe first. */
const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

/** Whether a message at `level` passes a minimum of `minimum` (unknown levels pass: never lose an error). */
export function logLevelAdmits(minimum: string, level: unknown): boolean {
  const rank = LEVELS.indexOf(level as LogLevel);
  return rank === -1 || rank >= LEVELS.indexOf(minimum as LogLevel);
}

/** The most verbose of several minimum levels (`undefined` when none is set). */
export function mostVerbose(levels: Iterable<string | undefined>): LogLevel | undefined {
  let best: number | undefined;
  for (const level of levels) {
    const rank = LEVELS.indexOf(level as LogLevel);
    if (rank !== -1 && (best === undefined || rank < best)) best = rank;
  }
  return best === undefined ? undefined : LEVELS[best];
}
