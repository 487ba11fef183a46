import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, extname, join } from 'node:path';

/**
 * toolscope's folder in the user's data directory (XDG style): `$TOOLSCOPE_HOME`,
 * else `$XDG_DATA_HOME/toolscope`, else `~/.local/share/toolscope` (on Windows
 * `%LOCALAPPDATA%\toolscope`). It holds `instances/` (the records of running
 * instances) and `state/` (learned baselines, one folder per config or command).
 */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOOLSCOPE_HOME) return env.TOOLSCOPE_HOME;
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'toolscope');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'toolscope');
  return join(homedir(), '.local', 'share', 'toolscope');
}

/** What learned state belongs to: one config file, or one command line (the proxy without a config). */
export type StateOwner =
  | { readonly kind: 'config'; readonly path: string }
  | { readonly kind: 'command'; readonly command: string; readonly args: readonly string[] }
  | { readonly kind: 'app'; readonly entry: string };

/**
 * The state folder of one owner: `<data directory>/state/<readable name>-<hash>`, the
 * hash of the config's absolute path, of the whole command line, or of the app's entry
 * script. Two configs in one folder, or two proxied servers, never share baselines.
 */
export function stateDirectoryFor(owner: StateOwner, env: NodeJS.ProcessEnv = process.env): string {
  const identity =
    owner.kind === 'config'
      ? `config\0${owner.path}`
      : owner.kind === 'command'
        ? `command\0${[owner.command, ...owner.args].join('\0')}`
        : `app\0${owner.entry}`;
  const source =
    owner.kind === 'config' ? owner.path : owner.kind === 'command' ? owner.command : owner.entry;
  const name =
    basename(source, extname(source))
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 40) || owner.kind;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 12);
  return join(dataDirectory(env), 'state', `${name}-${hash}`);
}
