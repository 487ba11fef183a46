import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { configFileSchema, type ToolscopeConfig } from './configSchema.js';
import { stripJsonComments } from './jsonc.js';
import type { ServerConfig } from './serverSchema.js';

/** A config that cannot be used; `issues` name the path of each bad field and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid config ${source}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

const VARIABLE = /\$\{(env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{(input:[^}]*)\}/g;

/** Where an environment variable's value went in the config (secrets are redacted by these). */
export interface EnvReference {
  /** Path of the string it was substituted into, e.g. `["toolscope", "httpTools", "weather", "headers", "x-api-key"]`. */
  readonly path: readonly string[];
  /** The variable's name. */
  readonly name: string;
  /** The value substituted (from the environment, not a `:-default`). */
  readonly value: string;
}

/**
 * Replace `${VAR}`, `${VAR:-default}` and `${env:VAR}` in every string; unknown
 * variables are errors. Each value taken from the environment is recorded in
 * `references` when given.
 */
export function substituteEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  path: string[],
  issues: string[],
  references?: EnvReference[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (match, _env, name: string, fallback: string | undefined, input) => {
      if (input) {
        issues.push(`${formatPath(path)}: "${match}" prompts are not supported here; use \${env:VAR}`);
        return match;
      }
      const found = env[name];
      if (found !== undefined) {
        references?.push({ path, name, value: found });
        return found;
      }
      if (fallback !== undefined) return fallback;
      issues.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return match;
    });
  }
  if (Array.isArray(value))
    return value.map((item, index) => substituteEnv(item, env, [...path, String(index)], issues, references));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = substituteEnv(item, env, [...path, key], issues, references);
    return out;
  }
  return value;
}

function formatPath(path: readonly (string | number | symbol)[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/**
 * Validate an already-parsed config object. Throws `ConfigError` listing every
 * problem with its path.
 */
export function parseConfig(
  raw: unknown,
  options: { source?: string; baseDir?: string; env?: Record<string, string | undefined> } = {},
): ToolscopeConfig {
  const source = options.source ?? '(inline config)';
  const issues: string[] = [];
  const envReferences: EnvReference[] = [];
  const substituted = substituteEnv(raw, options.env ?? process.env, [], issues, envReferences);
  if (issues.length > 0) throw new ConfigError(source, issues);
  if (typeof substituted !== 'object' || substituted === null || Array.isArray(substituted)) {
    throw new ConfigError(source, ['(root): expected a JSON object with "mcpServers"']);
  }
  const parsed = configFileSchema.safeParse(substituted);
  if (!parsed.success) throw new ConfigError(source, parsed.error.issues.map(describeIssue));
  const file = parsed.data;
  const all = file.mcpServers ?? file.servers ?? {};
  const servers: Record<string, ServerConfig> = {};
  for (const [name, server] of Object.entries(all)) if (!server.disabled) servers[name] = server;
  return { servers, toolscope: file.toolscope, baseDir: options.baseDir ?? process.cwd(), envReferences };
}

/** Read, parse (JSON with comments allowed, as VS Code writes it) and validate a config file. */
export async function loadConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<ToolscopeConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(absolute, [`(file): ${reason}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(stripJsonComments(text));
  } catch (error) {
    throw new ConfigError(absolute, [`(file): not valid JSON: ${(error as Error).message}`]);
  }
  return parseConfig(raw, { source: absolute, baseDir: dirname(absolute), env });
}
