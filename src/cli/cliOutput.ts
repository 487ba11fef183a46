import { createLogging, type Logging, loggingConfigSchema } from '../logging/index.js';

let current: Logging | undefined;

/** Commands that serve (their stderr is a service's log); the others answer a person. */
const SERVING = new Set(['gateway', 'proxy', 'demo']);

/**
 * The command line's logging, in toolscope's one log format: `TOOLSCOPE_LOG_FORMAT`
 * when set; otherwise a serving command writes text at a terminal and JSON anywhere
 * else (an agent's log, a container), and a command that answers a person (`status`,
 * `export`, …) writes text.
 */
export function cliLogging(argv: readonly string[] = process.argv): Logging {
  if (current) return current;
  const command = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const serving = command !== undefined && SERVING.has(command);
  current = createLogging({
    config: loggingConfigSchema.parse({}),
    isTTY: serving ? process.stderr.isTTY === true : true,
  });
  return current;
}

/**
 * A message of the command to its user, on stderr (stdout may carry MCP or the
 * command's data): `toolscope: …` in the text format, an `info` record in JSON.
 */
export function say(message: string, fields: Record<string, unknown> = {}): void {
  const logging = cliLogging();
  if (logging.format === 'json') logging.logger.info(fields, message);
  else process.stderr.write(`toolscope: ${message}\n`);
}

/** Why the command failed, on stderr, in the same format as {@link say} (at `error`). */
export function fail(message: string, fields: Record<string, unknown> = {}): void {
  const logging = cliLogging();
  if (logging.format === 'json') logging.logger.error(fields, message);
  else process.stderr.write(`toolscope: ${message}\n`);
}
