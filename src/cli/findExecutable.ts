import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Why a command cannot be started, or undefined when it can. */
export function whyNotExecutable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string | undefined {
  const runnable = (file: string): 'ok' | 'missing' | 'not executable' => {
    try {
      if (!statSync(file).isFile()) return 'not executable';
      if (process.platform !== 'win32') accessSync(file, constants.X_OK);
      return 'ok';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not executable';
    }
  };
  if (isAbsolute(command) || command.includes('/') || command.includes('\\')) {
    const state = runnable(resolve(cwd, command));
    if (state === 'ok') return undefined;
    return state === 'missing' ? `${command}: no such file` : `${command}: not an executable file`;
  }
  const extensions =
    process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  let found: 'missing' | 'not executable' = 'missing';
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const state = runnable(join(dir, `${command}${extension}`));
      if (state === 'ok') return undefined;
      if (state === 'not executable') found = state;
    }
  }
  return found === 'missing' ? `${command}: command not found on PATH` : `${command}: not executable`;
}
